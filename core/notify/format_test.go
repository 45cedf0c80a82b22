package notify

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestDefaultTemplatesGolden renders every channel's text for firing, resolved and test
// messages in both languages and compares with testdata/format_<lang>.golden.
func TestDefaultTemplatesGolden(t *testing.T) {
	clk := newFakeClock()
	f := formatter{loc: time.UTC}
	for _, lang := range []string{LangEnglish, LangKorean} {
		t.Run(lang, func(t *testing.T) {
			firing := sampleMessage(clk, lang)
			resolved := firing
			resolved.Status = StatusResolved
			resolved.Alerts = []AlertInfo{firing.Alerts[0]}
			resolved.Alerts[0].EndsAt = clk.Now().Add(3 * time.Minute)
			test := Message{Key: "t", Receiver: "ops", Status: StatusTest, Severity: SeverityInfo, SentAt: clk.Now()}

			var b strings.Builder
			for _, c := range []struct {
				name string
				m    Message
			}{{"firing", firing}, {"resolved", resolved}, {"test", test}} {
				js := func(v any) string {
					out, err := json.MarshalIndent(v, "", "  ")
					if err != nil {
						t.Fatal(err)
					}
					return string(out)
				}
				fmt.Fprintf(&b, "===== %s\n--- title\n%s\n--- body\n%s\n", c.name, f.title(c.m, lang), f.body(c.m, lang))
				for _, scheme := range []string{"smtp", "slack", "discord", "telegram", "pagerduty"} {
					title, text := f.shoutrrrText(scheme, c.m, lang)
					fmt.Fprintf(&b, "--- shoutrrr %s title\n%s\n--- shoutrrr %s text\n%s\n", scheme, title, scheme, text)
				}
				fmt.Fprintf(&b, "--- jandi\n%s\n", js(f.jandi(c.m, lang)))
				fmt.Fprintf(&b, "--- dooray\n%s\n", js(f.dooray(&DoorayConfig{}, c.m, lang)))
				fmt.Fprintf(&b, "--- sens sms\n%s\n", js(f.sms(&SMSConfig{From: "0212345678", To: []string{"01012345678"}}, c.m, lang)))
				fmt.Fprintf(&b, "--- alimtalk\n%s\n", js(f.alimtalk(&AlimtalkConfig{PlusFriendID: "@sc", TemplateCode: "T", To: []string{"01012345678"}}, c.m, lang)))
				pubs, err := f.mqttPublishes(&MQTTConfig{HomeAssistant: true}, c.m, lang)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pubs {
					fmt.Fprintf(&b, "--- mqtt %s retained=%v\n%s\n", p.topic, p.retained, p.payload)
				}
			}
			path := filepath.Join("testdata", "format_"+lang+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs from the rendering (go test -update to accept):\n%s", path, b.String())
			}
		})
	}
}

func TestTestNotification(t *testing.T) {
	clk := newFakeClock()
	var got []Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m Message
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &m); err != nil {
			t.Error(err)
		}
		if r.Header.Get(HeaderIdempotencyKey) != m.Key {
			t.Errorf("idempotency key header %q, body key %q", r.Header.Get(HeaderIdempotencyKey), m.Key)
		}
		got = append(got, m)
	}))
	defer srv.Close()
	n, _ := newTestNotifier(t, clk)
	r := Receiver{Name: "ops", Type: TypeWebhook, Lang: LangKorean, Webhook: &WebhookConfig{URL: srv.URL}}
	for _, lang := range []string{"", LangEnglish, ""} {
		if err := n.Test(context.Background(), r, lang); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if len(got) != 3 {
		t.Fatalf("got %d test notifications, want 3 (tests are never deduplicated)", len(got))
	}
	if got[0].Title != "SignalCraft 테스트 알림" || got[1].Title != "SignalCraft test notification" || got[0].Status != StatusTest {
		t.Errorf("titles %q, %q status %q", got[0].Title, got[1].Title, got[0].Status)
	}
	if got[0].Key == got[2].Key {
		t.Error("two test notifications share a key")
	}
	if !strings.Contains(got[1].Body, "Receiver: ops") {
		t.Errorf("test body %q", got[1].Body)
	}
}

// TestAlertStatusInMixedMessage: a firing message that also carries resolutions publishes each
// alert with its own status, keeps a machine "firing" only while one of its alerts fires, and
// shows when the resolved ones ended.
func TestAlertStatusInMixedMessage(t *testing.T) {
	clk := newFakeClock()
	f := formatter{loc: time.UTC}
	start, end := clk.Now().Add(-10*time.Minute), clk.Now().Add(-time.Minute)
	m := Message{Key: "k", Receiver: "ops", Status: StatusFiring, Severity: SeverityCritical, SentAt: clk.Now(), Alerts: []AlertInfo{
		{Status: StatusFiring, Machine: "pump-1", Rule: "a", Severity: SeverityWarning, StartsAt: start},
		{Status: StatusResolved, Machine: "pump-1", Rule: "b", Severity: SeverityCritical, StartsAt: start, EndsAt: end},
		{Status: StatusResolved, Machine: "fan-2", Rule: "c", Severity: SeverityCritical, StartsAt: start, EndsAt: end},
	}}
	pubs, err := f.mqttPublishes(&MQTTConfig{}, m, LangEnglish)
	if err != nil {
		t.Fatal(err)
	}
	states, events := map[string]MQTTState{}, map[string]Status{}
	for _, p := range pubs {
		switch {
		case strings.HasSuffix(p.topic, "/state"):
			var s MQTTState
			if err := json.Unmarshal(p.payload, &s); err != nil {
				t.Fatal(err)
			}
			states[p.topic] = s
		case strings.HasSuffix(p.topic, "/alert"):
			var e MQTTEvent
			if err := json.Unmarshal(p.payload, &e); err != nil {
				t.Fatal(err)
			}
			events[e.Rule] = e.Status
		}
	}
	if s := states["signalcraft/pump-1/state"]; s.State != "firing" || s.Rule != "a" || !s.Since.Equal(start) {
		t.Errorf("pump-1 state %+v, want firing by rule a since %v", s, start)
	}
	if s := states["signalcraft/fan-2/state"]; s.State != "resolved" || s.Rule != "c" || !s.Since.Equal(end) {
		t.Errorf("fan-2 state %+v, want resolved (rule c) since %v", s, end)
	}
	if want := map[string]Status{"a": StatusFiring, "b": StatusResolved, "c": StatusResolved}; fmt.Sprint(events) != fmt.Sprint(want) {
		t.Errorf("event statuses %v, want %v", events, want)
	}
	if body := f.body(m, LangEnglish); strings.Count(body, "ended ") != 2 {
		t.Errorf("default body shows %d end times, want 2:\n%s", strings.Count(body, "ended "), body)
	}
}
