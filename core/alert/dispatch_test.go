package alert

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDispatch(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	ack := func(target func(e *Engine) string) func(*testing.T, *Engine, time.Time) {
		return func(t *testing.T, e *Engine, now time.Time) {
			if err := e.Acknowledge(target(e), "kim", "on it", now); err != nil {
				t.Fatal(err)
			}
		}
	}
	group := func(machine string) func(e *Engine) string {
		return func(e *Engine) string {
			for _, g := range e.Groups() {
				if g.Labels[LabelMachine] == machine {
					return g.Key
				}
			}
			return "no group for " + machine
		}
	}
	alertFP := func(rule, machine string) func(e *Engine) string {
		return func(e *Engine) string {
			for _, a := range e.Alerts() {
				if a.Rule == rule && a.Labels[LabelMachine] == machine {
					return a.Fingerprint
				}
			}
			return "no alert"
		}
	}
	escalations := func(c *Config) {
		c.Route.Escalations = []Escalation{{After: 15 * m, Receiver: "oncall"}, {After: 30 * m, Receiver: "manager"}}
	}
	cases := []struct {
		name   string
		config func(*Config)
		script []ev
		want   []string
	}{
		{
			name:   "group_wait batches the alerts of a machine into one notification",
			script: script(at(0, score("m1", 1.5)), at(5*s, score("m1", 2.5)), at(9*s), at(10*s)),
			want:   []string{"10s default firing machine=m1 [AnomalyCritical/m1:firing AnomalyWarning/m1:firing]"},
		},
		{
			name: "group_interval: an alert joining a notified group waits for the next interval",
			script: script(at(0, score("m1", 1.5)), at(10*s), at(20*s, score("m1", 1.5), health("m1", "lost")),
				at(69*s), at(70*s), at(130*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"1m10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
			},
		},
		{
			name:   "groups are per machine",
			script: script(at(0, score("m1", 1.5), score("m2", 1.5)), at(10*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"10s default firing machine=m2 [AnomalyWarning/m2:firing]",
			},
		},
		{
			name:   "de-duplication: a firing alert observed every second is announced once",
			script: script(every(0, 10*m, s, func(time.Duration) []Observation { return []Observation{score("m1", 1.5)} })),
			want:   []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name:   "repeat_interval repeats an unchanged group",
			script: script(at(0, score("m1", 1.5)), at(10*s), at(4*h), at(4*h+10*s), at(8*h+10*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"4h0m10s default repeat machine=m1 [AnomalyWarning/m1:firing]",
				"8h0m10s default repeat machine=m1 [AnomalyWarning/m1:firing]",
			},
		},
		{
			name: "acknowledging the group stops repeats; a new alert is still announced",
			script: script(at(0, score("m1", 1.5)), at(10*s), ev{at: m, do: ack(group("m1"))}, at(4*h+10*s), at(4*h+59*m+10*s),
				at(5*h, health("m1", "lost")), at(5*h+10*s), at(9*h+10*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"5h0m10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
				"9h0m10s default repeat machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
			},
		},
		{
			name:   "acknowledging one alert by fingerprint stops its repeats",
			script: script(at(0, score("m1", 1.5)), at(10*s), ev{at: m, do: ack(alertFP("AnomalyWarning", "m1"))}, at(4*h+10*s), at(8*h)),
			want:   []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name:   "resolved notification when the receiver sends resolved",
			script: script(at(0, score("m1", 1.5)), at(10*s), at(30*s, score("m1", 0.5)), at(70*s), at(130*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
		},
		{
			name:   "no resolved notification when the route turns it off",
			config: func(c *Config) { c.Route.SendResolved = ptr(false) },
			script: script(at(0, score("m1", 1.5)), at(10*s), at(30*s, score("m1", 0.5)), at(70*s), at(130*s), at(4*h)),
			want:   []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name: "partial resolution is an update listing both",
			script: script(at(0, score("m1", 2.5)), at(10*s), at(20*s, score("m1", 1.5)), at(70*s), at(130*s, score("m1", 0.1)),
				at(190*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyCritical/m1:firing AnomalyWarning/m1:firing]",
				"1m10s default firing machine=m1 [AnomalyWarning/m1:firing AnomalyCritical/m1:resolved]",
				"2m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
		},
		{
			name:   "an alert that fires and resolves within group_wait is never announced",
			script: script(at(0, score("m1", 1.5)), at(3*s, score("m1", 0.1)), at(10*s), at(4*h)),
			want:   nil,
		},
		{
			name:   "escalation: critical and unacknowledged goes to the next receiver once per step",
			config: escalations,
			script: script(at(0, health("m1", "lost"), score("m2", 1.5)), at(10*s), at(14*m), at(15*m), at(16*m), at(29*m), at(30*m), at(3*h)),
			want: []string{
				"10s default firing machine=m1 [SensorLost/m1:firing]",
				"10s default firing machine=m2 [AnomalyWarning/m2:firing]",
				"15m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
				"30m0s manager escalation2 machine=m1 [SensorLost/m1:firing]",
			},
		},
		{
			name:   "escalation: acknowledged before the step, nothing escalates",
			config: escalations,
			script: script(at(0, health("m1", "lost")), at(10*s), ev{at: 5 * m, do: ack(group("m1"))}, at(15*m), at(30*m), at(3*h)),
			want:   []string{"10s default firing machine=m1 [SensorLost/m1:firing]"},
		},
		{
			name:   "escalation: acknowledged between steps stops the later step",
			config: escalations,
			script: script(at(0, health("m1", "lost")), at(10*s), at(15*m), ev{at: 20 * m, do: ack(alertFP("SensorLost", "m1"))}, at(30*m), at(3*h)),
			want: []string{
				"10s default firing machine=m1 [SensorLost/m1:firing]",
				"15m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
			},
		},
		{
			name:   "escalation: a late tick sends every step that is due, in order",
			config: escalations,
			script: script(at(0, health("m1", "lost")), at(10*s), at(h)),
			want: []string{
				"10s default firing machine=m1 [SensorLost/m1:firing]",
				"1h0m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
				"1h0m0s manager escalation2 machine=m1 [SensorLost/m1:firing]",
			},
		},
		{
			name: "routing tree: continue sends critical alerts to oncall and the team; the rest to the team or default",
			config: func(c *Config) {
				c.Receivers = append(c.Receivers, Receiver{Name: "mech"})
				c.Route.Routes = []Route{
					{Matchers: Matchers{MustMatcher(MatchEqual, LabelSeverity, "critical")}, Receiver: "oncall", GroupBy: []string{LabelAlertName}, Continue: true},
					{Matchers: Matchers{MustMatcher(MatchEqual, "category", "anomaly")}, Receiver: "mech"},
					{Matchers: Matchers{MustMatcher(MatchEqual, "category", "anomaly")}, Receiver: "manager"}, // shadowed: no continue above
				}
			},
			script: script(at(0, score("m1", 2.5), health("m2", "lost")), at(10*s)),
			want: []string{
				// m2's SensorLost matched the first child, so it does not fall back to the root.
				"10s oncall firing alertname=AnomalyCritical [AnomalyCritical/m1:firing]",
				"10s oncall firing alertname=SensorLost [SensorLost/m2:firing]",
				"10s mech firing machine=m1 [AnomalyCritical/m1:firing AnomalyWarning/m1:firing]",
			},
		},
		{
			name: "routing tree: nested routes inherit and a route without match falls back to its parent",
			config: func(c *Config) {
				c.Route.Routes = []Route{{
					Matchers: Matchers{MustMatcher(MatchRegexp, LabelMachine, "m[12]")}, Receiver: "oncall", GroupWait: 30 * s,
					Routes: []Route{{Matchers: Matchers{MustMatcher(MatchEqual, LabelMachine, "m2")}, Receiver: "manager"}},
				}}
			},
			script: script(at(0, score("m1", 1.5), score("m2", 1.5), score("m3", 1.5)), at(10*s), at(30*s)),
			want: []string{
				"10s default firing machine=m3 [AnomalyWarning/m3:firing]",
				"30s manager firing machine=m2 [AnomalyWarning/m2:firing]",
				"30s oncall firing machine=m1 [AnomalyWarning/m1:firing]",
			},
		},
		{
			name: "inhibition: a lost sensor mutes the anomaly alerts of its own machine only",
			config: func(c *Config) {
				c.InhibitRules = []InhibitRule{{SourceMatchers: Matchers{MustMatcher(MatchEqual, "category", "sensor")},
					TargetMatchers: Matchers{MustMatcher(MatchEqual, "category", "anomaly")}, Equal: []string{LabelMachine}}}
			},
			script: script(at(0, score("m1", 1.5), health("m1", "lost"), score("m2", 1.5)), at(10*s),
				at(20*s, health("m1", "ok")), at(70*s)),
			want: []string{
				"10s default firing machine=m1 [SensorLost/m1:firing]",
				"10s default firing machine=m2 [AnomalyWarning/m2:firing]",
				"1m10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:resolved]",
			},
		},
		{
			name: "inhibition: a critical anomaly mutes the warning of the same machine",
			config: func(c *Config) {
				c.InhibitRules = []InhibitRule{{SourceMatchers: Matchers{MustMatcher(MatchEqual, LabelSeverity, "critical")},
					TargetMatchers: Matchers{MustMatcher(MatchEqual, LabelSeverity, "warning")}, Equal: []string{LabelMachine}}}
			},
			script: script(at(0, score("m1", 2.5)), at(10*s)),
			want:   []string{"10s default firing machine=m1 [AnomalyCritical/m1:firing]"},
		},
		{
			name: "silence: mutes the matching machine, not the others; expiring it re-announces",
			script: script(ev{at: 0, obs: []Observation{score("m1", 1.5), score("m2", 1.5)}, do: func(t *testing.T, e *Engine, now time.Time) {
				if _, err := e.Silence(Silence{Matchers: Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}, StartsAt: now, EndsAt: now.Add(h), CreatedBy: "lee"}, now); err != nil {
					t.Fatal(err)
				}
			}}, at(10*s), at(70*s), ev{at: 2 * m, do: func(t *testing.T, e *Engine, now time.Time) {
				if err := e.ExpireSilence("1", now); err != nil {
					t.Fatal(err)
				}
			}}, at(130*s), at(190*s)),
			want: []string{
				"10s default firing machine=m2 [AnomalyWarning/m2:firing]",
				"2m10s default firing machine=m1 [AnomalyWarning/m1:firing]",
			},
		},
		{
			name: "silence: ends on its own at EndsAt",
			script: script(ev{at: 0, obs: []Observation{score("m1", 1.5)}, do: func(t *testing.T, e *Engine, now time.Time) {
				if _, err := e.Silence(Silence{Matchers: Matchers{MustMatcher(MatchRegexp, LabelAlertName, "Anomaly.*")}, StartsAt: now, EndsAt: now.Add(30 * m), CreatedBy: "lee"}, now); err != nil {
					t.Fatal(err)
				}
			}}, at(10*s), at(29*m), at(31*m)),
			want: []string{"31m0s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name: "maintenance window mutes notifications while open (Sunday 09:00-10:00 in Seoul = 00:00-01:00 UTC)",
			config: func(c *Config) {
				c.MaintenanceWindows = []MaintenanceWindow{{Name: "weekly", Schedule: "Sun 09:00-10:00 Asia/Seoul", Matchers: Matchers{MustMatcher(MatchEqual, "line", "L1")}}}
			},
			script: script(at(0, score("m1", 1.5)), at(10*s), at(30*m), at(h), at(h+m)),
			want:   []string{"1h0m0s default firing machine=m1 [AnomalyWarning/m1:firing]"},
		},
		{
			name:   "escalation is muted by a silence",
			config: escalations,
			script: script(ev{at: 0, obs: []Observation{health("m1", "lost")}}, at(10*s), ev{at: m, do: func(t *testing.T, e *Engine, now time.Time) {
				if _, err := e.Silence(Silence{Matchers: Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}, StartsAt: now, EndsAt: now.Add(h), CreatedBy: "lee"}, now); err != nil {
					t.Fatal(err)
				}
			}}, at(15*m), at(30*m)),
			want: []string{"10s default firing machine=m1 [SensorLost/m1:firing]"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			if tc.config != nil {
				tc.config(&c)
			}
			e := mustNew(t, c, State{})
			diffLines(t, run(t, e, tc.script), tc.want)
		})
	}
}

func TestNotificationKeys(t *testing.T) {
	e := mustNew(t, testConfig(), State{})
	e.Observe(Observation{Time: t0, Machine: "m1", Values: map[string]float64{MetricAnomalyScore: 1.5}})
	e.Observe(Observation{Time: t0, Machine: "m2", Values: map[string]float64{MetricAnomalyScore: 1.5}})
	seen := map[string]bool{}
	for _, d := range []time.Duration{10 * time.Second, 4*time.Hour + 10*time.Second, 8*time.Hour + 10*time.Second} {
		for _, n := range e.Tick(t0.Add(d)) {
			if seen[n.Key] {
				t.Errorf("key %s used twice", n.Key)
			}
			seen[n.Key] = true
			if !strings.HasPrefix(n.Key, "alert:default:") || !strings.Contains(n.Key, ":"+string(n.Kind)+":") {
				t.Errorf("key %q does not name receiver and kind", n.Key)
			}
		}
	}
	if len(seen) != 6 {
		t.Errorf("%d notifications, want 6", len(seen))
	}
}

// TestNotificationKeysCarryInstance: two engines with fresh states (two databases) give
// their first notifications different keys when their instances differ, and a restart from
// the saved state keeps the instance in the keys it derives.
func TestNotificationKeysCarryInstance(t *testing.T) {
	first := func(e *Engine) Notification {
		t.Helper()
		e.Observe(Observation{Time: t0, Machine: "m1", Values: map[string]float64{MetricAnomalyScore: 1.5}})
		ns := e.Tick(t0.Add(10 * time.Second))
		if len(ns) != 1 {
			t.Fatalf("%d notifications, want 1", len(ns))
		}
		return ns[0]
	}
	a := first(mustNew(t, testConfig(), State{Instance: "0123456789abcdef"}))
	b := first(mustNew(t, testConfig(), State{Instance: "fedcba9876543210"}))
	if a.Key == b.Key || !strings.HasPrefix(a.Key, "alert:0123456789abcdef:default:") {
		t.Errorf("keys of two instances' first notifications: %q, %q", a.Key, b.Key)
	}
	e := mustNew(t, testConfig(), State{Instance: "0123456789abcdef"})
	first(e)
	e = restart(t, testConfig(), e)
	ns := e.Tick(t0.Add(4*time.Hour + 10*time.Second)) // the repeat, after a restart
	if len(ns) != 1 || !strings.HasPrefix(ns[0].Key, "alert:0123456789abcdef:default:") || !strings.HasSuffix(ns[0].Key, ":repeat:2") {
		t.Errorf("after a restart: %v", keys(ns))
	}
	if got := e.Snapshot().Instance; got != "0123456789abcdef" {
		t.Errorf("Snapshot().Instance = %q", got)
	}
}

// TestOutboxBounded: notifications nobody confirms (the caller's database cannot be
// written) are kept up to the outbox's bound; beyond it the oldest go, and are counted.
func TestOutboxBounded(t *testing.T) {
	st := State{Outbox: make([]Notification, maxOutbox)}
	for i := range st.Outbox {
		st.Outbox[i] = Notification{Key: fmt.Sprintf("old:%d", i), Receiver: "default"}
	}
	e := mustNew(t, testConfig(), st)
	e.Observe(Observation{Time: t0, Machine: "m1", Values: map[string]float64{MetricAnomalyScore: 1.5}})
	ns := e.Tick(t0.Add(10 * time.Second))
	if len(ns) != 1 || e.OutboxDropped() != 1 {
		t.Fatalf("%d notifications, %d dropped; want 1 and 1", len(ns), e.OutboxDropped())
	}
	p := e.Pending()
	if len(p) != maxOutbox || p[0].Key != "old:1" || p[len(p)-1].Key != ns[0].Key {
		t.Errorf("outbox of %d from %s to %s", len(p), p[0].Key, p[len(p)-1].Key)
	}
}

func TestAcknowledgeErrors(t *testing.T) {
	e := mustNew(t, testConfig(), State{})
	e.Observe(Observation{Time: t0, Machine: "m1", Values: map[string]float64{MetricAnomalyScore: 1.5}})
	e.Tick(t0)
	fp := e.Alerts()[0].Fingerprint
	if err := e.Acknowledge(fp, "", "", t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no who: %v, want ErrInvalid", err)
	}
	if err := e.Acknowledge("nope", "kim", "", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v, want ErrNotFound", err)
	}
	if err := e.Acknowledge(fp, "kim", "checked", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	a := e.Alerts()[0]
	if a.Ack == nil || a.Ack.By != "kim" || a.Ack.Comment != "checked" || !a.Ack.At.Equal(t0.Add(time.Minute)) {
		t.Errorf("ack %+v", a.Ack)
	}
	if g := e.Groups(); len(g) != 1 || !g[0].Acknowledged {
		t.Errorf("groups %+v, want one acknowledged", g)
	}
	// The acknowledgement ends with the alert: a new instance is unacknowledged.
	e.Observe(Observation{Time: t0.Add(2 * time.Minute), Machine: "m1", Values: map[string]float64{MetricAnomalyScore: 0.1}})
	e.Observe(Observation{Time: t0.Add(3 * time.Minute), Machine: "m1", Values: map[string]float64{MetricAnomalyScore: 1.5}})
	if a := e.Alerts()[0]; a.Ack != nil || a.Status != StatusFiring {
		t.Errorf("re-fired alert %+v, want firing without ack", a)
	}
}

func TestSilenceLifecycle(t *testing.T) {
	e := mustNew(t, testConfig(), State{})
	m1 := Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}
	bad := []struct {
		name string
		s    Silence
		want string
	}{
		{"no matchers", Silence{StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a"}, "matchers"},
		{"matches everything", Silence{Matchers: Matchers{MustMatcher(MatchRegexp, LabelMachine, ".*")}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a"}, "every alert"},
		{"ends before start", Silence{Matchers: m1, StartsAt: t0, EndsAt: t0.Add(-time.Hour), CreatedBy: "a"}, "ends_at"},
		{"no author", Silence{Matchers: m1, StartsAt: t0, EndsAt: t0.Add(time.Hour)}, "created_by"},
		{"unknown id", Silence{ID: "42", Matchers: m1, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a"}, "not found"},
	}
	for _, b := range bad {
		if _, err := e.Silence(b.s, t0); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want one mentioning %q", b.name, err, b.want)
		}
	}
	id, err := e.Silence(Silence{Matchers: m1, StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour), CreatedBy: "lee", Comment: "pump swap"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if s := e.Silences(); len(s) != 1 || s[0].Status(t0) != SilencePending || s[0].Comment != "pump swap" {
		t.Fatalf("silences %+v", s)
	}
	if err := e.ExpireSilence(id, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s := e.Silences()[0]; s.Status(t0.Add(time.Minute)) != SilenceExpired {
		t.Errorf("status %s after expiring, want expired", s.Status(t0.Add(time.Minute)))
	}
	if err := e.ExpireSilence(id, t0.Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Errorf("expire twice: %v, want ErrExpired", err)
	}
	if err := e.ExpireSilence("nope", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("expire unknown: %v", err)
	}
	e.Tick(t0.Add(61 * time.Minute)) // retention is 1h in testConfig
	if s := e.Silences(); len(s) != 1 {
		t.Errorf("expired silence dropped before its retention: %v", s)
	}
	e.Tick(t0.Add(62 * time.Minute))
	if s := e.Silences(); len(s) != 0 {
		t.Errorf("expired silence kept after its retention: %v", s)
	}
}

func TestSuppressedReasons(t *testing.T) {
	c := testConfig()
	c.MaintenanceWindows = []MaintenanceWindow{{Name: "nightly", Days: []string{"Sat-Sun"}, Start: "23:00", End: "01:00"}}
	c.InhibitRules = []InhibitRule{{SourceMatchers: Matchers{MustMatcher(MatchEqual, LabelAlertName, "SensorLost")},
		TargetMatchers: Matchers{MustMatcher(MatchEqual, "category", "anomaly")}, Equal: []string{LabelMachine}}}
	e := mustNew(t, c, State{})
	e.Observe(score("m1", 1.5).at(t0))
	e.Observe(health("m1", "lost").at(t0))
	if _, err := e.Silence(Silence{Matchers: Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "lee"}, t0); err != nil {
		t.Fatal(err)
	}
	e.Tick(t0)
	got := map[string]string{}
	for _, a := range e.Alerts() {
		got[a.Rule] = strings.Join(a.Suppressed, " ")
	}
	want := map[string]string{
		"AnomalyWarning": "silence:1 maintenance:nightly inhibited",
		"SensorLost":     "silence:1 maintenance:nightly",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s suppressed by %q, want %q", k, got[k], v)
		}
	}
}

func (o Observation) at(t time.Time) Observation { o.Time = t; return o }
