package daemon

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"signalcraft/core/store"
)

// fullDisk is a store whose event writes fail while full is set, as on a full disk.
type fullDisk struct {
	*store.DB
	full atomic.Bool
}

var errDiskFull = errors.New("database or disk is full (13)")

func (f *fullDisk) SaveEvent(ctx context.Context, e store.Event) error {
	if f.full.Load() {
		return errDiskFull
	}
	return f.DB.SaveEvent(ctx, e)
}

func newTestEventLog(t *testing.T, max int) (*eventLog, *fullDisk) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.UpsertMachine(ctx, store.Machine{ID: "m1"}); err != nil {
		t.Fatal(err)
	}
	l, err := newEventLog(ctx, db, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	fd := &fullDisk{DB: db}
	l.db, l.max = fd, max
	return l, fd
}

// TestEventLogHoldsAndBounds: events written while the disk is full are held, the oldest
// dropped and counted beyond the bound, and the rest written, in order, once it is not.
func TestEventLogHoldsAndBounds(t *testing.T) {
	ctx := context.Background()
	l, fd := newTestEventLog(t, 3)
	t0 := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
	fd.full.Store(true)
	var ids []int64
	for i := range 5 { // five anomalies, each opened, its peak raised and closed
		e := store.Event{ID: l.reserve(), MachineID: "m1", Start: t0.Add(time.Duration(i) * time.Minute), PeakScore: 2, Threshold: 1}
		ids = append(ids, e.ID)
		l.save(ctx, e)
		e.PeakScore = 3
		l.save(ctx, e)
		if i < 4 {
			e.End = e.Start.Add(30 * time.Second)
			l.save(ctx, e)
		}
	}
	if held, dropped := l.stats(); held != 3 || dropped != 2 {
		t.Fatalf("held %d, dropped %d; want 3 held (one record per event), 2 dropped", held, dropped)
	}
	l.retry(ctx)
	if held, _ := l.stats(); held != 3 {
		t.Fatalf("a retry on a full disk wrote something: %d held", held)
	}
	fd.full.Store(false)
	l.retry(ctx)
	if held, _ := l.stats(); held != 0 {
		t.Fatalf("%d events still held once the disk has room", held)
	}
	for i, id := range ids {
		e, err := fd.Event(ctx, id)
		switch {
		case i < 2:
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("dropped event %d: %+v %v", id, e, err)
			}
		case err != nil || e.PeakScore != 3 || e.IsOpen() != (i == 4):
			t.Errorf("event %d: %+v %v", id, e, err)
		}
	}
	if err := l.close(ctx); err != nil {
		t.Error(err)
	}
}

// TestEventLogLostEnd: the end of an event stored open is dropped with the oldest held
// writes; the machine's next event still gets written, and the first ends where it starts.
func TestEventLogLostEnd(t *testing.T) {
	ctx := context.Background()
	l, fd := newTestEventLog(t, 1)
	t0 := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
	first := store.Event{ID: l.reserve(), MachineID: "m1", Start: t0, PeakScore: 2, Threshold: 1}
	l.save(ctx, first) // written open
	fd.full.Store(true)
	first.End = t0.Add(time.Minute)
	l.save(ctx, first) // held
	next := store.Event{ID: l.reserve(), MachineID: "m1", Start: t0.Add(2 * time.Minute), PeakScore: 2, Threshold: 1}
	l.save(ctx, next) // held; the first's end is dropped
	fd.full.Store(false)
	if err := l.close(ctx); err != nil {
		t.Fatal(err)
	}
	if e, err := fd.Event(ctx, first.ID); err != nil || !e.End.Equal(next.Start) {
		t.Errorf("first event: %+v %v, want it ended at the next one's start", e, err)
	}
	if e, err := fd.Event(ctx, next.ID); err != nil || !e.IsOpen() {
		t.Errorf("next event: %+v %v, want it written, open", e, err)
	}
}
