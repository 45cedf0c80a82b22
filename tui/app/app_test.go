package app_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/appliance/apptest"
	"signalcraft/appliance/config"
	"signalcraft/core/api"
	"signalcraft/core/store"
	"signalcraft/tui/app"
	"signalcraft/tui/pages/alerts"
	"signalcraft/tui/pages/detail"
	"signalcraft/tui/pages/devices"
	"signalcraft/tui/pages/events"
	"signalcraft/tui/pages/overview"
	"signalcraft/tui/pages/queue"
	"signalcraft/tui/pages/settings"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// press turns key names into key presses: "enter", "esc", "tab",
// "shift+tab", "up", "down", "ctrl+c", "ctrl+s", or one printable character.
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+s":
		return tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	code := r
	if r >= 'A' && r <= 'Z' {
		code = r + 'a' - 'A'
		return tea.KeyPressMsg{Code: code, ShiftedCode: r, Text: k, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: code, Text: k}
}

// step feeds msg to m and returns the new model and the command it gave.
func step(t *testing.T, m app.Model, msg tea.Msg) (app.Model, tea.Cmd) {
	t.Helper()
	next, cmd := m.Update(msg)
	am, ok := next.(app.Model)
	if !ok {
		t.Fatalf("Update returned %T", next)
	}
	return am, cmd
}

func feed(t *testing.T, m app.Model, msgs ...tea.Msg) app.Model {
	t.Helper()
	for _, msg := range msgs {
		m, _ = step(t, m, msg)
	}
	return m
}

func keys(t *testing.T, m app.Model, ks ...string) app.Model {
	t.Helper()
	for _, k := range ks {
		m, _ = step(t, m, press(k))
	}
	return m
}

// exec runs cmd (and the commands of a batch, concurrently) and returns the
// messages that arrive within timeout; commands still blocked then (a
// cursor blink, the live stream) are dropped.
func exec(cmd tea.Cmd, timeout time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	out := make(chan []tea.Msg, 1)
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			var all []tea.Msg
			res := make(chan []tea.Msg, len(b))
			for _, c := range b {
				go func() { res <- exec(c, timeout) }()
			}
			deadline := time.After(timeout)
			for range b {
				select {
				case ms := <-res:
					all = append(all, ms...)
				case <-deadline:
					out <- all
					return
				}
			}
			out <- all
			return
		}
		out <- []tea.Msg{msg}
	}()
	select {
	case ms := <-out:
		return ms
	case <-time.After(timeout):
		return nil
	}
}

// settle runs cmd and feeds the client's own messages back, once.
func settle(t *testing.T, m app.Model, cmd tea.Cmd) app.Model {
	t.Helper()
	for _, msg := range exec(cmd, 2*time.Second) {
		switch msg.(type) {
		case events.LoadedMsg, events.ChangedMsg, devices.LoadedMsg, settings.SavedMsg, settings.RelearnedMsg,
			app.RecentEventsMsg, overview.OpenMachineMsg, app.AlertsMsg,
			alerts.LoadedMsg, alerts.DeliveriesMsg, alerts.AcknowledgedMsg, alerts.SilencedMsg, alerts.ExpiredMsg, alerts.TestedMsg, alerts.SavedMsg,
			queue.LoadedMsg, queue.RetriedMsg, detail.ModelsLoadedMsg, detail.ModelChangedMsg, detail.HistoryLoadedMsg, detail.HealthLoadedMsg,
			events.ClipsLoadedMsg, events.SpectrogramMsg, events.DownloadProgressMsg, events.DownloadedMsg, events.PlayedMsg:
			var next tea.Cmd
			m, next = step(t, m, msg)
			m = settle(t, m, next)
		}
	}
	return m
}

// model returns a connected client showing fx, sized w×h, with a fixed clock.
func model(t *testing.T, fx Fixture, c app.Client, w, h int) app.Model {
	t.Helper()
	m := app.New(app.Options{Client: c, Target: "unix:/run/signalcraft/api.sock", Now: func() time.Time { return Now }, Tick: -1})
	m = feed(t, m, tea.WindowSizeMsg{Width: w, Height: h},
		app.ConnectedMsg{Health: fx.Health, Me: fx.Me, Machines: fx.Machines, Events: fx.Events, Alerts: fx.Alerts},
		app.LiveMsg{Updates: append(append([]api.Live(nil), fx.History...), fx.Live...)})
	t.Cleanup(m.Close)
	return m
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	for _, g := range []struct{ file, text string }{
		{name + ".golden", ansi.Strip(got)},
		{name + ".ansi.golden", got},
	} {
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(g.text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != g.text {
			t.Errorf("%s differs from the golden file; got:\n%s", path, ansi.Strip(got))
		}
	}
}

func checkSize(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, n, w, ansi.Strip(l))
		}
	}
}

// refusingClient answers a machine's change with the 422 err: the layout tests' error sets
// (every field at once, with short or long messages) are more than one change makes the
// appliance answer.
type refusingClient struct {
	app.Client
	err error
}

func (r refusingClient) UpdateMachine(context.Context, api.Machine) (api.Machine, error) {
	return api.Machine{}, r.err
}

func TestPagesGolden(t *testing.T) {
	fx := NewFixture()
	admin := fx
	admin.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	pages := []struct {
		name  string
		fx    Fixture
		drive func(t *testing.T, m app.Model) app.Model
	}{
		{"overview", fx, func(t *testing.T, m app.Model) app.Model { return m }},
		{"detail", fx, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "down")
			m, cmd := step(t, m, press("enter"))
			m = settle(t, m, cmd)
			return feed(t, m, detail.HealthLoadedMsg{MachineID: "pump-2", Health: FixtureHealth("pump-2")})
		}},
		{"models", admin, func(t *testing.T, m app.Model) app.Model {
			return modelHistory(t, m, admin, "pump-2")
		}},
		{"models_confirm", admin, func(t *testing.T, m app.Model) app.Model {
			return keys(t, modelHistory(t, m, admin, "pump-2"), "down", "down", "p")
		}},
		{"events", fx, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "3")
			return feed(t, m, events.LoadedMsg{Events: fx.Events})
		}},
		{"devices", fx, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "4")
			return feed(t, m, devices.LoadedMsg{Sensors: fx.Sensors, Devices: fx.Devices})
		}},
		{"settings", admin, func(t *testing.T, m app.Model) app.Model { return keys(t, m, "5", "down") }},
		{"alerts", fx, func(t *testing.T, m app.Model) app.Model { return loadAlerts(t, m, fx) }},
		{"alert_details", fx, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, loadAlerts(t, m, fx), "enter")
			return feed(t, m, alerts.DeliveriesMsg{Fingerprint: FPPumpScore, Deliveries: fx.Deliveries[FPPumpScore]})
		}},
		{"silences", fx, func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, fx), "v") }},
		{"maintenance", fx, func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, fx), "v", "v") }},
		{"receivers", admin, func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, admin), "v", "v", "v") }},
		{"rules", admin, func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, admin), "v", "v", "v", "v") }},
		{"rule_form", admin, func(t *testing.T, m app.Model) app.Model {
			return keys(t, loadAlerts(t, m, admin), "v", "v", "v", "v", "e")
		}},
		{"receiver_form", admin, func(t *testing.T, m app.Model) app.Model {
			return keys(t, loadAlerts(t, m, admin), "v", "v", "v", "down", "e")
		}},
		{"window_form", admin, func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, admin), "v", "v", "e") }},
		{"history_1d", fx, func(t *testing.T, m app.Model) app.Model {
			return longRange(t, m, "pump-2", 3.4, 2)
		}},
		{"history_1w", fx, func(t *testing.T, m app.Model) app.Model {
			return longRange(t, m, "pump-2", 3.4, 3)
		}},
		{"event_clips", fx, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "3")
			m = feed(t, m, events.LoadedMsg{Events: fx.Events})
			m = keys(t, m, "enter")
			w, _ := m.BodySize()
			return feed(t, m, events.ClipsLoadedMsg{EventID: 7, Clips: fx.Clips[7]},
				events.SpectrogramMsg{ClipID: 12, Spectrogram: FixtureSpectrogram(12, w-7)})
		}},
		{"event_clip_gone", fx, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "3")
			m = feed(t, m, events.LoadedMsg{Events: fx.Events})
			m = keys(t, m, "down", "down", "enter")
			m = feed(t, m, events.ClipsLoadedMsg{EventID: 5, Clips: fx.Clips[5]})
			return keys(t, m, "d")
		}},
		{"queue", admin, func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "7")
			return feed(t, m, queue.LoadedMsg{Jobs: fx.Jobs})
		}},
	}
	for _, p := range pages {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			name := p.name + "_" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				m := p.drive(t, model(t, p.fx, nil, size[0], size[1]))
				screen := m.Render()
				checkSize(t, screen, size[0], size[1])
				golden(t, name, screen)
			})
		}
	}
}

// modelHistory opens pump-2's detail page and its model history with the fixture's models.
func modelHistory(t *testing.T, m app.Model, fx Fixture, machine string) app.Model {
	t.Helper()
	m = keys(t, m, "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	m = keys(t, m, "m")
	return feed(t, m, detail.ModelsLoadedMsg{MachineID: machine, Models: fx.Models[machine]})
}

// longRange opens a machine's detail page and steps its chart's range n times (1h, 1d, 1w)
// with the fixture's history.
func longRange(t *testing.T, m app.Model, machine string, thr float64, n int) app.Model {
	t.Helper()
	m = keys(t, m, "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	for range n {
		m = keys(t, m, "t")
	}
	w, _ := m.BodySize()
	span := detail.Ranges[n].Span
	return feed(t, m, detail.HistoryLoadedMsg{MachineID: machine, Span: span, History: FixtureHistory(machine, thr, span, w-7)})
}

// loadAlerts shows the alerts page with the fixture's alerting data.
func loadAlerts(t *testing.T, m app.Model, fx Fixture) app.Model {
	t.Helper()
	m = keys(t, m, "6")
	return feed(t, m, alerts.LoadedMsg{Alerts: fx.Alerts, Silences: fx.Silences, Maintenance: fx.Maintenance, Receivers: fx.Receivers, Rules: fx.Rules})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestResizeKeepsScreenFilled(t *testing.T) {
	m := model(t, NewFixture(), nil, 120, 40)
	for _, size := range [][2]int{{80, 24}, {100, 30}, {60, 15}, {160, 50}} {
		m = feed(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, k := range []string{"1", "2", "3", "4", "5", "6", "7"} {
			m = keys(t, m, k)
			checkSize(t, m.Render(), size[0], size[1])
		}
	}
}

func TestKeyNavigation(t *testing.T) {
	m := model(t, NewFixture(), nil, 80, 24)
	steps := []struct {
		key  string
		want app.Page
	}{
		{"2", app.PageDetail}, {"3", app.PageEvents}, {"4", app.PageDevices}, {"5", app.PageSettings},
		{"6", app.PageAlerts}, {"7", app.PageQueue},
		{"tab", app.PageOverview}, {"tab", app.PageDetail}, {"shift+tab", app.PageOverview},
		{"shift+tab", app.PageQueue}, {"shift+tab", app.PageAlerts}, {"tab", app.PageQueue}, {"1", app.PageOverview},
	}
	for _, s := range steps {
		m = keys(t, m, s.key)
		if m.Page() != s.want {
			t.Fatalf("after %q: page %v, want %v", s.key, m.Page(), s.want)
		}
	}
	// Enter on the third row opens that machine's detail.
	m = keys(t, m, "down", "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if m.Page() != app.PageDetail || !strings.Contains(ansi.Strip(m.Render()), "Conveyor motor 3") {
		t.Fatalf("enter did not open motor-3's detail:\n%s", ansi.Strip(m.Render()))
	}
	// ? shows the full help, which lists the page keys.
	m = keys(t, m, "?")
	if !strings.Contains(ansi.Strip(m.Render()), "next page") || !strings.Contains(ansi.Strip(m.Render()), "settings") {
		t.Errorf("full help missing:\n%s", ansi.Strip(m.Render()))
	}
	checkSize(t, m.Render(), 80, 24)
	// q quits.
	_, cmd = step(t, m, press("q"))
	if cmd == nil {
		t.Fatal("q gave no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
}

func TestTypingDigitsInCommentDoesNotSwitchPage(t *testing.T) {
	fx := NewFixture()
	m := model(t, fx, nil, 80, 24)
	m = keys(t, m, "3")
	m = feed(t, m, events.LoadedMsg{Events: fx.Events})
	m = keys(t, m, "a", "1", "q", "2")
	if m.Page() != app.PageEvents {
		t.Fatalf("page %v, want events", m.Page())
	}
	if !strings.Contains(ansi.Strip(m.Render()), "comment: 1q2") {
		t.Fatalf("comment box does not hold the typed text:\n%s", ansi.Strip(m.Render()))
	}
}

func TestAcknowledgeFlow(t *testing.T) {
	m, a := serve(t, api.RoleOperator, 80, 24)
	m, cmd := step(t, m, press("3"))
	m = settle(t, m, cmd)
	if !strings.Contains(ansi.Strip(m.Render()), "4 events") {
		t.Fatalf("events not loaded:\n%s", ansi.Strip(m.Render()))
	}
	// The newest event (#7, open, unacknowledged) is selected.
	m = keys(t, m, "a")
	for _, r := range "pump checked" {
		m = keys(t, m, string(r))
	}
	golden(t, "ack_comment_80x24", m.Render())
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	// The appliance recorded it under the operator's token, with the comment.
	e := event(t, a, 7)
	if e.AcknowledgedBy != "tech-anna" || e.AckComment != "pump checked" || e.AcknowledgedAt == nil {
		t.Errorf("the appliance has event 7 %+v; want it acknowledged by tech-anna with the comment", e)
	}
	screen := ansi.Strip(m.Render())
	if !strings.Contains(screen, "Event #7 acknowledged.") || !strings.Contains(screen, "✓ tech-anna") {
		t.Errorf("acknowledgement not shown:\n%s", screen)
	}
	// Acknowledging again is refused in the client, without a request.
	m, cmd = step(t, m, press("a"))
	if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "was acknowledged by tech-anna") {
		t.Errorf("second acknowledge not refused locally (command %v):\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
	// Label it as a leak.
	m = keys(t, m, "L", "down", "down", "down", "down", "down", "down", "down") // leak is the 8th fault type
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	if e := event(t, a, 7); e.Label != "leak" {
		t.Errorf("label %q, want leak", e.Label)
	}
	if !strings.Contains(ansi.Strip(m.Render()), "[leak]") {
		t.Errorf("label not shown:\n%s", ansi.Strip(m.Render()))
	}
}

func TestViewerSeesNoActions(t *testing.T) {
	fx := NewFixture()
	fx.Me = api.Identity{Actor: "wall-display", Role: api.RoleViewer}
	m := model(t, fx, nil, 120, 24)
	m = keys(t, m, "3")
	m = feed(t, m, events.LoadedMsg{Events: fx.Events})
	screen := ansi.Strip(m.Render())
	if strings.Contains(screen, "acknowledge") && !strings.Contains(screen, "need role operator") {
		t.Errorf("viewer is offered acknowledge:\n%s", screen)
	}
	if !strings.Contains(screen, "Read-only: acknowledging and labelling need role operator (you are viewer)") {
		t.Errorf("no read-only note:\n%s", screen)
	}
	m = keys(t, m, "a")
	if !strings.Contains(ansi.Strip(m.Render()), "To acknowledge events you need role operator (you are viewer).") {
		t.Errorf("a did not explain the role:\n%s", ansi.Strip(m.Render()))
	}
	m = keys(t, m, "5", "e")
	if !strings.Contains(ansi.Strip(m.Render()), "To change a machine you need role admin (you are viewer).") {
		t.Errorf("settings did not explain the role:\n%s", ansi.Strip(m.Render()))
	}
}

func TestSettingsValidationErrors(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 80, 24)
	m = keys(t, m, "5", "down", "e")
	// Learning period: clear and type 5s; quantile: 1.5.
	m = keys(t, m, "tab", "tab", "tab")
	for range 10 {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "5", "s", "tab", "tab")
	for range 10 {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "1", ".", "5")
	m, cmd := step(t, m, press("ctrl+s"))
	m = settle(t, m, cmd)
	if d := machine(t, a, "pump-2").Detection; d.Learning != "30s" || d.Quantile != 0.99 {
		t.Errorf("the appliance stored a rejected change: %+v", d)
	}
	screen := ansi.Strip(m.Render())
	for _, want := range []string{"✗ must be at least 0.5 and below 1", "✗ must be between 10s and 720h", "rejected the change"} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q:\n%s", want, screen)
		}
	}
	// The error sits beside its field, or right below it when the screen
	// is narrow.
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Quantile") && !strings.Contains(l+lines[i+1], "✗ must be at least 0.5") {
			t.Errorf("quantile line without its error: %q", l)
		}
	}
	golden(t, "settings_invalid_80x24", m.Render())

	// A value that is not a number is caught before any request.
	m = keys(t, m, "tab")
	m = keys(t, m, "x")
	m, cmd = step(t, m, press("ctrl+s"))
	if cmd != nil {
		t.Error("an invalid number was sent")
	}
	if !strings.Contains(ansi.Strip(m.Render()), "✗ must be a whole number") {
		t.Errorf("local check not shown:\n%s", ansi.Strip(m.Render()))
	}
	if n := len(audits(t, a, "machine.update")); n != 0 {
		t.Errorf("%d machine changes audited", n)
	}
}

func TestRelearnNeedsConfirmation(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 80, 24)
	m = keys(t, m, "5", "R", "n")
	m = keys(t, m, "R")
	if !strings.Contains(ansi.Strip(m.Render()), "Relearn fan-1?") {
		t.Fatalf("no confirmation:\n%s", ansi.Strip(m.Render()))
	}
	m, cmd := step(t, m, press("y"))
	m = settle(t, m, cmd)
	if as := audits(t, a, "machine.relearn"); len(as) != 1 || as[0].Target != "machine/fan-1" {
		t.Errorf("the appliance audited relearning %+v, want exactly one of fan-1", as)
	}
	if !strings.Contains(ansi.Strip(m.Render()), "Relearning fan-1") {
		t.Errorf("outcome not shown:\n%s", ansi.Strip(m.Render()))
	}
}

// typeInto clears the focused input and types text into it.
func typeInto(t *testing.T, m app.Model, text string) app.Model {
	t.Helper()
	for range 30 {
		m = keys(t, m, "backspace")
	}
	for _, r := range text {
		m = keys(t, m, string(r))
	}
	return m
}

// Settings fields after the name, in tab order.
const (
	tabsToWindow      = 7
	tabsToPersistence = 10
)

func TestSettingsShowListeningProfile(t *testing.T) {
	m, _ := serve(t, api.RoleAdmin, 80, 24)
	m = keys(t, m, "5", "down")
	screen := ansi.Strip(m.Render())
	for _, want := range []string{"Window *         2s", "Hop *            500ms", "Pooling *        mean, modulation", "Persistence      2s",
		"* a change makes the machine learn again"} {
		if !strings.Contains(screen, want) {
			t.Errorf("settings lack %q:\n%s", want, screen)
		}
	}
}

func TestSettingsWindowChangeAsksBeforeRelearning(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 80, 24)
	m = keys(t, m, "5", "down", "e")
	for range tabsToWindow {
		m = keys(t, m, "tab")
	}
	m = typeInto(t, m, "10s")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Saving window 2s → 10s makes pump-2 learn its normal") {
		t.Errorf("no warning while editing:\n%s", s)
	}
	m, cmd := step(t, m, press("ctrl+s"))
	m = settle(t, m, cmd)
	screen := ansi.Strip(m.Render())
	if !strings.Contains(screen, "Save window 2s → 10s? pump-2 then learns its normal sound again") || !strings.Contains(screen, "y/n") {
		t.Fatalf("no confirmation before saving:\n%s", screen)
	}
	if n := len(audits(t, a, "machine.update")); n != 0 {
		t.Fatalf("%d changes before the confirmation was answered", n)
	}
	checkSize(t, m.Render(), 80, 24)
	golden(t, "settings_relearn_80x24", m.Render())

	// n goes back to the form, keeping the edit, and saves nothing.
	m = keys(t, m, "n")
	if w := machine(t, a, "pump-2").Detection.Window; w != "2s" {
		t.Fatalf("the appliance has window %s after answering no", w)
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Not saved.") || !strings.Contains(s, "10s") {
		t.Errorf("after no:\n%s", s)
	}
	// Typing continues in the form after the answer.
	m = keys(t, m, "backspace", "backspace", "backspace")
	m = typeInto(t, m, "5s")
	m, cmd = step(t, m, press("ctrl+s"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if as := audits(t, a, "machine.update"); len(as) != 1 || as[0].Target != "machine/pump-2" {
		t.Fatalf("the appliance audited %+v, want one change of pump-2", as)
	}
	if d := machine(t, a, "pump-2").Detection; d.Window != "5s" || d.Hop != "500ms" || d.Persistence != "2s" ||
		!slices.Equal(d.Pooling, []string{"mean", "modulation"}) {
		t.Errorf("the appliance has %+v", d)
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Saved pump-2.") || !strings.Contains(s, "Window *         5s") {
		t.Errorf("not saved:\n%s", s)
	}
}

func TestSettingsPersistenceSavesWithoutRelearning(t *testing.T) {
	m, a := serve(t, api.RoleAdmin, 80, 24)
	m = keys(t, m, "5", "e")
	for range tabsToPersistence {
		m = keys(t, m, "tab")
	}
	m = typeInto(t, m, "0s")
	if s := ansi.Strip(m.Render()); strings.Contains(s, "learn its normal sound again") {
		t.Errorf("persistence warned of relearning:\n%s", s)
	}
	m, cmd := step(t, m, press("enter")) // enter on the last field saves
	m = settle(t, m, cmd)
	if d := machine(t, a, "fan-1").Detection; d.Persistence != "0s" || d.Window != "2s" {
		t.Fatalf("the appliance has %+v", d)
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Saved fan-1.") {
		t.Errorf("not saved:\n%s", s)
	}
}

func TestSettingsProfileErrorsFromAppliance(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(itoa(size[0])+"x"+itoa(size[1]), func(t *testing.T) {
			m, a := serve(t, api.RoleAdmin, size[0], size[1])
			m = keys(t, m, "5", "down", "e")
			for range tabsToWindow {
				m = keys(t, m, "tab")
			}
			m = typeInto(t, m, "1s")
			m = keys(t, m, "tab")
			m = typeInto(t, m, "2s")
			m = keys(t, m, "tab")
			m = typeInto(t, m, "max, avg")
			m = keys(t, m, "tab")
			m = typeInto(t, m, "soon")
			// A duration that does not parse is caught here, beside its field.
			m, cmd := step(t, m, press("ctrl+s"))
			m = settle(t, m, cmd)
			if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "Persistence      soon") {
				t.Fatalf("an unparsable persistence was sent:\n%s", ansi.Strip(m.Render()))
			}
			if got := m.SettingsErrors()[api.FieldPersistence]; got != "must be a duration such as 2s or 500ms" {
				t.Errorf("persistence error %q", got)
			}
			m = typeInto(t, m, "3s")
			m, cmd = step(t, m, press("ctrl+s"))
			m = settle(t, m, cmd)
			m, cmd = step(t, m, press("y"))
			m = settle(t, m, cmd)
			if d := machine(t, a, "pump-2").Detection; d.Window != "2s" || d.Persistence != "2s" {
				t.Fatalf("the appliance stored a rejected change: %+v", d)
			}
			errs := m.SettingsErrors()
			want := map[string]string{
				api.FieldHop:     "must be between 10ms and the window (1s)",
				api.FieldPooling: `"avg" must be one of max, mean, std, min, delta, modulation, each once`,
			}
			if len(errs) != len(want) || errs[api.FieldHop] != want[api.FieldHop] || errs[api.FieldPooling] != want[api.FieldPooling] {
				t.Errorf("errors %q, want %q", errs, want)
			}
			screen := ansi.Strip(m.Render())
			lines := strings.Split(screen, "\n")
			for field, label := range map[string]string{api.FieldHop: "Hop *", api.FieldPooling: "Pooling *"} {
				k := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, label) })
				if k < 0 || !strings.Contains(lines[k]+lines[k+1], "✗ "+want[field][:20]) {
					t.Errorf("%s without its error beside or below it:\n%s", label, screen)
				}
			}
			checkSize(t, m.Render(), size[0], size[1])
			golden(t, "settings_profile_invalid_"+itoa(size[0])+"x"+itoa(size[1]), m.Render())
		})
	}
}

// Errors are read whole: at 80×24 an error on every field fits beside it; long errors
// go below their fields, and the hints give way so that they and the outcome still show.
func TestSettingsManyErrorsFit(t *testing.T) {
	fx := NewFixture()
	fx.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	long := map[string]bool{api.FieldSmoothing: true, api.FieldWindow: true, api.FieldHop: true, "detection.pooling[0]": true, api.FieldPersistence: true}
	for _, all := range []bool{true, false} {
		var fs []api.FieldError
		for _, f := range []string{api.FieldName, api.FieldSensorSource, api.FieldSensorChannel, api.FieldLearning, api.FieldModel,
			api.FieldQuantile, api.FieldSmoothing, api.FieldWindow, api.FieldHop, "detection.pooling[0]", api.FieldPersistence} {
			switch {
			case all:
				fs = append(fs, api.FieldError{Field: f, Message: "bad " + f})
			case long[f]:
				fs = append(fs, api.FieldError{Field: f, Message: "bad " + f + ": out of range"})
			}
		}
		c := refusingClient{err: &api.Error{Code: api.CodeInvalid, Fields: fs}}
		m := model(t, fx, c, 80, 24)
		m = keys(t, m, "5", "e")
		m, cmd := step(t, m, press("ctrl+s"))
		m = settle(t, m, cmd)
		screen := ansi.Strip(m.Render())
		checkSize(t, m.Render(), 80, 24)
		wants := []string{"✗ bad detection.window", "✗ bad detection.hop", "✗ \"mean\" bad detection.pooling[0]", "✗ bad detection.persistence",
			"rejected the change"}
		if all {
			wants = append(wants, "✗ bad name", "✗ bad detection.quantile")
		} else if strings.Contains(screen, "fewer alarms") {
			t.Errorf("the quantile's hint took the room of an error:\n%s", screen)
		}
		for _, want := range wants {
			if !strings.Contains(screen, want) {
				t.Errorf("screen lacks %q:\n%s", want, screen)
			}
		}
	}
}

func TestErrorScreens(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"unreachable", &os.PathError{Op: "dial", Path: "/run/signalcraft/api.sock", Err: os.ErrNotExist},
			[]string{"Cannot reach the appliance at unix:/run/signalcraft/api.sock", "Retrying every 5s", "r retry"}},
		{"socket permission", &url.Error{Op: "Get", URL: "http://unix/api/v1/me", Err: &api.SocketError{Path: "/run/signalcraft/api.sock",
			Err: &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}}},
			[]string{"Not allowed to use the appliance's API socket", "connect: permission denied", "sudo usermod -aG signalcraft $USER", "log out and in again"}},
		{"unauthorized", &api.Error{Code: api.CodeUnauthorized, Message: "unknown token"},
			[]string{"401 unauthorized", "SIGNALCRAFT_TOKEN"}},
		{"forbidden", &api.Error{Code: api.CodeForbidden, Message: "no"}, []string{"403 forbidden", "role viewer"}},
		{"rate limited", &api.Error{Code: api.CodeRateLimited, Message: "too many failed authentications from 192.0.2.7: retry in 1m0s"},
			[]string{"429 rate_limited", "retry in 1m0s", "SIGNALCRAFT_TOKEN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := app.New(app.Options{Target: "unix:/run/signalcraft/api.sock", Now: func() time.Time { return Now }, Tick: -1})
			m = feed(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
			m, cmd := step(t, m, app.ConnectedMsg{Err: c.err})
			screen := ansi.Strip(m.Render())
			for _, w := range c.want {
				if !strings.Contains(screen, w) {
					t.Errorf("screen lacks %q:\n%s", w, screen)
				}
			}
			checkSize(t, m.Render(), 80, 24)
			if (cmd != nil) != (c.name == "unreachable") {
				t.Errorf("retry scheduled: %v", cmd != nil)
			}
			if c.name == "socket permission" && strings.Contains(screen, "running") {
				t.Errorf("a permission error asks whether the daemon runs:\n%s", screen)
			}
			if c.name == "unreachable" {
				golden(t, "unreachable_80x24", m.Render())
			}
		})
	}
}

func TestStatusBarReconnecting(t *testing.T) {
	now := Now
	fx := NewFixture()
	m := app.New(app.Options{Target: "t", Now: func() time.Time { return now }, Tick: -1})
	m = feed(t, m, tea.WindowSizeMsg{Width: 100, Height: 24},
		app.ConnectedMsg{Health: fx.Health, Me: fx.Me, Machines: fx.Machines})
	t.Cleanup(m.Close)
	if !strings.Contains(ansi.Strip(m.Render()), "waiting for live data") {
		t.Errorf("before updates:\n%s", ansi.Strip(m.Render()))
	}
	m = feed(t, m, app.LiveMsg{Updates: fx.Live})
	if !strings.Contains(ansi.Strip(m.Render()), "● live") {
		t.Errorf("after an update:\n%s", ansi.Strip(m.Render()))
	}
	now = now.Add(12 * time.Second)
	m = feed(t, m, app.TickMsg(now))
	if !strings.Contains(ansi.Strip(m.Render()), "reconnecting… (no update for 12s)") {
		t.Errorf("after 12 s of silence:\n%s", ansi.Strip(m.Render()))
	}
}

// Scores carry one unit on every page (issue 9): multiples of the machine's alarm
// threshold — the unit of the alerts' anomaly_score values — with the chart's threshold
// line at 1.
func TestScoresInMultiplesOfThreshold(t *testing.T) {
	m, _ := serve(t, api.RoleOperator, 120, 40)
	var pump api.Live
	for _, l := range NewFixture().Live {
		if l.MachineID == "pump-2" {
			pump = l
		}
	}
	now := fmt.Sprintf("%.2f×", pump.Smoothed/pump.Threshold)
	raw := fmt.Sprintf("%.2f", pump.Threshold)
	mustContain(t, m, "SCORE ×THR", now)
	for page, wants := range map[string][]string{
		"3": {"PEAK ×THR", "1.42×"}, // event #7: peak 4.82 against 3.40
		"6": {"1.43×"},              // the pump's anomaly_score alert
		"2": {"Score   " + now + " threshold", "Score × threshold, last 2 min", "  1.00┤"},
	} {
		if page == "2" {
			m = keys(t, m, "1", "down") // the pump
		}
		var cmd tea.Cmd
		m, cmd = step(t, m, press(page))
		m = settle(t, m, cmd)
		mustContain(t, m, wants...)
		if s := screenOf(m); strings.Contains(s, "/ "+raw) || strings.Contains(s, "4.82") {
			t.Errorf("page %s shows a raw score or threshold:\n%s", page, s)
		}
	}
}

// "1 machine", not "1 machines" (issue 9).
func TestOneMachineIsSingular(t *testing.T) {
	a := apptest.Start(t, apptest.Options{Start: Now, Edit: func(c *config.Config) { c.Machines = c.Machines[:1] }})
	fx := NewFixture()
	e := fx.Events[1] // fan-1's
	if err := a.DB().SaveEvent(context.Background(), store.Event{ID: e.ID, MachineID: e.MachineID, Start: e.Start, End: *e.End,
		PeakScore: e.PeakScore, Threshold: e.Threshold}); err != nil {
		t.Fatal(err)
	}
	m := as(t, a, api.RoleOperator, 100, 30)
	mustContain(t, m, "1 machine · ")
	if strings.Contains(screenOf(m), "1 machines") {
		t.Errorf("plural for one machine:\n%s", screenOf(m))
	}
}
