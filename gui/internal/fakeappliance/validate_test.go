package fakeappliance

import (
	"context"
	"errors"
	"reflect"
	"signalcraft/core/notify"
	"strings"
	"testing"
	"time"

	"signalcraft/core/api"
)

// fields returns the field names of a 422.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ae *api.Error
	if !api.IsCode(err, api.CodeInvalid) || !errors.As(err, &ae) {
		t.Fatalf("want a 422, got %v", err)
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestPutRulesChecksLikeTheAppliance(t *testing.T) {
	_, c := start(t, Options{Start: t0, Now: func() time.Time { return t0 }})
	ctx := context.Background()
	rs, _ := c.Rules(ctx)
	bad := append([]api.AlertRule(nil), rs...)
	bad[0].Severity = "urgent"
	bad[0].Op = "=="
	bad[1].For = "soon"
	bad[2].SensorStates = []string{"silent", "asleep"}
	bad[3].Summary = map[string]string{"en": "ok", "ko": "{{ .Nope"}
	bad[4].Name = "bad name"
	_, err := c.SetRules(ctx, bad)
	want := []string{"rules[0].op", "rules[0].severity", "rules[1].for", "rules[2].sensor_states[1]", "rules[3].summary.ko", "rules[4].name"}
	if got := fields(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	rs[0].For, rs[0].KeepFiringFor = "90s", "0s"
	got, err := c.SetRules(ctx, rs)
	if err != nil || got[0].For != "1m30s" || got[0].KeepFiringFor != "" {
		t.Errorf("SetRules = %+v, %v", got[0], err)
	}
}

func TestPutMaintenanceNormalisesAndOpens(t *testing.T) {
	now := time.Date(2025, 6, 7, 0, 30, 0, 0, time.UTC) // Saturday 09:30 in Seoul
	_, c := start(t, Options{Start: t0, Now: func() time.Time { return now }})
	ctx := context.Background()
	_, err := c.SetMaintenance(ctx, []api.MaintenanceWindow{{Name: "", Days: []string{"someday"}, Start: "7:00", End: "24:30", TimeZone: "Local",
		Matchers: []api.Matcher{{Label: "machine", Op: "=~", Value: "("}}}})
	want := []string{"maintenance[0].name", "maintenance[0].days[0]", "maintenance[0].start", "maintenance[0].end", "maintenance[0].time_zone", "maintenance[0].matchers[0].value"}
	if got := fields(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	ws, err := c.SetMaintenance(ctx, []api.MaintenanceWindow{
		{Name: "cleaning", Days: []string{"Saturday", "mon"}, Start: "09:00", End: "10:00", TimeZone: "Asia/Seoul", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: Pump}}},
		{Name: "all week", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "22:00", End: "02:00"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ws[0].Days, []string{"mon", "sat"}) || !ws[0].Open || len(ws[1].Days) != 0 || ws[1].TimeZone != "UTC" || !ws[1].Open {
		t.Errorf("windows %+v", ws)
	}
	as, _ := c.Alerts(ctx, api.AlertFilter{Machine: Pump})
	if !as[0].Silenced || !reflect.DeepEqual(as[0].MutedBy, []string{"maintenance:cleaning", "maintenance:all week"}) {
		t.Errorf("pump alert in the open window: %+v", as[0])
	}
}

func TestWindowOpen(t *testing.T) {
	seoul := func(d, h, m int) time.Time { return time.Date(2025, 6, d, h, m, 0, 0, time.FixedZone("KST", 9*3600)) } // June 2 is a Monday
	w := api.MaintenanceWindow{Days: []string{"mon"}, Start: "23:00", End: "01:00", TimeZone: "Asia/Seoul"}
	tests := []struct {
		t    time.Time
		want bool
	}{
		{seoul(2, 22, 59), false}, {seoul(2, 23, 0), true}, {seoul(3, 0, 59), true}, {seoul(3, 1, 0), false}, {seoul(3, 23, 30), false},
	}
	for _, tt := range tests {
		if got := WindowOpen(w, tt.t); got != tt.want {
			t.Errorf("WindowOpen(%v) = %v", tt.t, got)
		}
	}
}

func TestReceiversMaskedAndKept(t *testing.T) {
	f, c := start(t, Options{Start: t0, Now: func() time.Time { return t0 }, Role: api.RoleViewer})
	ctx := context.Background()
	rs, _ := c.Receivers(ctx)
	hs, _ := rs[1].Settings["headers"].(map[string]any)
	if rs[0].Settings["secret_key"] != Masked || rs[1].Settings["secret"] != Masked || hs["Authorization"] != Masked || hs["X-Plant"] != "A" ||
		rs[3].Settings["password"] != Masked || rs[0].Settings["access_key"] == Masked {
		t.Errorf("viewer reads %+v", rs)
	}
	f.SetRole(api.RoleAdmin)
	// Sent back as read, secrets keep their values; a changed one replaces it.
	rs[0].Settings["to"] = []any{"01099998888"}
	rs[3].Settings["password"] = "new-pw"
	got, err := c.SetReceivers(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	hs, _ = got[1].Settings["headers"].(map[string]any)
	if got[0].Settings["secret_key"] != "sk3Jx9Qa7Lm2Vb8N" || got[1].Settings["secret"] != "whsec_81ab4f" || hs["Authorization"] != "Bearer cmms_7f3e" ||
		got[3].Settings["password"] != "new-pw" || !reflect.DeepEqual(got[0].Settings["to"], []any{"01099998888"}) {
		t.Errorf("admin reads back %+v", got)
	}

	bad := []api.Receiver{
		{Name: "a", Type: "fax"},
		{Name: "b", Type: "webhook", Settings: map[string]any{"url": "ftp://x"}},
		{Name: "c", Type: "mqtt", Settings: map[string]any{"broker": "tcp://h:1883", "topic": "x"}},
		{Name: "d d", Type: "jandi", Settings: map[string]any{"url": "https://wh.jandi.com/x"}},
		{Name: "e", Type: "sens_sms", Lang: "jp", Settings: map[string]any{}},
		{Name: "f", Type: "kakao_alimtalk", Settings: map[string]any{"service_id": "s", "access_key": "a", "secret_key": "k", "plus_friend_id": "@p", "template_code": "t", "to": []any{"010-1"}}},
		{Name: "f", Type: "dooray", Settings: map[string]any{"url": "https://hook.dooray.com/x"}},
	}
	_, err = c.SetReceivers(ctx, bad)
	want := []string{"receivers[0].type", "receivers[1].settings.url", "receivers[2].settings", "receivers[3].name", "receivers[4].lang",
		"receivers[5].settings.to", "receivers[6].name"}
	if got := fields(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestMaskURL(t *testing.T) {
	tests := []struct {
		in   string
		path bool
		want string
	}{
		{"https://user:pw@host/a?token=abc&x=1", false, "https://****:****@host/a?token=****&x=1"},
		{"https://hooks.example/services/T01ABC234DEF5678/x", false, "https://hooks.example/services/****/x"},
		{"https://wh.jandi.com/connect-api/webhook/1/abc", true, "https://wh.jandi.com/****"},
		{"not a url", false, Masked},
	}
	for _, tt := range tests {
		if got := notify.RedactURL(tt.in, tt.path); got != tt.want {
			t.Errorf("notify.RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSilenceFieldNames(t *testing.T) {
	now := t0
	fs := ValidateSilence(api.Silence{Matchers: []api.Matcher{{Label: "1x", Op: "~", Value: "a"}, {Label: "machine", Op: "=~", Value: "("}},
		EndsAt: now.Add(-time.Minute), Comment: strings.Repeat("x", 1001)}, now)
	var got []string
	for _, f := range fs {
		got = append(got, f.Field)
	}
	want := []string{"matchers[0].label", "matchers[0].op", "matchers[1].value", "ends_at", "comment"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	if fs := ValidateSilence(api.Silence{Matchers: []api.Matcher{{Label: "machine", Op: "!=", Value: "x"}}, EndsAt: now.Add(time.Hour)}, now); len(fs) != 1 || fs[0].Field != "matchers" {
		t.Errorf("a silence of every alert: %+v", fs)
	}
}
