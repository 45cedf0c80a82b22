// Package detail is the machine detail page: a live level meter, the
// spectrum of the latest update, the score of the last two minutes against
// the threshold — or, with t, of the last hour, day or week from the appliance's history —
// and the machine's recent events; m shows instead the machine's model
// history (stage, dataset, false alarms per hour, recall), where admins promote a model or
// roll back, each after a confirmation.
package detail

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/components/chart"
	"signalcraft/tui/components/meter"
	"signalcraft/tui/components/spectrum"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
	"signalcraft/tui/theme"
)

// ChartSpan is the time the score chart covers.
const ChartSpan = 2 * time.Minute

// KeyMap is the page's key bindings.
type KeyMap struct {
	Prev, Next        key.Binding
	Models            key.Binding // the model history, and back
	Up, Down          key.Binding // in the model history
	Promote, Rollback key.Binding
	Yes, No, Back     key.Binding
	Longer, Shorter   key.Binding // the chart's range
	Report            key.Binding // request a report on the machine and save it (report.go)
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Prev:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", tr.T("detail.key.prev"))),
		Next:     key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", tr.T("detail.key.next"))),
		Models:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", tr.T("detail.key.models"))),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("key.up"))),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("key.down"))),
		Promote:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", tr.T("detail.key.promote"))),
		Rollback: key.NewBinding(key.WithKeys("b"), key.WithHelp("b", tr.T("detail.key.rollback"))),
		Yes:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", tr.T("key.yes"))),
		No:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", tr.T("key.no"))),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.T("key.back"))),
		Longer:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t/T", tr.T("detail.key.range"))),
		Shorter:  key.NewBinding(key.WithKeys("T"), key.WithHelp("T", tr.T("detail.key.shorter"))),
		Report:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", tr.T("detail.key.report"))),
	}
}

// Model is the detail page of one machine.
type Model struct {
	KeyMap        KeyMap
	client        Client
	fleet         *fleet.Fleet
	st            theme.Styles
	tr            i18n.Translator
	machine       string
	models        modelsState
	hist          historyState
	health        healthState
	width, height int
	report        reportState
	// ReportDir is where the report key saves reports (default: the working directory).
	ReportDir string
}

// New returns the detail page; SetMachine chooses the machine.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	return Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st, ReportDir: "."}
}

// SetLang sets the language of the page and of its key help.
func (m *Model) SetLang(tr i18n.Translator) { m.tr, m.KeyMap = tr, keyMap(tr) }

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// SetMachine chooses the machine shown.
func (m *Model) SetMachine(id string) { m.machine = id }

// Machine returns the id of the machine shown ("" before one was chosen;
// View then shows the first machine).
func (m Model) Machine() string {
	if m.machine == "" && len(m.fleet.Machines) > 0 {
		return m.fleet.Machines[0].ID
	}
	return m.machine
}

// ShortHelp lists the page's keys for the help bar.
func (m Model) ShortHelp() []key.Binding {
	if m.models.shown {
		return m.modelsHelp()
	}
	return []key.Binding{m.KeyMap.Prev, m.KeyMap.Next, m.KeyMap.Longer, m.KeyMap.Models, m.KeyMap.Report}
}

// Update handles keys: left and right step through the machines, m shows the model
// history (see updateModels for its keys).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ModelsLoadedMsg, ModelChangedMsg:
		return m.updateModels(msg)
	case HistoryLoadedMsg:
		return m.updateHistory(msg), nil
	case HealthLoadedMsg:
		return m.updateHealth(msg), nil
	case ReportMsg, ReportPollMsg:
		return m.updateReport(msg)
	}
	if m.models.shown {
		return m.updateModels(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || len(m.fleet.Machines) == 0 {
		return m, nil
	}
	switch {
	case key.Matches(k, m.KeyMap.Report):
		return m.startReport()
	case key.Matches(k, m.KeyMap.Models):
		m.models.shown, m.models.cursor, m.models.flash = true, 0, ""
		return m, m.loadModels()
	case key.Matches(k, m.KeyMap.Longer):
		m.hist.rng = (m.hist.rng + 1) % len(Ranges)
		return m, m.loadHistory()
	case key.Matches(k, m.KeyMap.Shorter):
		m.hist.rng = (m.hist.rng + len(Ranges) - 1) % len(Ranges)
		return m, m.loadHistory()
	case key.Matches(k, m.KeyMap.Prev), key.Matches(k, m.KeyMap.Next):
		m.step(k)
		return m, tea.Batch(m.loadHistory(), m.loadHealth())
	}
	return m, nil
}

// step moves to the previous or next machine.
func (m *Model) step(k tea.KeyPressMsg) {
	step := 1
	if key.Matches(k, m.KeyMap.Prev) {
		step = -1
	}
	ms := m.fleet.Machines
	if len(ms) == 0 {
		return
	}
	cur := 0
	for i, mc := range ms {
		if mc.ID == m.Machine() {
			cur = i
		}
	}
	m.machine = ms[(cur+step+len(ms))%len(ms)].ID
}

// View draws the page.
func (m Model) View() string {
	f := m.fleet
	id := m.Machine()
	mc, ok := f.Machine(id)
	if !ok {
		return m.st.Muted.Render(m.tr.T("detail.nomachine"))
	}
	l, seen := f.Live(id)
	now := f.Now()
	w := max(m.width, 40)
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }

	name := mc.Name
	if name == "" {
		name = mc.ID
	}
	tr := m.tr
	kind := mc.Kind
	if k := "kind." + kind; tr.Has(k) {
		kind = tr.T(k)
	}
	title := m.st.Title.Render(name) + m.st.Muted.Render(tr.T("detail.sub", mc.ID, kind, mc.Line, mc.Sensor.Source, mc.Sensor.Channel))
	state := m.st.Condition(theme.ConditionOf(l)).Render(tr.State(l))
	add(format.Fit(title, w-ansi.StringWidth(tr.State(l))-1) + " " + state)
	if !seen {
		add("", m.st.Muted.Render(tr.T("detail.waiting")))
		return strings.Join(lines, "\n")
	}
	mt := meter.New(w-8, meter.Styles{Low: m.st.OK, Mid: m.st.Warning, High: m.st.Error, Empty: m.st.Muted})
	add(m.st.Label.Render(format.Fit(tr.T("detail.level"), 6)) + "  " + mt.Render(l.LevelDBFS))
	scoreStyle := m.st.OK
	if l.Threshold > 0 && l.Smoothed > l.Threshold {
		scoreStyle = m.st.Error
	}
	// Scores are shown in multiples of the threshold on every page (alerts' anomaly_score
	// too): above 1× is above the alarm threshold.
	score := m.st.Muted.Render(tr.T("detail.nothreshold"))
	if l.Threshold > 0 {
		score = tr.T("detail.score", scoreStyle.Render(format.Score(l.Smoothed, l.Threshold))) +
			m.st.Muted.Render(tr.T("detail.window", format.Score(l.Score, l.Threshold)))
	}
	add(m.st.Label.Render(format.Fit(tr.T("detail.scorelabel"), 6)) + "  " + score + "  " +
		tr.T("detail.sensor", m.st.SensorState(l.Sensor).Render(tr.Sensor(l.Sensor))))
	if hl := m.healthLine(); hl != "" {
		add(format.Fit(hl, w))
	}
	if r := m.reportLine(); r != "" {
		add(format.Fit(r, w))
	}
	if m.models.shown {
		add(m.modelsView(w, max(m.height-len(lines), 6))...)
		return strings.Join(lines, "\n")
	}

	// Rows left for spectrum, chart and events, each with a heading.
	avail := max(m.height-len(lines)-3, 9)
	evRows := min(max(avail/6, 2), 6)
	specRows := max((avail-evRows)/3, 3)
	chartRows := max(avail-evRows-specRows, 4)

	band := ""
	if l.SpectrumFMaxHz > 0 {
		band = fmt.Sprintf(" %s – %s", hz(l.SpectrumFMinHz), hz(l.SpectrumFMaxHz))
	}
	add(m.st.Header.Render(tr.T("detail.spectrum")) + m.st.Muted.Render(band+", dB"))
	add(spectrum.New(w, specRows, m.st.Info).Render(l.Spectrum))

	if m.hist.rng > 0 {
		add(m.historyView(w, chartRows-1)...)
	} else {
		add(m.liveChart(w, chartRows, id, l)...)
	}

	add(m.st.Header.Render(tr.T("detail.events")))
	evs := f.MachineEvents(id, evRows)
	if len(evs) == 0 {
		add(m.st.Muted.Render(tr.T("detail.noevents")))
	}
	for _, e := range evs {
		add(format.Fit(EventLineIn(tr, m.st, now, e), w))
	}
	return strings.Join(lines, "\n")
}

// liveChart is the chart of the last two minutes from the live stream.
func (m Model) liveChart(w, chartRows int, id string, l api.Live) []string {
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	f := m.fleet
	add(m.st.Header.Render(m.tr.T("detail.chart.live")) + m.st.Muted.Render(m.tr.T("detail.chart.threshold")) + m.st.Threshold.Render("───"))
	h := f.History(id)
	samples := make([]chart.Sample, 0, len(h))
	for _, p := range h {
		if p.Threshold > 0 { // learning windows have no threshold to measure against
			samples = append(samples, chart.Sample{Time: p.Time, Score: p.Smoothed / p.Threshold, Threshold: 1})
		}
	}
	ch := chart.New(w, chartRows, ChartSpan, chart.Styles{Bar: m.st.OK, Above: m.st.Error, Threshold: m.st.Threshold, Axis: m.st.Muted})
	add(ch.Render(samples, l.Time))
	return lines
}

// EventLine renders an event in one line: id, start, duration, peak against
// threshold, acknowledgement and label.
func EventLine(st theme.Styles, now time.Time, e api.Event) string {
	return EventLineIn(i18n.Translator{}, st, now, e)
}

// EventLineIn is EventLine in tr's language.
func EventLineIn(tr i18n.Translator, st theme.Styles, now time.Time, e api.Event) string {
	open := tr.T("event.open")
	dur := open
	if e.End != nil {
		dur = tr.Span(e.End.Sub(e.Start))
	}
	durW := max(5, ansi.StringWidth(open))
	s := fmt.Sprintf("#%-4d %s  %s %s", e.ID, tr.Clock(now, e.Start), format.Fit(dur, durW), tr.T("event.peak", format.Score(e.PeakScore, e.Threshold)))
	switch {
	case e.Open():
		s = st.Error.Render(s)
	case e.AcknowledgedAt == nil:
		s = st.Warning.Render(s)
	}
	ack := st.Warning.Render("  " + tr.T("event.unacked"))
	if e.AcknowledgedAt != nil {
		ack = st.OK.Render("  ✓ " + e.AcknowledgedBy)
	}
	label := ""
	if e.Label != "" {
		label = st.Info.Render("  [" + tr.Label(e.Label) + "]")
	}
	return s + ack + label
}

func hz(f float64) string {
	if f >= 1000 {
		return fmt.Sprintf("%.3g kHz", f/1000)
	}
	return fmt.Sprintf("%.0f Hz", f)
}
