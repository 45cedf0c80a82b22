package clips

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"signalcraft/appliance/config"
	"signalcraft/appliance/replicate"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// fakeS3 is an in-process S3 server on loopback that counts PUT requests.
type fakeS3 struct {
	backend *s3mem.Backend
	url     string
	puts    atomic.Int64
}

func newFakeS3(t *testing.T, bucket string) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	if err := f.backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(f.backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			f.puts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func TestUploadThroughJobQueue(t *testing.T) {
	ctx := context.Background()
	fake := newFakeS3(t, "replica")
	cfg := testConfig()
	cfg.Upload = true
	tl := newTestLib(t, cfg, "fan-1")
	q, err := jobs.New(tl.db, jobs.Options{Now: tl.clk.Now, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tl.queue = q
	target := config.S3Replication{Endpoint: fake.url, Bucket: "replica", PathStyle: true, AccessKeyID: "test", SecretAccessKey: "secret"}
	creds, err := replicate.ResolveCredentials(target, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	up := NewS3(replicate.NewS3Client(target, creds, http.DefaultClient), target.Bucket)
	handler := tl.UploadHandler(up, "site-a")
	q.Handle(JobUpload, handler, jobs.WorkerConfig{Backoff: jobs.Backoff{Base: time.Millisecond, Max: time.Millisecond}})

	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	id, _ := record(t, tl, recs, pos, "fan-1")
	tl.writePending()
	c, err := tl.db.ClipOfEvent(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Upload != store.UploadPending {
		t.Fatalf("upload state %q after saving, want pending", c.Upload)
	}
	js, err := q.List(ctx, jobs.Filter{Kind: JobUpload})
	if err != nil || len(js) != 1 {
		t.Fatalf("upload jobs %+v, %v", js, err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err = tl.db.Clip(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Upload == store.UploadUploaded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not uploaded: %+v", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantKey := "site-a/clips/fan-1/" + itoa(id) + ".wav"
	if c.UploadKey != wantKey || c.UploadedAt.IsZero() || c.UploadError != "" {
		t.Errorf("after upload: %+v", c)
	}
	obj, err := fake.backend.GetObject("replica", wantKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj.Contents)
	obj.Contents.Close()
	file, _ := os.ReadFile(tl.Path(c))
	if !bytes.Equal(got, file) || obj.Metadata["X-Amz-Meta-Sha256"] != c.SHA256 {
		t.Errorf("object: %d bytes (file %d), metadata %v", len(got), len(file), obj.Metadata)
	}

	// At least once: the same job run again (a crash before its outcome was recorded)
	// uploads nothing new.
	puts := fake.puts.Load()
	if err := tl.db.SetClipUpload(ctx, c.ID, store.UploadPending, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := handler(ctx, js[0]); err != nil {
		t.Fatal(err)
	}
	if n := fake.puts.Load(); n != puts {
		t.Errorf("a repeated upload sent %d more PUTs", n-puts)
	}
	if c, _ = tl.db.Clip(ctx, c.ID); c.Upload != store.UploadUploaded {
		t.Errorf("state after the repeat: %q", c.Upload)
	}
}

func TestUploadHandlerFailures(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	tl := newTestLib(t, cfg, "fan-1")
	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	id, _ := record(t, tl, recs, pos, "fan-1")
	tl.writePending()
	c, _ := tl.db.ClipOfEvent(ctx, id)
	job := func(payload string) jobs.Job { return jobs.Job{Kind: JobUpload, Payload: []byte(payload)} }
	payload := `{"clip_id":` + itoa(c.ID) + `}`

	down := uploaderFunc(func(context.Context, string, io.ReadSeeker, int64, string) error {
		return errors.New("connection refused")
	})
	h := tl.UploadHandler(down, "")
	if err := h(ctx, job(payload)); err == nil || isPermanent(err) {
		t.Errorf("unreachable store: err = %v, want a retryable error", err)
	}
	if c, _ = tl.db.Clip(ctx, c.ID); c.Upload != store.UploadPending || c.UploadError != "connection refused" {
		t.Errorf("after a failed attempt: %+v", c)
	}
	if err := h(ctx, job(`{"clip_id":"x"}`)); !isPermanent(err) {
		t.Errorf("bad payload: err = %v, want permanent", err)
	}
	if err := h(ctx, job(`{"clip_id":424242}`)); err != nil {
		t.Errorf("pruned clip: err = %v, want nil (nothing to upload)", err)
	}
	// an altered file is never uploaded
	if err := os.WriteFile(tl.Path(c), []byte("not the clip"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := uploaderFunc(func(context.Context, string, io.ReadSeeker, int64, string) error { return nil })
	if err := tl.UploadHandler(ok, "")(ctx, job(payload)); !isPermanent(err) {
		t.Errorf("altered file: err = %v, want permanent", err)
	}
	if c, _ = tl.db.Clip(ctx, c.ID); c.Upload != store.UploadFailed {
		t.Errorf("altered file: state %q", c.Upload)
	}
}

type uploaderFunc func(ctx context.Context, key string, body io.ReadSeeker, size int64, sum string) error

func (f uploaderFunc) Upload(ctx context.Context, key string, body io.ReadSeeker, size int64, sum string) error {
	return f(ctx, key, body, size, sum)
}

func isPermanent(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "permanent: ")
}
