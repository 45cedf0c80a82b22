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

	"signalcraft/core/api"
	"signalcraft/tui/format"
	"signalcraft/tui/theme"
)

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Ack, Refresh, Help, Quit key.Binding
}

// DefaultKeyMap returns the page's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous alert")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next alert")),
		Ack:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge alert")),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh now")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
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
	m := Model{opt: opt, st: theme.DefaultStyles(), keys: DefaultKeyMap(), width: 100, height: 30}
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
			m.status, m.statusOK = fmt.Sprintf("%s: acknowledge failed: %v", msg.Appliance, msg.Err), false
		} else {
			m.status, m.statusOK = fmt.Sprintf("%s: alert acknowledged", msg.Appliance), true
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
		m.status, m.statusOK = "refreshing…", true
	case key.Matches(k, m.keys.Ack):
		if m.cursor >= len(as) {
			m.status, m.statusOK = "no firing alert to acknowledge", false
			return m, nil
		}
		fa := as[m.cursor]
		if !fa.role.Allows(api.RoleOperator) {
			m.status, m.statusOK = fa.appliance+": "+format.NeedRole(api.RoleOperator, "acknowledge alerts", fa.role), false
			return m, nil
		}
		if fa.alert.AcknowledgedAt != nil {
			m.status, m.statusOK = fa.appliance+": already acknowledged by "+fa.alert.AcknowledgedBy, false
			return m, nil
		}
		w, ctx, comment := m.opt.Watcher, m.opt.Ctx, m.opt.AckComment
		m.status, m.statusOK = fa.appliance+": acknowledging…", true
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
	sum := []string{format.Count(len(m.apps), "appliance", "appliances"), format.Count(machines, "machine", "machines")}
	b.WriteString(m.st.Title.Render("SignalCraft fleet") + "  " + strings.Join(sum, " · "))
	if anomalies > 0 {
		b.WriteString(" · " + m.st.Anomaly.Render(format.Count(anomalies, "anomaly", "anomalies")))
	}
	if len(as) > 0 {
		b.WriteString(" · " + m.st.Error.Render(format.Count(len(as), "firing alert", "firing alerts")))
	}
	if down > 0 {
		b.WriteString(" · " + m.st.Error.Render(fmt.Sprintf("%d unreachable", down)))
	}
	b.WriteString("\n\n")

	b.WriteString(m.st.Header.Render(format.Fit("APPLIANCE", 14)+" "+format.Fit("HEALTH", 12)+" "+format.Fit("REPLICATION", 26)+" DETAIL") + "\n")
	for _, a := range m.apps {
		b.WriteString(format.Fit(a.Name, 14) + " " + m.applianceLine(now, a, w-15) + "\n")
	}

	b.WriteString("\n" + m.st.Header.Render(format.Fit("APPLIANCE", 14)+" "+format.Fit("MACHINE", 18)+" "+
		format.Fit("STATE", 16)+" "+format.FitRight("SCORE", 7)+"  SENSOR") + "\n")
	for _, a := range m.apps {
		for _, fm := range a.Machines {
			b.WriteString(format.Fit(a.Name, 14) + " " + format.Fit(machineName(fm.Machine), 18) + " " + m.machineCells(now, a, fm) + "\n")
		}
		if len(a.Machines) == 0 {
			b.WriteString(format.Fit(a.Name, 14) + " " + m.st.Muted.Render(noMachines(a)) + "\n")
		}
	}

	b.WriteString("\n" + m.st.Header.Render(fmt.Sprintf("FIRING ALERTS (%d)", len(as))) + "\n")
	if len(as) == 0 {
		b.WriteString(m.st.Muted.Render("none") + "\n")
	}
	for i, fa := range as {
		b.WriteString(m.alertLine(now, i == m.cursor, fa, w) + "\n")
	}
	for _, a := range m.apps {
		if a.Reachable && a.AlertsErr != "" {
			b.WriteString(m.st.Warning.Render(a.Name+": alerts unavailable: "+a.AlertsErr) + "\n")
		}
		if a.Truncated > 0 {
			b.WriteString(m.st.Muted.Render(fmt.Sprintf("%s: %d more firing alerts not shown", a.Name, a.Truncated)) + "\n")
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
		s += "\n" + m.st.Muted.Render("States: green monitoring, cyan learning, red ANOMALY, yellow sensor problem, grey unknown. "+
			"An unreachable appliance's machines are shown as unknown, never as normal.")
	}
	return s
}

func machineName(mc api.Machine) string {
	if mc.Name != "" {
		return mc.Name
	}
	return mc.ID
}

func noMachines(a api.FleetAppliance) string {
	if !a.Reachable {
		return "machines unknown"
	}
	return "no machines"
}

// applianceLine is an appliance's health, replication and detail cells.
func (m Model) applianceLine(now time.Time, a api.FleetAppliance, w int) string {
	if !a.Reachable {
		if a.DownSince.IsZero() {
			return m.st.Muted.Render("connecting to " + a.Target + "…")
		}
		return m.st.Error.Render(format.Fit(fmt.Sprintf("✕ unreachable since %s — %s", format.Clock(now, a.DownSince), a.Err), w))
	}
	status := a.Status()
	hs := m.st.OK
	switch status {
	case api.HealthDegraded:
		hs = m.st.Warning
	case api.HealthFailing:
		hs = m.st.Error
	}
	cell := hs.Render(format.Fit("● "+status, 12))
	rep, level := replication(a)
	repSt := map[int]lipgloss.Style{0: m.st.Muted, 1: m.st.OK, 2: m.st.Warning, 3: m.st.Error}[level]
	cell += " " + repSt.Render(format.Fit(rep, 26))
	var detail []string
	if a.Health.Report != nil && len(a.Health.Report.Reasons) > 0 {
		detail = append(detail, a.Health.Report.Reasons[0])
	}
	detail = append(detail, string(a.Me.Role))
	if !a.LastLive.IsZero() {
		detail = append(detail, "live "+format.Ago(now, a.LastLive))
	}
	return cell + " " + format.Fit(strings.Join(detail, " · "), max(0, w-40))
}

// replication says what the health report says about replication: its status and lag,
// and how bad it is (0 not known or configured, 1 ok, 2 lagging, 3 error).
func replication(a api.FleetAppliance) (string, int) {
	r, ok := a.Replication()
	switch {
	case !ok:
		return "no report", 0
	case !r.Configured || r.Status == api.ReplicationNotConfigured:
		return "not configured", 0
	}
	s := r.Status
	if r.LagSeconds != nil {
		s += ", lag " + lagText(*r.LagSeconds)
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
		return m.st.Lost.Render(format.Fit("? unknown", 16)) + " " + format.FitRight("—", 7) + "  " +
			m.st.Muted.Render("appliance unreachable")
	}
	if !fm.HasLive {
		return m.st.Lost.Render(format.Fit("—", 16)) + " " + format.FitRight("—", 7) + "  " + m.st.Muted.Render("no update yet")
	}
	l := fm.Live
	state := m.st.Condition(theme.ConditionOf(l)).Render(format.Fit(format.State(l), 16))
	sensor := l.Sensor
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
		tail = append(tail, "since "+format.Clock(now, *al.FiredAt))
	}
	if al.AcknowledgedAt != nil {
		tail = append(tail, "acked by "+al.AcknowledgedBy)
	}
	if al.Silenced || al.Inhibited {
		tail = append(tail, "muted")
	}
	mark := "  "
	if selected {
		mark = "▶ "
	}
	sevCell := format.Fit(al.Severity, 8)
	if !selected {
		sevCell = sev.Render(sevCell)
	}
	rest := strings.Join(tail, " · ")
	line := mark + format.Fit(fa.appliance, 12) + " " + sevCell + " " +
		format.Fit(al.MachineID, 14) + " " + format.Fit(summary, max(10, w-40-len([]rune(rest)))) + " " + rest
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
