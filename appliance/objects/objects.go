// Package objects replicates the dataset object store (core/dataset.Objects, the recordings
// of the dataset versions, in <data_dir>/objects) to the S3 bucket the database replicates
// to: "object_upload" jobs put each object under objects/<sha[:2]>/<sha>.wav (below the
// replication prefix), and S3 is the dataset.Getter that dataset.Fetch uses to bring back
// objects missing locally (after a restore, or on another appliance).
package objects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"signalcraft/appliance/clips"
	"signalcraft/core/dataset"
	"signalcraft/core/jobs"
)

// JobUpload is the job kind that uploads one object.
const JobUpload = "object_upload"

// Dir is where the objects are kept, inside data_dir.
const Dir = "objects"

// Key is where the object named sha is kept in the bucket: <prefix>/objects/<sha[:2]>/<sha>.wav.
func Key(prefix, sha string) string {
	k := "objects/" + sha[:2] + "/" + sha + ".wav"
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		k = prefix + "/" + k
	}
	return k
}

// Payload is the payload of a JobUpload job.
type Payload struct {
	SHA256 string `json:"sha256"`
}

// UploadJob returns the job that uploads the object named sha. Its key is "object:<sha>",
// so enqueuing an object twice while its job is kept makes one job.
func UploadJob(sha string) jobs.Job {
	p, _ := json.Marshal(Payload{SHA256: sha})
	return jobs.Job{Kind: JobUpload, Key: "object:" + sha, Payload: p}
}

// Enqueuer is the part of the job queue Enqueue needs (a *jobs.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, j jobs.Job) (id int64, created bool, err error)
}

// Enqueue queues the upload of the objects named shas; ones queued already are not queued
// again.
func Enqueue(ctx context.Context, q Enqueuer, shas ...string) (queued int, err error) {
	for _, sha := range shas {
		if !dataset.ValidSHA256(sha) {
			return queued, fmt.Errorf("objects: enqueue %q: not a sha256", sha)
		}
		_, created, err := q.Enqueue(ctx, UploadJob(sha))
		if err != nil {
			return queued, fmt.Errorf("objects: enqueue %s: %w", sha, err)
		}
		if created {
			queued++
		}
	}
	return queued, nil
}

// Upload puts the object named sha from o into the bucket through up (idempotent: an object
// already there with the same size and hash is not sent again). The file is checked against
// its name first; a missing or altered object is an error naming it.
func Upload(ctx context.Context, o dataset.Objects, up clips.Uploader, prefix, sha string) error {
	if err := o.Verify(sha); err != nil {
		return err
	}
	f, err := os.Open(o.Path(sha))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	key := Key(prefix, sha)
	if err := up.Upload(ctx, key, f, fi.Size(), sha); err != nil {
		return fmt.Errorf("objects: upload %s: %w", key, err)
	}
	return nil
}

// UploadHandler returns the job handler of JobUpload. An object missing or altered locally
// is a permanent failure (objects are never modified or removed); S3 errors are retried.
func UploadHandler(o dataset.Objects, up clips.Uploader, prefix string) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		var p Payload
		if err := json.Unmarshal(j.Payload, &p); err != nil || !dataset.ValidSHA256(p.SHA256) {
			return jobs.Permanent(fmt.Errorf("object upload: bad payload %q", j.Payload))
		}
		err := Upload(ctx, o, up, prefix, p.SHA256)
		if errors.Is(err, dataset.ErrNotFound) || errors.Is(err, dataset.ErrHash) {
			return jobs.Permanent(err)
		}
		return err
	}
}

// S3 reads and writes objects in a bucket.
type S3 struct {
	c      *s3.Client
	bucket string
	prefix string
	up     *clips.S3
}

// NewS3 returns the objects of bucket under prefix, through c (built by
// replicate.NewS3Client from the replication settings).
func NewS3(c *s3.Client, bucket, prefix string) *S3 {
	return &S3{c: c, bucket: bucket, prefix: prefix, up: clips.NewS3(c, bucket)}
}

// Get reads the object named sha (a dataset.Getter).
func (s *S3) Get(ctx context.Context, sha string) (io.ReadCloser, error) {
	if !dataset.ValidSHA256(sha) {
		return nil, fmt.Errorf("objects: get %q: not a sha256", sha)
	}
	key := Key(s.prefix, sha)
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("objects: get s3://%s/%s: %w", s.bucket, key, err)
	}
	return out.Body, nil
}

// Upload puts the object named sha from o into the bucket (see the package's Upload).
func (s *S3) Upload(ctx context.Context, o dataset.Objects, sha string) error {
	return Upload(ctx, o, s.up, s.prefix, sha)
}

// Uploader is the clips.Uploader the job handler uses.
func (s *S3) Uploader() clips.Uploader { return s.up }
