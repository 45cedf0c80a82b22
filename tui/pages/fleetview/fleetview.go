// Package fleetview is the terminal client's fleet page: several appliances at once. It
// lists every appliance with its health and replication lag (an unreachable one as such,
// with since when and why), every machine of every appliance with its state, score and
// sensor, and the firing alerts of all of them in one list, acknowledged from there when
// the caller's role on that appliance allows. Its data comes from an api.FleetWatcher, which
// keeps one live connection per appliance; the page only reads its snapshots.
package fleetview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
	"signalcraft/tui/theme"
)

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Ack, Refresh, Help, Quit key.Binding
}

// DefaultKeyMap returns the page's keys.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("fleet.key.prev"))),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("fleet.key.next"))),
		Ack:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", tr.T("fleet.key.ack"))),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.T("fleet.key.refresh"))),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", tr.T("key.help"))),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", tr.T("key.quit"))),
	}
}

// Watcher is what the page needs of an api.FleetWatcher.
type Watcher interface {
	Snapshot() []api.FleetAppliance
	Changed() <-chan struct{}
	Refresh(name string)
	Acknowledge(ctx context.Context, appliance, fingerprint, comment string) (api.Alert, error)
}

// Options configures New.
type Options struct {
	Watcher Watcher
	Now     func() time.Time // default time.Now
	Ctx     context.Context  // ends the wait for changes; default context.Background()
	// AckComment is the comment sent with an acknowledgement from this page.
	AckComment string
	// MinInterval is the least time between two redraws for changes (default 100ms): live
	// updates of many appliances arrive hundreds of times a second.
	MinInterval time.Duration
	// Lang is the language of the page ("" is English).
	Lang i18n.Lang
}

// ChangedMsg tells the page the watcher's state changed; it reads a new snapshot.
type ChangedMsg struct{}

// AckedMsg is the outcome of an acknowledgement.
type AckedMsg struct {
	Appliance, Fingerprint string
	Err                    error
}

// Model is the fleet page.
type Model struct {
	opt      Options
	changed  <-chan struct{}
	st       theme.Styles
	tr       i18n.Translator
	keys     KeyMap
	apps     []api.FleetAppliance
	width    int
	height   int
	cursor   int // index into alerts()
	help     bool
	status   string
	statusOK bool
}

// New returns the page.
func New(opt Options) Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Ctx == nil {
		opt.Ctx = context.Background()
	}
	if opt.MinInterval <= 0 {
		opt.MinInterval = 100 * time.Millisecond
	}
	if opt.AckComment == "" {
		opt.AckComment = "acknowledged from the fleet view"
	}
	tr := i18n.New(opt.Lang)
	m := Model{opt: opt, st: theme.DefaultStyles(), tr: tr, keys: keyMap(tr), width: 100, height: 30}
	if opt.Watcher != nil {
		m.changed = opt.Watcher.Changed()
		m.apps = opt.Watcher.Snapshot()
	}
	return m
}

// Appliances returns the snapshot the page shows.
func (m Model) Appliances() []api.FleetAppliance { return m.apps }

// SetAppliances replaces the snapshot shown (tests, and Update on ChangedMsg).
func (m Model) SetAppliances(apps []api.FleetAppliance) Model {
	m.apps = apps
	if n := len(m.alerts()); m.cursor >= n {
		m.cursor = max(0, n-1)
	}
	return m
}

// Init waits for the first change.
func (m Model) Init() tea.Cmd { return m.wait() }

func (m Model) wait() tea.Cmd {
	if m.opt.Watcher == nil {
		return nil
	}
	ch, ctx, pause := m.changed, m.opt.Ctx, m.opt.MinInterval
	if m.apps == nil {
		pause = 0 // nothing shown yet
	}
	return func() tea.Msg {
		// Changes during the pause coalesce into one: the page draws at most once per
		// MinInterval however many live updates arrive.
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
		select {
		case <-ch:
			return ChangedMsg{}
		case <-ctx.Done():
			return nil
		}
	}
}

// fleetAlert is one firing alert with its appliance.
type fleetAlert struct {
	appliance string
	role      api.Role
	alert     api.Alert
}

// alerts lists the firing alerts of every reachable appliance, in the appliances' order.
func (m Model) alerts() []fleetAlert {
	var out []fleetAlert
	for _, a := range m.apps {
		for _, al := range a.Alerts {
			out = append(out, fleetAlert{a.Name, a.Me.Role, al})
		}
	}
	return out
}

// Update handles changes, keys and window sizes.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ChangedMsg:
		return m.SetAppliances(m.opt.Watcher.Snapshot()), m.wait()
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case AckedMsg:
		if msg.Err != nil {
			m.status, m.statusOK = m.tr.T("fleet.ackfailed", msg.Appliance, msg.Err), false
		} else {
			m.status, m.statusOK = m.tr.T("fleet.acked", msg.Appliance), true
		}
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	as := m.alerts()
	switch {
	case key.Matches(k, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(k, m.keys.Help):
		m.help = !m.help
	case key.Matches(k, m.keys.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(k, m.keys.Down):
		m.cursor = max(0, min(len(as)-1, m.cursor+1))
	case key.Matches(k, m.keys.Refresh):
		if m.opt.Watcher != nil {
			for _, a := range m.apps {
				m.opt.Watcher.Refresh(a.Name)
			}
		}
		m.status, m.statusOK = m.tr.T("fleet.refreshing"), true
	case key.Matches(k, m.keys.Ack):
		if m.cursor >= len(as) {
			m.status, m.statusOK = m.tr.T("fleet.nothingtoack"), false
			return m, nil
		}
		fa := as[m.cursor]
		if !fa.role.Allows(api.RoleOperator) {
			m.status, m.statusOK = fa.appliance+": "+m.tr.NeedRole(api.RoleOperator, "what.ackalerts", fa.role), false
			return m, nil
		}
		if fa.alert.AcknowledgedAt != nil {
			m.status, m.statusOK = m.tr.T("fleet.already", fa.appliance, fa.alert.AcknowledgedBy), false
			return m, nil
		}
		w, ctx, comment := m.opt.Watcher, m.opt.Ctx, m.opt.AckComment
		m.status, m.statusOK = m.tr.T("fleet.acking", fa.appliance), true
		return m, func() tea.Msg {
			_, err := w.Acknowledge(ctx, fa.appliance, fa.alert.Fingerprint, comment)
			return AckedMsg{Appliance: fa.appliance, Fingerprint: fa.alert.Fingerprint, Err: err}
		}
	}
	return m, nil
}

// View draws the page.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "signalcraft fleet"
	return v
}

// Render returns the page as styled text.
func (m Model) Render() string {
	now := m.opt.Now()
	w := max(m.width, 40)
	var b strings.Builder
	machines, anomalies, down := 0, 0, 0
	for _, a := range m.apps {
		machines += len(a.Machines)
		if !a.Reachable {
			down++
			continue
		}
		for _, fm := range a.Machines {
			if fm.Live.State == api.StateAnomaly {
				anomalies++
			}
		}
	}
	as := m.alerts()
	tr := m.tr
	sum := []string{tr.N("fleet.appliances", len(m.apps), len(m.apps)), tr.N("overview.machines", machines, machines)}
	b.WriteString(m.st.Title.Render(tr.T("fleet.title")) + "  " + strings.Join(sum, " · "))
	if anomalies > 0 {
		b.WriteString(" · " + m.st.Anomaly.Render(tr.N("fleet.anomalies", anomalies, anomalies)))
	}
	if len(as) > 0 {
		b.WriteString(" · " + m.st.Error.Render(tr.N("fleet.firing", len(as), len(as))))
	}
	if down > 0 {
		b.WriteString(" · " + m.st.Error.Render(tr.T("fleet.unreachable", down)))
	}
	b.WriteString("\n\n")

	b.WriteString(m.st.Header.Render(format.Fit(tr.T("fleet.col.appliance"), 14)+" "+format.Fit(tr.T("fleet.col.health"), 12)+" "+
		format.Fit(tr.T("fleet.col.replication"), 26)+" "+tr.T("fleet.col.detail")) + "\n")
	for _, a := range m.apps {
		b.WriteString(format.Fit(a.Name, 14) + " " + m.applianceLine(now, a, w-15) + "\n")
	}

	b.WriteString("\n" + m.st.Header.Render(format.Fit(tr.T("fleet.col.appliance"), 14)+" "+format.Fit(tr.T("fleet.col.machine"), 18)+" "+
		format.Fit(tr.T("fleet.col.state"), 16)+" "+format.FitRight(tr.T("fleet.col.score"), 7)+"  "+tr.T("fleet.col.sensor")) + "\n")
	for _, a := range m.apps {
		for _, fm := range a.Machines {
			b.WriteString(format.Fit(a.Name, 14) + " " + format.Fit(machineName(fm.Machine), 18) + " " + m.machineCells(now, a, fm) + "\n")
		}
		if len(a.Machines) == 0 {
			b.WriteString(format.Fit(a.Name, 14) + " " + m.st.Muted.Render(m.noMachines(a)) + "\n")
		}
	}

	b.WriteString("\n" + m.st.Header.Render(tr.T("fleet.alerts", len(as))) + "\n")
	if len(as) == 0 {
		b.WriteString(m.st.Muted.Render(tr.T("overview.last.none")) + "\n")
	}
	for i, fa := range as {
		b.WriteString(m.alertLine(now, i == m.cursor, fa, w) + "\n")
	}
	for _, a := range m.apps {
		if a.Reachable && a.AlertsErr != "" {
			b.WriteString(m.st.Warning.Render(tr.T("fleet.alertserr", a.Name, a.AlertsErr)) + "\n")
		}
		if a.Truncated > 0 {
			b.WriteString(m.st.Muted.Render(tr.T("fleet.truncated", a.Name, a.Truncated)) + "\n")
		}
	}
	if m.status != "" {
		st := m.st.Error
		if m.statusOK {
			st = m.st.Info
		}
		b.WriteString("\n" + st.Render(format.Fit(m.status, w)) + "\n")
	}
	b.WriteString("\n" + m.helpLine())
	return b.String()
}

func (m Model) helpLine() string {
	ks := []key.Binding{m.keys.Up, m.keys.Down, m.keys.Ack, m.keys.Refresh, m.keys.Help, m.keys.Quit}
	if !m.help {
		ks = []key.Binding{m.keys.Ack, m.keys.Help, m.keys.Quit}
	}
	var parts []string
	for _, k := range ks {
		parts = append(parts, k.Help().Key+" "+k.Help().Desc)
	}
	s := m.st.Muted.Render(strings.Join(parts, " · "))
	if m.help {
		s += "\n" + m.st.Muted.Render(m.tr.T("fleet.legend"))
	}
	return s
}

func machineName(mc api.Machine) string {
	if mc.Name != "" {
		return mc.Name
	}
	return mc.ID
}

func (m Model) noMachines(a api.FleetAppliance) string {
	if !a.Reachable {
		return m.tr.T("fleet.machinesunknown")
	}
	return m.tr.T("fleet.nomachines")
}

// applianceLine is an appliance's health, replication and detail cells.
func (m Model) applianceLine(now time.Time, a api.FleetAppliance, w int) string {
	if !a.Reachable {
		if a.DownSince.IsZero() {
			return m.st.Muted.Render(m.tr.T("fleet.connecting", a.Target))
		}
		return m.st.Error.Render(format.Fit(m.tr.T("fleet.down", m.tr.Clock(now, a.DownSince), a.Err), w))
	}
	status := a.Status()
	hs := m.st.OK
	switch status {
	case api.HealthDegraded:
		hs = m.st.Warning
	case api.HealthFailing:
		hs = m.st.Error
	}
	cell := hs.Render(format.Fit("● "+m.severity("health."+status), 12))
	rep, level := replication(m.tr, a)
	repSt := map[int]lipgloss.Style{0: m.st.Muted, 1: m.st.OK, 2: m.st.Warning, 3: m.st.Error}[level]
	cell += " " + repSt.Render(format.Fit(rep, 26))
	var detail []string
	if a.Health.Report != nil && len(a.Health.Report.Reasons) > 0 {
		detail = append(detail, a.Health.Report.Reasons[0])
	}
	detail = append(detail, m.tr.Role(a.Me.Role))
	if !a.LastLive.IsZero() {
		detail = append(detail, m.tr.T("fleet.live", m.tr.Ago(now, a.LastLive)))
	}
	return cell + " " + format.Fit(strings.Join(detail, " · "), max(0, w-40))
}

// replication says what the health report says about replication: its status and lag,
// and how bad it is (0 not known or configured, 1 ok, 2 lagging, 3 error).
func replication(tr i18n.Translator, a api.FleetAppliance) (string, int) {
	r, ok := a.Replication()
	switch {
	case !ok:
		return tr.T("fleet.rep.noreport"), 0
	case !r.Configured || r.Status == api.ReplicationNotConfigured:
		return tr.T("fleet.rep.notconfigured"), 0
	}
	s := r.Status
	if k := "fleet.rep." + r.Status; tr.Has(k) {
		s = tr.T(k)
	}
	if r.LagSeconds != nil {
		s += tr.T("fleet.rep.lag", lagText(*r.LagSeconds))
	}
	switch r.Status {
	case api.ReplicationOK:
		return s, 1
	case api.ReplicationLagging:
		return s, 2
	}
	if r.LastError != "" {
		s += ": " + r.LastError
	}
	return s, 3
}

// machineCells are a machine's state, score and sensor cells. An unreachable appliance's
// machines are unknown: their last state is stale and may hide a fault.
func (m Model) machineCells(now time.Time, a api.FleetAppliance, fm api.FleetMachine) string {
	if !a.Reachable {
		return m.st.Lost.Render(format.Fit(m.tr.T("fleet.unknown"), 16)) + " " + format.FitRight("—", 7) + "  " +
			m.st.Muted.Render(m.tr.T("fleet.appunreachable"))
	}
	if !fm.HasLive {
		return m.st.Lost.Render(format.Fit("—", 16)) + " " + format.FitRight("—", 7) + "  " + m.st.Muted.Render(m.tr.T("fleet.noupdate"))
	}
	l := fm.Live
	state := m.st.Condition(theme.ConditionOf(l)).Render(format.Fit(m.tr.State(l), 16))
	sensor := m.tr.Sensor(l.Sensor)
	if sensor == "" {
		sensor = "—"
	}
	return state + " " + format.FitRight(format.Score(l.Smoothed, l.Threshold), 7) + "  " + m.st.SensorState(l.Sensor).Render(sensor)
}

func (m Model) alertLine(now time.Time, selected bool, fa fleetAlert, w int) string {
	al := fa.alert
	sev := m.st.Warning
	if al.Severity == api.SeverityCritical {
		sev = m.st.Error
	}
	summary := al.Summary
	if summary == "" {
		summary = al.Rule
	}
	var tail []string
	if al.FiredAt != nil {
		tail = append(tail, m.tr.T("fleet.since", m.tr.Clock(now, *al.FiredAt)))
	}
	if al.AcknowledgedAt != nil {
		tail = append(tail, m.tr.T("fleet.ackedby", al.AcknowledgedBy))
	}
	if al.Silenced || al.Inhibited {
		tail = append(tail, m.tr.T("fleet.muted"))
	}
	mark := "  "
	if selected {
		mark = "▶ "
	}
	sevCell := format.Fit(m.severity(al.Severity), 8)
	if !selected {
		sevCell = sev.Render(sevCell)
	}
	rest := strings.Join(tail, " · ")
	line := mark + format.Fit(fa.appliance, 12) + " " + sevCell + " " +
		format.Fit(al.MachineID, 14) + " " + format.Fit(summary, max(10, w-40-ansi.StringWidth(rest))) + " " + rest
	if selected {
		return m.st.Selected.Render(format.Fit(line, w))
	}
	return line
}

// lagText renders a replication lag: tenths of a second under a minute, where lags usually
// are, and format.Span above.
func lagText(sec float64) string {
	if sec < 60 {
		return fmt.Sprintf("%.1fs", sec)
	}
	return format.Span(time.Duration(sec * float64(time.Second)))
}

// severity names an alert's severity (critical, warning) in the page's language.
func (m Model) severity(s string) string {
	if k := "fleet.sev." + s; m.tr.Has(k) {
		return m.tr.T(k)
	}
	return s
}
