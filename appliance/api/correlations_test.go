package api

import (
	"context"
	"errors"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

func TestCorrelations(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	viewer := e.client(wire.RoleViewer)

	off, err := viewer.Correlations(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if off.Enabled || off.Pairs == nil || len(off.Pairs) != 0 || off.Judged != nil {
		t.Errorf("correlation off: %+v", off)
	}

	judged := t0.Add(-time.Second)
	var asked int
	e.srv.d.Correlations = func(n int) wire.Correlations {
		asked = n
		return wire.Correlations{Enabled: true, Judged: &judged,
			Pairs: []wire.CorrelationPair{{MachineA: "pump-1", MachineB: "fan-2", LagMS: 500, Coefficient: 0.93, Signal: "level", Samples: 60}},
			Episodes: []wire.CorrelationEpisode{{ID: 3, Kind: wire.CorrelationAttributed, Start: judged.Add(-5 * time.Second),
				Source: "pump-1", Machines: []string{"pump-1", "fan-2"}, Anomalous: 2}}}
	}
	on, err := viewer.Correlations(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 3 || !on.Enabled || len(on.Pairs) != 1 || on.Pairs[0].MachineB != "fan-2" || on.Pairs[0].LagMS != 500 ||
		len(on.Episodes) != 1 || on.Episodes[0].Source != "pump-1" || !on.Judged.Equal(judged) {
		t.Errorf("asked %d, got %+v", asked, on)
	}
	if _, err := viewer.Correlations(ctx, 0); err != nil || asked != defaultCorrelationPairs {
		t.Errorf("default limit: asked %d, %v", asked, err)
	}
	var we *wire.Error
	if _, err := viewer.Correlations(ctx, maxCorrelationPairs+1); !errors.As(err, &we) || we.Code != wire.CodeInvalid {
		t.Errorf("limit too large: %v", err)
	}
}

// An event the correlation explained says so on the wire.
func TestEventHeardFrom(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	if err := e.db.CloseEvent(ctx, e.event, t0, 12); err != nil {
		t.Fatal(err)
	}
	id, err := e.db.OpenEvent(ctx, store.Event{MachineID: "pump-1", Start: t0.Add(time.Second), PeakScore: 9, Threshold: 8,
		Snapshot: []byte(`{"level_dbfs":-30,"heard_from":"fan-2"}`)})
	if err != nil {
		t.Fatal(err)
	}
	viewer := e.client(wire.RoleViewer)
	for _, want := range []struct {
		id               int64
		cause, heardFrom string
	}{{e.event, "", ""}, {id, "", "fan-2"}} {
		ev, err := viewer.Event(ctx, want.id)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Cause != want.cause || ev.HeardFrom != want.heardFrom {
			t.Errorf("event %d: cause %q heard_from %q, want %q %q", want.id, ev.Cause, ev.HeardFrom, want.cause, want.heardFrom)
		}
	}
}
