package retention

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
)

func TestOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), store.WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.UpsertMachine(ctx, store.Machine{ID: "m1", Name: "m1", Kind: "fan"}); err != nil {
		t.Fatal(err)
	}
	ages := []time.Duration{12 * time.Hour, 36 * time.Hour, 60 * time.Hour, 84 * time.Hour}
	for _, a := range ages {
		var ss []store.Score
		for i := range 3 { // three windows in one minute
			ss = append(ss, store.Score{MachineID: "m1", Time: now.Add(-a).Add(time.Duration(i) * time.Second), Score: 1, Threshold: 2})
		}
		if _, err := db.WriteScores(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Retention{Scores: config.Day, Rollups1m: 2 * config.Day, Rollups1h: 3 * config.Day, Every: time.Hour}
	p := New(db, cfg, Options{Now: func() time.Time { return now }})
	r, err := p.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Scores: 9, Rollups1m: 2, Rollups1h: 1}); r != want {
		t.Errorf("Once = %+v, want %+v", r, want)
	}
	count := func(res store.Resolution) int {
		rs, err := db.Rollups(ctx, "m1", res, time.Time{}, now)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	scores, err := db.Scores(ctx, "m1", time.Time{}, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != 3 || count(store.Res1m) != 2 || count(store.Res1h) != 3 {
		t.Errorf("left %d scores, %d 1m rollups, %d 1h rollups; want 3, 2, 3", len(scores), count(store.Res1m), count(store.Res1h))
	}
	if r, err := p.Once(ctx); err != nil || r != (Result{}) {
		t.Errorf("second Once = %+v, %v; want nothing deleted", r, err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cancel()
	New(db, config.DefaultRetention(), Options{}).Run(ctx) // prunes once and returns
}
