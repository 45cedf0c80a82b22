package detail

import (
	"context"
	"regexp"
	"time"

	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
)

// HealthClient reads a machine's health record and remaining-useful-life estimate;
// *api.Client has it.
type HealthClient interface {
	MachineHealth(ctx context.Context, machine string, f api.HealthFilter) (api.MachineHealth, error)
}

// HealthLoadedMsg carries a machine's health.
type HealthLoadedMsg struct {
	MachineID string
	Health    api.MachineHealth
	Err       error
}

type healthState struct {
	machine string
	h       api.MachineHealth
	err     error
}

// loadHealth asks for the shown machine's health: its state, alarm and RUL come from the
// whole record; only the last day's hours are sent.
func (m *Model) loadHealth() tea.Cmd {
	hc, ok := m.client.(HealthClient)
	if !ok {
		return nil
	}
	id, since := m.Machine(), m.fleet.Now().Add(-24*time.Hour)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		h, err := hc.MachineHealth(ctx, id, api.HealthFilter{From: since})
		return HealthLoadedMsg{MachineID: id, Health: h, Err: err}
	}
}

func (m Model) updateHealth(msg HealthLoadedMsg) Model {
	if msg.MachineID == m.Machine() {
		m.health = healthState{machine: msg.MachineID, h: msg.Health, err: msg.Err}
	}
	return m
}

// healthLine is the machine's health in one line: learning its baseline, healthy, or
// degrading since the alarm with the remaining useful life — "about N h (range a–b h)" only
// when the estimate is confident. "" until loaded; an error is shown muted (older appliances
// have no health route).
func (m Model) healthLine() string {
	hs := m.health
	if hs.machine != m.Machine() {
		return ""
	}
	tr := m.tr
	label := m.st.Label.Render(format.Fit(tr.T("health.label"), 6)) + "  "
	if hs.err != nil {
		return label + m.st.Muted.Render(tr.T("health.unavailable", hs.err.Error()))
	}
	h := hs.h
	level := ""
	if n := len(h.Points); n > 0 && h.Baseline > 0 {
		level = m.st.Muted.Render(tr.T("health.level", h.Points[n-1].Smoothed/h.Baseline))
	}
	switch h.State {
	case api.HealthLearning:
		return label + m.st.Muted.Render(tr.T("health.learning", len(h.Points)))
	case api.HealthHealthy:
		return label + m.st.OK.Render(tr.T("health.healthy")) + level
	}
	s := label + m.st.Error.Render(tr.T("health.degrading"))
	if h.Alarm != nil {
		s += m.st.Error.Render(tr.T("health.since", tr.Clock(m.fleet.Now(), *h.Alarm)))
	}
	switch {
	case h.RUL != nil && h.RUL.Confident:
		s += tr.T("health.rul", m.st.Warning.Render(rulText(tr, h.RUL.Text)))
	case h.RUL != nil:
		s += m.st.Muted.Render(tr.T("health.uncertain"))
	case h.RULNote != "":
		s += m.st.Muted.Render(" · " + h.RULNote)
	}
	return s + level
}

var rulAbout = regexp.MustCompile(`^about ([0-9.]+) h \(range ([0-9.]+)–([0-9.?]+) h\)$`)

// rulText renders the appliance's remaining-life text ("about 31 h (range 19–52 h)") in tr's
// language when it has that shape; other texts are shown as the appliance wrote them.
func rulText(tr i18n.Translator, s string) string {
	if g := rulAbout.FindStringSubmatch(s); g != nil && tr.Korean() {
		return tr.T("health.rultext", g[1], g[2], g[3])
	}
	return s
}
