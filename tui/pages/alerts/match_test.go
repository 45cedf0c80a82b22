package alerts

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"signalcraft/core/api"
)

func mt(label, op, value string) api.Matcher { return api.Matcher{Label: label, Op: op, Value: value} }

func TestParseMatchers(t *testing.T) {
	cases := []struct {
		in   string
		want []api.Matcher
		err  bool
	}{
		{"machine=pump-2, alertname=PumpHighScore", []api.Matcher{mt("machine", "=", "pump-2"), mt("alertname", "=", "PumpHighScore")}, false},
		{"severity!=warning", []api.Matcher{mt("severity", "!=", "warning")}, false},
		{"alertname=~Sensor.*,machine!~fan-[0-9]+", []api.Matcher{mt("alertname", "=~", "Sensor.*"), mt("machine", "!~", "fan-[0-9]+")}, false},
		{`summary="a, b", line=line-a`, []api.Matcher{mt("summary", "=", "a, b"), mt("line", "=", "line-a")}, false},
		{"machine=", []api.Matcher{mt("machine", "=", "")}, false},
		{"", nil, true},
		{"machine", nil, true},
		{"1abc=x", nil, true},
		{"alertname=~(", nil, true},
		{`comment="unterminated`, nil, true},
	}
	for _, c := range cases {
		got, err := ParseMatchers(c.in)
		if c.err {
			if !errors.Is(err, ErrMatcher) {
				t.Errorf("ParseMatchers(%q) = %v, %v; want an ErrMatcher", c.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseMatchers(%q) = %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		// Formatting reads back the same.
		back, err := ParseMatchers(FormatMatchers(got))
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("round trip of %q through %q: %v, %v", c.in, FormatMatchers(got), back, err)
		}
	}
}

func TestMatches(t *testing.T) {
	labels := map[string]string{"alertname": "SensorSilent", "machine": "motor-3", "line": "line-b"}
	cases := []struct {
		ms   []api.Matcher
		want bool
	}{
		{[]api.Matcher{mt("machine", "=", "motor-3")}, true},
		{[]api.Matcher{mt("machine", "=", "motor")}, false},
		{[]api.Matcher{mt("alertname", "=~", "Sensor.*"), mt("line", "=", "line-b")}, true},
		{[]api.Matcher{mt("alertname", "=~", "sensor")}, false}, // anchored
		{[]api.Matcher{mt("machine", "!~", "fan-.*")}, true},
		{[]api.Matcher{mt("machine", "!=", "motor-3")}, false},
		{[]api.Matcher{mt("severity", "=", "")}, true}, // a missing label is ""
		{[]api.Matcher{mt("alertname", "=~", "(")}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := Matches(c.ms, labels); got != c.want {
			t.Errorf("Matches(%v) = %v, want %v", c.ms, got, c.want)
		}
	}
}

func TestWhy(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC)
	silent := api.Alert{Fingerprint: "1", Rule: "SensorSilent", MachineID: "motor-3", Severity: "warning", State: api.AlertFiring, Silenced: true}
	level := api.Alert{Fingerprint: "2", Rule: "LevelLow", MachineID: "motor-3", Severity: "warning", State: api.AlertFiring, Inhibited: true}
	other := api.Alert{Fingerprint: "3", Rule: "fan-high", MachineID: "fan-1", Severity: "critical", State: api.AlertFiring, Silenced: true}
	alerts := []api.Alert{silent, level, other}
	silences := []api.Silence{
		{ID: "s-9", State: "expired", Matchers: []api.Matcher{mt("machine", "=", "motor-3")}},
		{ID: "s-1", State: "active", Matchers: []api.Matcher{mt("machine", "=", "motor-3")}, EndsAt: now.Add(2 * time.Hour), CreatedBy: "anna", Comment: "rewiring"},
	}
	windows := []api.MaintenanceWindow{{Name: "night", Open: true, Start: "22:00", End: "06:00", TimeZone: "UTC", Matchers: []api.Matcher{mt("machine", "=", "fan-1")}}}
	cases := []struct {
		a    api.Alert
		want Muting
	}{
		{silent, Muting{"silenced (s-1)", `Silenced by s-1 until 12:30, set by anna: "rewiring"`}},
		{level, Muting{"inhibited (SensorSilent)", "Inhibited by SensorSilent on motor-3, which explains it: notifications wait until that one resolves."}},
		{other, Muting{"maintenance (night)", "Muted by the maintenance window night (22:00–06:00 UTC)"}},
		{api.Alert{Silenced: true}, Muting{"silenced", "Silenced by a silence or a maintenance window."}},
		{api.Alert{Rule: "x", MachineID: "m", Inhibited: true}, Muting{"inhibited", "Inhibited by another alert (e.g. its sensor is lost)."}},
		{api.Alert{Rule: "x"}, Muting{}},
	}
	for _, c := range cases {
		if got := Why(c.a, silences, windows, alerts, now); got != c.want {
			t.Errorf("Why(%s) = %+v, want %+v", c.a.Rule, got, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1h": time.Hour, "90m": 90 * time.Minute, "2d": 48 * time.Hour, " 30m ": 30 * time.Minute} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0s", "-1h", "xd", "0d", "soon"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) gave no error", in)
		}
	}
}
