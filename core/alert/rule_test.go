package alert

import (
	"math"
	"testing"
	"time"
)

func TestRuleStates(t *testing.T) {
	warn := Rule{Name: "W", Severity: SeverityWarning, Expr: Expr{Metric: MetricAnomalyScore, Op: OpGT, Enter: 1, Exit: ptr(0.9)}}
	with := func(r Rule, f func(*Rule)) Rule { f(&r); return r }
	type step struct {
		at    time.Duration
		vals  map[string]float64 // nil: no observation, only a Tick
		state string             // sensor state to observe
		want  Status             // "" = normal
	}
	v := func(x float64) map[string]float64 { return map[string]float64{MetricAnomalyScore: x} }
	s := time.Second
	cases := []struct {
		name  string
		rule  Rule
		steps []step
	}{
		{"hysteresis: enter above 1, exit only below 0.9", warn, []step{
			{0, v(0.5), "", ""}, {1 * s, v(1.0), "", ""}, {2 * s, v(1.2), "", StatusFiring},
			{3 * s, v(0.95), "", StatusFiring}, {4 * s, v(0.9), "", StatusFiring}, {5 * s, v(0.85), "", StatusResolved},
			{6 * s, v(0.95), "", StatusResolved}, {7 * s, v(1.1), "", StatusFiring},
		}},
		{"no exit: resolves as soon as the condition fails", with(warn, func(r *Rule) { r.Expr.Exit = nil }), []step{
			{0, v(1.2), "", StatusFiring}, {1 * s, v(0.99), "", StatusResolved},
		}},
		{"for: pending until the condition held 10s (ticks drive it)", with(warn, func(r *Rule) { r.For = 10 * s }), []step{
			{0, v(1.5), "", StatusPending}, {5 * s, v(1.5), "", StatusPending}, {9 * s, nil, "", StatusPending},
			{10 * s, nil, "", StatusFiring},
		}},
		{"for: an interruption restarts the wait", with(warn, func(r *Rule) { r.For = 10 * s }), []step{
			{0, v(1.5), "", StatusPending}, {5 * s, v(0.5), "", ""}, {6 * s, v(1.5), "", StatusPending},
			{15 * s, v(1.5), "", StatusPending}, {16 * s, v(1.5), "", StatusFiring},
		}},
		{"for: hysteresis keeps a pending alert pending between exit and enter", with(warn, func(r *Rule) { r.For = 10 * s }), []step{
			{0, v(1.5), "", StatusPending}, {5 * s, v(0.95), "", StatusPending}, {10 * s, v(0.95), "", StatusFiring},
		}},
		{"keep_firing_for: holds 30s after the condition ends, re-arms when it returns", with(warn, func(r *Rule) { r.KeepFiringFor = 30 * s }), []step{
			{0, v(1.5), "", StatusFiring}, {10 * s, v(0.5), "", StatusFiring}, {20 * s, v(1.5), "", StatusFiring},
			{30 * s, v(0.5), "", StatusFiring}, {59 * s, nil, "", StatusFiring}, {60 * s, nil, "", StatusResolved},
		}},
		{"no data ok: resolves after no_data_after, fires again when data returns", with(warn, func(r *Rule) { r.NoData, r.NoDataAfter = NoDataOK, time.Minute }), []step{
			{0, v(1.5), "", StatusFiring}, {59 * s, nil, "", StatusFiring}, {60 * s, nil, "", StatusResolved},
			{70 * s, v(1.5), "", StatusFiring},
		}},
		{"no data alerting: a silent machine fires after for", Rule{Name: "L", Severity: SeverityCritical, For: 10 * s,
			Expr: Expr{SensorStates: []string{"lost"}}, NoData: NoDataAlerting, NoDataAfter: time.Minute}, []step{
			{0, nil, "ok", ""}, {59 * s, nil, "", ""}, {60 * s, nil, "", StatusPending}, {70 * s, nil, "", StatusFiring},
			{71 * s, nil, "ok", StatusResolved},
		}},
		{"no data keep_state: nothing changes", warn, []step{
			{0, v(1.5), "", StatusFiring}, {time.Hour, nil, "", StatusFiring},
		}},
		{"less than with hysteresis", Rule{Name: "Quiet", Severity: SeverityWarning, Expr: Expr{Metric: MetricLevelDBFS, Op: OpLT, Enter: -60, Exit: ptr(-55.0)}}, []step{
			{0, map[string]float64{MetricLevelDBFS: -50}, "", ""}, {1 * s, map[string]float64{MetricLevelDBFS: -61}, "", StatusFiring},
			{2 * s, map[string]float64{MetricLevelDBFS: -57}, "", StatusFiring}, {3 * s, map[string]float64{MetricLevelDBFS: -54}, "", StatusResolved},
		}},
		{"wildcard metric takes the largest fault energy", Rule{Name: "B", Severity: SeverityWarning, Expr: Expr{Metric: "fault_energy:*", Op: OpGE, Enter: 3}}, []step{
			{0, map[string]float64{"fault_energy:bpfo": 1, "fault_energy:bpfi": 2}, "", ""},
			{1 * s, map[string]float64{"fault_energy:bpfo": 1, "fault_energy:bpfi": 4}, "", StatusFiring},
		}},
		{"missing and non-finite values are not observations", warn, []step{
			{0, v(1.5), "", StatusFiring}, {1 * s, v(math.NaN()), "", StatusFiring}, {2 * s, map[string]float64{"score": 0}, "", StatusFiring},
			{3 * s, v(math.Inf(-1)), "", StatusFiring},
		}},
		{"sensor states", Rule{Name: "S", Severity: SeverityCritical, Expr: Expr{SensorStates: []string{"lost", "stuck"}}}, []step{
			{0, nil, "ok", ""}, {1 * s, nil, "stuck", StatusFiring}, {2 * s, nil, "lost", StatusFiring},
			{3 * s, v(3), "", StatusFiring}, {4 * s, nil, "ok", StatusResolved},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			c.Rules = []Rule{tc.rule}
			c.Route.GroupWait, c.Route.GroupInterval = time.Hour, time.Hour // keep resolved alerts visible
			e := mustNew(t, c, State{})
			for _, st := range tc.steps {
				now := t0.Add(st.at)
				if st.vals != nil || st.state != "" {
					e.Observe(Observation{Time: now, Machine: "m1", Values: st.vals, SensorState: st.state})
				}
				e.Tick(now)
				var got Status
				if as := e.Alerts(); len(as) > 0 {
					got = as[0].Status
				}
				if got != st.want {
					t.Fatalf("at %v: status %q, want %q", st.at, got, st.want)
				}
			}
		})
	}
}

func TestAlertLabelsAndAnnotations(t *testing.T) {
	c := testConfig()
	c.Rules[0].Annotations = map[string]map[string]string{
		"en": {"summary": `{{.Machine}} on {{.Line}}: {{printf "%.1f" .Value}} > {{.Threshold}}`},
		"ko": {"summary": `{{.Machine}} ({{.Line}}) 점수 {{printf "%.1f" .Value}}`},
	}
	c.Rules[0].Labels = map[string]string{"category": "anomaly", "team": "mech"}
	e := mustNew(t, c, State{})
	e.Observe(Observation{Time: t0, Machine: "pump-1", Line: "L2", Sensor: "ch3", Values: map[string]float64{MetricAnomalyScore: 1.5}})
	as := e.Alerts()
	if len(as) != 1 {
		t.Fatalf("%d alerts, want 1", len(as))
	}
	a := as[0]
	want := Labels{"alertname": "AnomalyWarning", "machine": "pump-1", "line": "L2", "sensor": "ch3", "severity": "warning", "category": "anomaly", "team": "mech"}
	if a.Labels.String() != want.String() {
		t.Errorf("labels %s, want %s", a.Labels, want)
	}
	if a.Fingerprint != want.Fingerprint() || len(a.Fingerprint) != 16 {
		t.Errorf("fingerprint %q, want %q", a.Fingerprint, want.Fingerprint())
	}
	if got := a.Annotations["en"]["summary"]; got != "pump-1 on L2: 1.5 > 1" {
		t.Errorf("en summary %q", got)
	}
	if got := a.Annotations["ko"]["summary"]; got != "pump-1 (L2) 점수 1.5" {
		t.Errorf("ko summary %q", got)
	}
	if !a.ActiveAt.Equal(t0) || !a.FiredAt.Equal(t0) || a.Value != 1.5 || a.Metric != MetricAnomalyScore {
		t.Errorf("alert %+v", a)
	}
}

func TestFingerprintStable(t *testing.T) {
	a := Labels{"a": "1", "b": "2"}
	b := Labels{"b": "2", "a": "1"}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("fingerprint depends on map order")
	}
	// Separators keep {a="1b"} and {a="1", b=""} apart.
	if (Labels{"ab": "c"}).Fingerprint() == (Labels{"a": "bc"}).Fingerprint() {
		t.Error("fingerprint collides on concatenation")
	}
	if got := (Labels{"alertname": "X", "machine": "m1"}).Fingerprint(); got != (Labels{"machine": "m1", "alertname": "X"}).Fingerprint() {
		t.Error(got)
	}
}

func TestMachinesMatcher(t *testing.T) {
	c := testConfig()
	c.Rules[0].Machines = Matchers{MustMatcher(MatchRegexp, LabelMachine, "pump-.*"), MustMatcher(MatchNotEqual, LabelLine, "L9")}
	c.Rules = c.Rules[:1]
	e := mustNew(t, c, State{})
	for _, o := range []Observation{
		{Machine: "pump-1", Line: "L1"}, {Machine: "fan-1", Line: "L1"}, {Machine: "pump-2", Line: "L9"}, {Machine: "xpump-3"},
	} {
		o.Time, o.Values = t0, map[string]float64{MetricAnomalyScore: 5}
		e.Observe(o)
	}
	as := e.Alerts()
	if len(as) != 1 || as[0].Labels[LabelMachine] != "pump-1" {
		t.Fatalf("alerts %v, want only pump-1", as)
	}
}
