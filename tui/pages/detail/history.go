package detail

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/components/history"
)

// HistoryClient reads long-range score history; *api.Client has it.
type HistoryClient interface {
	History(ctx context.Context, machine string, q api.HistoryQuery) (api.ScoreHistory, error)
}

// Ranges are the chart's spans, cycled by t (longer) and T (shorter). The first is the live
// chart; the others come from the appliance's history (raw scores, 1-minute and 1-hour
// rollups).
var Ranges = []struct {
	Name string
	Span time.Duration
}{{"2m", ChartSpan}, {"1h", time.Hour}, {"1d", 24 * time.Hour}, {"1w", 7 * 24 * time.Hour}}

// HistoryLoadedMsg carries a machine's history for a range.
type HistoryLoadedMsg struct {
	MachineID string
	Span      time.Duration
	History   api.ScoreHistory
	Err       error
}

// historyState is the long-range chart of the page.
type historyState struct {
	rng     int // index in Ranges
	machine string
	span    time.Duration
	loaded  api.ScoreHistory
	err     error
	loading bool
}

// Range returns the name of the chart's range ("2m" is the live chart).
func (m Model) Range() string { return Ranges[m.hist.rng].Name }

// loadHistory asks for the shown machine's history over the chosen range, in as many steps
// as the chart has columns; nil for the live range.
func (m *Model) loadHistory() tea.Cmd {
	r := Ranges[m.hist.rng]
	hc, ok := m.client.(HistoryClient)
	if m.hist.rng == 0 || !ok {
		return nil
	}
	id, points := m.Machine(), max(m.width-history.AxisWidth, 10)
	m.hist.loading = true
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		h, err := hc.History(ctx, id, api.HistoryQuery{Span: r.Span, Points: points})
		return HistoryLoadedMsg{MachineID: id, Span: r.Span, History: h, Err: err}
	}
}

// ReloadHistory asks for the chart's history and the machine's health again (the page is
// shown again, or a minute passed).
func (m *Model) ReloadHistory() tea.Cmd { return tea.Batch(m.loadHistory(), m.loadHealth()) }

func (m Model) updateHistory(msg HistoryLoadedMsg) Model {
	if msg.MachineID != m.Machine() || msg.Span != Ranges[m.hist.rng].Span {
		return m // an answer for another machine or range
	}
	m.hist.loading = false
	m.hist.machine, m.hist.span, m.hist.err = msg.MachineID, msg.Span, msg.Err
	if msg.Err == nil {
		m.hist.loaded = msg.History
	}
	return m
}

// historyView draws the long-range chart (heading, chart, summary) in w×rows.
func (m Model) historyView(w, rows int) []string {
	r := Ranges[m.hist.rng]
	head := m.st.Header.Render(m.tr.T("history.title", m.tr.T("history.range."+r.Name))) + m.st.Muted.Render(m.tr.T("history.legend")) +
		m.st.Threshold.Render("───")
	out := []string{head}
	h := m.hist.loaded
	switch {
	case m.hist.err != nil:
		return append(out, m.st.Error.Render(m.tr.T("history.loaderr", m.hist.err.Error())))
	case h.MachineID != m.Machine() || m.hist.span != r.Span:
		return append(out, m.st.Muted.Render(m.tr.T("history.loading", m.tr.T("history.range."+r.Name))))
	}
	st := history.Styles{Bar: m.st.OK, Spread: m.st.Info, Above: m.st.Error, Threshold: m.st.Threshold, Axis: m.st.Muted, Gap: m.st.Muted}
	out = append(out, history.Render(h, w, max(rows, 4), st, m.fleet.Now().Location()))
	return append(out, m.st.Muted.Render(history.SummaryIn(m.tr, h)))
}
