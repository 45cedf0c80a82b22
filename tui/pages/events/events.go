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
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
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
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("key.up"))),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("key.down"))),
		Machine:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", tr.T("events.key.machine"))),
		Open:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", tr.T("events.key.open"))),
		Unacked:  key.NewBinding(key.WithKeys("u"), key.WithHelp("u", tr.T("events.key.unacked"))),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.T("events.key.refresh"))),
		Ack:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", tr.T("events.key.ack"))),
		Label:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", tr.T("events.key.label"))),
		Submit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("events.key.submit"))),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.T("events.key.cancel"))),
		Clips:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("events.key.clips"))),
		Download: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", tr.T("events.key.download"))),
		Play:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", tr.T("events.key.play"))),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.T("key.back"))),
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
	tr            i18n.Translator
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

// SetLang sets the language of the page, of its comment box and of its key help.
func (m *Model) SetLang(tr i18n.Translator) {
	m.tr, m.KeyMap = tr, keyMap(tr)
	m.comment.Prompt = tr.T("events.comment.prompt")
	m.comment.Placeholder = tr.T("events.comment.placeholder")
	m.comment.SetWidth(max(m.width-ansi.StringWidth(m.comment.Prompt)-2, 10))
}

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.comment.SetWidth(max(w-ansi.StringWidth(m.comment.Prompt)-2, 10))
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
		done := m.tr.T("events.acked", msg.Event.ID)
		if msg.Action == "label" {
			done = m.tr.T("events.labelled", msg.Event.ID, m.tr.Label(msg.Event.Label))
		}
		m.flash = m.st.OK.Render(done)
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
			m.flash = m.st.Muted.Render(m.tr.T("events.acking", e.ID))
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
			m.flash = m.st.Muted.Render(m.tr.T("events.already", e.ID, e.AcknowledgedBy))
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
	tr := m.tr
	machine := tr.T("events.all")
	if m.filter.Machine != "" {
		machine = m.filter.Machine
	}
	var lines []string
	count := tr.N("events.count", len(m.events), len(m.events))
	if m.loading {
		count = tr.T("events.loading")
	}
	filt := tr.T("events.filter", m.st.Info.Render(machine), check(m.filter.Open), check(m.filter.Unacknowledged))
	lines = append(lines, format.Fit(filt, w-ansi.StringWidth(count)-1)+" "+m.st.Muted.Render(count))
	if m.err != nil {
		lines = append(lines, m.st.Error.Render(format.Fit(tr.T("events.loaderr", m.err.Error()), w)))
	}
	const machW = 12
	head := "  " + format.Fit("#", 6) + format.Fit(tr.T("events.col.machine"), machW) + " " + format.Fit(tr.T("events.col.started"), 12) + " " +
		format.Fit(tr.T("events.col.lasted"), 8) + " " + format.FitRight(tr.T("events.col.peak"), 13) + "  " + tr.T("events.col.ack")
	lines = append(lines, m.st.Header.Render(format.Fit(head, w)))

	footer := m.footer(w)
	rows := max(m.height-len(lines)-len(footer), 1)
	if len(m.events) == 0 && !m.loading {
		lines = append(lines, m.st.Muted.Render("  "+tr.T("events.nomatch")))
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
		dur := tr.T("event.open")
		if e.End != nil {
			dur = tr.Span(e.End.Sub(e.Start))
		}
		base := format.Fit(fmt.Sprintf("#%d", e.ID), 6) + format.Fit(e.MachineID, machW) + " " +
			format.Fit(tr.Clock(now, e.Start), 12) + " " + format.Fit(dur, 8) + " " +
			format.FitRight(format.Score(e.PeakScore, e.Threshold), 13) + "  "
		switch {
		case e.Open():
			base = m.st.Error.Render(base)
		case e.AcknowledgedAt == nil:
			base = m.st.Warning.Render(base)
		}
		ack := m.st.Warning.Render(tr.T("event.unacked"))
		if e.AcknowledgedAt != nil {
			ack = m.st.OK.Render("✓ " + e.AcknowledgedBy)
		}
		if e.Label != "" {
			ack += " " + m.st.Info.Render("["+tr.Label(e.Label)+"]")
		} else if d := e.Diagnosis; d != nil && d.Label != api.DiagnosisUnknown {
			ack += " " + m.st.Muted.Render("~"+tr.Label(d.Label)) // the classifier's, until someone labels it
		}
		if x := m.explanation(e); x != "" { // the cross-sensor correlation's
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
		what := m.tr.T("events.ackq", e.ID, e.MachineID)
		if e.Kind == "anomaly" {
			what = m.tr.T("events.ackq.alerts", e.ID, e.MachineID) // the appliance acknowledges those firing for it too
		}
		out = append(out, m.st.Header.Render(format.Fit(what, w)),
			m.comment.View())
	case labelling:
		var b strings.Builder
		for i, l := range Labels {
			s := m.tr.Label(l)
			if i == m.labelCursor {
				s = m.st.Selected.Render(" " + s + " ")
			} else {
				s = " " + s + " "
			}
			b.WriteString(s)
		}
		out = append(out, m.st.Header.Render(m.tr.T("events.labelq", e.ID)), format.Fit(b.String(), w))
	default:
		if !ok {
			break
		}
		if x := m.explanation(e); x != "" {
			out = append(out, format.Fit(m.st.Header.Render(fmt.Sprintf("#%d ", e.ID))+m.st.Info.Render(x), w))
		}
		if e.Diagnosis != nil {
			out = append(out, format.Fit(m.st.Header.Render(m.tr.T("events.diagnosis", e.ID))+
				m.st.Info.Render(m.tr.Diagnosis(e.Diagnosis, 2))+m.st.Muted.Render(" ("+e.Diagnosis.Model+")"), w))
		}
		if e.AcknowledgedAt != nil {
			c := ""
			if e.AckComment != "" {
				c = fmt.Sprintf(": %q", e.AckComment)
			}
			out = append(out, m.st.Muted.Render(format.Fit(m.tr.T("events.ackedby", e.ID,
				e.AcknowledgedBy, m.tr.Clock(m.fleet.Now(), *e.AcknowledgedAt), c), w)))
		} else if !m.canOperate() {
			out = append(out, m.st.Muted.Render(format.Fit(m.tr.T("events.readonly", m.tr.Role(m.fleet.Me.Role)), w)))
		}
	}
	if m.flash != "" {
		out = append(out, format.Fit(m.flash, w))
	}
	return out
}

// explanation is format.Explanation in the page's language.
func (m Model) explanation(e api.Event) string {
	switch {
	case e.HeardFrom != "":
		return m.tr.T("events.heardfrom", e.HeardFrom)
	case e.Cause == "plant":
		return m.tr.T("events.plant")
	}
	return ""
}
