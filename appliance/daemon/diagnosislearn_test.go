package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
)

// waitTask waits for a model of task newer than after that the learning loop has decided on
// (promoted, or rejected with a reason).
func waitTask(t *testing.T, db *store.DB, task string, after int64) store.Model {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		ms, err := db.Models(context.Background(), "m1")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Task == task && m.Version > after && (m.Stage == store.StageChampion || m.Reason != "") {
				return m
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no %s model decided on within 3 minutes", task)
	return store.Model{}
}

// TestLabelledFaultsTrainTheClassifier is issue 11's learning loop end to end: a bearing
// machine with a shaft speed configured hears the CWRU faults of two diameters (the first
// half of each recording, normal sound between them); the technician labels each event with
// the fault it was; a retraining trains the machine's first fault classifier from those clips
// through the gate and promotes it; the running machine takes it, and the second halves of
// the recordings, replayed through a new daemon, raise events that carry the right fault.
func TestLabelledFaultsTrainTheClassifier(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings and trains")
	}
	normal, faults := cwruRecordings(t)
	const rate = 12000
	gap := normal[12*rate : 18*rate] // normal sound the model did not learn from, between faults
	type span struct {
		label    string
		from, to time.Duration
	}
	var seen, later []cwruRecording
	for _, r := range faults {
		h := len(r.x) / 2
		seen = append(seen, cwruRecording{file: r.file, label: r.label, x: r.x[:h]})
		later = append(later, cwruRecording{file: r.file, label: r.label, x: r.x[h:]})
	}
	build := func(learn []float32, recs []cwruRecording) ([]float32, []span) {
		x := append([]float32(nil), learn...)
		var spans []span
		at := func() time.Duration { return time.Duration(len(x)) * time.Second / rate }
		for _, r := range recs {
			x = append(x, gap...)
			from := at()
			x = append(x, r.x...)
			spans = append(spans, span{r.label, from, at()})
		}
		return append(x, gap...), spans
	}
	first, firstSpans := build(normal[:12*rate], seen)
	dir := t.TempDir()
	cfg := loopConfig(t, filepath.Join(dir, "data"), writeSamplesAt(t, rate, first), "bearing", "12s", ", test_fraction: 0.34")
	cfg.Machines[0].Diagnosis = config.Diagnosis{ShaftRPM: 1797, Model: "svm"}

	d := startDaemon(t, cfg)
	db := d.m.db
	t0 := d.m.machines[0].clock.timeOf(0)
	evs := eventsAfter(t, db, 0)
	labelled := 0
	for _, e := range evs {
		at := e.Start.Sub(t0)
		for _, s := range firstSpans {
			if at >= s.from-2*time.Second && at < s.to { // an event may open on the window before
				labelAll(t, db, []store.Event{e}, s.label)
				labelled++
				break
			}
		}
	}
	t.Logf("%d events on %d fault recordings, %d labelled", len(evs), len(firstSpans), labelled)
	if labelled < len(firstSpans) {
		t.Fatalf("%d of %d fault recordings raised a labelled event", labelled, len(firstSpans))
	}
	if _, _, err := d.m.learning.Retrain(context.Background(), "m1", "manual"); err != nil {
		t.Fatal(err)
	}
	got := waitTask(t, db, store.TaskDiagnose, 0)
	t.Logf("fault classifier v%d: %s, %s; params %s", got.Version, got.Stage, got.Reason, got.Params)
	if m := got.Metrics; m != nil {
		t.Logf("held back: %v %v, %d unknown, below %.2f", m.Classes, m.Confusion, m.Unknown, got.Threshold)
	}
	if got.Stage != store.StageChampion || got.Metrics == nil || got.Metrics.MacroF1 == nil {
		t.Fatalf("the first fault classifier was not promoted: %+v", got)
	}
	deadline := time.Now().Add(10 * time.Second) // the machine's next model check
	for d.m.machines[0].diagV != got.Version && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if v := d.m.machines[0].diagV; v != got.Version {
		t.Fatalf("the running machine holds fault classifier v%d, want v%d", v, got.Version)
	}
	last := evs[len(evs)-1].ID
	d.stop()

	// The second halves, through a new daemon on the same data: each fault's event names it.
	second, secondSpans := build(nil, later)
	cfg2 := loopConfig(t, cfg.DataDir, writeSamplesAt(t, rate, second), "bearing", "12s", ", enabled: false")
	cfg2.Machines[0].Diagnosis = cfg.Machines[0].Diagnosis
	d2 := startDaemon(t, cfg2)
	t0 = d2.m.machines[0].clock.timeOf(0)
	right, judged := 0, 0
	for _, e := range eventsAfter(t, d2.m.db, last) {
		at := e.Start.Sub(t0)
		for _, s := range secondSpans {
			if at >= s.from-2*time.Second && at < s.to {
				judged++
				label := "(none)"
				if e.Diagnosis != nil {
					label = e.Diagnosis.Label
				}
				t.Logf("event #%d in %s: diagnosed %s (%.2f)", e.ID, s.label, label, confidence(e.Diagnosis))
				if label == s.label {
					right++
				}
				break
			}
		}
	}
	if judged < len(secondSpans) || right < judged*2/3 {
		t.Errorf("%d of %d fault events diagnosed right (%d fault recordings); want two thirds or more", right, judged, len(secondSpans))
	}
}

func confidence(d *store.Diagnosis) float64 {
	if d == nil {
		return 0
	}
	return d.Confidence
}
