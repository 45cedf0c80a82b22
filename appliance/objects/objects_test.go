package objects

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/replicate/s3test"
	"signalcraft/core/dataset"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// countingTransport counts the PUT requests sent to S3.
type countingTransport struct{ puts atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut {
		c.puts.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestKey(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for prefix, want := range map[string]string{
		"":         "objects/ab/" + sha + ".wav",
		"line-a":   "line-a/objects/ab/" + sha + ".wav",
		"/line-a/": "line-a/objects/ab/" + sha + ".wav",
	} {
		if got := Key(prefix, sha); got != want {
			t.Errorf("Key(%q) = %s, want %s", prefix, got, want)
		}
	}
}

// TestObjectUploadAndFetch stores objects, uploads them through object_upload jobs to a
// real S3 server (versitygw), loses the local directory and fetches a manifest's objects
// back, verified.
func TestObjectUploadAndFetch(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	target := config.S3Replication{Endpoint: srv.Endpoint(), Region: "us-east-1", Bucket: "objects-test", Prefix: "line-a",
		PathStyle: true, AccessKeyID: s3test.KeyID, SecretAccessKey: config.Secret(s3test.Secret)}
	creds, err := replicate.ResolveCredentials(target, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := replicate.EnsureBucket(ctx, target, creds); err != nil {
		t.Fatal(err)
	}
	ct := &countingTransport{}
	bucket := NewS3(replicate.NewS3Client(target, creds, &http.Client{Transport: ct, Timeout: time.Minute}), target.Bucket, target.Prefix)

	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := jobs.New(db, jobs.Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o := dataset.Objects{Dir: filepath.Join(t.TempDir(), "objects")}
	q.Handle(JobUpload, UploadHandler(o, bucket.Uploader(), target.Prefix), jobs.WorkerConfig{Backoff: jobs.Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx) }()
	defer func() { stop(); <-done }()

	var items []dataset.Item
	var shas []string
	for i := range 3 {
		sha, _, err := o.Put(strings.NewReader(fmt.Sprintf("RIFF recording %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		shas = append(shas, sha)
		items = append(items, dataset.Item{SHA256: sha, Label: dataset.Normal, Start: time.Unix(int64(i), 0), Seconds: 1, Source: fmt.Sprint("import:", i)})
	}
	if n, err := Enqueue(ctx, q, append(shas, shas[0])...); err != nil || n != 3 {
		t.Fatalf("Enqueue = %d, %v; want 3 jobs", n, err)
	}
	waitDone(t, q, 3)
	if got := ct.puts.Load(); got != 3 {
		t.Errorf("%d PUTs for 3 objects", got)
	}
	// Uploading again sends nothing: the objects are there with the same size and hash.
	for _, sha := range shas {
		if err := bucket.Upload(ctx, o, sha); err != nil {
			t.Fatal(err)
		}
	}
	if got := ct.puts.Load(); got != 3 {
		t.Errorf("re-uploading sent %d more PUTs", got-3)
	}

	m := dataset.New("m1", items, 0.25)
	if err := os.RemoveAll(o.Dir); err != nil {
		t.Fatal(err)
	}
	n, err := dataset.Fetch(ctx, m, o, bucket)
	if err != nil || n != 3 {
		t.Fatalf("Fetch = %d, %v", n, err)
	}
	for _, sha := range shas {
		if err := o.Verify(sha); err != nil {
			t.Error(err)
		}
	}
	if _, err := bucket.Get(ctx, strings.Repeat("0", 64)); err == nil {
		t.Error("Get of a missing object succeeded")
	}

	// An object missing locally is a permanent failure of its job.
	gone := strings.Repeat("e", 64)
	if _, err := Enqueue(ctx, q, gone); err != nil {
		t.Fatal(err)
	}
	waitState(t, q, "object:"+gone, jobs.StateDead)
}

func waitDone(t *testing.T, q *jobs.Queue, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		js, err := q.List(context.Background(), jobs.Filter{Kind: JobUpload, State: jobs.StateDone})
		if err != nil {
			t.Fatal(err)
		}
		if len(js) == n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	js, _ := q.List(context.Background(), jobs.Filter{Kind: JobUpload})
	t.Fatalf("upload jobs not done after 30 s: %+v", js)
}

func waitState(t *testing.T, q *jobs.Queue, key string, want jobs.State) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		js, _ := q.List(context.Background(), jobs.Filter{Kind: JobUpload})
		for _, j := range js {
			if j.Key == key && j.State == want {
				if !strings.Contains(j.LastError, "not found") {
					t.Errorf("job error %q does not say the object is missing", j.LastError)
				}
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s never reached %s", key, want)
}
