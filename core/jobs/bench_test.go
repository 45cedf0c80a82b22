package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkEnqueue measures Enqueue, one transaction per job, and reports
// jobs/s. key: with an idempotency key (one more unique index to maintain).
func BenchmarkEnqueue(b *testing.B) {
	for _, withKey := range []bool{false, true} {
		b.Run(fmt.Sprintf("key=%v", withKey), func(b *testing.B) {
			ctx := context.Background()
			q, err := New(openDB(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			payload := []byte(`{"event":42,"channel":"slack","rule":"bearing"}`)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := Job{Kind: "notify", Payload: payload}
				if withKey {
					j.Key = fmt.Sprintf("event-%d/slack", i)
				}
				if _, _, err := q.Enqueue(ctx, j); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkEnqueueTx measures enqueuing inside a caller's transaction, 100
// jobs per transaction (an alert fanning out to its channels), per job.
func BenchmarkEnqueueTx(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	q, err := New(db, Options{})
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"event":42,"channel":"slack","rule":"bearing"}`)
	b.ReportAllocs()
	b.ResetTimer()
	if err := preload(ctx, q, db, b.N, 100, payload); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

func preload(ctx context.Context, q *Queue, db interface {
	Write(context.Context, func(*sql.Tx) error) error
}, n, batch int, payload []byte) error {
	for done := 0; done < n; {
		k := min(batch, n-done)
		err := db.Write(ctx, func(tx *sql.Tx) error {
			for i := range k {
				j := Job{Kind: "notify", Key: fmt.Sprintf("job-%d", done+i), Payload: payload}
				if _, _, err := q.EnqueueTx(ctx, tx, j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += k
	}
	return nil
}

// BenchmarkClaimComplete measures the workers' throughput with a handler
// that does nothing: claim (one UPDATE … RETURNING for up to Concurrency
// jobs) plus one completion transaction per job, on b.N queued jobs.
func BenchmarkClaimComplete(b *testing.B) {
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			ctx := context.Background()
			db := openDB(b)
			q, err := New(db, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if err := preload(ctx, q, db, b.N, 1000, []byte(`{"event":42}`)); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			all := make(chan struct{})
			q.Handle("notify", func(context.Context, Job) error {
				if n.Add(1) == int64(b.N) {
					close(all)
				}
				return nil
			}, WorkerConfig{Concurrency: conc})
			runCtx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			b.ReportAllocs()
			b.ResetTimer()
			go func() { ran <- q.Run(runCtx) }()
			<-all
			stop() // the last outcomes are recorded before Run returns
			if err := <-ran; err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
			if st := kindStats(b, q, "notify"); st.Done != int64(b.N) {
				b.Fatalf("%d of %d done: %+v", st.Done, b.N, st)
			}
		})
	}
}
