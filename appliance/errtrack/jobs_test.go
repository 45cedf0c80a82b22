package errtrack_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/errtrack/sentrytest"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// panickingJob is a job handler of ours that panics; its frame must be in the event.
func panickingJob(context.Context, jobs.Job) error {
	var receivers map[string]int
	receivers["ops"]++ // assignment to entry in nil map
	return nil
}

// TestJobPanicReachesEndpoint: the daemon's job queue (a real one, on SQLite) recovers a
// handler's panic and logs it at ERROR with the daemon's logger; through the tracker's
// handler it becomes an event whose stack holds the panicking handler's frame.
func TestJobPanicReachesEndpoint(t *testing.T) {
	srv := sentrytest.New(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var c counts
	tr := newTracker(t, srv, clk, &c, 10)
	log := slog.New(tr.Handler(slog.DiscardHandler))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "signalcraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := jobs.New(db, jobs.Options{Logger: log.With("component", "jobs")})
	if err != nil {
		t.Fatal(err)
	}
	q.Handle("notify", panickingJob, jobs.WorkerConfig{MaxAttempts: 1})
	if _, _, err := q.Enqueue(ctx, jobs.Job{Kind: "notify"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	evs, envs := srv.WaitEvents(t, 1, 20*time.Second)
	cancel()
	<-done
	assertNoSecret(t, envs)
	ev := evs[0]
	if ev.Level != "error" || ev.Message != "jobs: handler panicked" || ev.Tags["kind"] != "notify" || ev.Tags["appliance"] != "press-line-1" {
		t.Errorf("event message %q level %q tags %v", ev.Message, ev.Level, ev.Tags)
	}
	if p, _ := ev.Contexts["log"]["panic"].(string); !strings.Contains(p, "nil map") {
		t.Errorf("log context %v", ev.Contexts["log"])
	}
	var names []string
	found := false
	for _, f := range ev.Exception.Values[0].Stacktrace.Frames {
		names = append(names, f.Module+"."+f.Function)
		if f.Module == "signalcraft/appliance/errtrack_test" && f.Function == "panickingJob" {
			found = true
		}
	}
	if !found {
		t.Errorf("the stack lacks the panicking handler:\n%s", strings.Join(names, "\n"))
	}
}
