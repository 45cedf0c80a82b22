package alert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	_ "time/tzdata" // tests use Asia/Seoul and America/New_York without relying on the host
)

// t0 is a Sunday, 00:00 UTC (09:00 in Seoul).
var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// score is an observation of the anomaly ratio.
func score(machine string, v float64) Observation {
	return Observation{Machine: machine, Line: "L1", Sensor: "mic-" + machine, Values: map[string]float64{MetricAnomalyScore: v}}
}

// health is an observation of the sensor state only.
func health(machine, state string) Observation {
	return Observation{Machine: machine, Line: "L1", Sensor: "mic-" + machine, SensorState: state}
}

// ev is one step of a script: at a time offset, observe (if any), run do (if set), then Tick.
type ev struct {
	at  time.Duration
	obs []Observation
	do  func(t *testing.T, e *Engine, now time.Time)
}

func at(d time.Duration, obs ...Observation) ev { return ev{at: d, obs: obs} }

// every repeats the observations made by f every step in [from, to].
func every(from, to, step time.Duration, f func(d time.Duration) []Observation) []ev {
	var out []ev
	for d := from; d <= to; d += step {
		out = append(out, ev{at: d, obs: f(d)})
	}
	return out
}

func script(parts ...any) []ev {
	var out []ev
	for _, p := range parts {
		switch x := p.(type) {
		case ev:
			out = append(out, x)
		case []ev:
			out = append(out, x...)
		default:
			panic(fmt.Sprintf("script: %T", p))
		}
	}
	return out
}

// run plays a script and returns one line per notification.
func run(t *testing.T, e *Engine, evs []ev) []string {
	t.Helper()
	var log []string
	for _, x := range evs {
		now := t0.Add(x.at)
		for _, o := range x.obs {
			o.Time = now
			e.Observe(o)
		}
		if x.do != nil {
			x.do(t, e, now)
		}
		for _, n := range e.Tick(now) {
			log = append(log, describe(x.at, n))
		}
	}
	return log
}

// describe is a compact, stable form of a notification: "10s default firing machine=m1
// [AnomalyWarning/m1:firing ...]".
func describe(d time.Duration, n Notification) string {
	var as []string
	for _, a := range n.Alerts {
		as = append(as, fmt.Sprintf("%s/%s:%s", a.Rule, a.Labels[LabelMachine], a.Status))
	}
	var gl []string
	for _, k := range []string{LabelMachine, LabelAlertName, LabelSeverity} {
		if v, ok := n.GroupLabels[k]; ok {
			gl = append(gl, k+"="+v)
		}
	}
	kind := string(n.Kind)
	if n.Step > 0 {
		kind += fmt.Sprint(n.Step)
	}
	return fmt.Sprintf("%v %s %s %s [%s]", d, n.Receiver, kind, strings.Join(gl, ","), strings.Join(as, " "))
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notifications:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// testConfig: AnomalyWarning (>1, exit 0.9, for 0), AnomalyCritical (>2, for 0), SensorLost
// (lost/stuck); receivers default (send resolved), oncall, manager; grouped by machine with
// group_wait 10s, group_interval 1m, repeat_interval 4h.
func testConfig() Config {
	anomaly := map[string]string{"category": "anomaly"}
	return Config{
		Rules: []Rule{
			{Name: "AnomalyWarning", Severity: SeverityWarning, Expr: Expr{Metric: MetricAnomalyScore, Op: OpGT, Enter: 1, Exit: ptr(0.9)}, Labels: anomaly},
			{Name: "AnomalyCritical", Severity: SeverityCritical, Expr: Expr{Metric: MetricAnomalyScore, Op: OpGT, Enter: 2, Exit: ptr(1.8)}, Labels: anomaly},
			{Name: "SensorLost", Severity: SeverityCritical, Expr: Expr{SensorStates: []string{"lost", "stuck"}}, Labels: map[string]string{"category": "sensor"}},
		},
		Receivers: []Receiver{{Name: "default", SendResolved: true}, {Name: "oncall"}, {Name: "manager"}},
		Route: Route{Receiver: "default", GroupBy: []string{LabelMachine}, GroupWait: 10 * time.Second,
			GroupInterval: time.Minute, RepeatInterval: 4 * time.Hour},
		SilenceRetention: time.Hour,
	}
}

func mustNew(t testing.TB, c Config, st State) *Engine {
	t.Helper()
	e, err := New(c, st)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
