package apptest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	wire "signalcraft/core/api"
)

func TestClockPacesSleepers(t *testing.T) {
	c := NewClock(Epoch)
	woke := make(chan error, 1)
	go func() { woke <- c.Sleep(context.Background(), time.Second) }()
	for c.Sleepers() == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Advance(500 * time.Millisecond)
	select {
	case <-woke:
		t.Fatal("Sleep(1s) returned after the clock moved 500ms")
	case <-time.After(50 * time.Millisecond):
	}
	c.Advance(500 * time.Millisecond)
	if err := <-woke; err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(Epoch.Add(time.Second)) {
		t.Fatalf("Now = %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context = %v", err)
	}
}

// TestDemoApplianceLearnsAndHearsTheFault runs the demo plant through the real daemon: nothing
// is heard until the clock moves; after 40 s every machine has learnt, and by 90 s the pump's
// bearing fault (from 50 s) is an anomaly event, seen over TLS by an operator's token.
func TestDemoApplianceLearnsAndHearsTheFault(t *testing.T) {
	a := Start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := a.Client(t, wire.RoleOperator)
	me, err := c.Me(ctx)
	if err != nil || me.Role != wire.RoleOperator {
		t.Fatalf("Me = %+v, %v; want an operator", me, err)
	}
	live, err := c.LiveSnapshot(ctx, "")
	if err != nil || len(live) != 3 {
		t.Fatalf("LiveSnapshot = %+v, %v", live, err)
	}
	for _, l := range live {
		if l.State != wire.StateLearning || l.Progress != 0 {
			t.Fatalf("before the clock moved, %s is %s at %.2f; want learning at 0", l.MachineID, l.State, l.Progress)
		}
	}
	state := func(id string) string {
		ls, err := a.Admin(t).LiveSnapshot(ctx, id)
		if err != nil || len(ls) != 1 {
			return ""
		}
		return ls[0].State
	}
	a.Advance(t, 40*time.Second)
	a.Wait(t, "every machine to learn", func() bool {
		return state("fan-1") != wire.StateLearning && state("pump-2") != wire.StateLearning && state("motor-3") != wire.StateLearning
	})
	a.Advance(t, 50*time.Second)
	a.Wait(t, "the pump's anomaly event", func() bool {
		es, err := c.Events(ctx, wire.EventFilter{Machine: "pump-2"})
		return err == nil && len(es) > 0
	})
	es, _ := c.Events(ctx, wire.EventFilter{Machine: "pump-2"})
	if s := es[0].Start.Sub(Epoch); s < 40*time.Second || s > 90*time.Second {
		t.Errorf("the pump's event starts %v into the recording; the fault starts at 50 s", s)
	}
	if _, err := a.Client(t, wire.RoleViewer).AcknowledgeEvent(ctx, es[0].ID, "x"); err == nil {
		t.Error("a viewer acknowledged an event")
	}
}

// TestRunsAreRepeatable runs the demo plant twice for 90 s of clock: both appliances learn
// the same models and store the same event and alerts, to the last digit.
func TestRunsAreRepeatable(t *testing.T) {
	run := func() string {
		a := Start(t, Options{})
		a.Advance(t, 90*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := a.Admin(t)
		var out string
		a.Wait(t, "the pump's alerts", func() bool {
			as, err := c.Alerts(ctx, wire.AlertFilter{})
			return err == nil && len(as) == 2
		})
		as, _ := c.Alerts(ctx, wire.AlertFilter{})
		for _, x := range as {
			out += fmt.Sprintf("alert %s %s %s since %v\n", x.Rule, x.MachineID, x.State, x.ActiveAt.Sub(Epoch))
		}
		es, err := c.Events(ctx, wire.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out += fmt.Sprintf("event %d %s at %v threshold %v\n", e.ID, e.MachineID, e.Start.Sub(Epoch), e.Threshold)
		}
		for _, m := range []string{"fan-1", "pump-2", "motor-3"} {
			ms, err := c.Models(ctx, m)
			if err != nil || len(ms) == 0 {
				t.Fatalf("Models(%s) = %v, %v", m, ms, err)
			}
			out += fmt.Sprintf("model %s v%d threshold %v\n", m, ms[0].Version, ms[0].Threshold)
		}
		return out
	}
	first, second := run(), run()
	if first != second {
		t.Fatalf("two runs differ:\n%s\nthen:\n%s", first, second)
	}
	if !strings.Contains(first, "alert AnomalyCritical pump-2 firing") || !strings.Contains(first, "event 1 pump-2") {
		t.Fatalf("the demo's pump fault raised no critical alert and event:\n%s", first)
	}
	t.Logf("both runs:\n%s", first)
}
