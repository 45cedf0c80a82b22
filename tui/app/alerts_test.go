package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
)

func screenOf(m app.Model) string { return ansi.Strip(m.Render()) }

func mustContain(t *testing.T, m app.Model, wants ...string) {
	t.Helper()
	s := screenOf(m)
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

func typeText(t *testing.T, m app.Model, s string) app.Model {
	t.Helper()
	for _, r := range s {
		m = keys(t, m, string(r))
	}
	return m
}

func TestAlertAcknowledgeAndDeliveries(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 80, 24)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	// Firing alerts first, then pending ones; by machine, then rule.
	mustContain(t, m, "4 alerts", "▶ WARN firing   motor-3   LevelLow", "silenced (1)", "inhibited", "CRIT pending  fan-1")
	m = keys(t, m, "down", "down")
	mustContain(t, m, "▶ CRIT firing   pump-2    PumpHighScore")

	// enter: the details and the deliveries of the selected (critical) alert: its
	// notification went to the route's receiver (the log receiver "default").
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	mustContain(t, m, "PumpHighScore on pump-2 · CRITICAL · firing", "default       firing     done         1")

	// a from the details: the comment box, then enter sends it.
	m = keys(t, m, "a")
	m = typeText(t, m, "valve 3 closed")
	golden(t, "alert_ack_80x24", m.Render())
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if al := alertOf(t, a, "PumpHighScore", "pump-2"); al.AcknowledgedBy != "tech-anna" || al.AckComment != "valve 3 closed" {
		t.Errorf("the appliance has %+v; want it acknowledged by tech-anna with the comment", al)
	}
	mustContain(t, m, "Alert PumpHighScore on pump-2 acknowledged.", "✓ tech-anna")
	// A second a is refused without a request.
	m, cmd = step(t, m, press("a"))
	if cmd != nil {
		t.Error("second acknowledge sent a request")
	}
	mustContain(t, m, "was acknowledged by tech-anna")

	// Someone else acknowledges an alert after the page loaded it: the appliance answers
	// 409, the page says who, and shows it.
	silent := alertOf(t, a, "SensorSilent", "motor-3")
	if _, err := a.ClientAs(t, "ben", api.RoleOperator).AcknowledgeAlert(context.Background(), silent.Fingerprint, ""); err != nil {
		t.Fatal(err)
	}
	m = keys(t, m, "up")
	mustContain(t, m, "▶ WARN firing   motor-3   SensorSilent")
	m = keys(t, m, "a")
	m = typeText(t, m, "mic checked")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	mustContain(t, m, "SensorSilent on motor-3 was already acknowledged by ben.", "✓ ben · silenced (1)")
	if al := alertOf(t, a, "SensorSilent", "motor-3"); al.AcknowledgedBy != "ben" || al.AckComment != "" {
		t.Errorf("the second acknowledgement changed the alert: %+v", al)
	}
}

func TestAlertFilters(t *testing.T) {
	m, _ := serve(t, api.RoleOperator, 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("f"))
	m = settle(t, m, cmd)
	mustContain(t, m, "state firing (f)", "3 alerts")
	if strings.Contains(screenOf(m), "pending") {
		t.Errorf("the firing filter shows a pending alert:\n%s", screenOf(m))
	}
	m, cmd = step(t, m, press("m")) // fan-1: no firing alert (its one is pending)
	m = settle(t, m, cmd)
	mustContain(t, m, "machine fan-1 (m)", "No alerts match.")
	m, cmd = step(t, m, press("f")) // every state: fan-1's pending alert
	m = settle(t, m, cmd)
	mustContain(t, m, "machine fan-1 (m)", "1 alert", "fan-1")
}

func TestSilenceForm(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 80, 24)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "down", "s")
	mustContain(t, m, "machine=pump-2, alertname=PumpHighScore", "Duration  1h", "Mutes the notifications of 1 active alert now until 11:30")
	// Digits and q are text while the form is open.
	m = keys(t, m, "tab", "tab")
	golden(t, "silence_form_80x24", m.Render())

	m = typeText(t, m, "pump 2 swap, q1")
	if m.Page() != app.PageAlerts {
		t.Fatalf("typing switched to page %v", m.Page())
	}
	// Matchers that would mute every alert: the appliance answers 422 naming matchers; the
	// error sits under the field.
	m = keys(t, m, "shift+tab", "shift+tab")
	m = clearField(t, m)
	m = typeText(t, m, "machine=~.*")
	m, cmd = step(t, m, press("ctrl+s"))
	m = settle(t, m, cmd)
	mustContain(t, m, "✗ would silence every alert", "rejected the silence")
	if ss := silences(t, a); len(ss) != 3 {
		t.Fatalf("the appliance has %d silences after a refused one", len(ss))
	}
	m = clearField(t, m)
	m = typeText(t, m, "machine=pump-2, alertname=PumpHighScore")
	m, cmd = step(t, m, press("ctrl+s"))
	m = settle(t, m, cmd)
	ss := silences(t, a)
	i := slices.IndexFunc(ss, func(s api.Silence) bool { return s.ID == "4" })
	if len(ss) != 4 || i < 0 {
		t.Fatalf("the appliance has silences %+v, want a fourth", ss)
	}
	got := ss[i]
	want := []api.Matcher{{Label: "machine", Op: "=", Value: "pump-2"}, {Label: "alertname", Op: "=", Value: "PumpHighScore"}}
	if len(got.Matchers) != 2 || got.Matchers[0] != want[0] || got.Matchers[1] != want[1] || got.State != "active" || got.CreatedBy != "tech-anna" ||
		!got.StartsAt.Equal(Now) || got.EndsAt.Sub(got.StartsAt) != time.Hour || got.Comment != "pump 2 swap, q1" {
		t.Errorf("the appliance has %+v", got)
	}
	mustContain(t, m, "Silence 4 created until 11:30: machine=pump-2, alertname=PumpHighScore.", "Silences 4")

	// A matcher the form cannot read is caught before any request.
	m = keys(t, m, "s")
	m = clearField(t, m)
	m = typeText(t, m, "machine")
	m, cmd = step(t, m, press("ctrl+s"))
	if cmd != nil {
		t.Error("an unreadable matcher was sent")
	}
	mustContain(t, m, `✗ matcher "machine": want label=value`)
	m = keys(t, m, "esc")
	mustContain(t, m, "CRIT firing")
}

func TestExpireSilence(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "v", "x")
	mustContain(t, m, "Expire silence 1 (machine=motor-3, alertname=~Sensor.*) now?")
	m = keys(t, m, "n")
	if s := silence(t, a, "1"); s.State != "active" {
		t.Fatalf("n expired the silence: %+v", s)
	}
	m = keys(t, m, "x")
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if s := silence(t, a, "1"); s.State != "expired" || !s.EndsAt.Equal(Now) {
		t.Errorf("the appliance has %+v", s)
	}
	if as := audits(t, a, "silence.expire"); len(as) != 2 || as[0].Actor != "tech-anna" || as[0].Target != "silence/1" {
		t.Errorf("audited %+v, want tech-anna's expiry after the seeding's", as)
	}
	mustContain(t, m, "Silence 1 expired.")
	// Expired silences are not expired again.
	m = keys(t, m, "down", "down")
	m, cmd = step(t, m, press("x"))
	if cmd != nil {
		t.Error("x on an expired silence sent a request")
	}
	mustContain(t, m, "Silence 3 has already expired.")
}

func TestReceiverTestAndMaskedSecrets(t *testing.T) {
	// An operator sees the secrets masked by the appliance (the mail account's user name
	// as well as its password) and cannot send a test.
	m, a := serve(t, api.RoleOperator, 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "v", "v", "v")
	m = keys(t, m, "down")
	mustContain(t, m, "url=smtp://****:****@mail.plant.local", "secret_key=****", "editing receivers and sending a test need role admin (you are operator)")
	if s := screenOf(m); strings.Contains(s, "m41l-s3cret") || strings.Contains(s, "sk-1a2b3c") || strings.Contains(s, "t send test") {
		t.Errorf("operator sees a secret or the test key:\n%s", screenOf(m))
	}
	m, cmd = step(t, m, press("t"))
	mustContain(t, m, "To send test notifications you need role admin (you are operator).")
	if cmd != nil {
		t.Error("an operator's t sent a request")
	}

	// An admin sends one and sees its delivery: sent at once (no job to follow), refused
	// by the Kakao gateway, accepted by the webhook.
	m = as(t, a, api.RoleAdmin, 120, 40)
	m, cmd = step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "v", "v", "v", "down")
	mustContain(t, m, "secret_key=sk-1a2")
	m, cmd = step(t, m, press("t"))
	m = settle(t, m, cmd)
	mustContain(t, m, `Test notification through night-kakao failed: notify kakao_alimtalk "night-kakao": POST http://127.0.0.1:1/`,
		"Last test through night-kakao · test · failed · 1 attempt")
	m = keys(t, m, "down")
	m, cmd = step(t, m, press("t"))
	m = settle(t, m, cmd)
	mustContain(t, m, "Last test through scada-hook · test · done · 1 attempt", "Test notification through scada-hook sent.")
}

func TestQueueRetry(t *testing.T) {
	a := plant(t)
	if id := deadJob(t, a); id != 2 {
		t.Fatalf("the dead job is #%d", id)
	}
	m := as(t, a, api.RoleAdmin, 80, 24)
	m, cmd := step(t, m, press("7"))
	m = settle(t, m, cmd)
	mustContain(t, m, "train             ·       ·      ·     1      ·", "#2     train       dead")
	// R on a job that is not dead is refused without a request.
	m = keys(t, m, "down")
	m, cmd = step(t, m, press("R"))
	if cmd != nil {
		t.Error("R on a done job sent a request")
	}
	mustContain(t, m, "Job #1 is done: only dead jobs are retried.")
	m = keys(t, m, "up")
	m, cmd = step(t, m, press("R"))
	m = settle(t, m, cmd)
	mustContain(t, m, "Job #2 queued again.")
	if as := audits(t, a, "job.retry"); len(as) != 1 || as[0].Target != "job/2" || as[0].Actor != "local:root" {
		t.Errorf("the appliance audited %+v, want one retry of job 2", as)
	}
	// The appliance runs it again at once, and it dies again (its machine does not exist).
	a.Wait(t, "the retried job to die again", func() bool {
		time.Sleep(100 * time.Millisecond)
		js, err := a.Admin(t).Jobs(context.Background(), "train", "")
		return err == nil && len(js.Recent) == 1 && js.Recent[0].State == "dead" && js.Recent[0].Attempts == 1
	})
	// d shows dead jobs only.
	m, cmd = step(t, m, press("d"))
	m = settle(t, m, cmd)
	mustContain(t, m, "dead only [x] (d)", "#2     train       dead")
	if strings.Contains(screenOf(m), "notify      done") {
		t.Errorf("dead only shows a done job:\n%s", screenOf(m))
	}
}

func TestAlertingForViewers(t *testing.T) {
	m, a := serve(t, api.RoleViewer, 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "down") // the pump's alert: neither muted nor acknowledged
	s := screenOf(m)
	if strings.Contains(s, "a acknowledge") || strings.Contains(s, "s silence") {
		t.Errorf("viewer is offered actions:\n%s", s)
	}
	mustContain(t, m, "Read-only: acknowledging and silencing need role operator (you are viewer).")
	var cmds []tea.Cmd
	press1 := func(k string) {
		var c tea.Cmd
		m, c = step(t, m, press(k))
		cmds = append(cmds, c)
	}
	press1("a")
	mustContain(t, m, "To acknowledge alerts you need role operator (you are viewer).")
	press1("s")
	mustContain(t, m, "To silence alerts you need role operator (you are viewer).")
	m = keys(t, m, "v")
	press1("x")
	mustContain(t, m, "To expire silences you need role operator (you are viewer).")
	m, cmd = step(t, m, press("7"))
	m = settle(t, m, cmd)
	press1("R")
	mustContain(t, m, "To retry jobs you need role admin (you are viewer).", "Read-only: retrying dead jobs needs role admin")
	for i, c := range cmds {
		if c != nil {
			t.Errorf("a viewer's key %d sent a request", i)
		}
	}
	// The appliance's own refusal, had the client asked.
	if _, err := a.ClientAs(t, "wall-2", api.RoleViewer).AcknowledgeAlert(context.Background(), alertOf(t, a, "PumpHighScore", "pump-2").Fingerprint, ""); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("a viewer's acknowledgement: %v, want forbidden", err)
	}
}

// noAlerting is the appliance's client as an older appliance answers it: without the
// alerting routes and the job queue (404).
type noAlerting struct{ *api.Client }

func (noAlerting) Alerts(context.Context, api.AlertFilter) ([]api.Alert, error) {
	return nil, api.Errorf(api.CodeNotFound, "no route GET %s", api.PathAlerts)
}
func (noAlerting) Silences(context.Context) ([]api.Silence, error) {
	return nil, api.Errorf(api.CodeNotFound, "no route GET %s", api.PathSilences)
}
func (noAlerting) Jobs(context.Context, string, string) (api.Jobs, error) {
	return api.Jobs{}, api.Errorf(api.CodeNotFound, "no route GET %s", api.PathJobs)
}

func TestApplianceWithoutAlerting(t *testing.T) {
	a := plant(t)
	c := noAlerting{a.ClientAs(t, "tech-anna", api.RoleOperator)}
	m := app.New(app.Options{Client: c, Target: "t", Now: func() time.Time { return Now }, Tick: -1})
	m = feed(t, m, sizeMsg(80, 24))
	var connected app.ConnectedMsg
	for _, msg := range exec(m.Init(), 2*time.Second) {
		if cm, ok := msg.(app.ConnectedMsg); ok {
			connected = cm
		}
	}
	if connected.Err != nil || !api.IsCode(connected.AlertsErr, api.CodeNotFound) {
		t.Fatalf("connect: err %v, alerts err %v; want connected with alerts not found", connected.Err, connected.AlertsErr)
	}
	m = feed(t, m, connected)
	t.Cleanup(m.Close)
	s := screenOf(m)
	if strings.Contains(s, "alert") || strings.Contains(s, "▲") {
		t.Errorf("overview speaks of alerts the appliance does not have:\n%s", s)
	}
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	mustContain(t, m, "This appliance does not serve alerts yet")
	m, cmd = step(t, m, press("7"))
	m = settle(t, m, cmd)
	mustContain(t, m, "This appliance does not serve its job queue yet")
	checkSize(t, m.Render(), 80, 24)
}

func TestAlertsPolled(t *testing.T) {
	now := Now
	a := plant(t)
	c := a.ClientAs(t, "tech-anna", api.RoleOperator)
	m := app.New(app.Options{Client: c, Target: "t", Now: func() time.Time { return now }, Tick: -1})
	fx := NewFixture()
	m = feed(t, m, sizeMsg(80, 24), app.ConnectedMsg{Health: fx.Health, Me: fx.Me, Machines: fx.Machines})
	t.Cleanup(m.Close)
	mustContain(t, m, "no alerts firing")
	now = now.Add(5 * time.Second)
	if _, cmd := step(t, m, app.TickMsg(now)); len(exec(cmd, 200*time.Millisecond)) != 0 {
		t.Error("alerts read again before AlertsEvery")
	}
	now = now.Add(15 * time.Second)
	m, cmd := step(t, m, app.TickMsg(now))
	m = settle(t, m, cmd)
	mustContain(t, m, "3 alerts firing · 1 critical · 2 muted · 1 pending", "6 Alerts ▲1")
}

// clearField empties the focused text field.
func clearField(t *testing.T, m app.Model) app.Model {
	t.Helper()
	for range 80 {
		m = keys(t, m, "backspace")
	}
	return m
}

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func TestTabBarAbbreviates(t *testing.T) {
	m := model(t, NewFixture(), nil, 120, 40)
	cases := []struct {
		w          int
		want, lack string
	}{
		{120, "SignalCraft  1 Overview", ""},
		{80, " 1 Overview  2 Machine", "SignalCraft"},
		{60, " 1 Over  2 Mach  3 Evts  4 Devs  5 Sets  6 Alrt ▲1  7 Que", "Overview"},
		{40, " 1  2  3  4  5  6 ▲1  7", "Over"},
	}
	for _, c := range cases {
		m = feed(t, m, sizeMsg(c.w, 24))
		top := strings.SplitN(screenOf(m), "\n", 2)[0]
		if !strings.HasPrefix(top, c.want) || c.lack != "" && strings.Contains(top, c.lack) {
			t.Errorf("at %d columns the tab bar is %q; want it to start %q without %q", c.w, top, c.want, c.lack)
		}
		checkSize(t, m.Render(), c.w, 24)
	}
}

// One acknowledgement settles an anomaly (issue 9): the appliance acknowledges an event's
// anomaly alert with it and the reverse; the pages say so before, and show it after without
// a second action.
func TestAcknowledgeEventSettlesItsAlert(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 100, 30)
	mustContain(t, m, "3 alerts firing · 1 critical · 2 muted · 1 pending", "2 unacknowledged")
	m, cmd := step(t, m, press("3"))
	m = settle(t, m, cmd)
	m = keys(t, m, "a") // event #7 of pump-2, open
	mustContain(t, m, "Acknowledge event #7 of pump-2 and its anomaly alerts")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if al := alertOf(t, a, "PumpHighScore", "pump-2"); al.AcknowledgedBy != "tech-anna" {
		t.Fatalf("the appliance did not acknowledge the alert with its event: %+v", al)
	}
	if al := alertOf(t, a, "PumpHighScore", "fan-1"); al.AcknowledgedAt != nil {
		t.Errorf("the appliance acknowledged another machine's alert with the event: %+v", al)
	}
	m, cmd = step(t, m, press("1"))
	m = settle(t, m, cmd)
	mustContain(t, m, "3 alerts firing · 1 critical · 2 muted · 1 acknowledged · 1 pending")
}

func TestAcknowledgeAlertSettlesItsEvent(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 100, 30)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "down", "a") // the pump's critical anomaly alert
	mustContain(t, m, "Acknowledge PumpHighScore on pump-2 and its anomaly event")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if e := event(t, a, 7); e.AcknowledgedBy != "tech-anna" {
		t.Fatalf("the appliance did not acknowledge the event with its alert: %+v", e)
	}
	m, cmd = step(t, m, press("1"))
	m = settle(t, m, cmd)
	mustContain(t, m, "1 unacknowledged")
	if strings.Contains(screenOf(m), "2 unacknowledged") {
		t.Errorf("the overview still counts the event as unacknowledged:\n%s", screenOf(m))
	}
}
