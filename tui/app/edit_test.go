package app_test

import (
	"reflect"
	"strings"
	"testing"

	"signalcraft/core/api"
	"signalcraft/tui/app"
)

// openSection shows page 6 loaded from the appliance and cycles v n times.
func openSection(t *testing.T, m app.Model, n int) app.Model {
	t.Helper()
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	for range n {
		m = keys(t, m, "v")
	}
	return m
}

// form follows the focus of an edit form (the first field when it opens; the first field
// marked ✗ after a save is refused) so that set can move to a field.
type form struct{ at int }

// set moves the focus to the index-th field and replaces its text.
func (f *form) set(t *testing.T, m app.Model, index int, text string) app.Model {
	t.Helper()
	for ; f.at < index; f.at++ {
		m = keys(t, m, "tab")
	}
	for ; f.at > index; f.at-- {
		m = keys(t, m, "shift+tab")
	}
	m = clearField(t, m)
	return typeText(t, m, text)
}

// save presses ctrl+s and feeds the appliance's answer back.
func save(t *testing.T, m app.Model) app.Model {
	t.Helper()
	m, cmd := step(t, m, press("ctrl+s"))
	return settle(t, m, cmd)
}

// Rule form fields, in order.
const (
	ruleName = iota
	ruleMetric
	ruleOp
	ruleEnter
	ruleExit
	ruleStates
	ruleFor
	ruleKeep
	ruleSeverity
	ruleLabels
	ruleSummaryEN
	ruleSummaryKO
)

func TestEditRule(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 80, 24)
	before := stored(t, a, (*api.Client).Rules)
	m = openSection(t, m, 4)
	mustContain(t, m, "LevelLow          level_dbfs < -60 (exit -55)")
	m = keys(t, m, "down", "down", "e")
	mustContain(t, m, "Edit rule LevelLow (3 of 3)")
	f := &form{}

	// Invalid values: the appliance's 422 names rules[2].…; the errors sit beside (or under)
	// the fields, and the focus goes to the first.
	m = f.set(t, m, ruleFor, "soon")
	m = f.set(t, m, ruleSeverity, "urgent")
	m = f.set(t, m, ruleSummaryKO, "{{.Machine sounds off")
	m = save(t, m)
	f.at = ruleFor
	golden(t, "rule_form_invalid_80x24", m.Render())
	checkSize(t, m.Render(), 80, 24)
	mustContain(t, m, "✗ must be a duration such as 30s or 5m", `✗ "urgent" is not one of warning, critical`,
		"The appliance rejected the rule; see the fields marked ✗.")
	if !strings.Contains(screenOf(m), "✗ \"{{.Machine sounds off\"") {
		t.Errorf("summary.ko's error not shown:\n%s", screenOf(m))
	}
	if got := stored(t, a, (*api.Client).Rules); !reflect.DeepEqual(got, before) {
		t.Fatalf("the appliance stored a rejected rule: %+v", got)
	}

	// Fixed: the whole list is sent, the appliance keeps it, the list shows it.
	m = f.set(t, m, ruleFor, "2m")
	m = f.set(t, m, ruleSeverity, "critical")
	m = f.set(t, m, ruleSummaryKO, "{{.Machine}} 소리 작음")
	m = f.set(t, m, ruleKeep, "30s")
	m = f.set(t, m, ruleLabels, "team=electrical, shift=night")
	m = save(t, m)
	want := api.AlertRule{Name: "LevelLow", Metric: "level_dbfs", Op: "<", Enter: -60, Exit: -55, For: "2m0s", KeepFiringFor: "30s",
		Severity: "critical", Labels: map[string]string{"team": "electrical", "shift": "night"}, Summary: map[string]string{"ko": "{{.Machine}} 소리 작음"}}
	got := stored(t, a, (*api.Client).Rules)
	if len(got) != 3 || !reflect.DeepEqual(got[2], want) || !reflect.DeepEqual(got[:2], before[:2]) {
		t.Errorf("the appliance has rules %+v\nwant rule 3 %+v and the others as they were", got, want)
	}
	if n := len(audits(t, a, "rules.update")); n != 2 { // the seeding's and this one
		t.Errorf("%d rule changes audited", n)
	}
	mustContain(t, m, "Saved rule LevelLow; the appliance has 3 alert rules.", "level_dbfs < -60 (exit -55)         2m0s   30s     critical")

	// n adds one; its errors are named by its position (rules[3]).
	m = keys(t, m, "n")
	mustContain(t, m, "New rule (4 of 4)")
	f = &form{}
	m = f.set(t, m, ruleName, "level high")
	m = f.set(t, m, ruleMetric, "level_dbfs")
	m = f.set(t, m, ruleEnter, "-20")
	m = f.set(t, m, ruleExit, "-25")
	m = save(t, m)
	mustContain(t, m, `✗ "level high" must be a letter or _ followed by letters,`, "digits or _")
	f.at = ruleName
	m = f.set(t, m, ruleName, "LevelHigh")
	m = f.set(t, m, ruleEnter, "minus twenty")
	m = save(t, m) // caught before sending
	mustContain(t, m, "✗ must be a number", "Fix the fields marked ✗.")
	f.at = ruleEnter
	m = f.set(t, m, ruleEnter, "-20")
	m = save(t, m)
	want = api.AlertRule{Name: "LevelHigh", Metric: "level_dbfs", Op: ">", Enter: -20, Exit: -25, For: "1m0s", Severity: "warning"}
	if got := stored(t, a, (*api.Client).Rules); len(got) != 4 || !reflect.DeepEqual(got[3], want) {
		t.Errorf("the appliance has %+v\nwant rule 4 %+v", got, want)
	}
	mustContain(t, m, "Added rule LevelHigh; the appliance has 4 alert rules.", "Rules 4", "▶ LevelHigh")

	// D deletes after a confirmation; n keeps it.
	m = keys(t, m, "D")
	mustContain(t, m, "Delete rule LevelHigh? The appliance's alert rules are replaced without it.  y/n")
	m = keys(t, m, "n")
	if got := stored(t, a, (*api.Client).Rules); len(got) != 4 {
		t.Fatal("n deleted the rule")
	}
	m = keys(t, m, "D")
	m, cmd := step(t, m, press("y"))
	m = settle(t, m, cmd)
	if got := stored(t, a, (*api.Client).Rules); len(got) != 3 || got[2].Name != "LevelLow" {
		t.Errorf("the appliance has %+v", got)
	}
	if n := len(audits(t, a, "rules.update")); n != 4 {
		t.Errorf("%d rule changes audited, want the seeding's and three", n)
	}
	mustContain(t, m, "Deleted rule LevelHigh; 3 left.", "Rules 3")
}

// Receiver form fields, in order (the settings follow).
const (
	recvName = iota
	recvType
	recvLang
	recvResolved
)

func TestEditReceiver(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 120, 40)
	before := stored(t, a, (*api.Client).Receivers)
	m = openSection(t, m, 3)
	m = keys(t, m, "down", "down", "e")
	f := &form{}
	// The webhook's secret reads ****; its URL as it is.
	mustContain(t, m, "Edit receiver scada-hook (3 of 3)", "secret           ****", "url              http://127.0.0.1:")
	if strings.Contains(screenOf(m), "hmac-77aa") {
		t.Errorf("the form shows the secret:\n%s", screenOf(m))
	}
	// Settings follow the type's own order: url, secret, then "+ setting".
	const url, add = 4, 6
	m = f.set(t, m, recvLang, "fr")
	m = f.set(t, m, url, "ftp://scada.plant.local/hook")
	m = save(t, m)
	mustContain(t, m, "✗ must be ko or en")
	f.at = recvLang
	m = f.set(t, m, recvLang, "ko")
	m = save(t, m)
	mustContain(t, m, "✗ must be an http or https URL")
	f.at = url
	golden(t, "receiver_form_invalid_120x40", m.Render())

	// Fixed, with a setting added: the secret goes back as ****, which keeps it.
	m = f.set(t, m, url, "https://scada2.plant.local/hook")
	m = f.set(t, m, add, "rate_limit=10")
	m = keys(t, m, "tab") // leaving "+ setting" adds the field above it and stays
	f.at++
	mustContain(t, m, "rate_limit       10")
	m = save(t, m)
	// The secret sent back as **** kept its value.
	want := api.Receiver{Name: "scada-hook", Type: "webhook", Lang: "ko", SendResolved: true,
		Settings: map[string]any{"url": "https://scada2.plant.local/hook", "secret": "hmac-77aa", "rate_limit": float64(10)}}
	got := stored(t, a, (*api.Client).Receivers)
	if len(got) != 3 || !reflect.DeepEqual(got[2], want) {
		t.Fatalf("the appliance has receivers %+v\nwant receiver 3 %+v", got, want)
	}
	// The other receivers went back as read (an admin reads them whole).
	if !reflect.DeepEqual(got[:2], before[:2]) {
		t.Errorf("other receivers changed: %+v", got[:2])
	}
	mustContain(t, m, "Saved receiver scada-hook; the appliance has 3 receivers.", "secret=hmac-77aa")

	// A new MQTT receiver: leaving the type field adds the type's settings.
	m = keys(t, m, "n")
	mustContain(t, m, "New receiver (4 of 4)", "url ", "secret ")
	f = &form{}
	m = f.set(t, m, recvName, "line-b-mqtt")
	m = f.set(t, m, recvType, "mqtt")
	m = keys(t, m, "tab") // leave the type: broker, username, password replace the webhook's empty url and secret
	f.at++
	mustContain(t, m, "broker ", "username ", "password ")
	if s := screenOf(m); strings.Contains(s, "url   ") || strings.Contains(s, "secret   ") {
		t.Errorf("webhook settings stayed:\n%s", s)
	}
	m = save(t, m)
	mustContain(t, m, "✗ must be a URL like tcp://127.0.0.1:1883")
	f.at = 4 // broker
	m = f.set(t, m, 4, "tcp://broker.plant.local:1883")
	m = save(t, m)
	want = api.Receiver{Name: "line-b-mqtt", Type: "mqtt", Lang: "en", SendResolved: true,
		Settings: map[string]any{"broker": "tcp://broker.plant.local:1883"}}
	if got := stored(t, a, (*api.Client).Receivers); len(got) != 4 || !reflect.DeepEqual(got[3], want) {
		t.Errorf("the appliance has receivers %+v\nwant receiver 4 %+v", got, want)
	}
	mustContain(t, m, "Added receiver line-b-mqtt; the appliance has 4 receivers.")

	// Delete it.
	m = keys(t, m, "D")
	m, cmd := step(t, m, press("y"))
	m = settle(t, m, cmd)
	if got := stored(t, a, (*api.Client).Receivers); len(got) != 3 {
		t.Errorf("the appliance has %d receivers", len(got))
	}
	mustContain(t, m, "Deleted receiver line-b-mqtt; 3 left.")
}

// Maintenance form fields, in order.
const (
	winName = iota
	winDays
	winStart
	winEnd
	winZone
	winMatchers
)

func TestEditMaintenance(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 80, 24)
	before := stored(t, a, (*api.Client).Maintenance)
	m = openSection(t, m, 2)
	m = keys(t, m, "e")
	f := &form{}
	m = f.set(t, m, winDays, "sat, sunny")
	m = f.set(t, m, winStart, "6:00")
	m = f.set(t, m, winZone, "Mars/Olympus")
	m = save(t, m)
	f.at = winDays
	golden(t, "window_form_invalid_80x24", m.Render())
	checkSize(t, m.Render(), 80, 24)
	mustContain(t, m, "✗ #2: must be one of mon, tue, wed, thu, fri, sat, sun", "✗ must be a time of day HH:MM from 00:00 to 23:59",
		"✗ must be an IANA time zone")
	if got := stored(t, a, (*api.Client).Maintenance); !reflect.DeepEqual(got, before) {
		t.Fatalf("the appliance stored a rejected window: %+v", got)
	}

	m = f.set(t, m, winDays, "sat, sun")
	m = f.set(t, m, winStart, "05:30")
	m = f.set(t, m, winZone, "Asia/Seoul")
	m = f.set(t, m, winMatchers, "line=line-a, severity!=critical")
	m = save(t, m)
	want := api.MaintenanceWindow{Name: "weekly-cleaning", Days: []string{"sat", "sun"}, Start: "05:30", End: "08:00", TimeZone: "Asia/Seoul",
		Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-a"}, {Label: "severity", Op: "!=", Value: "critical"}}}
	if got := stored(t, a, (*api.Client).Maintenance); len(got) != 2 || !reflect.DeepEqual(got[0], want) || !reflect.DeepEqual(got[1], before[1]) {
		t.Errorf("the appliance has %+v\nwant window 1 %+v", got, want)
	}
	mustContain(t, m, "Saved maintenance window weekly-cleaning", "sat,sun     05:30–08:00")

	// A new window on every day: days empty is sent as [].
	m = keys(t, m, "n")
	f = &form{}
	m = f.set(t, m, winName, "lunch")
	m = f.set(t, m, winStart, "12:00")
	m = f.set(t, m, winEnd, "13:00")
	m = f.set(t, m, winMatchers, "line=line-b")
	m = save(t, m)
	if got := stored(t, a, (*api.Client).Maintenance); len(got) != 3 || got[2].Name != "lunch" || len(got[2].Days) != 0 || got[2].TimeZone != "UTC" ||
		got[2].Start != "12:00" || got[2].End != "13:00" {
		t.Errorf("the appliance has %+v", got)
	}
	mustContain(t, m, "Added maintenance window lunch", "lunch            every day   12:00–13:00")
}

func TestEditingNeedsAdmin(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 120, 40)
	m = openSection(t, m, 2)
	for _, c := range []struct{ section int }{{2}, {3}, {4}} {
		_ = c
		if s := screenOf(m); strings.Contains(s, "e edit") || strings.Contains(s, "D delete") {
			t.Errorf("an operator is offered editing:\n%s", s)
		}
		m = keys(t, m, "e")
		if !strings.Contains(screenOf(m), "need role admin (you are operator).") {
			t.Errorf("e not refused:\n%s", screenOf(m))
		}
		m = keys(t, m, "n", "D", "v")
	}
	m = keys(t, m, "v", "v", "v", "v") // back on rules
	mustContain(t, m, "Read-only: editing alert rules needs role admin (you are operator).")
	m = keys(t, m, "D")
	mustContain(t, m, "To delete alert rules you need role admin (you are operator).")
	for _, action := range []string{"rules.update", "receivers.update", "maintenance.update"} {
		if n := len(audits(t, a, action)); n != 1 { // the seeding's
			t.Errorf("an operator's keys made %d %s", n-1, action)
		}
	}
}

func TestEditFormsFollowResizes(t *testing.T) {
	m, _ := serve(t, api.RoleAdmin, 80, 24)
	m = openSection(t, m, 3)
	m = keys(t, m, "down", "e") // the receiver with the most settings: 4 fields, 8 settings and "+ setting"
	for _, size := range [][2]int{{60, 15}, {80, 24}, {100, 30}, {160, 50}} {
		m = feed(t, m, sizeMsg(size[0], size[1]))
		checkSize(t, m.Render(), size[0], size[1])
		// The focused field stays in view as the focus moves down a short form.
		for range 12 {
			m = keys(t, m, "tab")
		}
		if !strings.Contains(screenOf(m), "+ setting") {
			t.Errorf("at %dx%d the focused last field is out of view:\n%s", size[0], size[1], screenOf(m))
		}
		m = keys(t, m, "tab") // wraps to the first
		if !strings.Contains(screenOf(m), "Name ") {
			t.Errorf("at %dx%d the first field is out of view:\n%s", size[0], size[1], screenOf(m))
		}
	}
}
