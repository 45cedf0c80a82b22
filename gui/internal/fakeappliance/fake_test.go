package fakeappliance

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"signalcraft/core/api"
)

var t0 = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

func start(t *testing.T, opt Options) (*Server, *api.Client) {
	t.Helper()
	s := New(opt)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c, err := api.NewClient(ts.URL, api.WithToken(opt.Token))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestRoutesThroughTheRealClient(t *testing.T) {
	now := t0.Add(AnomalyTick*100*time.Millisecond + time.Minute)
	s, c := start(t, Options{Start: t0, Now: func() time.Time { return now }, Token: "sc_t"})
	ctx := context.Background()
	if me, err := c.Me(ctx); err != nil || me.Role != api.RoleAdmin {
		t.Fatalf("Me() = %+v, %v", me, err)
	}
	ms, err := c.Machines(ctx)
	if err != nil || len(ms) != 5 {
		t.Fatalf("Machines() = %d, %v", len(ms), err)
	}
	snap, err := c.LiveSnapshot(ctx, Pump)
	if err != nil || len(snap) != 1 || snap[0].State != api.StateAnomaly || len(snap[0].Spectrum) != Bands {
		t.Fatalf("pump snapshot = %+v, %v", snap, err)
	}
	open, err := c.Events(ctx, api.EventFilter{Open: true})
	if err != nil || len(open) != 1 || open[0].ID != OpenEvent {
		t.Fatalf("open events = %+v, %v", open, err)
	}
	if _, err := c.AcknowledgeEvent(ctx, OpenEvent, "on it"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AcknowledgeEvent(ctx, OpenEvent, ""); !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("second acknowledge = %v, want conflict", err)
	}
	m := ms[0]
	m.Detection.Quantile = 1.5
	_, err = c.UpdateMachine(ctx, m)
	var ae *api.Error
	if !api.IsCode(err, api.CodeInvalid) || !asErr(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "detection.quantile" {
		t.Fatalf("UpdateMachine(quantile 1.5) = %v", err)
	}
	s.SetRole(api.RoleViewer)
	if _, err := c.LabelEvent(ctx, OpenEvent, "bearing"); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("viewer label = %v, want forbidden", err)
	}
	bad, _ := api.NewClient(c.BaseURL(), api.WithToken("sc_wrong"))
	if _, err := bad.Me(ctx); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("wrong token = %v", err)
	}
	if n := len(s.Requests()); n < 8 {
		t.Errorf("%d requests logged", n)
	}
}

func asErr(err error, target **api.Error) bool {
	e, ok := err.(*api.Error)
	*target = e
	return ok
}

func TestStreamBackfillsAndIsDeterministic(t *testing.T) {
	now := t0.Add(time.Minute)
	s, c := start(t, Options{Start: t0, Now: func() time.Time { return now }, Backfill: 20})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []api.Live
	err := c.Stream(ctx, Fan, func(l api.Live) {
		got = append(got, l)
		if len(got) == 10 {
			cancel()
		}
	})
	if len(got) < 10 {
		t.Fatalf("Stream: %d updates, %v", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq || got[i].MachineID != Fan {
			t.Fatalf("update %d: %+v after %+v", i, got[i], got[i-1])
		}
	}
	if a, b := s.Live(0, 5), s.Live(0, 5); a.Score != b.Score || a.Spectrum[3] != b.Spectrum[3] {
		t.Error("Live is not a pure function")
	}
}
