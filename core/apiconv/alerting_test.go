package apiconv

import (
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/notify"
)

func fieldNames(fs []wire.FieldError) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Field)
	}
	return out
}

func TestSilenceFromWire(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	pump := wire.Matcher{Label: "machine", Op: "=", Value: "pump-1"}
	tests := []struct {
		name string
		in   wire.Silence
		want []string
	}{
		{"valid", wire.Silence{Matchers: []wire.Matcher{pump}, EndsAt: now.Add(time.Hour)}, []string{}},
		{"no matchers", wire.Silence{EndsAt: now.Add(time.Hour)}, []string{"matchers"}},
		{"bad label", wire.Silence{Matchers: []wire.Matcher{{Label: "1x", Op: "=", Value: "a"}}, EndsAt: now.Add(time.Hour)}, []string{"matchers[0].label"}},
		{"bad op", wire.Silence{Matchers: []wire.Matcher{pump, {Label: "rule", Op: "~", Value: "a"}}, EndsAt: now.Add(time.Hour)}, []string{"matchers[1].op"}},
		{"bad regexp", wire.Silence{Matchers: []wire.Matcher{{Label: "rule", Op: "!~", Value: "a("}}, EndsAt: now.Add(time.Hour)}, []string{"matchers[0].value"}},
		{"matches everything", wire.Silence{Matchers: []wire.Matcher{{Label: "rule", Op: "=~", Value: ".*"}}, EndsAt: now.Add(time.Hour)}, []string{"matchers"}},
		{"no end", wire.Silence{Matchers: []wire.Matcher{pump}}, []string{"ends_at"}},
		{"end before start", wire.Silence{Matchers: []wire.Matcher{pump}, StartsAt: now.Add(2 * time.Hour), EndsAt: now.Add(time.Hour)}, []string{"ends_at"}},
		{"in the past", wire.Silence{Matchers: []wire.Matcher{pump}, StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour)}, []string{"ends_at"}},
		{"long comment", wire.Silence{Matchers: []wire.Matcher{pump}, EndsAt: now.Add(time.Hour), Comment: strings.Repeat("x", 1001)}, []string{"comment"}},
	}
	for _, tt := range tests {
		s, fs := SilenceFromWire(tt.in, now)
		if got := fieldNames(fs); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fields %q, want %q", tt.name, got, tt.want)
		}
		if len(tt.want) == 0 && (!s.StartsAt.Equal(now) || len(s.Matchers) != 1 || !s.Matchers.Matches(alert.Labels{"machine": "pump-1"})) {
			t.Errorf("%s: converted %+v", tt.name, s)
		}
	}
}

func TestRulesFromWire(t *testing.T) {
	old := alert.DefaultConfig().Rules
	in := make([]wire.AlertRule, len(old))
	for i, r := range old {
		in[i] = RuleToWire(r)
	}
	back, fs := RulesFromWire(in, old)
	if len(fs) != 0 {
		t.Fatalf("round trip of the default rules: %v", fs)
	}
	for i := range old {
		if back[i].Name != old[i].Name || back[i].For != old[i].For || back[i].NoData != old[i].NoData ||
			back[i].Annotations["ko"]["description"] != old[i].Annotations["ko"]["description"] || (old[i].Expr.Exit != nil) != (back[i].Expr.Exit != nil) {
			t.Errorf("rule %d after a round trip: %+v, want %+v", i, back[i], old[i])
		}
	}

	bad := slices.Clone(in)
	bad[0].Severity = "fatal"
	bad[1].Op = "=="
	bad[2].For = "ten seconds"
	bad[3].Summary = map[string]string{"en": "{{.Nope}}"}
	bad[4].Name = bad[0].Name
	_, fs = RulesFromWire(bad, old)
	want := []string{"rules[2].for", "rules[0].severity", "rules[1].op", "rules[3].summary.en", "rules[4].name"}
	if got := fieldNames(fs); !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}

	// A language dropped from the summary drops its description too.
	one := []wire.AlertRule{in[0]}
	one[0].Summary = map[string]string{"en": "{{.Machine}}!"}
	rs, fs := RulesFromWire(one, old)
	if len(fs) != 0 || len(rs[0].Annotations) != 1 || rs[0].Annotations["en"]["description"] == "" || rs[0].Annotations["en"]["summary"] != "{{.Machine}}!" {
		t.Errorf("one language: %+v, %v", rs[0].Annotations, fs)
	}
}

func TestWindowsRoundTrip(t *testing.T) {
	now := time.Date(2025, 3, 3, 3, 30, 0, 0, time.UTC) // Monday 12:30 in Seoul, and still Sunday night's window in UTC
	in := []alert.MaintenanceWindow{{Name: "lunch", Schedule: "Mon-Fri 12:00-13:00 Asia/Seoul"},
		{Name: "weekend", Days: []string{"Sat", "sun"}, Start: "22:00", End: "06:00", Matchers: alert.Matchers{alert.MustMatcher(alert.MatchEqual, "line", "A")}}}
	var ws []wire.MaintenanceWindow
	for _, w := range in {
		ws = append(ws, WindowToWire(w, now))
	}
	if got := ws[0]; !slices.Equal(got.Days, []string{"mon", "tue", "wed", "thu", "fri"}) || got.Start != "12:00" || got.TimeZone != "Asia/Seoul" || !got.Open {
		t.Errorf("lunch %+v", got)
	}
	if got := ws[1]; !slices.Equal(got.Days, []string{"sat", "sun"}) || got.TimeZone != "UTC" || !got.Open || got.Matchers[0].Label != "line" {
		t.Errorf("weekend %+v", got)
	}
	back, fs := WindowsFromWire(ws)
	if len(fs) != 0 {
		t.Fatal(fs)
	}
	for i := range in {
		if back[i].Active(now) != in[i].Active(now) || back[i].Active(now.Add(-5*time.Hour)) != in[i].Active(now.Add(-5*time.Hour)) {
			t.Errorf("window %d changed in a round trip: %+v", i, back[i])
		}
	}
	_, fs = WindowsFromWire([]wire.MaintenanceWindow{{Name: "a", Start: "10:00", End: "10:00"}, {Name: "a", Start: "1:00", End: "24:01",
		Matchers: []wire.Matcher{{Label: "x", Op: "=~", Value: "["}}}})
	want := []string{"maintenance[0].end", "maintenance[1].name", "maintenance[1].start", "maintenance[1].end", "maintenance[1].matchers[0].value"}
	if got := fieldNames(fs); !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func TestReceiversFromWire(t *testing.T) {
	old := []notify.Receiver{{Name: "ops-hook", Type: notify.TypeWebhook, SendResolved: true, RateLimit: 30,
		Webhook: &notify.WebhookConfig{URL: "https://hooks.plant.local/services/T0123/B4567/abcdefghijklmnop1234",
			Secret: "whsec-0123456789", Headers: map[string]string{"X-Api-Token": "tok-998877"}}},
		{Name: "ops-mqtt", Type: notify.TypeMQTT, MQTT: &notify.MQTTConfig{Broker: "tcp://127.0.0.1:1883", Username: "sc", Password: "mq-pass"}}}
	var masked []wire.Receiver
	for _, r := range old {
		masked = append(masked, ReceiverToWire(r.Redacted()))
	}
	hook := masked[0].Settings
	if hook["secret"] != "****" || hook["headers"].(map[string]any)["X-Api-Token"] != "****" || hook["rate_limit"] != 30 ||
		!strings.Contains(hook["url"].(string), "****") || masked[1].Settings["password"] != "****" {
		t.Fatalf("masked %+v", masked)
	}
	// Through JSON, as a client would send them back.
	back, fs := ReceiversFromWire(roundTrip(t, masked), old)
	if len(fs) != 0 {
		t.Fatal(fs)
	}
	if back[0].Webhook.Secret != old[0].Webhook.Secret || back[0].Webhook.URL != old[0].Webhook.URL ||
		back[0].Webhook.Headers["X-Api-Token"] != "tok-998877" || back[0].RateLimit != 30 || back[1].MQTT.Password != "mq-pass" {
		t.Errorf("secrets not kept: %+v %+v", back[0].Webhook, back[1].MQTT)
	}
	// A masked value under another name has nothing to keep.
	renamed := roundTrip(t, masked[1:])
	renamed[0].Name = "new-mqtt"
	if back, _ := ReceiversFromWire(renamed, old); back[0].MQTT.Password != "****" {
		t.Errorf("renamed receiver took a stored secret: %+v", back[0].MQTT)
	}

	bad := roundTrip(t, masked)
	bad[0].Settings["url"] = "ftp://x"
	bad[1].Type = "pigeon"
	bad = append(bad, wire.Receiver{Name: "x", Type: "webhook", Settings: map[string]any{"url": "https://a.example", "colour": "red"}},
		wire.Receiver{Name: "y", Type: "webhook", Lang: "fr", Settings: map[string]any{"url": "https://a.example", "rate_limit": -1}},
		wire.Receiver{Name: "y", Type: "jandi", Settings: map[string]any{}})
	_, fs = ReceiversFromWire(bad, old)
	want := []string{"receivers[0].settings.url", "receivers[1].type", "receivers[2].settings", "receivers[3].settings.rate_limit",
		"receivers[3].lang", "receivers[4].name", "receivers[4].settings.url"}
	if got := fieldNames(fs); !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func roundTrip(t *testing.T, rs []wire.Receiver) []wire.Receiver {
	t.Helper()
	var out []wire.Receiver
	if err := strictDecode(rs, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
