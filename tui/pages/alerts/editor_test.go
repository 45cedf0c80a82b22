package alerts

import (
	"reflect"
	"testing"
	"time"

	"signalcraft/core/api"
)

func TestFieldKey(t *testing.T) {
	rule := newRuleEditor(api.AlertRule{Name: "A"}, 2, false, 30)
	recv := newReceiverEditor(api.Receiver{Name: "hook", Type: "webhook", Settings: map[string]any{"url": "https://x", "circuit_breaker": map[string]any{"failures": 5.0}}}, 0, false, 30)
	win := newWindowEditor(api.MaintenanceWindow{Name: "w"}, 1, false, 30)
	cases := []struct {
		e               editor
		field, key, msg string
		ok              bool
	}{
		{rule, "rules[2].severity", "severity", "m", true},
		{rule, "rules[2].summary.ko", "summary.ko", "m", true},
		{rule, "rules[2].sensor_states[1]", "sensor_states", "#2: m", true},
		{rule, "rules[2].labels.machine", "labels", "machine: m", true},
		{rule, "rules[2].keep_firing_for", "keep_firing_for", "m", true},
		{rule, "rules[1].severity", "", "", false},  // another rule
		{rule, "rules[20].severity", "", "", false}, // not rules[2]
		{rule, "rules[2].no_data", "", "", false},   // not in the form
		{recv, "receivers[0].settings.url", "settings.url", "m", true},
		{recv, "receivers[0].settings.circuit_breaker.failures", "settings.circuit_breaker", "failures: m", true},
		{recv, "receivers[0].settings", keyNewSetting, "m", true},
		{recv, "receivers[0].settings.timeout", keyNewSetting, "timeout: m", true},
		{recv, "receivers[0].lang", "lang", "m", true},
		{recv, "receivers[0]", "", "", false},
		{win, "maintenance[1].days[0]", "days", "#1: m", true},
		{win, "maintenance[1].matchers[1].value", "matchers", "#2 value: m", true},
		{win, "maintenance[1].time_zone", "time_zone", "m", true},
		{win, "maintenance[0].time_zone", "", "", false},
	}
	for _, c := range cases {
		key, msg, ok := c.e.fieldKey(c.field, "m")
		if key != c.key || msg != c.msg || ok != c.ok {
			t.Errorf("fieldKey(%s) = %q, %q, %v; want %q, %q, %v", c.field, key, msg, ok, c.key, c.msg, c.ok)
		}
	}
	// Errors of the same field are joined; others are returned.
	other := win.setErrors([]api.FieldError{{Field: "maintenance[1].start", Message: "a"}, {Field: "maintenance[1].start", Message: "b"},
		{Field: "maintenance[0].end", Message: "c"}})
	if win.errs["start"] != "a; b" || !reflect.DeepEqual(other, []string{"maintenance[0].end: c"}) {
		t.Errorf("errs %v, other %v", win.errs, other)
	}
}

func TestSettingText(t *testing.T) {
	cases := []struct {
		v    any
		text string
	}{
		{"https://x", "https://x"},
		{float64(6), "6"},
		{true, "true"},
		{[]any{"010-1", "010-2"}, "010-1, 010-2"},
		{map[string]any{"failures": float64(5), "cool_down": "1m"}, `{"cool_down":"1m","failures":5}`},
		{nil, ""},
	}
	for _, c := range cases {
		text := settingText(c.v)
		if text != c.text {
			t.Errorf("settingText(%v) = %q, want %q", c.v, text, c.text)
		}
		if c.v == nil {
			continue
		}
		back, err := parseSetting(text, c.v)
		if err != nil || !reflect.DeepEqual(back, c.v) {
			t.Errorf("parseSetting(%q) = %v, %v; want %v", text, back, err, c.v)
		}
	}
	// A setting kept as a number must stay one.
	if _, err := parseSetting("six", float64(6)); err == nil {
		t.Error("parseSetting(six) as a number gave no error")
	}
	// A new setting is JSON when it reads as a number, a bool, a list or an object; else a string.
	for text, want := range map[string]any{"10": float64(10), "false": false, `["a"]`: []any{"a"}, "https://x": "https://x", `"q"`: `"q"`} {
		if got, _ := parseSetting(text, nil); !reflect.DeepEqual(got, want) {
			t.Errorf("parseSetting(%q, new) = %#v, want %#v", text, got, want)
		}
	}
}

func TestReceiverForm(t *testing.T) {
	r := api.Receiver{Name: "hook", Type: "webhook", Lang: "en", SendResolved: true,
		Settings: map[string]any{"url": "https://x/hook", "secret": "hmac-1", "rate_limit": float64(6)}}
	e := newReceiverEditor(r, 0, false, 30)
	if e.value("settings.secret") != Masked {
		t.Errorf("the secret reads %q in the form", e.value("settings.secret"))
	}
	got, errs := e.receiver()
	want := r
	want.Settings = map[string]any{"url": "https://x/hook", "secret": Masked, "rate_limit": float64(6)}
	if len(errs) > 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("receiver() = %+v, %v; want %+v", got, errs, want)
	}
	// A new setting through the last field; a bad one is refused.
	e.fields[e.fieldIndex(keyNewSetting)].in.SetValue("method=PUT")
	got, _ = e.receiver()
	if got.Settings["method"] != "PUT" || e.fieldIndex("settings.method") < 0 || e.value(keyNewSetting) != "" {
		t.Errorf("method not added: %+v", got.Settings)
	}
	e.fields[e.fieldIndex(keyNewSetting)].in.SetValue("nokey")
	if _, errs := e.receiver(); errs[keyNewSetting] != "want key=value" {
		t.Errorf("errs %v", errs)
	}
	// Another type: its settings are added, the old type's empty ones dropped.
	e = newReceiverEditor(api.Receiver{Type: "webhook"}, 3, true, 30)
	e.fields[e.fieldIndex("type")].in.SetValue("mqtt")
	e.retype()
	var keys []string
	for _, f := range e.fields {
		keys = append(keys, f.key)
	}
	if want := []string{"name", "type", "lang", "send_resolved", "settings.broker", "settings.username", "settings.password", keyNewSetting}; !reflect.DeepEqual(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
}

func TestRuleForm(t *testing.T) {
	r := api.AlertRule{Name: "LevelLow", Metric: "level_dbfs", Op: "<", Enter: -60, Exit: -55, For: "1m", KeepFiringFor: "30s",
		Severity: "warning", Labels: map[string]string{"team": "a"}, Summary: map[string]string{"en": "x", "ko": "y"}}
	got, errs := newRuleEditor(r, 0, false, 30).rule()
	if len(errs) > 0 || !reflect.DeepEqual(got, r) {
		t.Errorf("rule() = %+v, %v; want %+v", got, errs, r)
	}
	s := api.AlertRule{Name: "Silent", SensorStates: []string{"silent", "lost"}, For: "1m", Severity: "warning"}
	if got, _ := newRuleEditor(s, 0, false, 30).rule(); !reflect.DeepEqual(got, s) {
		t.Errorf("rule() = %+v, want %+v", got, s)
	}
}

func TestWhyMutedBy(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC)
	silences := []api.Silence{{ID: "s-1", State: "active", EndsAt: now.Add(time.Hour), CreatedBy: "anna", Comment: "rewiring"}}
	windows := []api.MaintenanceWindow{{Name: "night", Start: "22:00", End: "06:00", TimeZone: "UTC"}}
	// MutedBy wins over the guess: the inhibited alert's reason is not made up from the others.
	other := api.Alert{Fingerprint: "2", MachineID: "m", Rule: "SensorLost", State: api.AlertFiring}
	cases := []struct {
		by   []string
		want Muting
	}{
		{[]string{"silence:s-1"}, Muting{"silenced (s-1)", `Silenced by s-1 until 11:30, set by anna: "rewiring"`}},
		{[]string{"silence:s-9"}, Muting{"silenced (s-9)", "Silenced by s-9"}},
		{[]string{"maintenance:night"}, Muting{"maintenance (night)", "Muted by the maintenance window night (22:00–06:00 UTC)"}},
		{[]string{"inhibited"}, Muting{"inhibited", "Inhibited by another alert of the machine (e.g. its sensor is lost): notifications wait until that one resolves."}},
		{[]string{"maintenance:night", "silence:s-1"}, Muting{"maintenance (night) +1",
			`Muted by the maintenance window night (22:00–06:00 UTC); Silenced by s-1 until 11:30, set by anna: "rewiring"`}},
	}
	for _, c := range cases {
		a := api.Alert{Fingerprint: "1", MachineID: "m", Rule: "LevelLow", State: api.AlertFiring, MutedBy: c.by, Inhibited: true}
		if got := Why(a, silences, windows, []api.Alert{a, other}, now); got != c.want {
			t.Errorf("Why(%v) = %+v, want %+v", c.by, got, c.want)
		}
	}
}
