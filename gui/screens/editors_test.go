package screens

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// input returns the input of an open editor's field, failing the test if none.
func input[T fyne.CanvasObject](t *testing.T, u *UI, key string) T {
	t.Helper()
	if u.editor == nil {
		t.Fatal("no editor open")
	}
	f := u.editor.fields[key]
	if f == nil {
		t.Fatalf("the editor has no field %q", key)
	}
	x, ok := f.input.(T)
	if !ok {
		t.Fatalf("field %q is a %T", key, f.input)
	}
	return x
}

// stored reads back what the appliance stores now: its rules, maintenance windows or
// receivers (as an administrator reads them).
func stored[T any](t *testing.T, r *rig, read func(*api.Client, context.Context) ([]T, error)) []T {
	t.Helper()
	v, err := read(r.Admin(t), context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRuleEditorSavesWholeList(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabRules)
	before := r.ui.ruleCopy()
	test.Tap(buttons(r.win, "Edit")[0]) // anomaly_critical
	if got := input[*widget.SelectEntry](t, r.ui, "metric").Text; got != "anomaly_score" {
		t.Errorf("metric shown %q", got)
	}
	input[*widget.Entry](t, r.ui, "enter").SetText("1,8") // a decimal comma is fine
	input[*widget.Entry](t, r.ui, "for").SetText("15s")
	input[*widget.Select](t, r.ui, "severity").SetSelected("Warning")
	input[*widget.Entry](t, r.ui, "summary.ko").SetText("소리가 이상합니다")
	test.Tap(r.ui.editor.save)

	var got []api.AlertRule
	got = stored(t, r, (*api.Client).Rules)
	if len(got) != len(before) {
		t.Fatalf("PUT %d rules, want the whole list of %d", len(got), len(before))
	}
	want := before[0]
	want.Enter, want.For, want.Severity = 1.8, "15s", api.SeverityWarning
	want.Summary = map[string]string{"en": before[0].Summary["en"], "ko": "소리가 이상합니다"}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("edited rule sent as\n%+v\nwant\n%+v", got[0], want)
	}
	if !reflect.DeepEqual(got[1:], before[1:]) {
		t.Errorf("the other rules changed:\n%+v\nwant\n%+v", got[1:], before[1:])
	}
	if r.ui.editor != nil || r.win.Canvas().Overlays().Top() != nil {
		t.Error("the editor is still open after saving")
	}
	all := texts(r.win)
	if !strings.Contains(all, "Anomaly score above 1.8× the threshold for 15s\nBack to normal below 1.1× the threshold\nStays on 1m after it clears") {
		t.Errorf("the rule card does not show the change:\n%s", all)
	}
}

func TestRuleEditorShowsServerErrorsUnderFields(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabRules)
	before := stored(t, r, (*api.Client).Rules)
	test.Tap(buttons(r.win, "Edit")[1]) // anomaly_warning
	input[*widget.Entry](t, r.ui, "for").SetText("soon")
	input[*widget.Entry](t, r.ui, "summary.ko").SetText("{{ .Nope")
	input[*widget.Entry](t, r.ui, "exit").SetText("3") // above enter for ">"
	test.Tap(r.ui.editor.save)
	e := r.ui.editor
	if e == nil {
		t.Fatal("the editor closed on a 422")
	}
	for key, want := range map[string]string{
		"for":        "must be a duration such as 30s or 5m",
		"summary.ko": "{{ .Nope",
		"exit":       "must not be above enter",
	} {
		if got := e.Error(key); !strings.Contains(got, want) {
			t.Errorf("under %s: %q, want %q", key, got, want)
		}
	}
	if e.Error("name") != "" || e.Error("severity") != "" {
		t.Error("errors shown under fields the appliance did not name")
	}
	if !strings.Contains(e.msg.Text, "Please correct the fields marked in red.") {
		t.Errorf("message %q", e.msg.Text)
	}
	// A number that does not parse is caught before sending.
	input[*widget.Entry](t, r.ui, "enter").SetText("lots")
	input[*widget.Entry](t, r.ui, "for").SetText("45s")
	input[*widget.Entry](t, r.ui, "summary.ko").SetText("")
	input[*widget.Entry](t, r.ui, "exit").SetText("0.8")
	test.Tap(e.save)
	if e.Error("enter") != "Enter a number, e.g. 0.99" {
		t.Errorf("enter error %q", e.Error("enter"))
	}
	if rs := stored(t, r, (*api.Client).Rules); !reflect.DeepEqual(rs, before) {
		t.Errorf("a rule with a bad number was saved: %+v", rs[1])
	}
}

func TestAddSensorRuleAndDeleteRule(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabRules)
	test.Tap(enabled(t, r.win, "Add rule"))
	e := r.ui.editor
	input[*widget.Entry](t, r.ui, "name").SetText("mic_clipping")
	var kind *widget.RadioGroup
	walk(r.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if g, ok := o.(*widget.RadioGroup); ok {
			kind = g
		}
	})
	kind.SetSelected("the microphone is in a state")
	input[*widget.CheckGroup](t, r.ui, "sensor_states").SetSelected([]string{"too loud", "stuck"})
	input[*widget.Select](t, r.ui, "severity").SetSelected("Critical")
	input[*widget.Entry](t, r.ui, "for").SetText("2m")
	input[*widget.Entry](t, r.ui, "summary.en").SetText("The microphone is overloaded")
	test.Tap(e.save)
	var got []api.AlertRule
	got = stored(t, r, (*api.Client).Rules)
	want := api.AlertRule{Name: "mic_clipping", SensorStates: []string{"clipping", "stuck"}, For: "2m0s", Severity: api.SeverityCritical,
		Summary: map[string]string{"en": "The microphone is overloaded"}}
	if len(got) == 6 && len(got[5].Labels) == 0 {
		got[5].Labels = nil
	}
	if len(got) != 6 || !reflect.DeepEqual(got[5], want) {
		t.Fatalf("added rule sent as %+v (%d rules), want %+v", got[len(got)-1], len(got), want)
	}
	if !strings.Contains(texts(r.win), "Microphone too loud or stuck for 2m") {
		t.Error("the new rule is not listed")
	}

	test.Tap(buttons(r.win, "Delete")[0])
	test.Tap(dialogButton(t, r.win, "Delete"))
	got = stored(t, r, (*api.Client).Rules)
	if len(got) != 5 || got[0].Name != "anomaly_warning" {
		t.Errorf("after deleting the first rule PUT %d rules starting with %q", len(got), got[0].Name)
	}
	if len(r.ui.al.ruleList) != 5 {
		t.Errorf("%d rules listed after deleting one", len(r.ui.al.ruleList))
	}
}

func TestMaintenanceWindowEditor(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabRules)
	test.Tap(enabled(t, r.win, "Add window"))
	input[*widget.Entry](t, r.ui, "name").SetText("Night shift break")
	input[*widget.CheckGroup](t, r.ui, "days").SetSelected([]string{"Mon", "Tue"})
	input[*widget.SelectEntry](t, r.ui, "start").SetText("23:30")
	input[*widget.SelectEntry](t, r.ui, "end").SetText("00:30")
	input[*widget.SelectEntry](t, r.ui, "time_zone").SetText("Asia/Seoul")
	me := r.ui.editor.fields["matchers"]
	var values []*widget.SelectEntry
	walk(me.input, func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.SelectEntry); ok {
			values = append(values, s)
		}
	})
	if len(values) != 2 || values[0].Text != "machine" {
		t.Fatalf("new window's matcher row: %d inputs", len(values))
	}
	values[1].SetText(pump)
	test.Tap(r.ui.editor.save)
	var got []api.MaintenanceWindow
	got = stored(t, r, (*api.Client).Maintenance)
	want := api.MaintenanceWindow{Name: "Night shift break", Days: []string{"mon", "tue"}, Start: "23:30", End: "00:30", TimeZone: "Asia/Seoul",
		Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: pump}}}
	if len(got) != 3 || !reflect.DeepEqual(got[2], want) {
		t.Fatalf("PUT %d windows, the new one %+v; want %+v", len(got), got[len(got)-1], want)
	}
	if !strings.Contains(texts(r.win), "Mon, Tue, 23:30–00:30 (Asia/Seoul)") {
		t.Error("the new window is not listed")
	}

	// 422s land under their fields; the matcher's under the conditions, by row.
	test.Tap(buttons(r.win, "Edit")[len(r.ui.al.ruleList)]) // the first window: rules' Edit buttons come first
	input[*widget.SelectEntry](t, r.ui, "end").SetText("25:00")
	input[*widget.SelectEntry](t, r.ui, "time_zone").SetText("Local")
	walk(r.ui.editor.fields["matchers"].input, func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok {
			s.SetSelected("matches")
		}
		if s, ok := o.(*widget.SelectEntry); ok && s.Text == valve {
			s.SetText("valve-(")
		}
	})
	test.Tap(r.ui.editor.save)
	e := r.ui.editor
	if e == nil {
		t.Fatal("the editor closed on a 422")
	}
	for key, want := range map[string]string{
		"end":       "must be a time of day HH:MM from 00:00 to 24:00",
		"time_zone": "must be an IANA time zone",
		"matchers":  "Row 1: value must be a valid regular expression",
	} {
		if got := e.Error(key); !strings.Contains(got, want) {
			t.Errorf("under %s: %q, want %q", key, got, want)
		}
	}
}

func TestReceiverEditorKeepsSecrets(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabNotifications)
	test.Tap(buttons(r.win, "Edit")[1]) // cmms-webhook
	secret := input[*widget.Entry](t, r.ui, "settings.secret")
	if secret.Text != Masked || !secret.Password {
		t.Errorf("secret shown as %q (password entry %v), want %q", secret.Text, secret.Password, Masked)
	}
	headers := input[*widget.Entry](t, r.ui, "settings.headers")
	if headers.Text != "Authorization: ****\nX-Plant: A" {
		t.Errorf("headers shown as %q", headers.Text)
	}
	input[*widget.Entry](t, r.ui, "settings.url").SetText("https://cmms.plant.local/api/hooks/v2")
	headers.SetText(headers.Text + "\nX-Line: B")
	input[*widget.Check](t, r.ui, "send_resolved").SetChecked(false)
	test.Tap(r.ui.editor.save)
	var got []api.Receiver
	got = stored(t, r, (*api.Client).Receivers)
	if len(got) != 4 {
		t.Fatalf("PUT %d receivers, want all 4", len(got))
	}
	w := got[1]
	// The client sent the secrets back masked; the appliance kept the ones it stores.
	wantSettings := map[string]any{"url": "https://cmms.plant.local/api/hooks/v2", "secret": "whsec_81ab4f",
		"headers": map[string]any{"Authorization": "Bearer cmms_7f3e", "X-Plant": "A", "X-Line": "B"}}
	if w.Name != receiverWebhook || w.Type != "webhook" || w.Lang != "en" || w.SendResolved || !reflect.DeepEqual(w.Settings, wantSettings) {
		t.Errorf("webhook sent as %+v", w)
	}
	if r.ui.editor != nil {
		t.Fatal("the editor is still open after saving")
	}
	// The appliance kept the stored secrets.
	rs, err := r.ui.app.Receivers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := rs[1].Settings["headers"].(map[string]any)
	if rs[1].Settings["secret"] != "whsec_81ab4f" || hs["Authorization"] != "Bearer cmms_7f3e" || rs[1].Settings["url"] != "https://cmms.plant.local/api/hooks/v2" {
		t.Errorf("stored webhook %+v", rs[1].Settings)
	}
	if !strings.Contains(texts(r.win), "Sends to: https://cmms.plant.local/api/hooks/v2") {
		t.Error("the receiver card does not show the new URL")
	}
}

func TestReceiverEditorErrorsAndNewReceiver(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabNotifications)
	test.Tap(buttons(r.win, "Edit")[0]) // floor-kakao
	if got := input[*widget.Entry](t, r.ui, "settings.to").Text; got != "01012345678, 01087654321" {
		t.Errorf("numbers shown as %q", got)
	}
	input[*widget.Entry](t, r.ui, "settings.to").SetText("")
	test.Tap(r.ui.editor.save)
	if got := r.ui.editor.Error("settings.to"); got != "at least one recipient number is required" {
		t.Errorf("under To: %q", got)
	}
	input[*widget.Entry](t, r.ui, "settings.to").SetText("010-5555-6666")
	input[*widget.Entry](t, r.ui, "name").SetText("floor kakao")
	test.Tap(r.ui.editor.save)
	if got := r.ui.editor.Error("name"); !strings.Contains(got, "must be 1-64 letters, digits") || r.ui.editor.Error("settings.to") != "" {
		t.Errorf("under Name: %q; under To: %q", got, r.ui.editor.Error("settings.to"))
	}
	test.Tap(buttons(r.win, "Cancel")[0])

	test.Tap(enabled(t, r.win, "Add receiver"))
	input[*widget.Entry](t, r.ui, "name").SetText("line-b-mqtt")
	input[*widget.Select](t, r.ui, "type").SetSelected("MQTT")
	input[*widget.Entry](t, r.ui, "settings.broker").SetText("tcp://10.0.0.5:1883")
	input[*widget.Entry](t, r.ui, "settings.password").SetText("pw-1")
	input[*widget.Check](t, r.ui, "settings.home_assistant").SetChecked(true)
	input[*widget.Select](t, r.ui, "lang").SetSelected("한국어")
	test.Tap(r.ui.editor.save)
	var got []api.Receiver
	got = stored(t, r, (*api.Client).Receivers)
	want := api.Receiver{Name: "line-b-mqtt", Type: "mqtt", Lang: "ko", SendResolved: true,
		Settings: map[string]any{"broker": "tcp://10.0.0.5:1883", "password": "pw-1", "home_assistant": true}}
	if len(got) != 5 || !reflect.DeepEqual(got[4], want) {
		t.Fatalf("new receiver sent as %+v (%d receivers)", got[len(got)-1], len(got))
	}
	if n := len(buttons(r.win, "Send test notification")); n != 5 {
		t.Errorf("%d receivers listed after adding one", n)
	}

	test.Tap(buttons(r.win, "Delete")[4])
	test.Tap(dialogButton(t, r.win, "Delete"))
	got = stored(t, r, (*api.Client).Receivers)
	if len(got) != 4 || got[3].Name != receiverMQTT {
		t.Errorf("after deleting: %d receivers", len(got))
	}
}

func TestEditorsRoleGating(t *testing.T) {
	for _, role := range []api.Role{api.RoleViewer, api.RoleOperator} {
		r := sharedRig(t, role, i18n.English)
		r.ui.SelectTab(TabRules)
		for _, text := range []string{"Add rule", "Add window", "Edit", "Delete"} {
			bs := buttons(r.win, text)
			if len(bs) == 0 {
				t.Errorf("%s: no %q button", role, text)
			}
			for _, b := range bs {
				if !b.Disabled() {
					t.Errorf("%s: %q enabled", role, text)
				}
			}
		}
		want := "You are signed in as " + string(role) + ": only an administrator can change alert rules and maintenance windows."
		if !strings.Contains(texts(r.win), want) {
			t.Errorf("%s: no sentence %q", role, want)
		}
		// Non-admins read secrets masked.
		if rs := r.ui.nt.receivers; len(rs) > 0 {
			t.Errorf("receivers loaded before the tab was opened: %d", len(rs))
		}
	}
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabRules)
	if strings.Contains(texts(r.win), "only an administrator can") {
		t.Error("an administrator is told only an administrator can edit")
	}
	for _, b := range buttons(r.win, "Edit") {
		if b.Disabled() {
			t.Error("Edit disabled for an administrator")
		}
	}
}

func TestEditorsInKorean(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.ui.SelectTab(TabRules)
	r.ui.SetLang(i18n.Korean)
	if got := r.ui.TabTitle(TabRules); got != "경보 규칙" {
		t.Errorf("rules tab in Korean = %q", got)
	}
	all := texts(r.win)
	for _, want := range []string{"규칙 추가", "정비 시간 추가", "편집", "삭제", "소리가 평소와 크게 다릅니다 (임계값의 {{printf \"%.2f\" .Value}}배) — 지금 설비를 점검하세요",
		"이상 점수 초과 임계값의 1.5배, 10초 동안", "마이크 무음, 1분 동안", "긴급", "매일, 00:00–23:59 (Asia/Seoul)"} {
		if !strings.Contains(all, want) {
			t.Errorf("Korean rules tab lacks %q", want)
		}
	}
	for _, gone := range []string{"Add rule", "Edit", "Anomaly score"} {
		if strings.Contains(all, gone) {
			t.Errorf("Korean rules tab still shows %q", gone)
		}
	}
	test.Tap(buttons(r.win, "편집")[0])
	all = texts(r.win)
	for _, want := range []string{"규칙 편집: anomaly_critical", "심각도", "알림 문구 (한국어)", "지속 시간", "저장", "취소"} {
		if !strings.Contains(all, want) {
			t.Errorf("Korean rule editor lacks %q", want)
		}
	}
	if got := input[*widget.Select](t, r.ui, "severity").Selected; got != "긴급" {
		t.Errorf("severity shown as %q", got)
	}
	input[*widget.Entry](t, r.ui, "for").SetText("곧")
	test.Tap(r.ui.editor.save)
	if r.ui.editor.Error("for") == "" || !strings.Contains(r.ui.editor.msg.Text, "빨간색으로 표시된 항목을 고쳐 주세요.") {
		t.Errorf("Korean 422: under for %q, message %q", r.ui.editor.Error("for"), r.ui.editor.msg.Text)
	}
}

func TestMuteReasonFromMutedBy(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	tests := []struct {
		a    api.Alert
		want string
	}{
		// The appliance says why: no need to match silences or windows.
		{api.Alert{Silenced: true, MutedBy: []string{"maintenance:Night shift"}}, "Notifications off: maintenance window “Night shift” is open."},
		{api.Alert{Silenced: true, MutedBy: []string{"silence:" + r.silence}},
			"Notifications silenced until 2025-06-03 06:00 by lee — “microphone on order, arrives tomorrow”"},
		{api.Alert{Silenced: true, MutedBy: []string{"silence:s-99"}}, "Notifications silenced."},
		// An older appliance without MutedBy: the client matches the open windows itself.
		{api.Alert{Silenced: true, Labels: map[string]string{"machine": valve}}, "Notifications off: maintenance window “Line C overhaul” is open."},
	}
	for _, tt := range tests {
		if got := r.ui.muteReason(tt.a); got != tt.want {
			t.Errorf("muteReason(%v) = %q, want %q", tt.a.MutedBy, got, tt.want)
		}
	}
	valveLost := r.alert(t, "sensor_lost", valve).Fingerprint
	if a := r.ui.al.alerts; len(a) == 0 || !reflect.DeepEqual(alertByFP(a, valveLost).MutedBy, []string{"maintenance:Line C overhaul"}) {
		t.Errorf("the valve's alert is not muted by its window: %+v", alertByFP(a, valveLost).MutedBy)
	}
}

func alertByFP(as []api.Alert, fp string) api.Alert {
	for _, a := range as {
		if a.Fingerprint == fp {
			return a
		}
	}
	return api.Alert{}
}

func TestSilenceErrorsUnderFields(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "Silence for…"))
	dialogEntry(r.win, false).SetText(strings.Repeat("x", 1001))
	test.Tap(dialogButton(t, r.win, "Silence"))
	if !strings.Contains(texts(r.win), "must be at most 1000 characters") {
		t.Error("the appliance's comment error is not shown")
	}
	if ss := stored(t, r, (*api.Client).Silences); len(ss) != 2 {
		t.Errorf("the appliance has %d silences, want the plant's two only", len(ss))
	}
}

func TestAcknowledgeTwiceShowsConflict(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabAlerts)
	test.Tap(enabled(t, r.win, "Acknowledge"))
	// Someone else acknowledges the pump meanwhile.
	pumpAlert := r.alert(t, "anomaly_critical", pump).Fingerprint
	if _, err := r.ui.app.AcknowledgeAlert(context.Background(), pumpAlert, "seen"); err != nil {
		t.Fatal(err)
	}
	confirm := dialogButton(t, r.win, "Acknowledge")
	test.Tap(confirm)
	if !strings.Contains(texts(r.win), "alert "+pumpAlert+" was acknowledged by floor-tablet") {
		t.Error("the conflict is not explained")
	}
	if !confirm.Disabled() {
		t.Error("Acknowledge still enabled after the conflict")
	}
	if !strings.Contains(texts(r.win), "Acknowledged by floor-tablet at 08:00:40 — “seen”") {
		t.Error("the card was not reloaded after the conflict")
	}
}

func TestGoldenRules(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.win.Resize(fyne.NewSize(1280, 800))
	r.ui.SelectTab(TabRules)
	golden(t, r.win, "rules.png")
}

func TestGoldenReceiverEditor(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.win.Resize(fyne.NewSize(1280, 800))
	r.ui.SelectTab(TabNotifications)
	test.Tap(buttons(r.win, "Edit")[1])
	golden(t, r.win, "receiver-editor.png")
}
