package alert

import (
	"testing"
	"time"
)

// TestRefiringAlertIsNews: in a group where another alert keeps firing, an announced alert
// that resolves (its resolution not sent: send_resolved off) and later fires again is
// announced again — it used to be taken for the instance already announced.
func TestRefiringAlertIsNews(t *testing.T) {
	c := DefaultConfig()
	c.Receivers[0].SendResolved = false
	e := mustNew(t, c, State{})
	s := time.Second
	var evs []ev
	for d := time.Duration(0); d <= 400*s; d += s {
		clip := d >= 60*s && d < 300*s // keeps the group busy throughout
		silent := (d >= 10*s && d < 40*s) || (d >= 200*s && d < 210*s)
		o := []Observation{health("m1", map[bool]string{true: "silent", false: "ok"}[silent])}
		st := "ok"
		if clip {
			st = "clipping"
		}
		o = append(o, health("m2", st))
		evs = append(evs, ev{at: d, obs: o})
	}
	got := run(t, e, evs)
	diffLines(t, got, []string{
		"20s default firing machine=m1 [SensorSilent/m1:firing]",
		"1m10s default firing machine=m2 [SensorClipping/m2:firing]",
		"3m30s default firing machine=m1 [SensorSilent/m1:firing]",
	})

	// one machine: the group keeps firing with clipping while silence comes and goes
	e = mustNew(t, c, State{})
	evs = evs[:0]
	for d := time.Duration(0); d <= 400*s; d += s {
		st := "ok"
		switch {
		case d >= 10*s && d < 30*s, d >= 200*s && d < 210*s:
			st = "silent"
		case d >= 30*s && d < 300*s:
			st = "clipping"
		}
		evs = append(evs, ev{at: d, obs: []Observation{health("m1", st)}})
	}
	got = run(t, e, evs)
	diffLines(t, got, []string{
		"20s default firing machine=m1 [SensorSilent/m1:firing]",
		"1m20s default firing machine=m1 [SensorClipping/m1:firing SensorSilent/m1:firing]",
		"3m20s default firing machine=m1 [SensorClipping/m1:firing SensorSilent/m1:firing]",
	})
}
