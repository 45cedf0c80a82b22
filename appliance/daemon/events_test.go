package daemon

import (
	"context"
	"fmt"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/detect"
	"signalcraft/core/store"
)

// eventsConfig is a replayed simulator whose pump (channel 1) develops a fault faultAt into
// the run; a zero duration runs until the daemon stops.
func eventsConfig(t *testing.T, dir string, faultAt, duration time.Duration) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
store: {batch_size: 8, flush_every: 100ms}
api: {socket: ""}
metrics: {listen: ""}
clips: {pre_roll: 1s, post_roll: 1s, max_post_roll: 2s, min_free: 1MB}
sources:
  - id: sim
    kind: simulator
    channels: 2
    realtime: false
    simulator: {seed: 4, duration: %s, faults: [{channel: 1, start: %s, level: 3}]}
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 10s}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 10s}}
`, dir, duration, faultAt)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStartWithoutStaleEvents: the store and the detectors agree at start-up that no event
// is open. The pump's model is saved during an event (a retune), so the restored detector
// believes the event goes on; and an event is left open in the store, as a kill -9 leaves
// it. After the restart the stale event ends at the pump's last stored window, and the
// pump — anomalous from the first window of the new run — gets a new event with its clip
// (before, the restored detector never opened one, and the store refused it anyway).
func TestStartWithoutStaleEvents(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	// the recording ends during the event: a machine busy with a fast replay would not get
	// to the retune until the replay ends
	cfg := eventsConfig(t, dir, 12*time.Second, 20*time.Second)
	runCtx, stop := context.WithCancel(ctx)
	m, err := New(runCtx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	select {
	case <-m.Ended():
	case <-time.After(time.Minute):
		t.Fatalf("the replay did not end: %+v", m.Status())
	}
	if m.Status()[1].OpenEvent == 0 {
		t.Fatalf("the pump's fault opened no event: %+v", m.Status()[1])
	}
	pump := m.machines[1]
	var rerr error
	if err := pump.do(ctx, func() { rerr = pump.retune(ctx, m.db, cfg.Machines[1]) }); err != nil || rerr != nil {
		t.Fatalf("retune during the event: %v %v", err, rerr)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	saved, err := db.ActiveModel(ctx, "pump-2")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := detect.Restore(saved.Blob); err != nil || !d.InEvent() {
		t.Fatalf("the retuned model was not saved during an event (%v): the test does not test what it says", err)
	}
	last, err := db.Scores(ctx, "pump-2", time.Time{}, time.Time{}, 1)
	if err != nil || len(last) != 1 {
		t.Fatalf("last window: %v %v", last, err)
	}
	stale, err := db.OpenEvent(ctx, store.Event{MachineID: "pump-2", Start: last[0].Time.Add(-2 * time.Second), PeakScore: 5, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	runUntilEnded(t, eventsConfig(t, dir, 0, 20*time.Second))

	db, err = store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := db.Event(ctx, stale)
	if err != nil {
		t.Fatal(err)
	}
	if e.IsOpen() || !e.End.Equal(last[0].Time) {
		t.Errorf("stale event: end %v, want the last stored window %v", e.End, last[0].Time)
	}
	events, err := db.Events(ctx, store.EventFilter{MachineID: "pump-2"})
	if err != nil {
		t.Fatal(err)
	}
	fresh := 0
	for _, ev := range events {
		if ev.ID <= stale { // the replay's time runs ahead of the clock: tell the runs apart by id
			continue
		}
		fresh++
		if ev.IsOpen() {
			t.Errorf("event %d still open after a clean stop", ev.ID)
		}
		if _, err := db.ClipOfEvent(ctx, ev.ID); err != nil {
			t.Errorf("event %d: %v", ev.ID, err)
		}
	}
	if fresh == 0 {
		t.Errorf("the pump, anomalous all through the new run, got no event: %+v", events)
	}
}

// TestModelChangeEndsOpenEvent: a model activated while an event is open (saved by
// `signalcraftd adapt`, or an earlier version re-activated) judges afresh: the event ends
// there, in the store and on the machine, instead of staying open for ever under a detector
// that knows nothing of it.
func TestModelChangeEndsOpenEvent(t *testing.T) {
	ctx := context.Background()
	cfg := eventsConfig(t, t.TempDir(), 12*time.Second, 20*time.Second)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	m, err := New(runCtx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	select {
	case <-m.Ended():
	case <-time.After(time.Minute):
		t.Fatalf("the replay did not end: %+v", m.Status())
	}
	id := m.Status()[1].OpenEvent
	if id == 0 {
		t.Fatalf("the pump's fault opened no event: %+v", m.Status()[1])
	}
	learned, err := m.db.ActiveModel(ctx, "pump-2") // saved at the end of learning: no event
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.db.SaveModel(ctx, "pump-2", learned.Kind, learned.Threshold, learned.Blob, "adapted"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3*modelCheckEvery + time.Second); m.Status()[1].OpenEvent != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the model changed but event %d stays open on the machine", id)
		}
	}
	if e, err := m.db.Event(ctx, id); err != nil || e.IsOpen() {
		t.Errorf("event %d after the model changed: %+v %v, want it closed", id, e, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
