package store

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

func TestWriteAndQueryScores(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2")

	in := genScores("m1", t0, 300) // 5 minutes at 1 window/s
	in[7].Features = nil
	n, err := db.WriteScores(ctx, in)
	if err != nil || n != 300 {
		t.Fatalf("WriteScores = %d, %v; want 300", n, err)
	}
	if _, err := db.WriteScores(ctx, genScores("m2", t0, 10)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		from, to  time.Time
		limit     int
		wantN     int
		wantFirst time.Time
	}{
		{"all", time.Time{}, time.Time{}, 0, 300, t0},
		{"from inclusive", t0.Add(10 * time.Second), time.Time{}, 0, 290, t0.Add(10 * time.Second)},
		{"to exclusive", time.Time{}, t0.Add(10 * time.Second), 0, 10, t0},
		{"last 5", time.Time{}, time.Time{}, 5, 5, t0.Add(295 * time.Second)},
		{"last 5 before", time.Time{}, t0.Add(100 * time.Second), 5, 5, t0.Add(95 * time.Second)},
		{"empty range", t0.Add(time.Hour), time.Time{}, 0, 0, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Scores(ctx, "m1", tc.from, tc.to, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.wantN {
				t.Fatalf("got %d scores, want %d", len(got), tc.wantN)
			}
			if tc.wantN == 0 {
				return
			}
			if !got[0].Time.Equal(tc.wantFirst) {
				t.Errorf("first at %v, want %v", got[0].Time, tc.wantFirst)
			}
			for i := 1; i < len(got); i++ {
				if !got[i].Time.After(got[i-1].Time) {
					t.Fatalf("not ascending at %d: %v then %v", i, got[i-1].Time, got[i].Time)
				}
			}
		})
	}

	all, _ := db.Scores(ctx, "m1", time.Time{}, time.Time{}, 0)
	for i, got := range all {
		want := in[i]
		if got.Features == nil != (want.Features == nil) {
			t.Fatalf("score %d: features %v, want %v", i, got.Features, want.Features)
		}
		if got.Features != nil && *got.Features != *want.Features {
			t.Errorf("score %d: features %+v, want %+v", i, *got.Features, *want.Features)
		}
		got.Features, want.Features = nil, nil
		if got != want {
			t.Fatalf("score %d round trip: got %+v, want %+v", i, got, want)
		}
	}
}

func TestWriteScoresRejects(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	good := genScores("m1", t0, 1)[0]
	mod := func(f func(*Score)) []Score {
		s := good
		f(&s)
		return []Score{genScores("m1", t0.Add(time.Hour), 1)[0], s}
	}
	tests := []struct {
		name   string
		scores []Score
		want   error
	}{
		{"empty machine", mod(func(s *Score) { s.MachineID = "" }), ErrInvalid},
		{"zero time", mod(func(s *Score) { s.Time = time.Time{} }), ErrInvalid},
		{"NaN score", mod(func(s *Score) { s.Score = math.NaN() }), ErrInvalid},
		{"Inf dBFS", mod(func(s *Score) { s.LevelDBFS = math.Inf(-1) }), ErrInvalid},
		{"unknown machine", mod(func(s *Score) { s.MachineID = "ghost" }), ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := db.WriteScores(ctx, tc.scores)
			if !errors.Is(err, tc.want) || n != 0 {
				t.Fatalf("WriteScores = %d, %v; want 0, %v", n, err, tc.want)
			}
			// All or nothing: the good row of the batch was not written either.
			if got, _ := db.Scores(ctx, "m1", time.Time{}, time.Time{}, 0); len(got) != 0 {
				t.Fatalf("%d rows written by a rejected batch", len(got))
			}
		})
	}
}

func TestFeaturesNonFinite(t *testing.T) {
	f := Features{RMS: 0.5, Kurtosis: math.NaN(), Flatness: math.Inf(1)}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rms":0.5,"peak":0,"crest":0,"kurtosis":null,"centroid":0,"flatness":null,"zcr":0,"rolloff":0}`
	if string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	var g Features
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.RMS != 0.5 || !math.IsNaN(g.Kurtosis) || !math.IsNaN(g.Flatness) || g.Peak != 0 {
		t.Errorf("Unmarshal = %+v", g)
	}
}

func TestDuplicateScoresNotCountedTwice(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	batch := genScores("m1", t0, 120)
	if n, err := db.WriteScores(ctx, batch); err != nil || n != 120 {
		t.Fatalf("first write = %d, %v", n, err)
	}
	// A retried batch overlapping the first by half.
	retry := genScores("m1", t0.Add(60*time.Second), 120)
	if n, err := db.WriteScores(ctx, retry); err != nil || n != 60 {
		t.Fatalf("retry write = %d, %v; want 60 new rows", n, err)
	}
	rs, err := db.Rollups(ctx, "m1", Res1h, time.Time{}, time.Time{})
	if err != nil || len(rs) != 1 || rs[0].N != 180 {
		t.Fatalf("1h rollups = %+v, %v; want one bucket of 180", rs, err)
	}
}

// Rollups built incrementally batch by batch equal an aggregate computed
// directly from the raw rows.
func TestRollupsMatchRawAggregate(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2")
	start := t0.Add(-90 * time.Second) // straddle hour and minute boundaries
	all := genScores("m1", start, 3*3600+17)
	// Odd batch sizes so that batches cut buckets in the middle.
	for i := 0; i < len(all); i += 97 {
		if _, err := db.WriteScores(ctx, all[i:min(i+97, len(all))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.WriteScores(ctx, genScores("m2", t0, 50)); err != nil {
		t.Fatal(err)
	}

	for _, res := range Resolutions {
		t.Run(string(res), func(t *testing.T) {
			want := map[int64]*Rollup{}
			w := res.Duration()
			for _, s := range all {
				b := s.Time.Truncate(w)
				r := want[b.UnixMilli()]
				if r == nil {
					r = &Rollup{MachineID: "m1", Resolution: res, BucketStart: b, MaxScore: math.Inf(-1), MaxDBFS: math.Inf(-1)}
					want[b.UnixMilli()] = r
				}
				r.N++
				r.MeanScore += s.Score
				r.MeanDBFS += s.LevelDBFS
				r.MaxScore = max(r.MaxScore, s.Score)
				r.MaxDBFS = max(r.MaxDBFS, s.LevelDBFS)
				if s.Anomalous {
					r.AnomalousWindows++
				}
			}
			got, err := db.Rollups(ctx, "m1", res, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d buckets, want %d", len(got), len(want))
			}
			for _, g := range got {
				wr := want[g.BucketStart.UnixMilli()]
				if wr == nil {
					t.Fatalf("unexpected bucket %v", g.BucketStart)
				}
				wr.MeanScore /= float64(wr.N)
				wr.MeanDBFS /= float64(wr.N)
				if g.N != wr.N || g.AnomalousWindows != wr.AnomalousWindows || g.MaxScore != wr.MaxScore ||
					g.MaxDBFS != wr.MaxDBFS || math.Abs(g.MeanScore-wr.MeanScore) > 1e-9 ||
					math.Abs(g.MeanDBFS-wr.MeanDBFS) > 1e-9 || !g.BucketStart.Equal(wr.BucketStart) {
					t.Errorf("bucket %v = %+v, want %+v", g.BucketStart, g, *wr)
				}
			}
		})
	}

	// Range selection on bucket start.
	got, err := db.Rollups(ctx, "m1", Res1h, t0, t0.Add(2*time.Hour))
	if err != nil || len(got) != 2 || !got[0].BucketStart.Equal(t0) {
		t.Errorf("Rollups(1h, [t0, t0+2h)) = %+v, %v; want buckets t0, t0+1h", got, err)
	}
	if _, err := db.Rollups(ctx, "m1", "5m", time.Time{}, time.Time{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown resolution: err = %v, want ErrInvalid", err)
	}
}

func TestBucketStart(t *testing.T) {
	tests := []struct {
		ts   int64
		res  Resolution
		want int64
	}{
		{0, Res1m, 0},
		{59_999, Res1m, 0},
		{60_000, Res1m, 60_000},
		{3_599_999, Res1h, 0},
		{-1, Res1m, -60_000},
		{-60_000, Res1m, -60_000},
	}
	for _, tc := range tests {
		if got := bucketStart(tc.ts, tc.res); got != tc.want {
			t.Errorf("bucketStart(%d, %s) = %d, want %d", tc.ts, tc.res, got, tc.want)
		}
	}
}

func TestPruneKeepsRollups(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2")
	// More rows than one prune chunk, so pruning takes several transactions.
	n1 := 2*pruneChunk + 123
	if _, err := db.WriteScores(ctx, genScores("m1", t0, n1)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteScores(ctx, genScores("m2", t0, 100)); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Rollups(ctx, "m1", Res1m, time.Time{}, time.Time{})

	cut := t0.Add(time.Duration(n1-10) * time.Second)
	n, err := db.PruneScores(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(n1 - 10 + 100); n != want {
		t.Errorf("PruneScores deleted %d, want %d", n, want)
	}
	left, _ := db.Scores(ctx, "m1", time.Time{}, time.Time{}, 0)
	if len(left) != 10 || left[0].Time.Before(cut) {
		t.Errorf("%d rows left, first at %v; want 10 from %v", len(left), left[0].Time, cut)
	}
	after, _ := db.Rollups(ctx, "m1", Res1m, time.Time{}, time.Time{})
	if len(after) != len(before) || after[0] != before[0] {
		t.Errorf("rollups changed by PruneScores: %d → %d buckets", len(before), len(after))
	}

	pn, err := db.PruneRollups(ctx, Res1m, t0.Add(10*time.Minute))
	// m1: the ten buckets t0 … t0+9m; m2 (100 s of scores): t0 and t0+1m.
	if err != nil || pn != 12 {
		t.Errorf("PruneRollups = %d, %v; want 12", pn, err)
	}
	hours, _ := db.Rollups(ctx, "m1", Res1h, time.Time{}, time.Time{})
	if len(hours) == 0 {
		t.Error("PruneRollups(1m) removed 1h rollups")
	}
}

func TestFeaturesUnmarshalForms(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Features // NaN fields are written as -1 here
		wantErr bool
	}{
		{"compact", `{"rms":0.5,"peak":1e-3,"crest":2,"kurtosis":null,"centroid":1200,"flatness":0.1,"zcr":0,"rolloff":-3}`,
			Features{0.5, 1e-3, 2, -1, 1200, 0.1, 0, -3}, false},
		{"spaces and unknown key", `{ "rms": 0.25, "future": [1, 2] }`, Features{0.25, -1, -1, -1, -1, -1, -1, -1}, false},
		{"missing keys", `{"crest":4}`, Features{-1, -1, 4, -1, -1, -1, -1, -1}, false},
		{"empty object", `{}`, Features{-1, -1, -1, -1, -1, -1, -1, -1}, false},
		{"garbage", `{"rms":x}`, Features{}, true},
		{"trailing comma", `{"rms":1,}`, Features{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f Features
			err := f.UnmarshalJSON([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			got, want := f.fields(), tc.want.fields()
			for i := range got {
				w := *want[i]
				if w == -1 && !math.IsNaN(*got[i]) || w != -1 && *got[i] != w {
					t.Errorf("%s = %v, want %v (-1 = NaN)", featureKeys[i], *got[i], w)
				}
			}
		})
	}
}
