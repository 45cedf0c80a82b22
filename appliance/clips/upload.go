package clips

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// Uploader puts a clip's file in object storage under key. It must be idempotent: the
// same key may be uploaded again after a crash.
type Uploader interface {
	Upload(ctx context.Context, key string, body io.ReadSeeker, size int64, sha256hex string) error
}

// ObjectKey is where a clip is uploaded: <prefix>/clips/<machine>/<event>.wav.
func ObjectKey(prefix string, c store.Clip) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return "clips/" + c.Path
	}
	return prefix + "/clips/" + c.Path
}

// UploadHandler returns the job handler of JobUpload: it checks the file against its
// recorded SHA-256, uploads it under ObjectKey(prefix, clip) and records the outcome in the
// clips table. A clip pruned before its upload needs none; a missing or altered file is a
// permanent failure.
func (l *Library) UploadHandler(up Uploader, prefix string) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		var p UploadPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.ClipID <= 0 {
			return jobs.Permanent(fmt.Errorf("clip upload: bad payload %q", j.Payload))
		}
		c, err := l.db.Clip(ctx, p.ClipID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // pruned before it could be uploaded
		}
		if err != nil {
			return err
		}
		if c.Upload == store.UploadUploaded {
			return nil
		}
		fail := func(err error) error {
			if rerr := l.db.SetClipUpload(context.WithoutCancel(ctx), c.ID, store.UploadFailed, "", err.Error()); rerr != nil {
				l.log.Error("clips: record upload failure", logClip, c.ID, logErr, rerr)
			}
			return jobs.Permanent(err)
		}
		f, err := os.Open(l.Path(c))
		if errors.Is(err, os.ErrNotExist) {
			if _, gone := l.db.Clip(ctx, c.ID); errors.Is(gone, store.ErrNotFound) {
				return nil // pruned while we looked
			}
			return fail(fmt.Errorf("clip %d: file %s is missing", c.ID, c.Path))
		}
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != c.SHA256 || n != c.Size {
			return fail(fmt.Errorf("clip %d: file %s has changed (%d bytes, sha256 %s; recorded %d bytes, %s)",
				c.ID, c.Path, n, sum, c.Size, c.SHA256))
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		key := ObjectKey(prefix, c)
		if err := up.Upload(ctx, key, f, c.Size, c.SHA256); err != nil {
			if rerr := l.db.SetClipUpload(context.WithoutCancel(ctx), c.ID, store.UploadPending, "", err.Error()); rerr != nil {
				l.log.Error("clips: record upload error", logClip, c.ID, logErr, rerr)
			}
			return fmt.Errorf("clip %d: upload %s: %w", c.ID, key, err)
		}
		if err := l.db.SetClipUpload(context.WithoutCancel(ctx), c.ID, store.UploadUploaded, key, ""); err != nil {
			return err // uploaded again on the retry, which is harmless
		}
		l.log.Info("clip uploaded", logClip, c.ID, "key", key)
		return nil
	}
}

// S3 uploads clips with PutObject.
type S3 struct {
	c      *s3.Client
	bucket string
}

// metaSHA256 is the object metadata holding the file's SHA-256, by which an object already
// uploaded is recognised.
const metaSHA256 = "sha256"

// NewS3 returns an Uploader putting clips into bucket through c (built by
// replicate.NewS3Client from the replication settings).
func NewS3(c *s3.Client, bucket string) *S3 { return &S3{c: c, bucket: bucket} }

// Upload puts body under key unless an object with the same size and SHA-256 is there
// already.
func (s *S3) Upload(ctx context.Context, key string, body io.ReadSeeker, size int64, sha256hex string) error {
	head, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err == nil && aws.ToInt64(head.ContentLength) == size && head.Metadata[metaSHA256] == sha256hex {
		return nil
	}
	_, err = s.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String("audio/wav"),
		Metadata:      map[string]string{metaSHA256: sha256hex},
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, err)
	}
	return nil
}
