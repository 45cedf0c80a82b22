package daemon

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"signalcraft/appliance/objects"
	"signalcraft/appliance/replicate"
	"signalcraft/core/dataset"
	"signalcraft/core/jobs"
)

// objectStore is the dataset object store of the appliance and, when the database
// replicates to S3, the queue that uploads its objects.
type objectStore struct {
	o     dataset.Objects
	queue *jobs.Queue // nil without replication to S3
}

// setupObjects opens the dataset object store in data_dir/objects. When the database
// replicates to S3 it registers the object_upload jobs (to the replication bucket and
// prefix) and queues the upload of every object already stored that has no upload job yet:
// objects stored by `signalcraftd dataset import` (a separate process, which cannot queue
// jobs while the daemon owns the queue) and any whose enqueue a crash lost. An upload of an
// object already in the bucket sends nothing. New calls it after setupClips.
func (m *Main) setupObjects(ctx context.Context) error {
	m.objects = &objectStore{o: dataset.Objects{Dir: filepath.Join(m.cfg.DataDir, objects.Dir)}}
	s3 := m.cfg.Replication.S3
	if s3 == nil {
		return nil
	}
	creds, err := replicate.ResolveCredentials(*s3, nil)
	if err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	bucket := objects.NewS3(replicate.NewS3Client(*s3, creds, &http.Client{Timeout: time.Minute}), s3.Bucket, s3.Prefix)
	q := m.alerts.queue
	q.Handle(objects.JobUpload, m.o.Metrics.JobHandler(objects.JobUpload, objects.UploadHandler(m.objects.o, bucket.Uploader(), s3.Prefix)),
		jobs.WorkerConfig{Concurrency: 1, Lease: 10 * time.Minute, MaxAttempts: 20,
			Backoff: jobs.Backoff{Base: 5 * time.Second, Max: 30 * time.Minute, Jitter: 0.2}})
	m.objects.queue = q
	all, err := m.objects.o.All()
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return nil
	}
	queued := 0
	err = m.db.Write(ctx, func(tx *sql.Tx) error {
		queued = 0
		for _, sha := range all {
			_, created, err := q.EnqueueTx(ctx, tx, objects.UploadJob(sha))
			if err != nil {
				return err
			}
			if created {
				queued++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("objects: queue uploads: %w", err)
	}
	if queued > 0 {
		m.log.Info("dataset objects queued for upload", "objects", queued)
	}
	return nil
}

// Objects returns the dataset object store (data_dir/objects).
func (m *Main) Objects() dataset.Objects { return m.objects.o }

// StoreClipObject puts an event's clip into the dataset object store (a hard link when
// possible, checked against sha, the clip's recorded SHA-256) and queues its upload when the
// database replicates to S3: what labelling an event that has a clip needs.
func (m *Main) StoreClipObject(ctx context.Context, clipPath, sha string) error {
	if err := dataset.LinkClip(m.objects.o, clipPath, sha); err != nil {
		return err
	}
	return m.queueObjects(ctx, sha)
}

// QueueObjectUploads queues the upload of objects the daemon put into Objects() itself (with
// Objects().Put, as the learning loop keeps its sound): call it after the Put. Nothing
// happens without replication to S3; an object queued or uploaded already is not sent twice.
func (m *Main) QueueObjectUploads(ctx context.Context, shas ...string) error {
	return m.queueObjects(ctx, shas...)
}

// queueObjects queues the upload of objects stored by the daemon; nothing without S3.
func (m *Main) queueObjects(ctx context.Context, shas ...string) error {
	if m.objects.queue == nil {
		return nil
	}
	_, err := objects.Enqueue(ctx, m.objects.queue, shas...)
	return err
}
