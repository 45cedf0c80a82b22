package app

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"signalcraft/core/api"
	"signalcraft/tui/format"
)

// helpKeys adapts a list of bindings to help.KeyMap.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

func (m Model) pageHelp() []key.Binding {
	switch m.page {
	case PageOverview:
		return m.overview.ShortHelp()
	case PageDetail:
		return m.detail.ShortHelp()
	case PageEvents:
		return m.events.ShortHelp()
	case PageDevices:
		return m.devices.ShortHelp()
	case PageSettings:
		return m.settings.ShortHelp()
	case PageAlerts:
		return m.alerts.ShortHelp()
	case PageQueue:
		return m.queue.ShortHelp()
	}
	return nil
}

func (m Model) fullHelp() [][]key.Binding {
	km := m.KeyMap
	page := m.pageHelp()
	var cols [][]key.Binding
	// Columns as tall as the page keys' column, which sets the help's height anyway.
	for i := 0; i < len(page); i += len(km.Pages) {
		cols = append(cols, page[i:min(i+len(km.Pages), len(page))])
	}
	return append(cols, km.Pages[:], []key.Binding{km.Next, km.Prev, km.Help, km.Quit})
}

func (m Model) keys() helpKeys {
	km := m.KeyMap
	short := m.pageHelp()
	if !m.capturing() {
		short = append(short, km.Next, km.Help, km.Quit)
	}
	return helpKeys{short: short, full: m.fullHelp()}
}

// View draws the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "signalcraft"
	return v
}

// Render returns the screen as styled text (View's content).
func (m Model) Render() string {
	w := max(m.width, 20)
	var body string
	switch m.conn {
	case connecting:
		body = m.st.Muted.Render(m.tr.T("status.connectingto", m.opts.Target))
	case failed:
		body = m.errorScreen()
	default:
		switch m.page {
		case PageOverview:
			body = m.overview.View()
		case PageDetail:
			body = m.detail.View()
		case PageEvents:
			body = m.events.View()
		case PageDevices:
			body = m.devices.View()
		case PageSettings:
			body = m.settings.View()
		case PageAlerts:
			body = m.alerts.View()
		case PageQueue:
			body = m.queue.View()
		}
	}
	_, bh := m.bodySize()
	lines := strings.Split(body, "\n")
	if len(lines) > bh {
		lines = lines[:bh]
	}
	for len(lines) < bh {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = format.Fit(l, w)
	}
	var b strings.Builder
	b.WriteString(m.tabs(w))
	b.WriteByte('\n')
	b.WriteString(m.st.Muted.Render(strings.Repeat("─", w)))
	b.WriteByte('\n')
	b.WriteString(strings.Join(lines, "\n"))
	b.WriteByte('\n')
	b.WriteString(m.statusBar(w))
	b.WriteByte('\n')
	var hv string
	if m.conn == ready {
		hv = m.help.View(m.keys())
	} else {
		hv = m.help.View(helpKeys{short: []key.Binding{m.KeyMap.Retry, m.KeyMap.Quit}})
	}
	hl := strings.Split(hv, "\n")
	for len(hl) < m.helpHeight() {
		hl = append(hl, "")
	}
	for i, l := range hl {
		hl[i] = format.Fit(l, w)
	}
	b.WriteString(strings.Join(hl[:m.helpHeight()], "\n"))
	return b.String()
}

// tabs draws the tab bar: the title and the pages' names, then without the
// title, then with short names, then with the numbers alone, whichever fits
// first. The alerts tab carries the number of firing alerts that are not
// muted (red when one is critical).
func (m Model) tabs(w int) string {
	badge := ""
	if c := m.fleet.CountAlerts(); m.conn == ready && c.Critical+c.Warning > 0 {
		st := m.st.Warning
		if c.Critical > 0 {
			st = m.st.Anomaly
		}
		badge = st.Render(fmt.Sprintf("▲%d", c.Critical+c.Warning))
	}
	var bar string
	for _, v := range []struct {
		title bool
		names *[nPages]string
	}{{true, pageNames(m.tr, "tab.")}, {false, pageNames(m.tr, "tab.")}, {false, pageNames(m.tr, "tabshort.")}, {false, nil}} {
		var b strings.Builder
		if v.title {
			b.WriteString(m.st.Title.Render("SignalCraft"))
			b.WriteString(" ")
		}
		for i := range nPages {
			label := fmt.Sprint(int(i) + 1)
			if v.names != nil {
				label += " " + v.names[i]
			}
			st := m.st.Tab
			if i == m.page {
				st = m.st.ActiveTab
			}
			if i == PageAlerts && badge != "" {
				b.WriteString(st.PaddingRight(0).Render(label) + " " + badge + " ")
			} else {
				b.WriteString(st.Render(label))
			}
		}
		bar = b.String()
		if lipgloss.Width(bar) <= w {
			break
		}
	}
	return format.Fit(bar, w)
}

func (m Model) statusBar(w int) string {
	var left string
	switch {
	case m.conn == connecting:
		left = m.st.Muted.Render(m.tr.T("status.connecting"))
	case m.conn == failed:
		left = m.st.Error.Render(m.tr.T("status.notconn"))
	case m.streamErr != nil:
		left = m.st.Error.Render(m.tr.T("status.stopped", m.streamErr.Error()))
	case m.fleet.LastUpdate.IsZero():
		left = m.st.Warning.Render(m.tr.T("status.waiting"))
	case m.fleet.Now().Sub(m.fleet.LastUpdate) > m.opts.StaleAfter:
		left = m.st.Warning.Render(m.tr.T("status.stale", m.tr.Span(m.fleet.Now().Sub(m.fleet.LastUpdate))))
	default:
		left = m.st.OK.Render(m.tr.T("status.live"))
	}
	right := m.opts.Target
	if m.conn == ready {
		right = m.tr.T("status.who", m.fleet.Me.Actor, m.tr.Role(m.fleet.Me.Role), m.opts.Target)
	}
	right = m.st.StatusBar.Render(right)
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return format.Fit(left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

// errorScreen explains why the appliance cannot be used and what to do.
func (m Model) errorScreen() string {
	err := m.connErr
	var title, advice string
	tr := m.tr
	switch {
	case api.IsCode(err, api.CodeUnauthorized):
		title = tr.T("conn.401")
		advice = tr.T("conn.401.advice")
	case api.IsCode(err, api.CodeRateLimited):
		// Only failing credentials are answered 429, after repeated failures from this address.
		title = tr.T("conn.429")
		advice = tr.T("conn.429.advice", err.Error())
	case api.IsCode(err, api.CodeForbidden):
		title = tr.T("conn.403")
		advice = tr.T("conn.403.advice")
	case errors.Is(err, api.ErrFingerprintMismatch):
		title = tr.T("conn.fingerprint")
		advice = tr.T("conn.fingerprint.advice")
	case api.IsSocketPermission(err):
		// The daemon is likely running; this user may not open its socket.
		title = tr.T("conn.socket", m.opts.Target)
		advice = tr.T("conn.socket.advice", api.SocketGroup)
		if se := (*api.SocketError)(nil); errors.As(err, &se) {
			err = se.Err // the system's words; the advice says what to do
		}
	default:
		title = tr.T("conn.unreachable", m.opts.Target)
		advice = tr.T("conn.unreachable.advice", tr.Span(m.opts.RetryEvery))
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return m.st.Error.Render(title) + "\n\n" + m.st.Muted.Render(wrap(msg, max(m.width-2, 20))) + "\n\n" + wrap(advice, max(m.width-2, 20)) +
		"\n\n" + m.st.Info.Render("r") + " " + tr.T("conn.retrynow") + "   " + m.st.Info.Render("q") + " " + tr.T("key.quit")
}

func wrap(s string, w int) string {
	return lipgloss.NewStyle().Width(w).Render(s)
}
