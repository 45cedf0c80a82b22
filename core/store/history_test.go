package store

import (
	"context"
	"math"
	"testing"
	"time"
)

// The rollups' minimum (migration 0020) and ScoreBuckets' raw buckets equal an aggregate
// computed directly from the written scores, whatever the batches.
func TestRollupMinAndScoreBuckets(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	start := t0.Add(-150 * time.Second)
	all := genScores("m1", start, 1800)
	for i := range all { // a score that varies inside every minute
		all[i].Score = float64((i*7)%23) - 3
	}
	all = append(all[:400], all[700:]...) // 5 minutes heard nothing
	for i := 0; i < len(all); i += 61 {
		if _, err := db.WriteScores(ctx, all[i:min(i+61, len(all))]); err != nil {
			t.Fatal(err)
		}
	}
	type agg struct {
		n           int64
		lo, hi, sum float64
	}
	// fold aggregates the scores at or after align into buckets of w aligned on it.
	fold := func(align time.Time, w time.Duration) map[int64]*agg {
		m := map[int64]*agg{}
		for _, s := range all {
			if s.Time.Before(align) {
				continue
			}
			b := align.Add(s.Time.Sub(align).Truncate(w)).UnixMilli()
			a := m[b]
			if a == nil {
				a = &agg{lo: s.Score, hi: s.Score}
				m[b] = a
			}
			a.n++
			a.sum += s.Score
			a.lo, a.hi = min(a.lo, s.Score), max(a.hi, s.Score)
		}
		return m
	}
	check := func(t *testing.T, got []Rollup, want map[int64]*agg) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%d buckets, want %d", len(got), len(want))
		}
		for _, g := range got {
			w := want[g.BucketStart.UnixMilli()]
			if w == nil {
				t.Fatalf("unexpected bucket %v", g.BucketStart)
			}
			if !g.HasMin || g.N != w.n || g.MinScore != w.lo || g.MaxScore != w.hi || math.Abs(g.MeanScore-w.sum/float64(w.n)) > 1e-9 {
				t.Errorf("bucket %v = n %d min %v (known %v) mean %v max %v, want n %d min %v mean %v max %v",
					g.BucketStart, g.N, g.MinScore, g.HasMin, g.MeanScore, g.MaxScore, w.n, w.lo, w.sum/float64(w.n), w.hi)
			}
		}
	}
	t.Run("rollups 1m", func(t *testing.T) {
		got, err := db.Rollups(ctx, "m1", Res1m, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, got, fold(time.Unix(0, 0), time.Minute))
	})
	t.Run("raw buckets of 20s", func(t *testing.T) {
		from := start.Add(3 * time.Second) // not aligned on a minute
		got, err := db.ScoreBuckets(ctx, "m1", from, start.Add(time.Hour), 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		check(t, got, fold(from, 20*time.Second))
		// The silence is a gap: no bucket starts inside it.
		for _, g := range got {
			if g.BucketStart.After(all[399].Time) && g.BucketStart.Add(20*time.Second).Before(all[400].Time) {
				t.Errorf("bucket %v inside the silence %v..%v", g.BucketStart, all[399].Time, all[400].Time)
			}
		}
	})
	t.Run("invalid", func(t *testing.T) {
		if _, err := db.ScoreBuckets(ctx, "m1", start, start, time.Second); err == nil {
			t.Error("empty range accepted")
		}
	})
}
