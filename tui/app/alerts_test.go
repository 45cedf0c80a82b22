package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
	"signalcraft/tui/internal/fakeappliance"
)

// serve starts a fake appliance for fx and returns a connected client model of it.
func serve(t *testing.T, fx fakeappliance.Fixture, w, h int) (app.Model, *fakeappliance.Server) {
	t.Helper()
	srv := fakeappliance.New(fx)
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, api.WithToken("sc_test"))
	if err != nil {
		t.Fatal(err)
	}
	return model(t, fx, c, w, h), srv
}

// requests returns the requests with the method, as "PATH?QUERY" (without "?" when empty).
func requests(srv *fakeappliance.Server, method string) []fakeappliance.Request {
	var out []fakeappliance.Request
	for _, r := range srv.Requests() {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

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
	m, srv := serve(t, fakeappliance.NewFixture(), 80, 24)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	mustContain(t, m, "5 alerts", "CRIT firing   pump-2", "silenced (s-1)", "inhibited")

	// enter: the details and the deliveries of the selected (critical) alert.
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	mustContain(t, m, "PumpHighScore on pump-2 · CRITICAL · firing", "#43   scada-hook", "connection refused", "alimtalk: 401")
	gets := requests(srv, "GET")
	if last := gets[len(gets)-1]; last.Path != "/api/v1/alerts/"+fakeappliance.FPPumpScore+"/deliveries" {
		t.Errorf("last GET %s, want the alert's deliveries", last.Path)
	}

	// a from the details: the comment box, then enter sends it.
	m = keys(t, m, "a")
	m = typeText(t, m, "valve 3 closed")
	golden(t, "alert_ack_80x24", m.Render())
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	posts := requests(srv, "POST")
	if len(posts) != 1 || posts[0].Path != "/api/v1/alerts/"+fakeappliance.FPPumpScore+"/acknowledge" {
		t.Fatalf("POSTs %+v, want one acknowledge of the critical alert", posts)
	}
	var body api.AcknowledgeRequest
	if err := json.Unmarshal(posts[0].Body, &body); err != nil || body.Comment != "valve 3 closed" {
		t.Errorf("body %s (%v)", posts[0].Body, err)
	}
	mustContain(t, m, "Alert PumpHighScore on pump-2 acknowledged.", "✓ tech-anna")
	if a, _ := srv.Alert(fakeappliance.FPPumpScore); a.AcknowledgedBy != "tech-anna" {
		t.Errorf("appliance has %+v", a)
	}
	// A second a is refused without a request.
	n := len(srv.Requests())
	m = keys(t, m, "a")
	if len(srv.Requests()) != n {
		t.Error("second acknowledge sent a request")
	}
	mustContain(t, m, "was acknowledged by tech-anna")

	// Someone else acknowledges an alert after the page loaded it: the appliance answers
	// 409, the page says who, and shows it.
	srv.Acknowledge(fakeappliance.FPMotorSilent, "ben")
	m = keys(t, m, "down")
	m = keys(t, m, "a")
	m = typeText(t, m, "mic checked")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	mustContain(t, m, "SensorSilent on motor-3 was already acknowledged by ben.", "✓ ben · silenced (s-1)")
	if a, _ := srv.Alert(fakeappliance.FPMotorSilent); a.AckComment != "" {
		t.Errorf("the second acknowledgement changed the alert: %+v", a)
	}
}

func TestAlertFilters(t *testing.T) {
	m, srv := serve(t, fakeappliance.NewFixture(), 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("f"))
	m = settle(t, m, cmd)
	mustContain(t, m, "state firing (f)", "3 alerts")
	m, cmd = step(t, m, press("m")) // fan-1: no firing alert
	m = settle(t, m, cmd)
	mustContain(t, m, "machine fan-1 (m)", "No alerts match.")
	gets := requests(srv, "GET")
	if last := gets[len(gets)-5]; last.Path != api.PathAlerts || last.Query != "machine=fan-1&state=firing" {
		t.Errorf("GET %s?%s, want the alerts with both filters", last.Path, last.Query)
	}
}

func TestSilenceForm(t *testing.T) {
	m, srv := serve(t, fakeappliance.NewFixture(), 80, 24)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "s")
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
	m = clearField(t, m)
	m = typeText(t, m, "machine=pump-2, alertname=PumpHighScore")
	m, cmd = step(t, m, press("ctrl+s"))
	m = settle(t, m, cmd)
	posts := requests(srv, "POST")
	if len(posts) != 2 || posts[1].Path != api.PathSilences {
		t.Fatalf("POSTs %+v, want two to silences", posts)
	}
	var sent api.Silence
	if err := json.Unmarshal(posts[1].Body, &sent); err != nil {
		t.Fatal(err)
	}
	want := []api.Matcher{{Label: "machine", Op: "=", Value: "pump-2"}, {Label: "alertname", Op: "=", Value: "PumpHighScore"}}
	if len(sent.Matchers) != 2 || sent.Matchers[0] != want[0] || sent.Matchers[1] != want[1] ||
		!sent.StartsAt.Equal(fakeappliance.Now) || sent.EndsAt.Sub(sent.StartsAt) != time.Hour || sent.Comment != "pump 2 swap, q1" {
		t.Errorf("sent %+v", sent)
	}
	mustContain(t, m, "Silence s-4 created until 11:30: machine=pump-2, alertname=PumpHighScore.", "Silences 4")

	// A matcher the form cannot read is caught before any request.
	m = keys(t, m, "s")
	m = clearField(t, m)
	m = typeText(t, m, "machine")
	m = keys(t, m, "ctrl+s")
	if len(requests(srv, "POST")) != 2 {
		t.Error("an unreadable matcher was sent")
	}
	mustContain(t, m, `✗ matcher "machine": want label=value`)
	m = keys(t, m, "esc")
	mustContain(t, m, "CRIT firing")
}

func TestExpireSilence(t *testing.T) {
	m, srv := serve(t, fakeappliance.NewFixture(), 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "v", "x")
	mustContain(t, m, "Expire silence s-1 (machine=motor-3, alertname=~Sensor.*) now?")
	m = keys(t, m, "n")
	if len(requests(srv, "DELETE")) != 0 {
		t.Fatal("n expired the silence")
	}
	m = keys(t, m, "x")
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	dels := requests(srv, "DELETE")
	if len(dels) != 1 || dels[0].Path != "/api/v1/silences/s-1" {
		t.Fatalf("DELETEs %+v", dels)
	}
	if s := srv.Silences()[0]; s.ID != "s-1" || s.State != "expired" {
		t.Errorf("appliance has %+v", s)
	}
	mustContain(t, m, "Silence s-1 expired.")
	// Expired silences are not expired again.
	m = keys(t, m, "down", "down", "x")
	mustContain(t, m, "Silence s-3 has already expired.")
}

func TestReceiverTestAndMaskedSecrets(t *testing.T) {
	// An operator sees the secrets masked by the appliance and cannot send a test.
	m, srv := serve(t, fakeappliance.NewFixture(), 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "v", "v", "v")
	m = keys(t, m, "down")
	mustContain(t, m, "url=smtp://alerts:****@mail.plant.local", "secret_key=****", "editing receivers and sending a test need role admin (you are operator)")
	if s := screenOf(m); strings.Contains(s, "m41l-s3cret") || strings.Contains(s, "sk-1a2b3c") || strings.Contains(s, "t send test") {
		t.Errorf("operator sees a secret or the test key:\n%s", screenOf(m))
	}
	m = keys(t, m, "t")
	mustContain(t, m, "To send test notifications you need role admin (you are operator).")
	if len(requests(srv, "POST")) != 0 {
		t.Error("an operator's t sent a request")
	}

	// An admin sends one and sees its delivery.
	fx := fakeappliance.NewFixture()
	fx.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	m, srv = serve(t, fx, 120, 40)
	m, cmd = step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "v", "v", "v", "down")
	mustContain(t, m, "secret_key=sk-1a2b3c")
	m, cmd = step(t, m, press("t"))
	m = settle(t, m, cmd)
	posts := requests(srv, "POST")
	if len(posts) != 1 || posts[0].Path != "/api/v1/receivers/night-kakao/test" || string(posts[0].Body) != `{"lang":"ko"}` {
		t.Fatalf("POSTs %+v", posts)
	}
	// The appliance sends it at once and answers done (no job to follow).
	mustContain(t, m, "Last test through night-kakao · test · done · 1 attempt", "Test notification through night-kakao sent.")
	// A failed one says why.
	m = keys(t, m, "down")
	m, cmd = step(t, m, press("t"))
	m = settle(t, m, cmd)
	mustContain(t, m, "Test notification through scada-hook failed: webhook: dial tcp 10.0.0.9:443: connect: connection refused",
		"Last test through scada-hook · test · failed · 1 attempt")
}

func TestQueueRetry(t *testing.T) {
	fx := fakeappliance.NewFixture()
	fx.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	m, srv := serve(t, fx, 80, 24)
	m, cmd := step(t, m, press("7"))
	m = settle(t, m, cmd)
	mustContain(t, m, "notify            1       ·      1     1     37     12s", "#43    notify      dead")
	// R on a queued job is refused without a request.
	m = keys(t, m, "R")
	mustContain(t, m, "Job #44 is queued: only dead jobs are retried.")
	m = keys(t, m, "down")
	m, cmd = step(t, m, press("R"))
	m = settle(t, m, cmd)
	posts := requests(srv, "POST")
	if len(posts) != 1 || posts[0].Path != "/api/v1/jobs/43/retry" {
		t.Fatalf("POSTs %+v", posts)
	}
	if j, _ := srv.Job(43); j.State != "queued" {
		t.Errorf("job 43 is %s", j.State)
	}
	mustContain(t, m, "Job #43 queued again.", "#43    notify      queued")
	// d shows dead jobs only.
	m, cmd = step(t, m, press("d"))
	m = settle(t, m, cmd)
	mustContain(t, m, "dead only [x] (d)", "No jobs.")
}

func TestAlertingForViewers(t *testing.T) {
	fx := fakeappliance.NewFixture()
	fx.Me = api.Identity{Actor: "wall-display", Role: api.RoleViewer}
	m, srv := serve(t, fx, 120, 40)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	s := screenOf(m)
	if strings.Contains(s, "a acknowledge") || strings.Contains(s, "s silence") {
		t.Errorf("viewer is offered actions:\n%s", s)
	}
	mustContain(t, m, "Read-only: acknowledging and silencing need role operator (you are viewer).")
	m = keys(t, m, "a")
	mustContain(t, m, "To acknowledge alerts you need role operator (you are viewer).")
	m = keys(t, m, "s")
	mustContain(t, m, "To silence alerts you need role operator (you are viewer).")
	m = keys(t, m, "v", "x")
	mustContain(t, m, "To expire silences you need role operator (you are viewer).")
	m, cmd = step(t, m, press("7"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "R")
	mustContain(t, m, "To retry jobs you need role admin (you are viewer).", "Read-only: retrying dead jobs needs role admin")
	for _, r := range srv.Requests() {
		if r.Method != "GET" {
			t.Errorf("a viewer's key sent %s %s", r.Method, r.Path)
		}
	}
}

func TestApplianceWithoutAlerting(t *testing.T) {
	fx := fakeappliance.NewFixture()
	fx.NoAlerting = true
	srv := fakeappliance.New(fx)
	defer srv.Close()
	c, err := api.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := app.New(app.Options{Client: c, Target: "t", Now: func() time.Time { return fakeappliance.Now }, Tick: -1})
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
	now := fakeappliance.Now
	fx := fakeappliance.NewFixture()
	srv := fakeappliance.New(fx)
	defer srv.Close()
	c, err := api.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := app.New(app.Options{Client: c, Target: "t", Now: func() time.Time { return now }, Tick: -1})
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
	m := model(t, fakeappliance.NewFixture(), nil, 120, 40)
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
	m, srv := serve(t, fakeappliance.NewFixture(), 100, 30)
	mustContain(t, m, "3 alerts firing · 1 critical · 2 muted · 1 pending", "2 unacknowledged")
	m, cmd := step(t, m, press("3"))
	m = settle(t, m, cmd)
	m = keys(t, m, "a") // event #7 of pump-2, open
	mustContain(t, m, "Acknowledge event #7 of pump-2 and its anomaly alerts")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if a, _ := srv.Alert(fakeappliance.FPPumpScore); a.AcknowledgedAt == nil {
		t.Fatalf("the appliance did not acknowledge the alert with its event: %+v", a)
	}
	m, cmd = step(t, m, press("1"))
	m = settle(t, m, cmd)
	mustContain(t, m, "3 alerts firing · 1 critical · 2 muted · 1 acknowledged · 1 pending")
}

func TestAcknowledgeAlertSettlesItsEvent(t *testing.T) {
	m, srv := serve(t, fakeappliance.NewFixture(), 100, 30)
	m, cmd := step(t, m, press("6"))
	m = settle(t, m, cmd)
	m = keys(t, m, "a") // the pump's critical anomaly alert
	mustContain(t, m, "Acknowledge PumpHighScore on pump-2 and its anomaly event")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if e, _ := srv.Event(7); e.AcknowledgedAt == nil {
		t.Fatalf("the appliance did not acknowledge the event with its alert: %+v", e)
	}
	m, cmd = step(t, m, press("1"))
	m = settle(t, m, cmd)
	mustContain(t, m, "1 unacknowledged")
	if strings.Contains(screenOf(m), "2 unacknowledged") {
		t.Errorf("the overview still counts the event as unacknowledged:\n%s", screenOf(m))
	}
}
