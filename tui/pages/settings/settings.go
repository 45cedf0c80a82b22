// Package settings is the settings page: a machine's configuration as a
// form (name, sensor source and channel, learning period, model, threshold
// quantile, smoothing) with the API's per-field validation errors shown
// beside the fields, and relearning with a confirmation. Both need the
// admin role; other roles see the form read-only.
package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/theme"
)

// Client is what the page needs from the appliance (*api.Client has it).
type Client interface {
	UpdateMachine(ctx context.Context, m api.Machine) (api.Machine, error)
	Relearn(ctx context.Context, machine, note string) error
}

// Timeout bounds each request the page makes.
const Timeout = 15 * time.Second

// Field names, as the API names them in FieldError.Field.
const (
	FieldName      = api.FieldName
	FieldSource    = api.FieldSensorSource
	FieldChannel   = api.FieldSensorChannel
	FieldLearning  = api.FieldLearning
	FieldModel     = api.FieldModel
	FieldQuantile  = api.FieldQuantile
	FieldSmoothing = api.FieldSmoothing
)

var fields = []struct{ name, label, hint string }{
	{FieldName, "Name", ""},
	{FieldSource, "Sensor source", "source id"},
	{FieldChannel, "Sensor channel", "0-based"},
	{FieldLearning, "Learning period", "e.g. 10m, 1h30m"},
	{FieldModel, "Model", "mahalanobis, gmm, knn"},
	{FieldQuantile, "Quantile", "0.5–0.9999: higher, fewer alarms"},
	{FieldSmoothing, "Smoothing", "windows"},
}

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Edit, Next, Prev, Save, Cancel, Relearn, Yes, No key.Binding
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Edit:    key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e", "edit")),
		Next:    key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		Prev:    key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "prev field")),
		Save:    key.NewBinding(key.WithKeys("ctrl+s", "enter"), key.WithHelp("enter/ctrl+s", "save")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Relearn: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "relearn")),
		Yes:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:      key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}
}

// SavedMsg carries the result of saving a machine.
type SavedMsg struct {
	Machine api.Machine
	Err     error
}

// RelearnedMsg carries the result of a relearn request.
type RelearnedMsg struct {
	MachineID string
	Err       error
}

type mode int

const (
	viewing mode = iota
	editing
	confirming
	saving
)

// Model is the settings page.
type Model struct {
	KeyMap        KeyMap
	client        Client
	fleet         *fleet.Fleet
	st            theme.Styles
	cursor        int // machine
	mode          mode
	focus         int // field while editing
	inputs        []textinput.Model
	errs          map[string]string // per field
	flash         string
	width, height int
}

// New returns the settings page.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	m := Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st, errs: map[string]string{}}
	for range fields {
		ti := textinput.New()
		ti.Prompt = ""
		ti.CharLimit = 100
		m.inputs = append(m.inputs, ti)
	}
	return m
}

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	_, _, inW := m.layout()
	for i := range m.inputs {
		m.inputs[i].SetWidth(inW - 2) // room for the cursor
	}
}

// Capturing reports whether keys are being typed into the form or answer a
// confirmation, so the root must not take them.
func (m Model) Capturing() bool { return m.mode == editing || m.mode == confirming }

// Errors returns the field errors shown, by API field name.
func (m Model) Errors() map[string]string { return m.errs }

func (m Model) admin() bool { return m.fleet.Can(api.RoleAdmin) }

func (m Model) machine() (api.Machine, bool) {
	if m.cursor < len(m.fleet.Machines) {
		return m.fleet.Machines[m.cursor], true
	}
	return api.Machine{}, false
}

// SelectMachine moves the cursor to the machine with the given id.
func (m *Model) SelectMachine(id string) {
	if m.mode != viewing {
		return
	}
	for i, mc := range m.fleet.Machines {
		if mc.ID == id {
			m.cursor = i
		}
	}
}

// ShortHelp lists the keys usable now; without admin only navigation.
func (m Model) ShortHelp() []key.Binding {
	switch m.mode {
	case editing:
		return []key.Binding{m.KeyMap.Next, m.KeyMap.Prev, m.KeyMap.Save, m.KeyMap.Cancel}
	case confirming:
		return []key.Binding{m.KeyMap.Yes, m.KeyMap.No}
	}
	bs := []key.Binding{m.KeyMap.Up, m.KeyMap.Down}
	if m.admin() {
		bs = append(bs, m.KeyMap.Edit, m.KeyMap.Relearn)
	}
	return bs
}

func values(mc api.Machine) []string {
	return []string{mc.Name, mc.Sensor.Source, strconv.Itoa(mc.Sensor.Channel), mc.Detection.Learning,
		mc.Detection.Model, strconv.FormatFloat(mc.Detection.Quantile, 'g', -1, 64), strconv.Itoa(mc.Detection.Smoothing)}
}

// form reads the inputs into a machine, checking what must be a number
// here; the API checks the rest.
func (m Model) form(base api.Machine) (api.Machine, map[string]string) {
	errs := map[string]string{}
	v := func(i int) string { return strings.TrimSpace(m.inputs[i].Value()) }
	out := base
	out.Name = v(0)
	out.Sensor.Source = v(1)
	if n, err := strconv.Atoi(v(2)); err != nil {
		errs[FieldChannel] = "must be a whole number"
	} else {
		out.Sensor.Channel = n
	}
	out.Detection.Learning = v(3)
	out.Detection.Model = v(4)
	if q, err := strconv.ParseFloat(v(5), 64); err != nil {
		errs[FieldQuantile] = "must be a number such as 0.99"
	} else {
		out.Detection.Quantile = q
	}
	if n, err := strconv.Atoi(v(6)); err != nil {
		errs[FieldSmoothing] = "must be a whole number"
	} else {
		out.Detection.Smoothing = n
	}
	return out, errs
}

func (m *Model) setFocus(i int) tea.Cmd {
	m.inputs[m.focus].Blur()
	m.focus = (i + len(m.inputs)) % len(m.inputs)
	return m.inputs[m.focus].Focus()
}

// Update handles keys and the results of saving and relearning.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case SavedMsg:
		if msg.Err != nil {
			m.mode = editing
			m.errs = map[string]string{}
			var e *api.Error
			if api.ErrorCode(msg.Err) == api.CodeInvalid && asError(msg.Err, &e) && len(e.Fields) > 0 {
				other := []string{}
				for _, f := range e.Fields {
					if known(f.Field) {
						m.errs[f.Field] = f.Message
					} else {
						other = append(other, f.Field+": "+f.Message)
					}
				}
				m.flash = m.st.Error.Render("The appliance rejected the change; see the fields marked ✗.")
				if len(other) > 0 {
					m.flash = m.st.Error.Render("Rejected: " + strings.Join(other, "; "))
				}
				return m, m.inputs[m.focus].Focus()
			}
			m.flash = m.st.Error.Render(describe("save machines", msg.Err, m.fleet.Me.Role))
			return m, m.inputs[m.focus].Focus()
		}
		m.mode = viewing
		m.errs = map[string]string{}
		for i, mc := range m.fleet.Machines {
			if mc.ID == msg.Machine.ID {
				m.fleet.Machines[i] = msg.Machine
			}
		}
		m.flash = m.st.OK.Render(fmt.Sprintf("Saved %s.", msg.Machine.ID))
		return m, nil
	case RelearnedMsg:
		if msg.Err != nil {
			m.flash = m.st.Error.Render(describe("relearn", msg.Err, m.fleet.Me.Role))
		} else {
			m.flash = m.st.OK.Render(fmt.Sprintf("Relearning %s: it learns normal sound for its learning period.", msg.MachineID))
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	if m.mode == editing {
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
		return m, cmd
	}
	return m, nil
}

func known(field string) bool {
	for _, f := range fields {
		if f.name == field {
			return true
		}
	}
	return false
}

func (m Model) key(k tea.KeyPressMsg) (Model, tea.Cmd) {
	km := m.KeyMap
	mc, ok := m.machine()
	switch m.mode {
	case saving:
		return m, nil
	case confirming:
		switch {
		case key.Matches(k, km.Yes):
			m.mode = viewing
			c, id := m.client, mc.ID
			m.flash = m.st.Muted.Render("Asking the appliance to relearn " + id + "…")
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), Timeout)
				defer cancel()
				return RelearnedMsg{MachineID: id, Err: c.Relearn(ctx, id, "relearn from signalcraft TUI")}
			}
		case key.Matches(k, km.No):
			m.mode = viewing
			m.flash = ""
		}
		return m, nil
	case editing:
		switch {
		case key.Matches(k, km.Cancel):
			m.mode = viewing
			m.inputs[m.focus].Blur()
			m.errs = map[string]string{}
			m.flash = ""
			return m, nil
		case k.String() == "enter" && m.focus < len(m.inputs)-1:
			return m, m.setFocus(m.focus + 1)
		case key.Matches(k, km.Save):
			out, errs := m.form(mc)
			m.errs = errs
			if len(errs) > 0 {
				m.flash = m.st.Error.Render("Fix the fields marked ✗.")
				return m, nil
			}
			m.mode = saving
			m.inputs[m.focus].Blur()
			m.flash = m.st.Muted.Render("Saving…")
			c := m.client
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), Timeout)
				defer cancel()
				saved, err := c.UpdateMachine(ctx, out)
				return SavedMsg{Machine: saved, Err: err}
			}
		case key.Matches(k, km.Next):
			return m, m.setFocus(m.focus + 1)
		case key.Matches(k, km.Prev):
			return m, m.setFocus(m.focus - 1)
		}
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(k)
		return m, cmd
	}
	switch {
	case key.Matches(k, km.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(k, km.Down):
		if m.cursor < len(m.fleet.Machines)-1 {
			m.cursor++
		}
	case key.Matches(k, km.Edit) && ok:
		if !m.admin() {
			m.flash = m.st.Warning.Render(needAdmin("change a machine", m.fleet.Me.Role))
			return m, nil
		}
		for i, v := range values(mc) {
			m.inputs[i].SetValue(v)
			m.inputs[i].CursorEnd()
		}
		m.mode = editing
		m.errs = map[string]string{}
		m.flash = ""
		m.focus = 0
		return m, m.setFocus(0)
	case key.Matches(k, km.Relearn) && ok:
		if !m.admin() {
			m.flash = m.st.Warning.Render(needAdmin("relearn a model", m.fleet.Me.Role))
			return m, nil
		}
		m.mode = confirming
		m.flash = ""
	}
	return m, nil
}

func needAdmin(what string, have api.Role) string {
	return fmt.Sprintf("To %s you need role admin (you are %s).", what, have)
}

func describe(action string, err error, have api.Role) string {
	if api.IsCode(err, api.CodeForbidden) {
		return needAdmin(action, have)
	}
	return fmt.Sprintf("Could not %s: %v", action, err)
}

const labelW = 16

// layout returns the page width, the machine list's and the inputs' widths.
func (m Model) layout() (w, listW, inW int) {
	w = max(m.width, 60)
	listW = min(max(w/6, 12), 24)
	inW = min(max(w-listW-2-labelW-2-36, 18), 24)
	return w, listW, inW
}

// View draws the machine list on the left and the form on the right.
func (m Model) View() string {
	w, listW, inW := m.layout()
	var left []string
	left = append(left, m.st.Header.Render(format.Fit("MACHINES", listW)))
	for i, mc := range m.fleet.Machines {
		s := format.Fit(mc.ID, listW-2)
		if i == m.cursor {
			left = append(left, m.st.Info.Render("▶ ")+m.st.Header.Render(s))
		} else {
			left = append(left, "  "+s)
		}
	}
	mc, ok := m.machine()
	var right []string
	if !ok {
		right = append(right, m.st.Muted.Render("No machines."))
	} else {
		right = append(right, m.st.Title.Render("Machine "+mc.ID)+m.st.Muted.Render(fmt.Sprintf("  %s · %s", mc.Kind, mc.Line)))
		vals := values(mc)
		formW := w - listW - 2
		for i, f := range fields {
			label := format.Fit(f.label, labelW)
			var val string
			if m.mode == editing || m.mode == saving {
				val = format.Fit(m.inputs[i].View(), inW)
				if i == m.focus && m.mode == editing {
					label = m.st.Info.Render(label)
				}
			} else {
				val = format.Fit(vals[i], inW)
			}
			note := m.st.Muted.Render(f.hint)
			if e, bad := m.errs[f.name]; bad {
				note = m.st.Error.Render("✗ " + e)
			}
			line := m.st.Label.Render(label) + " " + val
			if lipgloss.Width(line)+1+lipgloss.Width(note) <= formW || note == "" {
				right = append(right, format.Fit(line+" "+note, formW))
			} else { // no room beside the field: the note goes below it
				right = append(right, format.Fit(line, formW), format.Fit(strings.Repeat(" ", labelW+1)+note, formW))
			}
		}
		right = append(right, "")
		switch {
		case m.mode == confirming:
			right = append(right, m.st.Warning.Render(format.Fit(fmt.Sprintf("Relearn %s? Its model is retired and it learns for %s. y/n", mc.ID, mc.Detection.Learning), w-listW-2)))
		case !m.admin():
			right = append(right, m.st.Muted.Render(format.Fit(fmt.Sprintf("Read-only: changing machines and relearning need role admin (you are %s).", m.fleet.Me.Role), w-listW-2)))
		case m.mode == viewing:
			right = append(right, m.st.Muted.Render("e edit · R relearn"))
		}
		if m.flash != "" {
			right = append(right, format.Fit(m.flash, w-listW-2))
		}
	}
	n := max(len(left), len(right))
	lines := make([]string, n)
	for i := range lines {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		lines[i] = format.Fit(l, listW) + "  " + r
	}
	return strings.Join(lines, "\n")
}

func asError(err error, target **api.Error) bool { return errors.As(err, target) }
