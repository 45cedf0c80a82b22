// Package events is the events page: the appliance's events with filters
// (machine, open only, unacknowledged), acknowledging an event with a
// comment and labelling it with a fault type or as a false alarm. Both
// actions need the operator role and are hidden from viewers. Enter opens the
// event's view: its audio clips, the selected clip's spectrogram in coloured half
// blocks, d to download the WAV and p to play it on the appliance (evidence.go).
package events

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/theme"
)

// Labels are the labels offered, in order; the last is api.LabelFalseAlarm.
var Labels = append(slices.Clone(api.FaultLabels), api.LabelFalseAlarm)

// Client is what the page needs from the appliance (*api.Client has it).
type Client interface {
	Events(ctx context.Context, f api.EventFilter) ([]api.Event, error)
	AcknowledgeEvent(ctx context.Context, eventID int64, comment string) (api.Event, error)
	LabelEvent(ctx context.Context, eventID int64, label string) (api.Event, error)
}

// Timeout bounds each request the page makes.
const Timeout = 10 * time.Second

// Limit is how many events the page lists.
const Limit = 200

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Machine, Open, Unacked, Refresh, Ack, Label, Submit, Cancel key.Binding
	// The event view (enter): its clips.
	Clips, Download, Play, Back key.Binding
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Machine:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "machine filter")),
		Open:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open only")),
		Unacked:  key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unacknowledged")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Ack:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge")),
		Label:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "label")),
		Submit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Clips:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "clips")),
		Download: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "download WAV")),
		Play:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "play")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// LoadedMsg carries a reload's result.
type LoadedMsg struct {
	Filter api.EventFilter
	Events []api.Event
	Err    error
}

// ChangedMsg carries the result of acknowledging or labelling.
type ChangedMsg struct {
	Action string // "acknowledge" or "label"
	Event  api.Event
	Err    error
}

type mode int

const (
	browsing mode = iota
	commenting
	labelling
)

// Model is the events page.
type Model struct {
	KeyMap        KeyMap
	client        Client
	fleet         *fleet.Fleet
	st            theme.Styles
	filter        api.EventFilter
	events        []api.Event
	cursor        int
	mode          mode
	comment       textinput.Model
	labelCursor   int
	loading       bool
	err           error
	flash         string // the outcome of the last action
	ev            evidence
	audio         Audio
	width, height int
}

// New returns the events page. It lists nothing until Load's command runs.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	ti := textinput.New()
	ti.Prompt = "comment: "
	ti.Placeholder = "what was found, what was done"
	ti.CharLimit = 1000
	return Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st, comment: ti}
}

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.comment.SetWidth(max(w-len(m.comment.Prompt)-2, 10))
}

// Capturing reports whether keys are text or choices for the page (a
// comment is being typed, a label chosen), so the root must not take them.
func (m Model) Capturing() bool { return m.mode != browsing }

// Filter returns the current filter.
func (m Model) Filter() api.EventFilter { return m.filter }

// Events returns the events listed.
func (m Model) Events() []api.Event { return m.events }

// Load returns the command that reloads the list with the current filter.
func (m *Model) Load() tea.Cmd {
	m.loading = true
	c, f := m.client, m.filter
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		es, err := c.Events(ctx, f)
		return LoadedMsg{Filter: f, Events: es, Err: err}
	}
}

func (m Model) canOperate() bool { return m.fleet.Can(api.RoleOperator) }

// ShortHelp lists the keys usable now, without the actions the caller's
// role does not allow.
func (m Model) ShortHelp() []key.Binding {
	switch m.mode {
	case commenting:
		return []key.Binding{m.KeyMap.Submit, m.KeyMap.Cancel}
	case labelling:
		return []key.Binding{m.KeyMap.Up, m.KeyMap.Down, m.KeyMap.Submit, m.KeyMap.Cancel}
	}
	if m.ev.shown {
		bs := []key.Binding{m.KeyMap.Up, m.KeyMap.Down}
		if m.canOperate() {
			bs = append(bs, m.KeyMap.Download, m.KeyMap.Play)
		}
		return append(bs, m.KeyMap.Refresh, m.KeyMap.Back)
	}
	bs := []key.Binding{m.KeyMap.Up, m.KeyMap.Down, m.KeyMap.Clips}
	if m.canOperate() {
		bs = append(bs, m.KeyMap.Ack, m.KeyMap.Label)
	}
	return append(bs, m.KeyMap.Machine, m.KeyMap.Open, m.KeyMap.Unacked, m.KeyMap.Refresh)
}

func (m Model) selected() (api.Event, bool) {
	if m.cursor < len(m.events) {
		return m.events[m.cursor], true
	}
	return api.Event{}, false
}

// Update handles keys and the results of the page's commands.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.Filter != m.filter {
			return m, nil // an answer to an older filter
		}
		m.loading = false
		m.err = msg.Err
		if msg.Err == nil {
			var keep int64
			if e, ok := m.selected(); ok {
				keep = e.ID
			}
			m.events = msg.Events
			m.cursor = 0
			for i, e := range m.events {
				if e.ID == keep {
					m.cursor = i
				}
			}
		}
		return m, nil
	case ChangedMsg:
		if msg.Err != nil {
			m.flash = m.st.Error.Render(describe(msg.Action, msg.Err, m.fleet.Me.Role))
			return m, nil
		}
		for i, e := range m.events {
			if e.ID == msg.Event.ID {
				m.events[i] = msg.Event
			}
		}
		verb := "acknowledged"
		if msg.Action == "label" {
			verb = "labelled " + format.Label(msg.Event.Label)
		}
		m.flash = m.st.OK.Render(fmt.Sprintf("Event #%d %s.", msg.Event.ID, verb))
		return m, m.Load()
	case ClipsLoadedMsg, SpectrogramMsg, DownloadProgressMsg, DownloadedMsg, PlayedMsg:
		return m.updateEvidence(msg)
	case tea.KeyPressMsg:
		if m.ev.shown {
			return m.updateEvidence(msg)
		}
		return m.key(msg)
	}
	if m.mode == commenting {
		var cmd tea.Cmd
		m.comment, cmd = m.comment.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m Model) key(k tea.KeyPressMsg) (Model, tea.Cmd) {
	km := m.KeyMap
	switch m.mode {
	case commenting:
		switch {
		case key.Matches(k, km.Cancel):
			m.mode = browsing
			m.comment.Blur()
			return m, nil
		case key.Matches(k, km.Submit):
			e, _ := m.selected()
			m.mode = browsing
			m.comment.Blur()
			c, comment := m.client, strings.TrimSpace(m.comment.Value())
			m.flash = m.st.Muted.Render(fmt.Sprintf("Acknowledging event #%d…", e.ID))
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), Timeout)
				defer cancel()
				ev, err := c.AcknowledgeEvent(ctx, e.ID, comment)
				return ChangedMsg{Action: "acknowledge", Event: ev, Err: err}
			}
		}
		var cmd tea.Cmd
		m.comment, cmd = m.comment.Update(k)
		return m, cmd
	case labelling:
		switch {
		case key.Matches(k, km.Cancel):
			m.mode = browsing
		case key.Matches(k, km.Up):
			m.labelCursor = (m.labelCursor + len(Labels) - 1) % len(Labels)
		case key.Matches(k, km.Down):
			m.labelCursor = (m.labelCursor + 1) % len(Labels)
		case key.Matches(k, km.Submit):
			e, _ := m.selected()
			m.mode = browsing
			c, label := m.client, Labels[m.labelCursor]
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), Timeout)
				defer cancel()
				ev, err := c.LabelEvent(ctx, e.ID, label)
				return ChangedMsg{Action: "label", Event: ev, Err: err}
			}
		}
		return m, nil
	}
	switch {
	case key.Matches(k, km.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(k, km.Down):
		if m.cursor < len(m.events)-1 {
			m.cursor++
		}
	case key.Matches(k, km.Machine):
		m.filter.Machine = m.fleet.NextMachine(m.filter.Machine)
		return m, m.Load()
	case key.Matches(k, km.Open):
		m.filter.Open = !m.filter.Open
		return m, m.Load()
	case key.Matches(k, km.Unacked):
		m.filter.Unacknowledged = !m.filter.Unacknowledged
		return m, m.Load()
	case key.Matches(k, km.Refresh):
		return m, m.Load()
	case key.Matches(k, km.Clips):
		return m.openEvent()
	case key.Matches(k, km.Ack):
		e, ok := m.selected()
		switch {
		case !ok:
		case !m.canOperate():
			m.flash = m.st.Warning.Render(format.NeedRole(api.RoleOperator, "acknowledge events", m.fleet.Me.Role))
		case e.AcknowledgedAt != nil:
			m.flash = m.st.Muted.Render(fmt.Sprintf("Event #%d was acknowledged by %s.", e.ID, e.AcknowledgedBy))
		default:
			m.mode = commenting
			m.comment.Reset()
			m.flash = ""
			return m, m.comment.Focus()
		}
	case key.Matches(k, km.Label):
		e, ok := m.selected()
		switch {
		case !ok:
		case !m.canOperate():
			m.flash = m.st.Warning.Render(format.NeedRole(api.RoleOperator, "label events", m.fleet.Me.Role))
		default:
			m.mode = labelling
			m.labelCursor = 0
			for i, l := range Labels {
				if l == e.Label {
					m.labelCursor = i
				}
			}
			m.flash = ""
		}
	}
	return m, nil
}

// describe turns an action's error into a sentence for the status line.
func describe(action string, err error, have api.Role) string {
	switch {
	case api.IsCode(err, api.CodeForbidden):
		return format.NeedRole(api.RoleOperator, action+" events", have)
	case api.IsCode(err, api.CodeConflict):
		return "Already done: " + err.Error()
	case api.IsCode(err, api.CodeUnauthorized):
		return "The appliance no longer accepts the token: " + err.Error()
	}
	return fmt.Sprintf("Could not %s: %v", action, err)
}

func check(on bool) string {
	if on {
		return "[x]"
	}
	return "[ ]"
}

// View draws the filter line, the list, and the selected event's details
// or the comment box / label chooser.
func (m Model) View() string {
	if m.ev.shown {
		return m.evidenceView()
	}
	w := max(m.width, 40)
	now := m.fleet.Now()
	machine := "all"
	if m.filter.Machine != "" {
		machine = m.filter.Machine
	}
	var lines []string
	count := fmt.Sprintf("%d events", len(m.events))
	if len(m.events) == 1 {
		count = "1 event"
	}
	if m.loading {
		count = "loading…"
	}
	filt := fmt.Sprintf("machine %s (m)  open only %s (o)  unacknowledged %s (u)", m.st.Info.Render(machine),
		check(m.filter.Open), check(m.filter.Unacknowledged))
	lines = append(lines, format.Fit(filt, w-len(count)-1)+" "+m.st.Muted.Render(count))
	if m.err != nil {
		lines = append(lines, m.st.Error.Render(format.Fit("Could not load events: "+m.err.Error(), w)))
	}
	const machW = 12
	head := "  " + format.Fit("#", 6) + format.Fit("MACHINE", machW) + " " + format.Fit("STARTED", 12) + " " +
		format.Fit("LASTED", 6) + " " + format.FitRight("PEAK ×THR", 15) + "  " + "ACK / LABEL"
	lines = append(lines, m.st.Header.Render(format.Fit(head, w)))

	footer := m.footer(w)
	rows := max(m.height-len(lines)-len(footer), 1)
	if len(m.events) == 0 && !m.loading {
		lines = append(lines, m.st.Muted.Render("  No events match."))
		rows--
	}
	first := 0
	if m.cursor >= rows {
		first = m.cursor - rows + 1
	}
	for i := first; i < len(m.events) && i < first+rows; i++ {
		e := m.events[i]
		marker := "  "
		if i == m.cursor {
			marker = m.st.Info.Render("▶ ")
		}
		dur := "open"
		if e.End != nil {
			dur = format.Span(e.End.Sub(e.Start))
		}
		base := format.Fit(fmt.Sprintf("#%d", e.ID), 6) + format.Fit(e.MachineID, machW) + " " +
			format.Fit(format.Clock(now, e.Start), 12) + " " + format.Fit(dur, 6) + " " +
			format.FitRight(format.Score(e.PeakScore, e.Threshold), 15) + "  "
		switch {
		case e.Open():
			base = m.st.Error.Render(base)
		case e.AcknowledgedAt == nil:
			base = m.st.Warning.Render(base)
		}
		ack := m.st.Warning.Render("unacknowledged")
		if e.AcknowledgedAt != nil {
			ack = m.st.OK.Render("✓ " + e.AcknowledgedBy)
		}
		if e.Label != "" {
			ack += " " + m.st.Info.Render("["+format.Label(e.Label)+"]")
		} else if d := e.Diagnosis; d != nil && d.Label != api.DiagnosisUnknown {
			ack += " " + m.st.Muted.Render("~"+format.Label(d.Label)) // the classifier's, until someone labels it
		}
		if x := format.Explanation(e); x != "" { // the cross-sensor correlation's
			ack += " " + m.st.Muted.Render(x)
		}
		lines = append(lines, format.Fit(marker+base+ack, w))
	}
	for len(lines) < m.height-len(footer) {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, footer...), "\n")
}

// footer is the bottom of the page: the selected event's details, or the
// comment box, or the label chooser, and the outcome of the last action.
func (m Model) footer(w int) []string {
	var out []string
	e, ok := m.selected()
	switch m.mode {
	case commenting:
		what := fmt.Sprintf("Acknowledge event #%d of %s", e.ID, e.MachineID)
		if e.Kind == "anomaly" {
			what += " and its anomaly alerts" // the appliance acknowledges those firing for it too
		}
		out = append(out, m.st.Header.Render(format.Fit(what, w)),
			m.comment.View())
	case labelling:
		var b strings.Builder
		for i, l := range Labels {
			s := format.Label(l)
			if i == m.labelCursor {
				s = m.st.Selected.Render(" " + s + " ")
			} else {
				s = " " + s + " "
			}
			b.WriteString(s)
		}
		out = append(out, m.st.Header.Render(fmt.Sprintf("Label event #%d as:", e.ID)), format.Fit(b.String(), w))
	default:
		if !ok {
			break
		}
		if x := format.Explanation(e); x != "" {
			out = append(out, format.Fit(m.st.Header.Render(fmt.Sprintf("#%d ", e.ID))+m.st.Info.Render(x), w))
		}
		if e.Diagnosis != nil {
			out = append(out, format.Fit(m.st.Header.Render(fmt.Sprintf("#%d diagnosis: ", e.ID))+
				m.st.Info.Render(format.Diagnosis(e.Diagnosis, 2))+m.st.Muted.Render(" ("+e.Diagnosis.Model+")"), w))
		}
		if e.AcknowledgedAt != nil {
			c := ""
			if e.AckComment != "" {
				c = fmt.Sprintf(": %q", e.AckComment)
			}
			out = append(out, m.st.Muted.Render(format.Fit(fmt.Sprintf("#%d acknowledged by %s at %s%s", e.ID,
				e.AcknowledgedBy, format.Clock(m.fleet.Now(), *e.AcknowledgedAt), c), w)))
		} else if !m.canOperate() {
			out = append(out, m.st.Muted.Render(format.Fit(fmt.Sprintf("Read-only: acknowledging and labelling need role operator (you are %s).", m.fleet.Me.Role), w)))
		}
	}
	if m.flash != "" {
		out = append(out, format.Fit(m.flash, w))
	}
	return out
}
