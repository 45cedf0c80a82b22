package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// t0 is the epoch of the fake clocks in these tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTest opens a fresh database in t.TempDir with a fake clock and closes
// it when the test ends.
func openTest(t testing.TB, opts ...Option) (*DB, *fakeClock) {
	t.Helper()
	clk := newFakeClock(t0)
	path := filepath.Join(t.TempDir(), "signalcraft.db")
	db, err := Open(context.Background(), path, append([]Option{WithNow(clk.Now)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, clk
}

func mustMachine(t testing.TB, db *DB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := db.UpsertMachine(context.Background(), Machine{ID: id, Name: "Machine " + id, Kind: "pump"}); err != nil {
			t.Fatalf("UpsertMachine(%q): %v", id, err)
		}
	}
}

// genScores returns n scores of machine id, one per second from start; every
// tenth is anomalous.
func genScores(id string, start time.Time, n int) []Score {
	out := make([]Score, n)
	for i := range out {
		out[i] = Score{
			MachineID: id,
			Time:      start.Add(time.Duration(i) * time.Second),
			Score:     float64(i % 10),
			Smoothed:  float64(i%10) / 2,
			Threshold: 8.5,
			State:     "monitoring",
			Anomalous: i%10 == 9,
			LevelDBFS: -40 + float64(i%5),
			Features:  &Features{RMS: 0.1, Peak: 0.5, Crest: 5, Kurtosis: 3, Centroid: 1200, Flatness: 0.2, ZCR: 0.05, Rolloff: 4000},
		}
	}
	return out
}
