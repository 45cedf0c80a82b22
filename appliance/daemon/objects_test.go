package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/objects"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/replicate/s3test"
	"signalcraft/core/dataset"
)

// TestDaemonUploadsObjects: an object stored before the daemon starts (as `signalcraftd
// dataset import` does), a clip stored through StoreClipObject and an object put by the
// daemon and queued with QueueObjectUploads all reach the bucket.
func TestDaemonUploadsObjects(t *testing.T) {
	srv := s3test.Start(t)
	dir := t.TempDir()
	cfg := simConfig(dir)
	cfg.Sources[0].Simulator.Duration = 20 * time.Second
	cfg.Replication.S3 = testReplica(srv)
	early, _, err := dataset.Objects{Dir: filepath.Join(dir, objects.Dir)}.Put(strings.NewReader("imported before the daemon started"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	clip := filepath.Join(t.TempDir(), "42.wav")
	if err := os.WriteFile(clip, []byte("an event's clip"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256hex("an event's clip")
	if err := m.StoreClipObject(ctx, clip, strings.Repeat("0", 64)); err == nil {
		t.Error("StoreClipObject with the wrong hash succeeded")
	}
	if err := m.StoreClipObject(ctx, clip, sum); err != nil {
		t.Fatal(err)
	}
	if !m.Objects().Has(sum) {
		t.Fatal("the clip is not in the object store")
	}
	kept, _, err := m.Objects().Put(strings.NewReader("learning sound"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.QueueObjectUploads(ctx, kept); err != nil {
		t.Fatal(err)
	}

	s3 := *cfg.Replication.S3
	creds, err := replicate.ResolveCredentials(s3, nil)
	if err != nil {
		t.Fatal(err)
	}
	bucket := objects.NewS3(replicate.NewS3Client(s3, creds, http.DefaultClient), s3.Bucket, s3.Prefix)
	for _, want := range []struct{ sha, body string }{{early, "imported before the daemon started"}, {sum, "an event's clip"}, {kept, "learning sound"}} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := bucket.Get(ctx, want.sha)
			if err == nil {
				b, _ := io.ReadAll(r)
				r.Close()
				if string(b) != want.body {
					t.Errorf("object %s holds %q", want.sha, b)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("object %s not in the bucket after 30 s: %v", want.sha, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
