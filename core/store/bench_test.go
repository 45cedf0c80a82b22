package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkBatcherInsert measures sustained ingest through a Batcher (one
// transaction per BatchSize rows, rollups included) and reports rows/s.
func BenchmarkBatcherInsert(b *testing.B) {
	for _, size := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			db, _ := openTest(b)
			mustMachine(b, db, "m1")
			bt, err := db.NewBatcher(BatcherConfig{BatchSize: size, FlushEvery: -1, MaxPending: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			rows := genScores("m1", t0, 1)
			s := rows[0]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Time = t0.Add(time.Duration(i) * time.Second)
				if err := bt.Add(s); err != nil {
					b.Fatal(err)
				}
			}
			if err := bt.Close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if st := bt.Stats(); st.Committed != int64(b.N) {
				b.Fatalf("committed %d of %d", st.Committed, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkWriteScores measures one WriteScores transaction per batch.
func BenchmarkWriteScores(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := context.Background()
			db, _ := openTest(b)
			mustMachine(b, db, "m1")
			batch := genScores("m1", t0, size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				off := time.Duration(i*size) * time.Second
				for j := range batch {
					batch[j].Time = t0.Add(off + time.Duration(j)*time.Second)
				}
				if _, err := db.WriteScores(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkScoresLastN measures the "last N windows" query on a machine
// with 100k stored scores (about 28 hours at one window per second).
func BenchmarkScoresLastN(b *testing.B) {
	ctx := context.Background()
	db, _ := openTest(b)
	mustMachine(b, db, "m1", "m2")
	const stored = 100_000
	for _, id := range []string{"m1", "m2"} {
		all := genScores(id, t0, stored)
		for i := 0; i < len(all); i += 5000 {
			if _, err := db.WriteScores(ctx, all[i:i+5000]); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				got, err := db.Scores(ctx, "m1", time.Time{}, time.Time{}, n)
				if err != nil || len(got) != n {
					b.Fatalf("got %d, %v", len(got), err)
				}
			}
		})
	}
	b.Run("rollups-1m-day", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			got, err := db.Rollups(ctx, "m1", Res1m, t0, t0.Add(24*time.Hour))
			if err != nil || len(got) != 1440 {
				b.Fatalf("got %d, %v", len(got), err)
			}
		}
	})
}
