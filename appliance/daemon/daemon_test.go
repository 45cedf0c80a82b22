package daemon

import (
	"context"
	"fmt"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/sensor"
	"signalcraft/core/store"
)

// simConfig is three simulated machines analysed as fast as possible; the pump (channel 1)
// develops a bearing fault at 70 s.
func simConfig(dir string) *config.Config {
	y := fmt.Sprintf(`
data_dir: %s
store: {batch_size: 32, flush_every: 100ms}
api: {socket: ""}
sources:
  - id: sim
    kind: simulator
    channels: 3
    realtime: false
    simulator:
      seed: 3
      duration: 150s
      faults: [{channel: 1, start: 70s, ramp: 20s, level: 1.5}]
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 30s}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 30s}}
  - {id: motor-3, sensor: {source: sim, channel: 2}, detection: {learning: 30s, model: gmm}}
`, dir)
	c, err := config.Parse([]byte(y))
	if err != nil {
		panic(err)
	}
	return c
}

// runUntilEnded runs the daemon until every machine's source has ended, then stops it.
func runUntilEnded(t *testing.T, cfg *config.Config) []Status {
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
	for {
		ended := true
		for _, s := range m.Status() {
			ended = ended && s.Sensor == sensor.Ended
		}
		if ended {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("daemon stopped early: %v", err)
		case <-deadline:
			t.Fatalf("sources did not end: %+v", m.Status())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return m.Status()
}

func TestSimulatedFaultEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := simConfig(dir)
	st := runUntilEnded(t, cfg)

	db, err := store.Open(context.Background(), cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	start := st[0].WindowTime.Add(-150 * time.Second)
	for _, s := range st {
		if s.State == "learning" {
			t.Errorf("%s is still learning after 150 s", s.Machine)
		}
		if s.Overruns != 0 {
			t.Errorf("%s lost %d samples in a lossless replay", s.Machine, s.Overruns)
		}
		model, err := db.ActiveModel(ctx, s.Machine)
		if err != nil {
			t.Errorf("%s: no saved model: %v", s.Machine, err)
			continue
		}
		if model.Threshold <= 0 {
			t.Errorf("%s: threshold %v", s.Machine, model.Threshold)
		}
		scores, err := db.Scores(ctx, s.Machine, time.Time{}, time.Now().Add(time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(scores) < 280 { // two windows a second from 1 s to 150 s
			t.Errorf("%s: %d score rows, want at least 280", s.Machine, len(scores))
		}
		events, err := db.Events(ctx, store.EventFilter{MachineID: s.Machine})
		if err != nil {
			t.Fatal(err)
		}
		switch s.Machine {
		case "pump-2":
			if len(events) == 0 {
				t.Errorf("pump-2: the developing fault raised no event; final state %+v", s)
				continue
			}
			if at := events[0].Start.Sub(start); at < 70*time.Second {
				t.Errorf("pump-2: first event at %v, before the fault began at 70 s", at)
			}
			for _, e := range events {
				if e.IsOpen() || e.End.Before(e.Start) {
					t.Errorf("pump-2: event %d runs from %v to %v (closed at shutdown in the sound's time)", e.ID, e.Start, e.End)
				}
			}
			if events[0].PeakScore <= events[0].Threshold {
				t.Errorf("pump-2: event peak %v not above threshold %v", events[0].PeakScore, events[0].Threshold)
			}
		default:
			if len(events) != 0 {
				t.Errorf("%s: healthy machine raised %d event(s): first at %v", s.Machine, len(events), events[0].Start.Sub(start))
			}
		}
	}

	// A restart restores the models: no machine learns again.
	cfg.Sources[0].Simulator.Duration = 20 * time.Second
	for _, s := range runUntilEnded(t, cfg) {
		if s.State == "learning" {
			t.Errorf("%s relearned after a restart", s.Machine)
		}
	}
}
