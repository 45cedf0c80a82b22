package alert

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the output (run go test -update after checking):\n%s", path, got)
	}
}

func TestDefaultConfig(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "default.golden.yaml", out)

	// The commented example file is the same configuration.
	b, err := os.ReadFile("testdata/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := yaml.Marshal(parsed)
	if string(again) != string(out) {
		t.Errorf("testdata/default.yaml differs from DefaultConfig():\n%s", again)
	}
	// And the golden output parses back to itself.
	round, err := ParseConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := yaml.Marshal(round); string(b) != string(out) {
		t.Error("DefaultConfig does not round-trip through YAML")
	}
	if _, err := New(def, State{}); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultRulesBehave runs the default rules on a short story: a machine that goes
// anomalous, one whose sensor is lost, one that stops reporting.
func TestDefaultRulesBehave(t *testing.T) {
	e := mustNew(t, DefaultConfig(), State{})
	s := time.Second
	got := run(t, e, script(every(0, 3*time.Minute, s, func(d time.Duration) []Observation {
		obs := []Observation{score("m1", 2.5), health("m2", "lost"), score("m2", 5)}
		obs[0].SensorState, obs[2].SensorState = "ok", "lost"
		if d < 30*s {
			m3 := score("m3", 0.5)
			m3.SensorState = "ok"
			obs = append(obs, m3)
		}
		return obs
	})))
	want := []string{
		// AnomalyWarning fires at once (persistence is the detector's), AnomalyCritical after
		// its for of 10s, just in time for the group's first flush: it inhibits the warning.
		"10s default firing machine=m1 [AnomalyCritical/m1:firing]",
		"10s default firing machine=m2 [SensorLost/m2:firing]",
		// m3 went quiet at 29s: no data for a minute, SensorLost at once, then group_wait.
		"1m39s default firing machine=m3 [SensorLost/m3:firing]",
	}
	diffLines(t, got, want)
	var m3 Alert
	for _, a := range e.Alerts() {
		if a.Labels[LabelMachine] == "m3" {
			m3 = a
		}
	}
	if !m3.NoData || m3.Annotations["en"]["summary"] != "Sensor mic-m3 of m3 is not reporting" || m3.Annotations["ko"]["summary"] != "m3 센서 mic-m3 응답 없음" {
		t.Errorf("m3 alert %+v", m3)
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := func(rule string) string {
		return "rules:\n" + rule + "receivers: [{name: default}]\nroute: {receiver: default}\n"
	}
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "rulez: []\n", []string{"field rulez not found"}},
		{"bad op", base("  - {name: A, severity: warning, expr: {metric: anomaly_score, op: '=>', enter: 1}}\n"),
			[]string{`rules[0].expr.op: "=>": is not one of >, <, >=, <=`}},
		{"unknown metric", base("  - {name: A, severity: warning, expr: {metric: anomaly_scor, op: '>', enter: 1}}\n"),
			[]string{`rules[0].expr.metric: "anomaly_scor": is not a known metric`}},
		{"bad fault kind", base("  - {name: A, severity: warning, expr: {metric: 'fault_energy:xyz', op: '>', enter: 1}}\n"),
			[]string{`rules[0].expr.metric: "fault_energy:xyz"`}},
		{"exit on the wrong side", base("  - {name: A, severity: warning, expr: {metric: anomaly_score, op: '>', enter: 1, exit: 1.5}}\n"),
			[]string{`rules[0].expr.exit: 1.5: must not be above enter (1) for >`}},
		{"severity", base("  - {name: A, severity: fatal, expr: {metric: anomaly_score, op: '>', enter: 1}}\n"),
			[]string{`rules[0].severity: "fatal": is not one of warning, critical`}},
		{"sensor state", base("  - {name: A, severity: warning, expr: {sensor_states: [lost, gone]}}\n"),
			[]string{`rules[0].expr.sensor_states[1]: "gone"`}},
		{"both kinds of expression", base("  - {name: A, severity: warning, expr: {sensor_states: [lost], metric: score}}\n"),
			[]string{`rules[0].expr: "score": give either sensor_states`}},
		{"duplicate rule", base("  - {name: A, severity: warning, expr: {sensor_states: [lost]}}\n  - {name: A, severity: warning, expr: {sensor_states: [silent]}}\n"),
			[]string{`rules[1].name: "A": is used by an earlier rule`}},
		{"no data without a period", base("  - {name: A, severity: warning, expr: {sensor_states: [lost]}, no_data: alerting}\n"),
			[]string{`rules[0].no_data_after: 0s: must be positive when no_data is alerting`}},
		{"engine labels", base("  - {name: A, severity: warning, expr: {sensor_states: [lost]}, labels: {machine: x}}\n"),
			[]string{`rules[0].labels.machine: "x": is set by the engine`}},
		{"template", base("  - {name: A, severity: warning, expr: {sensor_states: [lost]}, annotations: {en: {summary: '{{.Machin}}'}, ko: {summary: x}}}\n"),
			[]string{`rules[0].annotations.en.summary: "{{.Machin}}"`, "can't evaluate field Machin"}},
		{"missing translation", base("  - {name: A, severity: warning, expr: {sensor_states: [lost]}, annotations: {en: {summary: a, description: b}, ko: {summary: c}}}\n"),
			[]string{`rules[0].annotations.ko.description: (empty): is missing`}},
		{"machines regexp", base("  - {name: A, severity: warning, expr: {sensor_states: [lost]}, machines: ['machine=~\"(\"']}\n"),
			[]string{`matcher machine: regexp "("`}},
		{"undeclared receiver", "receivers: [{name: default}]\nroute: {receiver: default, routes: [{receiver: pager}]}\n",
			[]string{`route.routes[0].receiver: "pager": is not a declared receiver`}},
		{"escalation", "receivers: [{name: default}]\nroute: {receiver: default, escalations: [{after: 0s, receiver: boss}]}\n",
			[]string{`route.escalations[0].after: 0s: must be positive`, `route.escalations[0].receiver: "boss"`}},
		{"root route", "receivers: [{name: default}]\nroute: {matchers: ['a=\"b\"']}\n",
			[]string{`route.matchers: "{a=\"b\"}": the root route matches every alert`, `route.receiver: "": the root route needs a receiver`}},
		{"maintenance window", "receivers: [{name: default}]\nroute: {receiver: default}\nmaintenance_windows: [{name: w, schedule: 'Sun 02:00-04:00 Asia/Nowhere'}]\n",
			[]string{`maintenance_windows[0]: "Sun 02:00-04:00 Asia/Nowhere": time zone "Asia/Nowhere"`}},
		{"inhibit rule", "receivers: [{name: default}]\nroute: {receiver: default}\ninhibit_rules: [{source_matchers: ['a=\"b\"'], equal: ['9x']}]\n",
			[]string{`inhibit_rules[0].target_matchers: (empty): is required`, `inhibit_rules[0].equal[0]: "9x"`}},
		{"bad matcher syntax", "receivers: [{name: default}]\nroute: {receiver: default, routes: [{matchers: ['severity']}]}\n",
			[]string{`matcher "severity"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nwant it to contain\n  %s", err, w)
				}
			}
		})
	}
}

func TestMatcher(t *testing.T) {
	l := Labels{"machine": "pump-12", "severity": "critical"}
	cases := []struct {
		in    string
		match bool
		str   string
	}{
		{`machine="pump-12"`, true, `machine="pump-12"`},
		{`machine=pump-12`, true, `machine="pump-12"`},
		{`machine!=pump-12`, false, `machine!="pump-12"`},
		{`machine=~"pump-.*"`, true, `machine=~"pump-.*"`},
		{`machine=~"pump"`, false, `machine=~"pump"`}, // anchored
		{`machine!~"fan-.*"`, true, `machine!~"fan-.*"`},
		{`line=""`, true, `line=""`}, // a missing label is empty
		{` severity = critical `, true, `severity="critical"`},
	}
	for _, tc := range cases {
		m, err := ParseMatcher(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if m.Matches(l) != tc.match || m.String() != tc.str {
			t.Errorf("%s: match %v string %s, want %v %s", tc.in, m.Matches(l), m, tc.match, tc.str)
		}
	}
	for _, bad := range []string{"", "=x", "machine", `machine=~"("`, `9x=1`, `m="unterminated`} {
		if _, err := ParseMatcher(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: error %v, want ErrInvalid", bad, err)
		}
	}
	// A literal matcher (not parsed) still matches regular expressions.
	if !(Matcher{Name: "machine", Type: MatchRegexp, Value: "pump-1."}).Matches(l) {
		t.Error("literal regexp matcher does not match")
	}
}

// TestFinalObservation: a machine whose recording ended (Final) does not go "not
// reporting" however long it stays quiet, and reports again normally once it does; its
// last state survives a restart.
func TestFinalObservation(t *testing.T) {
	e := mustNew(t, DefaultConfig(), State{})
	s := time.Second
	final := health("m1", "ended")
	final.Final = true
	got := run(t, e, script(
		every(0, 20*s, s, func(time.Duration) []Observation {
			o := score("m1", 0.5)
			o.SensorState = "ok"
			return []Observation{o}
		}),
		ev{at: 21 * s, obs: []Observation{final}},
		every(22*s, 10*time.Minute, 10*s, func(time.Duration) []Observation { return nil }),
	))
	diffLines(t, got, nil)

	// After a restart the machine is still final; then it reports again and goes quiet.
	e2 := mustNew(t, DefaultConfig(), e.Snapshot())
	got = run(t, e2, script(
		every(11*time.Minute, 12*time.Minute, 10*s, func(time.Duration) []Observation { return nil }),
		ev{at: 13 * time.Minute, obs: []Observation{health("m1", "ok")}},
		every(13*time.Minute+10*s, 15*time.Minute, 10*s, func(time.Duration) []Observation { return nil }),
	))
	diffLines(t, got, []string{"14m10s default firing machine=m1 [SensorLost/m1:firing]"})
}
