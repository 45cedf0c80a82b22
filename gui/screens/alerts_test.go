package screens

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/conn"
	"signalcraft/gui/i18n"
)

// enabled returns the first enabled button with text, failing the test if none.
func enabled(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	for _, b := range buttons(w, text) {
		if !b.Disabled() {
			return b
		}
	}
	t.Fatalf("no enabled %q button", text)
	return nil
}

// dialogButton returns the button with text in the top overlay (the dialog).
func dialogButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	var got *widget.Button
	walk(w.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			got = b
		}
	})
	if got == nil {
		t.Fatalf("the dialog has no %q button", text)
	}
	return got
}

func dialogEntry(w fyne.Window, multiLine bool) *widget.Entry {
	var got *widget.Entry
	walk(w.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.MultiLine == multiLine && got == nil && !e.Disabled() {
			got = e
		}
	})
	return got
}

func TestAlertsTabCardsAndBadge(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	if got := r.ui.TabTitle(TabAlerts); got != "Alerts (1)" {
		t.Errorf("alerts tab = %q, want the badge with 1 firing alert", got)
	}
	r.ui.SelectTab(TabAlerts)
	all := texts(r.win)
	for _, want := range []string{
		"Alerts needing attention: 1",
		"Firing now (2)", "Notifications off (3)",
		"CRITICAL", "WARNING", "Muted", "Pending", "Noticed at 08:00:15 — waiting to be sure before alarming",
		"Feed pump 2", "pump-2 sounds very different from normal (2.05× threshold) — check the machine now",
		"Since 08:00:25 (15s ago)", "Not acknowledged yet",
		"Notifications silenced until 2025-06-03 06:00 by lee — “microphone on order, arrives tomorrow”",
		"Notifications off: maintenance window “Line C overhaul” is open.",
		"Notifications held back: caused by “The microphone hears nothing — unplugged or muted?” on the same machine.",
		// Silences and maintenance windows.
		"Machine: Conveyor motor 4\nAlert: The microphone hears nothing — unplugged or muted?",
		"Until 2025-06-03 06:00 (21h 59m left)", "By lee — “microphone on order, arrives tomorrow”",
		"Line C overhaul", "every day, 00:00–23:59 (Asia/Seoul)", "Open now", "Sat, 06:00–10:00 (Asia/Seoul)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("alerts tab lacks %q", want)
		}
	}
	if n := len(buttons(r.win, "Acknowledge")); n != 5 {
		t.Errorf("%d Acknowledge buttons, want one per unresolved alert (5: the pump's warning is pending)", n)
	}
}

func TestAcknowledgeAlertSendsRequest(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "Acknowledge")) // the pump's: firing alerts come first
	comment := dialogEntry(r.win, true)
	if comment == nil {
		t.Fatal("the acknowledge dialog has no comment box")
	}
	test.Type(comment, "on my way")
	test.Tap(dialogButton(t, r.win, "Acknowledge"))
	if a := r.alert(t, "anomaly_critical", pump); a.AcknowledgedBy != "floor-tablet" || a.AckComment != "on my way" {
		t.Fatalf("the appliance has the pump's alert as %+v", a)
	}
	if r.win.Canvas().Overlays().Top() != nil {
		t.Error("dialog still open after a successful acknowledge")
	}
	if !strings.Contains(texts(r.win), "Acknowledged by floor-tablet at 08:00:40 — “on my way”") {
		t.Error("the alert card does not show the acknowledgement")
	}
	if !strings.Contains(r.ui.CriticalBanner(), "(acknowledged by floor-tablet)") {
		t.Errorf("banner = %q, want it to say who acknowledged", r.ui.CriticalBanner())
	}
}

func TestSilenceOneHourSendsMatchersAndEnd(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "Silence for…"))
	comment := dialogEntry(r.win, false)
	if comment == nil {
		t.Fatal("the silence dialog has no comment entry")
	}
	test.Type(comment, "bearing swap at 10:00")
	test.Tap(dialogButton(t, r.win, "Silence")) // "1 hour" is preselected
	sl := r.silenceWith(t, "bearing swap at 10:00")
	r.settle(t) // the appliance mutes at its next tick
	want := []api.Matcher{{Label: "machine", Op: "=", Value: pump}, {Label: "alertname", Op: "=", Value: "anomaly_critical"}}
	if len(sl.Matchers) != 2 || sl.Matchers[0] != want[0] || sl.Matchers[1] != want[1] {
		t.Errorf("matchers %+v, want %+v", sl.Matchers, want)
	}
	if !sl.StartsAt.Equal(r.now) || !sl.EndsAt.Equal(r.now.Add(time.Hour)) {
		t.Errorf("silence %v … %v, want %v … %v", sl.StartsAt, sl.EndsAt, r.now, r.now.Add(time.Hour))
	}
	if sl.CreatedBy != "floor-tablet" || sl.State != "active" {
		t.Errorf("silence by %q, %s", sl.CreatedBy, sl.State)
	}
	// The appliance now mutes the pump: no badge, no banner, card muted with the reason.
	if got := r.ui.TabTitle(TabAlerts); got != "Alerts" {
		t.Errorf("tab after silencing = %q", got)
	}
	if b := r.ui.CriticalBanner(); b != "" {
		t.Errorf("critical banner after silencing = %q", b)
	}
	if !strings.Contains(texts(r.win), "Notifications silenced until 09:00:40 by floor-tablet — “bearing swap at 10:00”") {
		t.Error("the pump's card does not say it is silenced and why")
	}
}

func TestSilenceEnd(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	seoul := time.FixedZone("KST", 9*3600)
	r.ui.opt.Location = seoul // r.now is 17:00:40 in Seoul
	tests := []struct {
		choice  int
		custom  string
		want    time.Time
		wantErr string
	}{
		{0, "", r.now.Add(time.Hour), ""},
		{1, "", r.now.Add(8 * time.Hour), ""},
		{2, "", time.Date(2025, 6, 3, 8, 0, 0, 0, seoul), ""},
		{3, " 2025-06-02 19:30 ", time.Date(2025, 6, 2, 19, 30, 0, 0, seoul), ""},
		{3, "2025-06-02 16:00", time.Time{}, "Choose a time in the future."},
		{3, "tomorrow", time.Time{}, "Write the end as YYYY-MM-DD HH:MM"},
	}
	for _, tt := range tests {
		got, err := r.ui.silenceEnd(tt.choice, tt.custom)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("choice %d %q: error %v, want %q", tt.choice, tt.custom, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("choice %d %q = %v, %v; want %v", tt.choice, tt.custom, got, err, tt.want)
		}
	}
}

func TestExpireSilence(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "End now"))
	test.Tap(dialogButton(t, r.win, "End now"))
	if sl := r.silenceWith(t, "microphone on order, arrives tomorrow"); sl.State != "expired" {
		t.Fatalf("the conveyor's silence is %s after ending it", sl.State)
	}
	r.settle(t)
	if got := r.ui.TabTitle(TabAlerts); got != "Alerts (2)" {
		t.Errorf("after the conveyor's silence ended the tab = %q, want 2 firing", got)
	}
	if len(buttons(r.win, "End now")) != 0 {
		t.Error("an End now button is left though no silence is active")
	}
}

func TestAlertDetailsShowDeliveries(t *testing.T) {
	r := sharedRig(t, api.RoleViewer, i18n.English)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "Details")) // viewers may look
	all := texts(r.win)
	for _, want := range []string{
		"Who was notified",
		"cmms-webhook — alarm · 08:00:40", "Failed, will try again · tries: 1",
		"Error: " + r.cmmsDown(),
	} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q", want)
		}
	}
}

func TestAlertsRoleGating(t *testing.T) {
	r := sharedRig(t, api.RoleViewer, i18n.English)
	r.ui.SelectTab(TabAlerts)
	for _, text := range []string{"Acknowledge", "Silence for…", "End now"} {
		bs := buttons(r.win, text)
		if len(bs) == 0 {
			t.Errorf("no %q button shown to a viewer", text)
		}
		for _, b := range bs {
			if !b.Disabled() {
				t.Errorf("%q enabled for a viewer", text)
			}
		}
	}
	all := texts(r.win)
	for _, want := range []string{
		"A viewer cannot acknowledge or silence alerts: an operator or administrator can.",
		"A viewer cannot end silences: an operator or administrator can.",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no explanation %q", want)
		}
	}

	// Operators may silence but not test receivers or retry jobs.
	r = sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabNotifications)
	for _, text := range []string{"Send test notification", "Retry", "Edit", "Delete", "Add receiver"} {
		bs := buttons(r.win, text)
		if len(bs) == 0 {
			t.Errorf("no %q button shown to an operator", text)
		}
		for _, b := range bs {
			if !b.Disabled() {
				t.Errorf("%q enabled for an operator", text)
			}
		}
	}
	all = texts(r.win)
	if !strings.Contains(all, "Needs an administrator.") ||
		!strings.Contains(all, "You are signed in as operator: only an administrator can change receivers, send test notifications") {
		t.Error("no explanation why the notification buttons are disabled")
	}
}

func TestNotificationsAdmin(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabNotifications)
	all := texts(r.win)
	for _, want := range []string{
		"floor-kakao", "Type: KakaoTalk (Alimtalk)\nSends to: 01012345678, 01087654321\nLanguage: 한국어\nAlso told when it is back to normal",
		"Sends to: " + cmmsURL, "Sends to: tcp://scada.plant.local:1883",
		"night-shift-sms", "Not told when it is back to normal",
		"Notifications", "Waiting", "Retrying", "Failed",
		"Job 1 · 08:00:40 · tries: 1", // the conveyor's, which the CMMS refused

	} {
		if !strings.Contains(all, want) {
			t.Errorf("notifications tab lacks %q", want)
		}
	}
	// The webhook is the second receiver; its test fails.
	tests := buttons(r.win, "Send test notification")
	if len(tests) != 4 {
		t.Fatalf("%d test buttons, want 4", len(tests))
	}
	n := r.cmms.received.Load()
	test.Tap(tests[1]) // the CMMS is down
	if r.cmms.received.Load() != n+1 {
		t.Fatalf("the appliance sent %d test notifications to the CMMS, want 1", r.cmms.received.Load()-n)
	}
	if all := texts(r.win); !strings.Contains(all, "✗ Test failed: "+r.cmmsDown()) {
		t.Errorf("the failed test is not shown:\n%s", all)
	}
	r.cmms.up.Store(true)
	test.Tap(tests[1]) // and back
	if all := texts(r.win); !strings.Contains(all, "✓ Test delivered at 08:00:40") {
		t.Errorf("the delivered test is not shown:\n%s", all)
	}

	n = r.cmms.received.Load()
	test.Tap(enabled(t, r.win, "Retry")) // the fan's notification the CMMS refused
	r.Wait(t, "the retried notification", func() bool { return r.cmms.received.Load() > n })
	// Results survive a reload.
	if !strings.Contains(texts(r.win), "✓ Test delivered") {
		t.Error("test result lost on reload")
	}
}

func TestCriticalBannerOnOverview(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	want := "CRITICAL — Feed pump 2: pump-2 sounds very different from normal (2.05× threshold) — check the machine now"
	if got := r.ui.CriticalBanner(); got != want {
		t.Fatalf("banner = %q, want %q", got, want)
	}
	test.Tap(buttons(r.win, "Show alerts")[0])
	if r.ui.tabIndex != TabAlerts {
		t.Errorf("Show alerts opened tab %d", r.ui.tabIndex)
	}
	r.ui.SetLang(i18n.Korean)
	if got := r.ui.CriticalBanner(); got != "긴급 — Feed pump 2: pump-2 소리가 평소와 크게 다릅니다 (임계값의 2.05배) — 지금 설비를 점검하세요" {
		t.Errorf("Korean banner = %q", got)
	}
}

func TestLanguageSwitchRelabelsAlerts(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabAlerts)
	r.ui.SetLang(i18n.Korean)
	if got := r.ui.TabTitle(TabAlerts); got != "경보 (1)" {
		t.Errorf("alerts tab in Korean = %q", got)
	}
	if got := r.ui.TabTitle(TabNotifications); got != "알림" {
		t.Errorf("notifications tab in Korean = %q", got)
	}
	all := texts(r.win)
	for _, want := range []string{"긴급", "주의", "발생 중", "알림 꺼짐", "pump-2 소리가 평소와 크게 다릅니다 (임계값의 2.05배) — 지금 설비를 점검하세요",
		"확인", "알림 끄기…", "자세히", "알림 꺼짐: 정비 시간 “Line C overhaul” 중입니다.", "지금 끝내기"} {
		if !strings.Contains(all, want) {
			t.Errorf("Korean alerts tab lacks %q", want)
		}
	}
	for _, gone := range []string{"CRITICAL", "Silence for…", "Details"} {
		if strings.Contains(all, gone) {
			t.Errorf("Korean alerts tab still shows %q", gone)
		}
	}
	r.ui.SetLang(i18n.English)
	if got := r.ui.TabTitle(TabAlerts); got != "Alerts (1)" {
		t.Errorf("back in English: %q", got)
	}
}

// An appliance that does not serve the alerting routes yet still works: the real one behind
// a proxy that answers 404 to them, as an older appliance does.
func TestAlertsUnsupportedAppliance(t *testing.T) {
	test.NewTempApp(t)
	pl := startPlant(t)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(q *httputil.ProxyRequest) { q.Out.URL.Scheme, q.Out.URL.Host = "http", "appliance" },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", pl.Socket)
		}},
	}
	old := http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		for _, rt := range api.AlertRoutes {
			if p := strings.Split(rt.Path, "{")[0]; strings.HasPrefix(q.URL.Path, p) {
				http.NotFound(w, q)
				return
			}
		}
		proxy.ServeHTTP(w, q)
	})
	srv := httptest.NewServer(old)
	t.Cleanup(srv.Close)
	p := conn.Profile{Name: "Old", URL: srv.URL}
	c, err := p.Client()
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1100, 720))
	u := New(w, Options{Go: func(f func()) { f() }, Now: func() time.Time { return t0.Add(time.Minute) }})
	w.SetContent(u.Content())
	u.Connect(p, c, false)
	if len(u.machines) != 5 || u.BannerText() != "" {
		t.Fatalf("machines %d, banner %q", len(u.machines), u.BannerText())
	}
	u.SelectTab(TabAlerts)
	if !strings.Contains(texts(w), "This appliance does not report alerts yet") {
		t.Error("no note that the appliance has no alerts")
	}
	if u.TabTitle(TabAlerts) != "Alerts" || u.CriticalBanner() != "" {
		t.Errorf("tab %q, banner %q", u.TabTitle(TabAlerts), u.CriticalBanner())
	}
}

// The appliance's rules have templated summaries ({{.Machine}} …); the banner, the cards
// and the acknowledge dialog show the alert's rendered summary in the UI's language, never
// the template (issue 9).
func TestAlertSummariesRenderedNotTemplates(t *testing.T) {
	for _, tt := range []struct {
		lang i18n.Lang
		want string
	}{
		{i18n.English, "pump-2 sounds very different from normal (2.05× threshold) — check the machine now"},
		{i18n.Korean, "pump-2 소리가 평소와 크게 다릅니다 (임계값의 2.05배) — 지금 설비를 점검하세요"},
	} {
		r := sharedRig(t, api.RoleOperator, tt.lang)
		if b := r.ui.CriticalBanner(); !strings.HasSuffix(b, "Feed pump 2: "+tt.want) {
			t.Errorf("%s banner = %q, want it to end with %q", tt.lang, b, tt.want)
		}
		r.ui.SelectTab(TabAlerts)
		test.Tap(enabled(t, r.win, r.ui.T("event.acknowledge")))
		all := texts(r.win)
		if strings.Contains(all, "{{") || strings.Contains(r.ui.CriticalBanner(), "{{") {
			t.Errorf("%s: a template is shown:\n%s", tt.lang, all)
		}
		if !strings.Contains(all, "Feed pump 2 — "+tt.want) {
			t.Errorf("%s acknowledge dialog lacks %q", tt.lang, "Feed pump 2 — "+tt.want)
		}
		// A silence of the rule is described with the words of its alert, not the template.
		ms := []api.Matcher{{Label: "machine", Op: "=", Value: pump}, {Label: "alertname", Op: "=", Value: "anomaly_critical"}}
		if got := r.ui.describeMatchers(ms); !strings.HasSuffix(got, r.ui.T("match.alert", tt.want)) {
			t.Errorf("%s silence described as %q", tt.lang, got)
		}
		ms[0].Value = fan // no alert of the rule there: its name
		if got := r.ui.describeMatchers(ms); !strings.HasSuffix(got, r.ui.T("match.alert", "anomaly_critical")) {
			t.Errorf("%s silence without an alert described as %q", tt.lang, got)
		}
	}
}

// An older appliance sends no annotations: the alert's own (rendered) summary is shown,
// and a rule summary only when it is plain text.
func TestAlertSummaryFallbacks(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.Korean)
	r.ui.al.rules = map[string]api.AlertRule{
		"tmpl":  {Name: "tmpl", Summary: map[string]string{"ko": "{{.Machine}} 이상음"}},
		"plain": {Name: "plain", Summary: map[string]string{"ko": "평소와 다릅니다"}},
	}
	tests := []struct {
		a    api.Alert
		want string
	}{
		{api.Alert{Rule: "tmpl", Summary: "pump-2 sounds unusual",
			Annotations: map[string]map[string]string{"ko": {"summary": "pump-2 이상음"}, "en": {"summary": "pump-2 sounds unusual"}}}, "pump-2 이상음"},
		{api.Alert{Rule: "tmpl", Summary: "pump-2 sounds unusual"}, "pump-2 sounds unusual"},
		{api.Alert{Rule: "tmpl", Annotations: map[string]map[string]string{"en": {"summary": "pump-2 sounds unusual"}}}, "pump-2 sounds unusual"},
		{api.Alert{Rule: "plain", Summary: "pump-2 sounds different"}, "평소와 다릅니다"},
		{api.Alert{Rule: "tmpl"}, "tmpl"},
	}
	for _, tt := range tests {
		if got := r.ui.summary(tt.a); got != tt.want {
			t.Errorf("summary(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestGoldenAlerts(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.win.Resize(fyne.NewSize(1280, 900))
	r.ui.SelectTab(TabAlerts)
	golden(t, r.win, "alerts.png")
}

func TestGoldenAlertsKorean(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.Korean)
	r.win.Resize(fyne.NewSize(1280, 900))
	r.ui.SelectTab(TabAlerts)
	golden(t, r.win, "alerts-ko.png")
}

func TestGoldenNotifications(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.win.Resize(fyne.NewSize(1280, 800))
	r.ui.SelectTab(TabNotifications)
	golden(t, r.win, "notifications.png")
}

// One acknowledgement settles an anomaly (issue 9): acknowledging the pump's open event
// says it takes the alert along, and afterwards the alert card and the banner show the
// acknowledgement without a second action.
func TestAcknowledgeEventSettlesItsAlert(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.ShowMachine(pump)
	test.Tap(enabled(t, r.win, "Acknowledge"))
	want := "Its alert is acknowledged with it: pump-2 sounds very different from normal (2.05× threshold) — check the machine now"
	if !strings.Contains(texts(r.win), want) {
		t.Errorf("the acknowledge dialog does not say the alert goes with it (%q)", want)
	}
	test.Tap(dialogButton(t, r.win, "Acknowledge"))
	if a := r.alert(t, "anomaly_critical", pump); a.AcknowledgedBy != "floor-tablet" {
		t.Errorf("the appliance did not acknowledge the pump's alert with its event: %+v", a)
	}
	if !strings.Contains(r.ui.CriticalBanner(), "(acknowledged by floor-tablet)") {
		t.Errorf("banner after acknowledging the event = %q", r.ui.CriticalBanner())
	}
	r.ui.SelectTab(TabAlerts)
	if b := buttons(r.win, "Acknowledge"); len(b) == 0 || !b[0].Disabled() {
		t.Error("the pump's alert can still be acknowledged after its event was")
	}
	if !strings.Contains(texts(r.win), "Acknowledged by floor-tablet at 08:00:40") {
		t.Error("the alert card does not show the acknowledgement")
	}
}

// And the reverse: acknowledging the alert settles its event in the lists shown.
func TestAcknowledgeAlertSettlesItsEvent(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.Korean)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "확인"))
	if want := "이 경보의 원인인 설비 이상 이벤트도 함께 확인됩니다."; !strings.Contains(texts(r.win), want) {
		t.Errorf("the acknowledge dialog does not say the event goes with it (%q)", want)
	}
	test.Tap(dialogButton(t, r.win, "확인"))
	for _, e := range r.ui.events {
		if e.ID == r.openEvent && e.AcknowledgedAt == nil {
			t.Errorf("event %d still unacknowledged in the list after its alert was acknowledged", e.ID)
		}
	}
	r.ui.ShowMachine(pump)
	if b := buttons(r.win, "확인"); len(b) == 0 || !b[0].Disabled() {
		t.Error("the pump's open event can still be acknowledged after its alert was")
	}
}
