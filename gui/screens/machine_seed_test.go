package screens

import (
	"testing"
	"time"

	"signalcraft/core/api"
)

func TestSeedStartsChartsFromHistory(t *testing.T) {
	m := newMachine(api.Machine{ID: "pump-2"})
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var ps []api.ScorePoint
	for i := range HistoryLen + 20 {
		ps = append(ps, api.ScorePoint{Time: t0.Add(time.Duration(i) * time.Second), Smoothed: float64(i), Threshold: 3, LevelDBFS: -20})
	}
	m.seed(ps)
	// The charts hold multiples of the threshold, the unit scores are shown in.
	if len(m.scores) != HistoryLen || m.scores[HistoryLen-1] != float64(HistoryLen+19)/3 || m.thr != 3 || !m.dirty {
		t.Fatalf("after seeding: %d scores, last %v, threshold %v, dirty %v", len(m.scores), m.scores[len(m.scores)-1], m.thr, m.dirty)
	}
	m.add(api.Live{MachineID: "pump-2", Seq: 1, Smoothed: 1000, Threshold: 4})
	if got := m.scores[len(m.scores)-1]; got != 250 || len(m.scores) != HistoryLen {
		t.Fatalf("a live update after the seed: last %v, %d scores", got, len(m.scores))
	}
}
