// Package settings is the settings page: a machine's configuration as a
// form (name, sensor source and channel, learning period, model, threshold
// quantile, smoothing, and how the machine is listened to: analysis window,
// hop, pooling, persistence) with the API's per-field validation errors
// shown beside the fields, and relearning with a confirmation. Saving a
// change the appliance answers by learning the machine afresh (sensor,
// model, window, hop, pooling) asks first, as relearning does. Both need
// the admin role; other roles see the form read-only.
package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
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
	// How the machine is listened to; empty takes the default of the machine's kind.
	FieldWindow      = api.FieldWindow
	FieldHop         = api.FieldHop
	FieldPooling     = api.FieldPooling
	FieldPersistence = api.FieldPersistence
)

// Indexes of the form's fields (and inputs).
const (
	iName = iota
	iSource
	iChannel
	iLearning
	iModel
	iQuantile
	iSmoothing
	iWindow
	iHop
	iPooling
	iPersistence
)

// fields are the form's fields in order. relearns marks those whose change makes the
// appliance learn the machine afresh (appliance/daemon UpdateMachine: a new sensor
// binding, model kind, window, hop or pooling); their labels end in relearnMark.
var fields = []struct {
	name, label, hint string
	relearns          bool
}{
	iName:        {FieldName, "Name", "", false},
	iSource:      {FieldSource, "Sensor source", "source id", true},
	iChannel:     {FieldChannel, "Sensor channel", "0-based", true},
	iLearning:    {FieldLearning, "Learning period", "e.g. 10m, 1h30m", false},
	iModel:       {FieldModel, "Model", "mahalanobis, gmm, knn", true},
	iQuantile:    {FieldQuantile, "Quantile", "0.5–0.9999: higher, fewer alarms", false},
	iSmoothing:   {FieldSmoothing, "Smoothing", "windows; 1: none", false},
	iWindow:      {FieldWindow, "Window", "e.g. 2s, 10s (100ms–1m)", true},
	iHop:         {FieldHop, "Hop", "e.g. 500ms (10ms–window)", true},
	iPooling:     {FieldPooling, "Pooling", "max mean std min delta modulation", true},
	iPersistence: {FieldPersistence, "Persistence", "must last, e.g. 2s (0s–10m)", false},
}

// relearnMark ends the label of a field whose change makes the machine learn again.
const relearnMark = " *"

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Edit, Next, Prev, Save, Cancel, Relearn, Yes, No key.Binding
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("settings.key.up"))),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("settings.key.down"))),
		Edit:    key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e", tr.T("settings.key.edit"))),
		Next:    key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", tr.T("settings.key.next_field"))),
		Prev:    key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", tr.T("settings.key.prev_field"))),
		Save:    key.NewBinding(key.WithKeys("ctrl+s", "enter"), key.WithHelp("enter/ctrl+s", tr.T("settings.key.save"))),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.T("settings.key.cancel"))),
		Relearn: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", tr.T("settings.key.relearn"))),
		Yes:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", tr.T("settings.key.yes"))),
		No:      key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", tr.T("settings.key.no"))),
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
	confirming     // relearn now? y/n
	confirmingSave // save a change that makes the machine learn again? y/n
	saving
)

// Model is the settings page.
type Model struct {
	KeyMap        KeyMap
	client        Client
	fleet         *fleet.Fleet
	st            theme.Styles
	tr            i18n.Translator
	cursor        int // machine
	mode          mode
	focus         int // field while editing
	inputs        []textinput.Model
	errs          map[string]string // per field
	pending       api.Machine       // the machine to save once confirmed, and as last sent
	flash         string
	width, height int
}

// New returns the settings page.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	m := Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st, errs: map[string]string{}}
	for i := range fields {
		ti := textinput.New()
		ti.Prompt = ""
		ti.CharLimit = 100
		if i >= iWindow {
			ti.Placeholder = "default"
		}
		m.inputs = append(m.inputs, ti)
	}
	return m
}

// SetLang sets the language of the page and of its key help (the appliance's field errors
// are shown as sent).
func (m *Model) SetLang(tr i18n.Translator) {
	m.tr, m.KeyMap = tr, keyMap(tr)
	for i := iWindow; i < len(m.inputs); i++ {
		m.inputs[i].Placeholder = tr.T("settings.default")
	}
}

// slug turns a field's English label or hint into a catalog key.
func slug(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "_")) }

// fieldLabel and fieldHint are a field's label and hint in the page's language.
func (m Model) fieldLabel(i int) string { return m.tr.T("settings.f." + slug(fields[i].label)) }

func (m Model) fieldHint(i int) string {
	if fields[i].hint == "" {
		return ""
	}
	return m.tr.T("settings.f." + slug(fields[i].label) + ".hint")
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
func (m Model) Capturing() bool {
	return m.mode == editing || m.mode == confirming || m.mode == confirmingSave
}

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
	case confirming, confirmingSave:
		return []key.Binding{m.KeyMap.Yes, m.KeyMap.No}
	}
	bs := []key.Binding{m.KeyMap.Up, m.KeyMap.Down}
	if m.admin() {
		bs = append(bs, m.KeyMap.Edit, m.KeyMap.Relearn)
	}
	return bs
}

// values are a machine's settings as the form shows them, in the order of fields.
func values(mc api.Machine) []string {
	d := mc.Detection
	return []string{mc.Name, mc.Sensor.Source, strconv.Itoa(mc.Sensor.Channel), d.Learning,
		d.Model, strconv.FormatFloat(d.Quantile, 'g', -1, 64), strconv.Itoa(d.Smoothing),
		d.Window, d.Hop, strings.Join(d.Pooling, ", "), d.Persistence}
}

// form reads the inputs into a machine.
func (m Model) form(base api.Machine) (api.Machine, map[string]string) {
	vals := make([]string, len(m.inputs))
	for i, in := range m.inputs {
		vals[i] = in.Value()
	}
	mc, errs := parseForm(base, vals)
	for f, e := range errs {
		if k, ok := formErrKeys[e]; ok {
			errs[f] = m.tr.T(k)
		}
	}
	return mc, errs
}

// formErrKeys are the catalog keys of parseForm's messages.
var formErrKeys = map[string]string{
	"must be a whole number":                 "settings.err.int",
	"must be a number such as 0.99":          "settings.err.number",
	"must be a duration such as 2s or 500ms": "settings.err.duration",
}

// parseForm reads the form's values (in the order of fields) into base, checking here
// what must be a number, a duration or a list; the API checks ranges and names. Window,
// hop, pooling and persistence left empty are sent empty: the default of the machine's kind.
func parseForm(base api.Machine, vals []string) (api.Machine, map[string]string) {
	errs := map[string]string{}
	v := func(i int) string { return strings.TrimSpace(vals[i]) }
	out := base
	out.Name = v(iName)
	out.Sensor.Source = v(iSource)
	if n, err := strconv.Atoi(v(iChannel)); err != nil {
		errs[FieldChannel] = "must be a whole number"
	} else {
		out.Sensor.Channel = n
	}
	out.Detection.Learning = v(iLearning)
	out.Detection.Model = v(iModel)
	if q, err := strconv.ParseFloat(v(iQuantile), 64); err != nil {
		errs[FieldQuantile] = "must be a number such as 0.99"
	} else {
		out.Detection.Quantile = q
	}
	if n, err := strconv.Atoi(v(iSmoothing)); err != nil {
		errs[FieldSmoothing] = "must be a whole number"
	} else {
		out.Detection.Smoothing = n
	}
	dur := func(i int) string {
		s := v(i)
		if s == "" {
			return ""
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			errs[fields[i].name] = "must be a duration such as 2s or 500ms"
			return s
		}
		return d.String()
	}
	out.Detection.Window = dur(iWindow)
	out.Detection.Hop = dur(iHop)
	out.Detection.Persistence = dur(iPersistence)
	out.Detection.Pooling = parsePooling(v(iPooling))
	return out, errs
}

// parsePooling reads a list of statistics separated by commas or spaces, in lower case;
// nil when there is none.
func parsePooling(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		out = append(out, strings.ToLower(f))
	}
	return out
}

// relearnChanges describes the changes from old to next that make the appliance learn
// the machine afresh (api.RelearnChanges): "window 2s → 10s", "sensor mic/1 → mic/0"; none
// if there is none.
func relearnChanges(old, next api.Machine) []string {
	show := func(s string) string {
		if s == "" {
			return "default"
		}
		return s
	}
	names := map[string]string{api.FieldModel: "model", api.FieldWindow: "window", api.FieldHop: "hop", api.FieldPooling: "pooling"}
	var out []string
	sensor := false
	for _, c := range api.RelearnChanges(old, next) {
		if c.Field == api.FieldSensorSource || c.Field == api.FieldSensorChannel {
			if !sensor { // the binding as one: mic/1 → mic/0
				sensor = true
				out = append(out, fmt.Sprintf("sensor %s/%d → %s/%d", old.Sensor.Source, old.Sensor.Channel, next.Sensor.Source, next.Sensor.Channel))
			}
			continue
		}
		out = append(out, fmt.Sprintf("%s %s → %s", names[c.Field], show(c.Old), show(c.New)))
	}
	return out
}

// fieldOf returns the form field an API field path belongs to and the index of a list
// item it names: "detection.pooling[1]" is FieldPooling, 1. The index is -1 when the
// path names no item.
func fieldOf(path string) (string, int) {
	base, rest, ok := strings.Cut(path, "[")
	if !ok {
		return path, -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil || !strings.HasSuffix(rest, "]") {
		return path, -1
	}
	return base, n
}

// fieldErrors sorts the API's field errors into those the form shows beside a field
// (by field name; several for one field are joined) and the others, as "path: message".
// An error about one statistic of the pooling names the statistic sent.
func fieldErrors(fs []api.FieldError, sent api.Machine) (map[string]string, []string) {
	byField := map[string]string{}
	var other []string
	for _, f := range fs {
		name, i := fieldOf(f.Field)
		if !known(name) {
			other = append(other, f.Field+": "+f.Message)
			continue
		}
		msg := f.Message
		if i >= 0 {
			if name == FieldPooling && i < len(sent.Detection.Pooling) {
				msg = fmt.Sprintf("%q %s", sent.Detection.Pooling[i], msg)
			} else {
				msg = fmt.Sprintf("#%d %s", i+1, msg)
			}
		}
		if prev, ok := byField[name]; ok {
			msg = prev + "; " + msg
		}
		byField[name] = msg
	}
	return byField, other
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
				var other []string
				m.errs, other = fieldErrors(e.Fields, m.pending)
				m.flash = m.st.Error.Render(m.tr.T("settings.rejected"))
				if len(other) > 0 {
					m.flash = m.st.Error.Render(m.tr.T("settings.rejectedwhy", strings.Join(other, "; ")))
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
		m.flash = m.st.OK.Render(m.tr.T("settings.saved", msg.Machine.ID))
		return m, nil
	case RelearnedMsg:
		if msg.Err != nil {
			m.flash = m.st.Error.Render(describe("relearn", msg.Err, m.fleet.Me.Role))
		} else {
			m.flash = m.st.OK.Render(m.tr.T("settings.relearning", msg.MachineID))
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
	case confirmingSave:
		switch {
		case key.Matches(k, km.Yes):
			return m.save()
		case key.Matches(k, km.No):
			m.mode = editing
			m.flash = m.st.Muted.Render(m.tr.T("settings.notsaved"))
			return m, m.inputs[m.focus].Focus()
		}
		return m, nil
	case confirming:
		switch {
		case key.Matches(k, km.Yes):
			m.mode = viewing
			c, id := m.client, mc.ID
			m.flash = m.st.Muted.Render(m.tr.T("settings.asking", id))
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
				m.flash = m.st.Error.Render(m.tr.T("settings.fix"))
				return m, nil
			}
			m.pending = out
			if len(relearnChanges(mc, out)) > 0 {
				m.mode = confirmingSave
				m.inputs[m.focus].Blur()
				m.flash = ""
				return m, nil
			}
			return m.save()
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
			m.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleAdmin, "what.change", m.fleet.Me.Role))
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
			m.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleAdmin, "what.relearn", m.fleet.Me.Role))
			return m, nil
		}
		m.mode = confirming
		m.flash = ""
	}
	return m, nil
}

// save sends the pending machine.
func (m Model) save() (Model, tea.Cmd) {
	m.mode = saving
	m.inputs[m.focus].Blur()
	m.flash = m.st.Muted.Render(m.tr.T("settings.saving"))
	c, out := m.client, m.pending
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		saved, err := c.UpdateMachine(ctx, out)
		return SavedMsg{Machine: saved, Err: err}
	}
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
	formW := w - listW - 2
	var left []string
	tr := m.tr
	left = append(left, m.st.Header.Render(format.Fit(tr.T("settings.machines"), listW)))
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
		right = append(right, m.st.Muted.Render(tr.T("settings.nomachines")))
	} else {
		kind := mc.Kind
		if k := "kind." + kind; tr.Has(k) {
			kind = tr.T(k)
		}
		right = append(right, m.st.Title.Render(tr.T("settings.machine", mc.ID))+m.st.Muted.Render(fmt.Sprintf("  %s · %s", kind, mc.Line)))
		type row struct {
			line  string
			below []string // the note, when there is no room beside the field
			hint  bool     // the note is a hint, not an error
		}
		rows := make([]row, len(fields))
		lines := 1 + len(fields) + 1
		vals := values(mc)
		indent := strings.Repeat(" ", labelW+1)
		for i, f := range fields {
			label, hint := m.fieldLabel(i), m.fieldHint(i)
			if f.relearns {
				label += relearnMark
			}
			label = format.Fit(label, labelW)
			var val string
			if m.mode == editing || m.mode == saving || m.mode == confirmingSave {
				val = format.Fit(m.inputs[i].View(), inW)
				if i == m.focus && m.mode == editing {
					label = m.st.Info.Render(label)
				}
			} else if vals[i] == "" && i >= iWindow {
				val = m.st.Muted.Render(format.Fit(tr.T("settings.default"), inW))
			} else {
				val = format.Fit(vals[i], inW)
			}
			line := m.st.Label.Render(label) + " " + val
			e, bad := m.errs[f.name]
			switch {
			case bad && lipgloss.Width(line)+3+lipgloss.Width(e) <= formW:
				rows[i] = row{line: line + " " + m.st.Error.Render("✗ "+e)}
			case bad: // below the field, wrapped: an error is read whole
				rows[i].line = line
				for k, l := range strings.Split(ansi.Wordwrap(e, formW-len(indent)-2, ""), "\n") {
					mark := "  "
					if k == 0 {
						mark = "✗ "
					}
					rows[i].below = append(rows[i].below, indent+m.st.Error.Render(mark+l))
				}
			case hint == "" || lipgloss.Width(line)+1+lipgloss.Width(hint) <= formW:
				rows[i] = row{line: line + " " + m.st.Muted.Render(hint)}
			default:
				rows[i] = row{line: line, below: []string{indent + m.st.Muted.Render(hint)}, hint: true}
			}
			lines += len(rows[i].below)
		}
		// Short of room, hints (below their fields, and the legend) give way to errors
		// and the rest of the footer.
		footer := m.footer(mc, formW, false)
		dropHints := m.height > 0 && lines+len(footer) > m.height
		if dropHints {
			footer = m.footer(mc, formW, true)
		}
		for _, r := range rows {
			right = append(right, format.Fit(r.line, formW))
			if !(r.hint && dropHints) {
				for _, l := range r.below {
					right = append(right, format.Fit(l, formW))
				}
			}
		}
		right = append(right, "")
		right = append(right, footer...)
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

// footer is what goes under the form: a confirmation, what the keys do, which change
// makes the machine learn again, and the outcome of the last action. tight leaves out
// the legend while editing, when there is no room for it.
func (m Model) footer(mc api.Machine, w int, tight bool) []string {
	var out []string
	wrap := func(st lipgloss.Style, s string) {
		for _, l := range strings.Split(ansi.Wordwrap(s, w, ""), "\n") {
			out = append(out, st.Render(format.Fit(l, w)))
		}
	}
	tr := m.tr
	legend := tr.T("settings.legend")
	switch {
	case m.mode == confirming:
		wrap(m.st.Warning, tr.T("settings.confirm.relearn", mc.ID, mc.Detection.Learning))
	case m.mode == confirmingSave:
		wrap(m.st.Warning, tr.T("settings.confirm.save", strings.Join(relearnChanges(mc, m.pending), ", "), mc.ID, m.pending.Detection.Learning))
	case !m.admin():
		out = append(out, m.st.Muted.Render(format.Fit(tr.T("settings.readonly", tr.Role(m.fleet.Me.Role)), w)))
	case m.mode == viewing:
		out = append(out, m.st.Muted.Render(format.Fit(tr.T("settings.hint")+legend, w)))
	default: // editing, saving
		next, _ := m.form(mc)
		if ch := relearnChanges(mc, next); len(ch) > 0 {
			wrap(m.st.Warning, tr.T("settings.changes", strings.Join(ch, ", "), mc.ID))
		} else if !tight {
			out = append(out, m.st.Muted.Render(format.Fit(legend+tr.T("settings.asked"), w)))
		}
	}
	if m.flash != "" {
		out = append(out, format.Fit(m.flash, w))
	}
	return out
}

func asError(err error, target **api.Error) bool { return errors.As(err, target) }
