package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"
)

// waitFlush returns the next flush result or fails after a generous bound
// (an upper bound on a background goroutine, not a timing assertion).
func waitFlush(t *testing.T, ch <-chan FlushResult) FlushResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no flush within 10 s")
		return FlushResult{}
	}
}

func countScores(t testing.TB, db *DB) int {
	t.Helper()
	var n int
	if err := db.r.QueryRowContext(context.Background(), "SELECT count(*) FROM scores").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBatcherSizeTriggeredAndExplicitFlush(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	flushes := make(chan FlushResult, 16)
	b, err := db.NewBatcher(BatcherConfig{BatchSize: 10, FlushEvery: -1, OnFlush: func(r FlushResult) { flushes <- r }})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range genScores("m1", t0, 25) {
		if err := b.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 2; i++ {
		r := waitFlush(t, flushes)
		if r.Err != nil || r.Rows != 10 || r.Inserted != 10 || r.Committed != int64(10*i) {
			t.Fatalf("flush %d = %+v, want 10 rows, %d committed", i, r, 10*i)
		}
	}
	if got := countScores(t, db); got != 20 {
		t.Fatalf("%d rows after two size-triggered flushes, want 20", got)
	}
	if st := b.Stats(); st.Pending != 5 || st.Added != 25 || st.Committed != 20 {
		t.Errorf("Stats = %+v, want 5 pending, 25 added, 20 committed", st)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if r := waitFlush(t, flushes); r.Rows != 5 {
		t.Errorf("explicit flush wrote %d rows, want 5", r.Rows)
	}
	if got := countScores(t, db); got != 25 {
		t.Errorf("%d rows after Flush, want 25", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(genScores("m1", t0.Add(time.Hour), 1)[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: err = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBatcherTimedFlush(t *testing.T) {
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	flushes := make(chan FlushResult, 16)
	b, err := db.NewBatcher(BatcherConfig{BatchSize: 1000, FlushEvery: 5 * time.Millisecond, OnFlush: func(r FlushResult) { flushes <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, s := range genScores("m1", t0, 3) {
		if err := b.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	if r := waitFlush(t, flushes); r.Err != nil || r.Rows != 3 {
		t.Fatalf("timed flush = %+v, want 3 rows", r)
	}
	if got := countScores(t, db); got != 3 {
		t.Errorf("%d rows, want 3", got)
	}
}

func TestBatcherAddRejects(t *testing.T) {
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	b, err := db.NewBatcher(BatcherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bad := genScores("m1", t0, 1)[0]
	bad.Smoothed = math.Inf(1)
	if err := b.Add(bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add(Inf) err = %v, want ErrInvalid", err)
	}
	if err := b.Add(genScores("ghost", t0, 1)[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Add(unknown machine) err = %v, want ErrNotFound", err)
	}
	if st := b.Stats(); st.Added != 0 || st.Pending != 0 {
		t.Errorf("rejected rows were queued: %+v", st)
	}
	if _, err := db.NewBatcher(BatcherConfig{BatchSize: 10, MaxPending: 5}); !errors.Is(err, ErrInvalid) {
		t.Errorf("MaxPending < BatchSize: err = %v, want ErrInvalid", err)
	}
}

// A failed commit keeps its rows queued, and the next flush writes them.
func TestBatcherRetainsRowsOnTransientFailure(t *testing.T) {
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	b, err := db.NewBatcher(BatcherConfig{BatchSize: 100, FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, s := range genScores("m1", t0, 30) {
		if err := b.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Flush(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush(cancelled) err = %v, want context.Canceled", err)
	}
	if st := b.Stats(); st.Pending != 30 || st.Failures != 1 || st.Dropped != 0 {
		t.Fatalf("after failed flush: %+v, want 30 pending, 1 failure", st)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countScores(t, db); got != 30 {
		t.Errorf("%d rows after retry, want 30", got)
	}
}

// While the writer is held (a long transaction), rows beyond MaxPending are
// dropped oldest first and counted; every row is either committed or dropped.
func TestBatcherMaxPending(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	const batch, maxPending, total = 10, 40, 120
	b, err := db.NewBatcher(BatcherConfig{BatchSize: batch, MaxPending: maxPending, FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	hold, release := make(chan struct{}), make(chan struct{})
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- db.Write(ctx, func(*sql.Tx) error { close(hold); <-release; return nil })
	}()
	<-hold
	for _, s := range genScores("m1", t0, total) {
		if err := b.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-holderDone; err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	st := b.Stats()
	got := countScores(t, db)
	if int64(got) != st.Committed || st.Committed+st.Dropped != total {
		t.Errorf("committed %d (rows %d) + dropped %d != added %d", st.Committed, got, st.Dropped, total)
	}
	if st.Dropped < total-maxPending-batch {
		t.Errorf("dropped %d, want at least %d", st.Dropped, total-maxPending-batch)
	}
	// The newest rows survive.
	last, _ := db.Scores(ctx, "m1", time.Time{}, time.Time{}, 1)
	if len(last) != 1 || !last[0].Time.Equal(t0.Add((total-1)*time.Second)) {
		t.Errorf("newest row %+v, want the last added", last)
	}
}

// Closing the DB flushes the batchers made from it.
func TestDBCloseFlushesBatchers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustMachine(t, db, "m1")
	b, err := db.NewBatcher(BatcherConfig{BatchSize: 1000, FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range genScores("m1", t0, 7) {
		if err := b.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewBatcher(BatcherConfig{}); !errors.Is(err, ErrClosed) {
		t.Errorf("NewBatcher on closed DB: err = %v, want ErrClosed", err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := countScores(t, db); got != 7 {
		t.Errorf("%d rows after Close and reopen, want 7", got)
	}
}
