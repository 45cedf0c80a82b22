package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/metrics"
	"signalcraft/appliance/source"
	"signalcraft/core/alert"
	"signalcraft/core/store"
)

// feedSource is a two-channel replay (realtime: false) the test feeds on demand: steady
// noise on both channels, with a loud 2 kHz whine on channel 1 while asked for.
type feedSource struct {
	rate int
	reqs chan feedReq
}

type feedReq struct {
	d         time.Duration
	anomalous bool
	done      chan struct{}
}

func newFeedSource() *feedSource { return &feedSource{rate: 16000, reqs: make(chan feedReq)} }

func (s *feedSource) Info() source.Info {
	return source.Info{Name: "feed", SampleRate: s.rate, Channels: 2}
}

func (s *feedSource) Run(ctx context.Context, sink source.Sink) error {
	const block = 1600
	r := rand.New(rand.NewPCG(3, 4))
	start := time.Now()
	pos := 0
	chans := [][]float32{make([]float32, block), make([]float32, block)}
	sink.Status(source.Running, nil)
	for {
		var req feedReq
		select {
		case <-ctx.Done():
			return nil
		case req = <-s.reqs:
		}
		for n := int(req.d.Seconds() * float64(s.rate) / block); n > 0; n-- {
			for c := range chans {
				for i := range chans[c] {
					v := 0.05 * r.NormFloat64()
					if c == 1 && req.anomalous {
						v += 0.5 * math.Sin(2*math.Pi*2000*float64(pos+i)/float64(s.rate))
					}
					chans[c][i] = float32(v)
				}
			}
			sink.Samples(source.Block{Time: start.Add(time.Duration(pos) * time.Second / time.Duration(s.rate)), Channels: chans})
			pos += block
		}
		close(req.done)
	}
}

// feed hands d of sound to the daemon and returns once its source has delivered it.
func (s *feedSource) feed(t *testing.T, d time.Duration, anomalous bool) {
	t.Helper()
	done := make(chan struct{})
	select {
	case s.reqs <- feedReq{d: d, anomalous: anomalous, done: done}:
	case <-time.After(30 * time.Second):
		t.Fatal("the source is not reading requests")
	}
	<-done
}

// mountTmpfs mounts a tmpfs of size bytes on a new temporary directory, unmounted when the
// test ends, or skips the test when it cannot (not root, no mount namespace).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a tmpfs to fill up (%v): run the test as root to test a full disk", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// fillUp writes path until the file system has no byte left.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 64 << 10, 4 << 10, 512, 1} {
		b := make([]byte, chunk)
		for {
			if _, err := f.Write(b); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
}

// TestFullDiskKeepsEventsAndAlerts fills the file system under data_dir (a small tmpfs) until
// the database cannot commit, then makes the pump anomalous: its event opens, its alert
// fires, and none of it can be written. Once space is freed, the event row, its clip (or the
// clip's refusal), the alert state and exactly one notification job appear, and the
// notification is delivered once.
func TestFullDiskKeepsEventsAndAlerts(t *testing.T) {
	mnt := mountTmpfs(t, 24<<20)
	hook := &hookReceiver{delivered: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
store: {batch_size: 4, flush_every: 100ms}
api: {socket: ""}
metrics: {listen: ""}
clips: {pre_roll: 1s, post_roll: 1s, max_post_roll: 2s, min_free: 1MB}
sources:
  - {id: feed, kind: simulator, channels: 2, realtime: false}
machines:
  - {id: fan-1, sensor: {source: feed, channel: 0}, detection: {learning: 10s}}
  - {id: pump-2, sensor: {source: feed, channel: 1}, detection: {learning: 10s}}
receivers:
  - {name: hook, type: webhook, webhook: {url: "%s"}}
alerting:
  rules:
    - name: Anomaly
      expr: {metric: anomaly_score, op: ">", enter: 1, exit: 0.9}
      severity: critical
      for: 0s
  route: {receiver: hook, group_by: [machine], group_wait: 0s, group_interval: 1s}
`, filepath.Join(mnt, "data"), srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	src := newFeedSource()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(ctx, cfg, Options{OpenSource: func(config.Source) (source.Source, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Logf("daemon stopped: %v", err)
			}
		}
	}
	defer stop()
	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not within %v; pump %+v; alerts %+v", what, limit, m.Status()[1], m.alerts.engine.Alerts())
			}
		}
	}

	src.feed(t, 12*time.Second, false)
	waitFor("models learned", 30*time.Second, func() bool {
		st := m.Status()
		return st[0].State == "monitoring" && st[1].State == "monitoring"
	})
	src.feed(t, 2*time.Second, false)

	filler := filepath.Join(mnt, "filler")
	fillUp(t, filler)
	// Feed normal sound until the database refuses a commit (SQLite writes into the space
	// its WAL already has until a checkpoint needs the main file to grow).
	failures := m.batch.Stats().Failures
	for i := 0; m.batch.Stats().Failures == failures; i++ {
		if i == 100 {
			t.Fatalf("the database still commits on a full file system: %+v", m.batch.Stats())
		}
		src.feed(t, time.Second, false)
		time.Sleep(50 * time.Millisecond)
	}

	src.feed(t, 6*time.Second, true)
	waitFor("the pump's anomaly and alert", 20*time.Second, func() bool {
		firing := false
		for _, a := range m.alerts.engine.Alerts() {
			firing = firing || (a.Labels[alert.LabelMachine] == "pump-2" && a.Status == alert.StatusFiring)
		}
		return firing && m.Status()[1].State == "anomaly"
	})
	id := m.Status()[1].OpenEvent
	if id == 0 {
		t.Fatalf("the pump is anomalous but has no event: the store refused it and nothing kept it")
	}
	rctx := context.Background()
	if _, err := m.db.Event(rctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("event %d while the disk is full: %v, want it not written yet", id, err)
	}
	time.Sleep(time.Second) // a few failed attempts
	if n := notifyJobs(t, m.db); n != 0 {
		t.Fatalf("%d notification jobs written on a full disk", n)
	}
	if u := m.unsaved(); u.Events == 0 || u.Notifications == 0 {
		t.Errorf("held in memory during the outage: %+v, want the event and the notification", u)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var ev store.Event
	waitFor("the event, alert state and notification job written once space returned", 15*time.Second, func() bool {
		var err error
		ev, err = m.db.Event(rctx, id)
		return err == nil && notifyJobs(t, m.db) > 0 && pumpFiringSaved(t, m.db)
	})
	if ev.MachineID != "pump-2" || ev.Start.IsZero() || ev.PeakScore <= ev.Threshold {
		t.Errorf("event written after the outage: %+v", ev)
	}
	waitFor("the notification delivered", 15*time.Second, func() bool {
		_, delivered, _ := hook.snapshot()
		return len(delivered) > 0
	})
	time.Sleep(500 * time.Millisecond) // a duplicate would show by now
	if n := notifyJobs(t, m.db); n != 1 {
		t.Errorf("%d notification jobs, want exactly 1", n)
	}
	if u := m.unsaved(); u != (metrics.Unsaved{}) {
		t.Errorf("still held after the outage: %+v", u)
	}
	if _, delivered, msgs := hook.snapshot(); len(msgs) != 1 || len(delivered) != 1 || msgs[0].Alerts[0].Machine != "pump-2" {
		t.Errorf("delivered %v: %+v, want the pump's alert once", delivered, msgs)
	}
	failed := m.batch.Stats().Failures
	stop()

	db, err := store.Open(rctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ev, err = db.Event(rctx, id); err != nil || ev.IsOpen() {
		t.Errorf("event %d after the stop: %+v %v, want it closed", id, ev, err)
	}
	st := m.Clips().Status()
	if _, err := db.ClipOfEvent(rctx, id); err != nil {
		if !errors.Is(err, store.ErrNotFound) || st.Refused == 0 {
			t.Errorf("event %d has no clip (%v) and no clip was refused: %+v", id, err, st)
		}
	}
	t.Logf("event %d (%v to %v) written after %d failed score commits; clips saved %d, refused %d",
		id, ev.Start.Format(time.TimeOnly), ev.End.Format(time.TimeOnly), failed, st.Saved, st.Refused)
}

// notifyJobs counts the notification jobs in the queue.
func notifyJobs(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	err := db.Read(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM jobs WHERE kind = ?`, JobNotify).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pumpFiringSaved reports whether the stored alert state has the pump's alert firing.
func pumpFiringSaved(t *testing.T, db *store.DB) bool {
	t.Helper()
	b, err := db.AlertState(context.Background())
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	var st alert.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Series {
		if s.Machine == "pump-2" && s.Alert != nil && s.Alert.Status == alert.StatusFiring {
			return true
		}
	}
	return false
}
