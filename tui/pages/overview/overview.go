// Package overview is the first page: every machine in one table with its
// state colour, level, score against threshold, a live score sparkline and
// its last event, then a summary of the machines and of the alerts (firing
// ones first, critical in red). Enter opens the machine's detail page.
package overview

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"signalcraft/tui/components/sparkline"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
	"signalcraft/tui/theme"
)

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Open key.Binding
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("key.up"))),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("key.down"))),
		Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("key.details"))),
	}
}

// TrendSpan is the time the trend sparkline covers.
const TrendSpan = 2 * time.Minute

// OpenMachineMsg asks the root to show a machine's detail page.
type OpenMachineMsg struct{ MachineID string }

// Model is the overview page.
type Model struct {
	KeyMap        KeyMap
	fleet         *fleet.Fleet
	st            theme.Styles
	tr            i18n.Translator
	cursor        int
	width, height int
}

// New returns the overview of f.
func New(f *fleet.Fleet, st theme.Styles) Model {
	return Model{KeyMap: DefaultKeyMap(), fleet: f, st: st}
}

// SetLang sets the language of the page and of its key help.
func (m *Model) SetLang(tr i18n.Translator) { m.tr, m.KeyMap = tr, keyMap(tr) }

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Selected returns the id of the machine under the cursor, "" if none.
func (m Model) Selected() string {
	if m.cursor < len(m.fleet.Machines) {
		return m.fleet.Machines[m.cursor].ID
	}
	return ""
}

// ShortHelp lists the page's keys for the help bar.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.KeyMap.Up, m.KeyMap.Down, m.KeyMap.Open}
}

// Update handles keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	n := len(m.fleet.Machines)
	switch {
	case key.Matches(k, m.KeyMap.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(k, m.KeyMap.Down):
		if m.cursor < n-1 {
			m.cursor++
		}
	case key.Matches(k, m.KeyMap.Open):
		if id := m.Selected(); id != "" {
			return m, func() tea.Msg { return OpenMachineMsg{MachineID: id} }
		}
	}
	return m, nil
}

// columns returns the widths of machine, trend and last-event columns for
// the page width; the others are fixed.
func (m Model) columns() (name, trend, last int) {
	const fixed = 2 + 1 + 13 + 1 + 8 + 1 + 13 + 1 + 1 // marker, state, level, score, gaps
	free := max(m.width-fixed, 36)
	name = min(max(free*2/7, 16), 28)
	trend = min(max(free*2/7, 8), 40)
	last = free - name - trend
	// Korean last-event words take two cells a character: the trend gives some room.
	if m.tr.Korean() && trend > 10 && last < 16 {
		trend, last = trend-3, last+3
	}
	return
}

// View draws the table.
func (m Model) View() string {
	f := m.fleet
	if len(f.Machines) == 0 {
		return m.st.Muted.Render(m.tr.T("overview.none"))
	}
	nameW, trendW, lastW := m.columns()
	var b strings.Builder
	tr := m.tr
	head := "  " + format.Fit(tr.T("overview.col.machine"), nameW) + " " + format.Fit(tr.T("overview.col.state"), 13) + " " +
		format.FitRight(tr.T("overview.col.level"), 8) + " " + format.FitRight(tr.T("overview.col.score"), 13) + " " +
		format.Fit(tr.T("overview.col.trend"), trendW) + " " + format.Fit(tr.T("overview.col.last"), lastW)
	b.WriteString(m.st.Header.Render(head))
	b.WriteByte('\n')
	spark := sparkline.New(trendW, sparkline.Styles{Normal: m.st.OK, Above: m.st.Error})
	now := f.Now()
	// Keep the cursor's row visible on short terminals.
	rows := max(m.height-1, 1)
	first := 0
	if m.cursor >= rows {
		first = m.cursor - rows + 1
	}
	for i := first; i < len(f.Machines) && i < first+rows; i++ {
		mc := f.Machines[i]
		l, seen := f.Live(mc.ID)
		cond := theme.ConditionOf(l)
		stStyle := m.st.Condition(cond)
		marker := "  "
		if i == m.cursor {
			marker = m.st.Info.Render("▶ ")
		}
		name := mc.Name
		if name == "" {
			name = mc.ID
		}
		level, score, trend := "", "", ""
		if seen {
			level = fmt.Sprintf("%.1f dB", l.LevelDBFS)
			scoreStyle := m.st.OK
			if l.Threshold > 0 && l.Smoothed > l.Threshold {
				scoreStyle = m.st.Error
			} else if l.Threshold <= 0 {
				scoreStyle = m.st.Muted
			}
			score = scoreStyle.Render(format.Score(l.Smoothed, l.Threshold))
			h := f.History(mc.ID)
			ts, vals, thrs := make([]time.Time, len(h)), make([]float64, len(h)), make([]float64, len(h))
			for j, p := range h {
				ts[j], vals[j], thrs[j] = p.Time, p.Smoothed, p.Threshold
			}
			vals, thrs = sparkline.Bucket(trendW, l.Time, TrendSpan, ts, vals, thrs)
			trend = spark.Render(vals, thrs)
		}
		last := m.st.Muted.Render(tr.T("overview.last.none"))
		if e, ok := f.LastEvent(mc.ID); ok {
			txt := fmt.Sprintf("#%d %s", e.ID, tr.Span(now.Sub(e.Start)))
			switch {
			case e.Open():
				last = m.st.Error.Render(tr.T("overview.last.open", txt))
			case e.AcknowledgedAt == nil:
				last = m.st.Warning.Render(tr.T("overview.last.unack", txt))
			default:
				last = m.st.Muted.Render(txt + " ✓")
			}
		}
		nameCell := format.Fit(name, nameW)
		if i == m.cursor {
			nameCell = m.st.Header.Render(nameCell)
		}
		b.WriteString(marker + nameCell + " " + stStyle.Render(format.Fit(tr.State(l), 13)) + " " +
			format.FitRight(level, 8) + " " + format.FitRight(score, 13) + " " + format.Fit(trend, trendW) + " " +
			format.Fit(last, lastW))
		if i < len(f.Machines)-1 && i < first+rows-1 {
			b.WriteByte('\n')
		}
	}
	if m.height > len(f.Machines)+2 {
		b.WriteString("\n\n" + m.summary())
		if a := m.alertSummary(); a != "" && m.height > len(f.Machines)+3 {
			b.WriteString("\n" + a)
		}
	}
	return b.String()
}

// summary counts machines by condition and the events needing attention.
func (m Model) summary() string {
	count := map[theme.Condition]int{}
	for _, mc := range m.fleet.Machines {
		l, _ := m.fleet.Live(mc.ID)
		count[theme.ConditionOf(l)]++
	}
	unack := 0
	for _, e := range m.fleet.Events {
		if e.AcknowledgedAt == nil {
			unack++
		}
	}
	n := len(m.fleet.Machines)
	parts := []string{m.st.Muted.Render(m.tr.N("overview.machines", n, n))}
	add := func(n int, what string, st lipgloss.Style) {
		if n > 0 {
			parts = append(parts, st.Render(m.tr.T(what, n)))
		}
	}
	add(count[theme.CondAnomaly], "overview.anomaly", m.st.Anomaly)
	add(count[theme.CondSensor], "overview.sensor", m.st.SensorIssue)
	add(count[theme.CondLost], "overview.lost", m.st.Lost)
	add(count[theme.CondLearning], "overview.learning", m.st.Learning)
	add(count[theme.CondMonitoring], "overview.monitoring", m.st.Monitoring)
	add(unack, "overview.unack", m.st.Warning)
	return strings.Join(parts, m.st.Muted.Render(" · "))
}

// alertSummary counts the alerts: firing ones (red), critical first, then warnings, muted
// (silenced or inhibited) and pending ones. It is empty when the appliance gave no alerts
// (one without alerting answers 404).
func (m Model) alertSummary() string {
	f := m.fleet
	if f.AlertsErr != nil && len(f.Alerts) == 0 {
		return ""
	}
	c := f.CountAlerts()
	if c.Firing() == 0 && c.Pending == 0 {
		return m.st.OK.Render(m.tr.T("overview.noalerts"))
	}
	var parts []string
	add := func(n int, what string, st lipgloss.Style) {
		if n > 0 {
			parts = append(parts, st.Render(m.tr.T(what, n)))
		}
	}
	if c.Firing() > 0 {
		parts = append(parts, m.st.Error.Render(m.tr.N("overview.firing", c.Firing(), c.Firing())))
	}
	add(c.Critical, "overview.critical", m.st.Anomaly)
	add(c.Warning, "overview.warning", m.st.Warning)
	add(c.Muted, "overview.muted", m.st.Muted)
	add(c.Acked, "overview.acked", m.st.OK)
	add(c.Pending, "overview.pending", m.st.Info)
	return strings.Join(parts, m.st.Muted.Render(" · "))
}
