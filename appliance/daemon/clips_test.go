package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/config"
	wire "signalcraft/core/api"
	"signalcraft/core/sensor"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// clipConfig is one simulated pump, analysed as fast as possible, that develops a bearing
// fault at 40 s; clips keep 10 s before each event and 10 to 20 s after its start.
func clipConfig(dir, clips string) *config.Config {
	y := fmt.Sprintf(`
data_dir: %s
store: {batch_size: 32, flush_every: 100ms}
api: {socket: ""}
metrics: {listen: ""}
sources:
  - id: sim
    kind: simulator
    channels: 1
    realtime: false
    simulator:
      seed: 5
      duration: 80s
      faults: [{channel: 0, start: 40s, ramp: 10s, level: 1.5}]
machines:
  - {id: pump-1, sensor: {source: sim, channel: 0}, detection: {learning: 20s}}
clips: {pre_roll: 10s, post_roll: 10s, max_post_roll: 20s, %s}
`, dir, clips)
	c, err := config.Parse([]byte(y))
	if err != nil {
		panic(err)
	}
	return c
}

// runToEnd runs the daemon until its sources have ended, calls during (the daemon still
// running), then stops it.
func runToEnd(t *testing.T, cfg *config.Config, during func(*Main)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.After(2 * time.Minute)
	for ended := false; !ended; {
		ended = true
		for _, s := range m.Status() {
			ended = ended && s.Sensor == sensor.Ended
		}
		select {
		case err := <-done:
			t.Fatalf("daemon stopped early: %v", err)
		case <-deadline:
			t.Fatalf("sources did not end: %+v", m.Status())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if during != nil {
		during(m)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func openDB(t *testing.T, cfg *config.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFaultEventSavesClip(t *testing.T) {
	ctx := context.Background()
	cfg := clipConfig(t.TempDir(), "quota: 100MB")
	runToEnd(t, cfg, nil)
	db := openDB(t, cfg)
	events, err := db.Events(ctx, store.EventFilter{MachineID: "pump-1"})
	if err != nil || len(events) == 0 {
		t.Fatalf("the fault raised no event: %v", err)
	}
	for _, ev := range events {
		c, err := db.ClipOfEvent(ctx, ev.ID)
		if err != nil {
			t.Fatalf("event %d (start %v): %v", ev.ID, ev.Start, err)
		}
		path := filepath.Join(cfg.DataDir, "clips", "pump-1", fmt.Sprintf("%d.wav", ev.ID))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != c.SHA256 || int64(len(b)) != c.Size || c.Path != "pump-1/"+filepath.Base(path) {
			t.Errorf("clip row %+v does not match the file (%d bytes)", c, len(b))
		}
		f, ch, err := wav.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.SampleRate != 16000 || f.Channels != 1 || c.SampleRate != 16000 || int64(len(ch[0])) != c.Frames {
			t.Errorf("format %+v, %d frames; row %+v", f, len(ch[0]), c)
		}
		t.Logf("event %d: %v to %v; clip from %v, %v", ev.ID, ev.Start.Format("15:04:05.000"), ev.End.Format("15:04:05.000"), c.Start.Format("15:04:05.000"), c.Duration)
		// 10 s before the start, then 10 to 20 s after it (the event's length, capped)
		if d := time.Duration(len(ch[0])) * time.Second / 16000; c.Duration != d || d < 20*time.Second || d > 30*time.Second {
			t.Errorf("event %d: clip of %v (row %v), want 20 s to 30 s", ev.ID, d, c.Duration)
		}
		if off := ev.Start.Sub(c.Start) - 10*time.Second; off < -time.Millisecond || off > time.Millisecond {
			t.Errorf("clip starts %v before the event, want 10 s", ev.Start.Sub(c.Start))
		}
		if !ev.IsOpen() && ev.End.Sub(ev.Start) < 20*time.Second && ev.End.Sub(ev.Start) > 10*time.Second {
			if want := ev.End.Sub(c.Start); (c.Duration - want).Abs() > 10*time.Millisecond {
				t.Errorf("event of %v: clip of %v, want up to its end (%v)", ev.End.Sub(ev.Start), c.Duration, want)
			}
		}
	}
}

func TestClipsHardLimitKeepsAnalysing(t *testing.T) {
	ctx := context.Background()
	// a 64 KB hard limit: no clip of 20 s (640 KB) fits
	cfg := clipConfig(t.TempDir(), "quota: 64KB, hard_limit: 64KB")
	var h wire.HealthReport
	runToEnd(t, cfg, func(m *Main) { h = m.Health(ctx) })
	c := h.Disk.Clips
	if c == nil || c.Saving || !strings.Contains(c.Reason, "hard_limit") || c.Refused == 0 || c.Saved != 0 {
		t.Fatalf("health disk.clips = %+v", c)
	}
	if h.Status != wire.HealthDegraded || !strings.Contains(strings.Join(h.Reasons, "\n"), "audio clips not saved") {
		t.Errorf("health %s: %q", h.Status, h.Reasons)
	}
	db := openDB(t, cfg)
	events, err := db.Events(ctx, store.EventFilter{MachineID: "pump-1"})
	if err != nil || len(events) == 0 {
		t.Fatalf("the fault raised no event: %v", err)
	}
	first := events[len(events)-1]
	after, err := db.Scores(ctx, "pump-1", first.Start.Add(time.Second), first.Start.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) < 40 { // the fault began at 40 s of 80: at least 20 s more of windows
		t.Errorf("%d windows scored after the first event, want the analysis to go on", len(after))
	}
	if cs, _ := db.Clips(ctx, store.ClipFilter{}); len(cs) != 0 {
		t.Errorf("%d clips saved over the hard limit", len(cs))
	}
	if entries, _ := os.ReadDir(filepath.Join(cfg.DataDir, "clips", "pump-1")); len(entries) != 0 {
		t.Errorf("files under clips: %v", entries)
	}
}
