package daemon

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"signalcraft/appliance/clips"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/retention"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
)

// clipsDir is where the audio clips are kept, inside data_dir.
const clipsDir = "clips"

// setupClips opens the clips library (when clips are enabled), registers the clip upload
// jobs with the job queue (when clips.upload is set, to the replication bucket), and builds
// the retention pruner. New calls it after the alerting (which owns the job queue) and
// before the machines.
func (m *Main) setupClips(ctx context.Context) error {
	m.retention = retention.New(m.db, m.cfg.Retention, retention.Options{Now: m.o.Now, Logger: m.log.With("component", "retention")})
	cc := m.cfg.Clips
	if !cc.Enabled {
		return nil
	}
	o := clips.Options{Dir: filepath.Join(m.cfg.DataDir, clipsDir), DB: m.db, Now: m.o.Now,
		Logger: m.log.With("component", "clips"), DiskUsage: m.o.DiskUsage}
	var up clips.Uploader
	var prefix string
	if s3 := m.cfg.Replication.S3; cc.Upload && s3 != nil {
		creds, err := replicate.ResolveCredentials(*s3, nil)
		if err != nil {
			return fmt.Errorf("clips.upload: %w", err)
		}
		up = clips.NewS3(replicate.NewS3Client(*s3, creds, &http.Client{Timeout: time.Minute}), s3.Bucket)
		prefix = s3.Prefix
		o.Queue = m.alerts.queue
	}
	lib, err := clips.New(ctx, cc, o)
	if err != nil {
		return err
	}
	m.clips = lib
	if up != nil {
		m.alerts.queue.Handle(clips.JobUpload, m.o.Metrics.JobHandler(clips.JobUpload, lib.UploadHandler(up, prefix)),
			jobs.WorkerConfig{Concurrency: 1, Lease: 10 * time.Minute, MaxAttempts: 20,
				Backoff: jobs.Backoff{Base: 5 * time.Second, Max: 30 * time.Minute, Jitter: 0.2}})
	}
	return nil
}

// healthClips reports the clips' usage for /health; nil when clips are off.
func (m *Main) healthClips() *wire.HealthClips {
	if m.clips == nil {
		return nil
	}
	s := m.clips.Status()
	return &wire.HealthClips{Path: s.Dir, Count: s.Count, Bytes: s.Bytes, QuotaBytes: s.Quota, HardLimitBytes: s.HardLimit,
		MinFreeBytes: s.MinFree, Saving: s.Saving, Reason: s.Reason, Saved: s.Saved, Refused: s.Refused, Dropped: s.Dropped}
}

// Clips returns the clips library, nil when clips are off.
func (m *Main) Clips() *clips.Library { return m.clips }
