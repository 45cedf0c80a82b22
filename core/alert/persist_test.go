package alert

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// restart saves the engine's state as JSON and builds a new engine from it, as the daemon
// does across a restart.
func restart(t *testing.T, c Config, e *Engine) *Engine {
	t.Helper()
	b, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return mustNew(t, c, st)
}

func keys(ns []Notification) []string {
	var k []string
	for _, n := range ns {
		k = append(k, n.Key)
	}
	return k
}

func TestRestart(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	cases := []struct {
		name   string
		config func(*Config)
		before []ev
		after  []ev
		want   []string // notifications after the restart
	}{
		{
			name:   "a firing alert already announced is not announced again",
			before: script(at(0, score("m1", 1.5)), at(10*s)),
			after:  script(every(30*s, 10*m, 10*s, func(time.Duration) []Observation { return []Observation{score("m1", 1.5)} })),
			want:   nil,
		},
		{
			name:   "the repeat timer continues",
			before: script(at(0, score("m1", 1.5)), at(10*s)),
			after:  script(at(4*h), at(4*h+10*s)),
			want:   []string{"4h0m10s default repeat machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name:   "a pending alert keeps its for timer",
			config: func(c *Config) { c.Rules[0].For = 30 * s },
			before: script(at(0, score("m1", 1.5)), at(20*s, score("m1", 1.5))),
			after:  script(at(30*s, score("m1", 1.5)), at(40*s)),
			want:   []string{"40s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name:   "group wait continues: the first notification is still due",
			before: script(at(0, score("m1", 1.5)), at(5*s)),
			after:  script(at(10*s), at(20*s)),
			want:   []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name:   "resolution during the downtime is announced after it",
			before: script(at(0, score("m1", 1.5)), at(10*s)),
			after:  script(at(40*s, score("m1", 0.2)), at(70*s)),
			want:   []string{"1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
		},
		{
			name: "acknowledgements and escalation steps survive",
			config: func(c *Config) {
				c.Route.Escalations = []Escalation{{After: 15 * m, Receiver: "oncall"}, {After: 30 * m, Receiver: "manager"}}
			},
			before: script(at(0, health("m1", "lost"), health("m2", "lost")), at(10*s), at(15*m),
				ev{at: 16 * m, do: func(t *testing.T, e *Engine, now time.Time) {
					for _, a := range e.Alerts() {
						if a.Labels[LabelMachine] == "m1" {
							if err := e.Acknowledge(a.Fingerprint, "kim", "", now); err != nil {
								t.Fatal(err)
							}
						}
					}
				}}),
			after: script(at(30*m), at(4*h+10*s)),
			want: []string{
				"30m0s manager escalation2 machine=m2 [SensorLost/m2:firing]",
				"4h0m10s default repeat machine=m2 [SensorLost/m2:firing]",
			},
		},
		{
			name: "no-data clocks restart with the engine instead of counting the downtime",
			config: func(c *Config) {
				c.Rules[0].NoData, c.Rules[0].NoDataAfter = NoDataAlerting, time.Minute
			},
			before: script(at(0, score("m1", 0.5)), at(10*s)),
			after:  script(at(h), at(h+10*s), at(h+30*s, score("m1", 0.5)), at(h+40*s)),
			want:   nil,
		},
		{
			name:   "silences survive",
			before: script(ev{at: 0, obs: []Observation{score("m1", 1.5)}, do: silenceM1}),
			after:  script(at(10*s), at(70*s)),
			want:   nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			if tc.config != nil {
				tc.config(&c)
			}
			e := mustNew(t, c, State{})
			run(t, e, tc.before)
			e2 := restart(t, c, e)
			diffLines(t, run(t, e2, tc.after), tc.want)
		})
	}
}

func silenceM1(t *testing.T, e *Engine, now time.Time) {
	if _, err := e.Silence(Silence{Matchers: Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}, StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "lee"}, now); err != nil {
		t.Fatal(err)
	}
}

// TestReplay checks the exactly-once contract: after a crash before the commit, the restored
// engine derives the same notifications with the same keys; after a crash after the commit,
// unconfirmed notifications come back from the outbox under their old keys and nothing is
// derived twice.
func TestReplay(t *testing.T) {
	c := testConfig()
	e := mustNew(t, c, State{})
	e.Observe(score("m1", 1.5).at(t0))
	e.Observe(health("m2", "lost").at(t0))
	e.Tick(t0)
	committed := e.Snapshot() // the last state the "database" holds

	first := e.Tick(t0.Add(10 * time.Second))
	if len(first) != 2 {
		t.Fatalf("%d notifications, want 2", len(first))
	}

	// Crash before the commit: start from the committed state and tick again.
	again := mustNew(t, c, committed).Tick(t0.Add(10 * time.Second))
	if !slices.Equal(keys(again), keys(first)) {
		t.Errorf("re-derived keys %v, want %v", keys(again), keys(first))
	}

	// Crash after the commit but before Confirm: the outbox holds them.
	e2 := restart(t, c, e)
	if got := keys(e2.Pending()); !slices.Equal(got, keys(first)) {
		t.Errorf("pending after restart %v, want %v", got, keys(first))
	}
	if ns := e2.Tick(t0.Add(20 * time.Second)); len(ns) != 0 {
		t.Errorf("restored engine sent again: %v", keys(ns))
	}
	e2.Confirm(keys(first)...)
	if p := e2.Pending(); len(p) != 0 {
		t.Errorf("pending after confirm: %v", keys(p))
	}
	if st := e2.Snapshot(); len(st.Outbox) != 0 || st.Seq != 2 {
		t.Errorf("snapshot outbox %d, seq %d; want 0, 2", len(st.Outbox), st.Seq)
	}

	// Later notifications do not reuse a key even after groups come and go.
	e2.Observe(score("m1", 0.1).at(t0.Add(30 * time.Second)))
	e2.Observe(health("m2", "ok").at(t0.Add(30 * time.Second)))
	e2.Tick(t0.Add(70 * time.Second))
	e2.Observe(score("m1", 1.5).at(t0.Add(80 * time.Second)))
	later := e2.Tick(t0.Add(90 * time.Second))
	for _, n := range append(e2.Pending(), later...) {
		if slices.Contains(keys(first), n.Key) {
			t.Errorf("key %s reused", n.Key)
		}
	}
	if len(later) != 1 || later[0].Kind != KindFiring {
		t.Errorf("re-fired alert: %v", keys(later))
	}
}

func TestRestoreDropsUnknown(t *testing.T) {
	c := testConfig()
	e := mustNew(t, c, State{})
	e.Observe(score("m1", 2.5).at(t0))
	e.Tick(t0)
	st := e.Snapshot()
	c.Rules = c.Rules[:1] // AnomalyCritical removed
	e2 := mustNew(t, c, st)
	if as := e2.Alerts(); len(as) != 1 || as[0].Rule != "AnomalyWarning" {
		t.Errorf("alerts after removing a rule: %+v", as)
	}
	if _, err := New(c, State{Version: 99}); err == nil {
		t.Error("accepted an unknown state version")
	}
}
