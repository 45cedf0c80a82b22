package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One batcher and one event writer share the single writer connection while
// readers query concurrently. Every read snapshot must be consistent: the
// raw rows and the rollups are written in one transaction, so the count of
// scores always equals the sum of 1m rollup sizes, and counts never go back.
func TestConcurrentWriterAndReaders(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	const total = 4000
	b, err := db.NewBatcher(BatcherConfig{BatchSize: 100, FlushEvery: time.Millisecond, MaxPending: total})
	if err != nil {
		t.Fatal(err)
	}

	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}

	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := -1
			for !done.Load() {
				var raw, rolled int
				err := db.Read(ctx, func(tx *sql.Tx) error {
					if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM scores").Scan(&raw); err != nil {
						return err
					}
					return tx.QueryRowContext(ctx,
						"SELECT COALESCE(sum(n), 0) FROM score_rollups WHERE resolution = '1m'").Scan(&rolled)
				})
				if err != nil {
					report(err)
					return
				}
				if raw != rolled {
					report(fmt.Errorf("snapshot has %d scores but 1m rollups count %d", raw, rolled))
					return
				}
				if raw < last {
					report(fmt.Errorf("score count went back from %d to %d", last, raw))
					return
				}
				last = raw
				got, err := db.Scores(ctx, "m1", time.Time{}, time.Time{}, 50)
				if err != nil {
					report(err)
					return
				}
				for i := 1; i < len(got); i++ {
					if !got[i].Time.After(got[i-1].Time) {
						report(fmt.Errorf("scores out of order"))
						return
					}
				}
				if _, err := db.Events(ctx, EventFilter{MachineID: "m1", Limit: 10}); err != nil {
					report(err)
					return
				}
			}
		}()
	}

	// A second writer: events open and close while scores stream in.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !done.Load(); i++ {
			start := t0.Add(time.Duration(i) * time.Minute)
			id, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: start, PeakScore: 9, Threshold: 8})
			if err != nil {
				report(err)
				return
			}
			if err := db.UpdateEventPeak(ctx, id, 10); err != nil {
				report(err)
				return
			}
			if err := db.CloseEvent(ctx, id, start.Add(time.Second), 11); err != nil {
				report(err)
				return
			}
		}
	}()

	for _, s := range genScores("m1", t0, total) {
		if err := b.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := countScores(t, db); got != total {
		t.Errorf("%d rows, want %d", got, total)
	}
	if st := b.Stats(); st.Dropped != 0 {
		t.Errorf("%d rows dropped", st.Dropped)
	}
}
