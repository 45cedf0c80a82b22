package alerts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/format"
)

// editLabelW is the width of the edit forms' labels.
const editLabelW = 16

// editInputW is the width of the edit forms' inputs: what leaves room for a hint beside.
func (m Model) editInputW() int {
	return min(max(max(m.width, 40)-editLabelW-2-30, 16), 44)
}

// kindOf is the kind of item a section lists, if it lists editable ones.
func kindOf(s Section) (Kind, bool) {
	switch s {
	case SectionRules:
		return KindRule, true
	case SectionReceivers:
		return KindReceiver, true
	case SectionMaintenance:
		return KindWindow, true
	}
	return 0, false
}

// plural names the kind's list, for messages.
func plural(k Kind) string { return [...]string{"alert rules", "receivers", "maintenance windows"}[k] }

// listKey handles e, n and D on the rules, receivers and maintenance sections; ok is false
// for other keys.
func (m Model) listKey(k tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	km := m.KeyMap
	kind, editable := kindOf(m.section)
	if !editable || !(key.Matches(k, km.Edit) || key.Matches(k, km.New) || key.Matches(k, km.Delete)) {
		return m, nil, false
	}
	cur := m.cursor[m.section]
	n := m.rows()
	switch {
	case !m.admin():
		verb := "edit"
		if key.Matches(k, km.Delete) {
			verb = "delete"
		} else if key.Matches(k, km.New) {
			verb = "add"
		}
		m.flash = m.st.Warning.Render(format.NeedRole(api.RoleAdmin, verb+" "+plural(kind), m.fleet.Me.Role))
		return m, nil, true
	case m.listErr(kind) != nil:
		m.flash = m.st.Error.Render(fmt.Sprintf("The %s could not be loaded, so they cannot be changed (r reloads).", plural(kind)))
		return m, nil, true
	case key.Matches(k, km.Delete):
		if cur >= n {
			return m, nil, true
		}
		m.mode = deleting
		m.flash = ""
		return m, nil, true
	case key.Matches(k, km.Edit) && cur >= n:
		return m, nil, true
	}
	isNew := key.Matches(k, km.New)
	w := m.editInputW()
	switch kind {
	case KindRule:
		r := api.AlertRule{For: "1m", Severity: api.SeverityWarning, Op: ">", Metric: "anomaly_score"}
		i := n
		if !isNew {
			r, i = m.data.Rules[cur], cur
		}
		m.ed = newRuleEditor(r, i, isNew, w)
	case KindReceiver:
		r := api.Receiver{Type: "webhook", Lang: "en", SendResolved: true}
		i := n
		if !isNew {
			r, i = m.data.Receivers[cur], cur
		}
		m.ed = newReceiverEditor(r, i, isNew, w)
	case KindWindow:
		win := api.MaintenanceWindow{Start: "22:00", End: "06:00", TimeZone: "UTC"}
		i := n
		if !isNew {
			win, i = m.data.Maintenance[cur], cur
		}
		m.ed = newWindowEditor(win, i, isNew, w)
	}
	m.mode = editing
	m.flash = ""
	return m, m.ed.setFocus(0), true
}

func (m Model) listErr(k Kind) error {
	return [...]error{m.data.RulesErr, m.data.ReceiversErr, m.data.MaintenanceErr}[k]
}

// selectedName is the name of the selected rule, receiver or window.
func (m Model) selectedName(k Kind) string {
	i := m.cursor[m.section]
	switch k {
	case KindRule:
		if i < len(m.data.Rules) {
			return m.data.Rules[i].Name
		}
	case KindReceiver:
		if i < len(m.data.Receivers) {
			return m.data.Receivers[i].Name
		}
	case KindWindow:
		if i < len(m.data.Maintenance) {
			return m.data.Maintenance[i].Name
		}
	}
	return ""
}

// editKey handles the edit form: tab/shift+tab (↑/↓) move, enter moves on and saves on
// the last field, ctrl+s saves, esc cancels. Keys wait while it is being saved.
func (m Model) editKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	km := m.KeyMap
	if m.ed.saving {
		return m, nil
	}
	last := m.ed.focus == len(m.ed.fields)-1
	switch {
	case key.Matches(k, km.Cancel):
		m.mode = browsing
		m.flash = ""
		return m, nil
	case key.Matches(k, km.Save):
		return m.saveEdit()
	case k.String() == "enter" && last && !(m.ed.kind == KindReceiver && m.ed.value(keyNewSetting) != ""):
		return m.saveEdit()
	case key.Matches(k, km.NextField), k.String() == "enter":
		return m, m.ed.move(1)
	case key.Matches(k, km.PrevField):
		return m, m.ed.move(-1)
	}
	var cmd tea.Cmd
	m.ed, cmd = m.ed.update(k)
	return m, cmd
}

// saveEdit reads the form and sends the whole list with the item replaced (or added).
func (m Model) saveEdit() (Model, tea.Cmd) {
	var errs map[string]string
	var send func(context.Context, Client) SavedMsg
	var name string
	i := m.ed.index
	switch m.ed.kind {
	case KindRule:
		var r api.AlertRule
		r, errs = m.ed.rule()
		list := put(m.data.Rules, i, r)
		name = r.Name
		send = func(ctx context.Context, c Client) SavedMsg {
			out, err := c.SetRules(ctx, list)
			return SavedMsg{Kind: KindRule, Name: name, Rules: out, Err: err}
		}
	case KindReceiver:
		var r api.Receiver
		r, errs = m.ed.receiver()
		list := put(m.data.Receivers, i, r)
		name = r.Name
		send = func(ctx context.Context, c Client) SavedMsg {
			out, err := c.SetReceivers(ctx, list)
			return SavedMsg{Kind: KindReceiver, Name: name, Receivers: out, Err: err}
		}
	case KindWindow:
		var w api.MaintenanceWindow
		w, errs = m.ed.window()
		list := put(m.data.Maintenance, i, w)
		name = w.Name
		send = func(ctx context.Context, c Client) SavedMsg {
			out, err := c.SetMaintenance(ctx, list)
			return SavedMsg{Kind: KindWindow, Name: name, Maintenance: out, Err: err}
		}
	}
	if len(errs) > 0 {
		m.ed.errs = errs
		m.flash = m.st.Error.Render("Fix the fields marked ✗.")
		return m, m.ed.focusFirstError()
	}
	m.ed.saving = true
	m.ed.errs = map[string]string{}
	m.flash = m.st.Muted.Render(fmt.Sprintf("Saving the %s…", plural(m.ed.kind)))
	c := m.client
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		return send(ctx, c)
	}
}

// put returns a copy of list with v at i (appended when i is past its end).
func put[T any](list []T, i int, v T) []T {
	out := slices.Clone(list)
	if i < len(out) {
		out[i] = v
		return out
	}
	return append(out, v)
}

// deleteSelected sends the list without the selected item.
func (m Model) deleteSelected() (Model, tea.Cmd) {
	kind, _ := kindOf(m.section)
	i := m.cursor[m.section]
	name := m.selectedName(kind)
	c := m.client
	m.flash = m.st.Muted.Render(fmt.Sprintf("Deleting %s %s…", kind.Noun(), name))
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		out := SavedMsg{Kind: kind, Name: name, Deleted: true}
		switch kind {
		case KindRule:
			out.Rules, out.Err = c.SetRules(ctx, slices.Delete(slices.Clone(m.data.Rules), i, i+1))
		case KindReceiver:
			out.Receivers, out.Err = c.SetReceivers(ctx, slices.Delete(slices.Clone(m.data.Receivers), i, i+1))
		case KindWindow:
			out.Maintenance, out.Err = c.SetMaintenance(ctx, slices.Delete(slices.Clone(m.data.Maintenance), i, i+1))
		}
		return out
	}
}

// saved takes the answer to a save or a delete.
func (m Model) saved(msg SavedMsg) (Model, tea.Cmd) {
	noun := msg.Kind.Noun()
	if msg.Err != nil {
		var e *api.Error
		invalid := api.IsCode(msg.Err, api.CodeInvalid) && errors.As(msg.Err, &e)
		switch {
		case msg.Deleted:
			m.flash = m.st.Error.Render(m.describe("delete "+plural(msg.Kind), msg.Err, api.RoleAdmin))
			if invalid && len(e.Fields) > 0 {
				m.flash = m.st.Error.Render(fmt.Sprintf("The appliance refused the list without %s: %s", msg.Name, joinFields(e.Fields)))
			}
			return m, nil
		case m.mode != editing:
			return m, nil // the form was left meanwhile
		}
		m.ed.saving = false
		if invalid && len(e.Fields) > 0 {
			other := m.ed.setErrors(e.Fields)
			text := fmt.Sprintf("The appliance rejected the %s; see the fields marked ✗.", noun)
			if len(other) > 0 {
				text += " Also: " + strings.Join(m.nameItems(msg.Kind, other), "; ")
			}
			m.flash = m.st.Error.Render(text)
			return m, m.ed.focusFirstError()
		}
		m.flash = m.st.Error.Render(m.describe("save "+plural(msg.Kind), msg.Err, api.RoleAdmin))
		return m, m.ed.setFocus(m.ed.focus)
	}
	n := 0
	switch msg.Kind {
	case KindRule:
		m.data.Rules, m.data.RulesErr, n = msg.Rules, nil, len(msg.Rules)
	case KindReceiver:
		m.data.Receivers, m.data.ReceiversErr, n = msg.Receivers, nil, len(msg.Receivers)
	case KindWindow:
		m.data.Maintenance, m.data.MaintenanceErr, n = msg.Maintenance, nil, len(msg.Maintenance)
	}
	s := sectionOf(msg.Kind)
	if msg.Deleted {
		m.cursor[s] = min(m.cursor[s], max(n-1, 0))
		m.flash = m.st.OK.Render(fmt.Sprintf("Deleted %s %s; %d left.", noun, msg.Name, n))
		return m, nil
	}
	if m.mode == editing {
		m.mode = browsing
		m.cursor[s] = min(m.ed.index, max(n-1, 0))
	}
	verb := "Saved"
	if m.ed.isNew {
		verb = "Added"
	}
	m.flash = m.st.OK.Render(fmt.Sprintf("%s %s %s; the appliance has %d %s.", verb, noun, msg.Name, n, plural(msg.Kind)))
	return m, nil
}

func sectionOf(k Kind) Section {
	return [...]Section{SectionRules, SectionReceivers, SectionMaintenance}[k]
}

func joinFields(fs []api.FieldError) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

var itemField = regexp.MustCompile(`^(rules|receivers|maintenance)\[(\d+)\]`)

// nameItems adds the item's name to errors about other items of the list:
// "rules[1] (LevelLow).for: …".
func (m Model) nameItems(k Kind, errs []string) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e
		sm := itemField.FindStringSubmatchIndex(e)
		if sm == nil {
			continue
		}
		var idx int
		fmt.Sscan(e[sm[4]:sm[5]], &idx)
		name := ""
		switch k {
		case KindRule:
			if idx < len(m.data.Rules) {
				name = m.data.Rules[idx].Name
			}
		case KindReceiver:
			if idx < len(m.data.Receivers) {
				name = m.data.Receivers[idx].Name
			}
		case KindWindow:
			if idx < len(m.data.Maintenance) {
				name = m.data.Maintenance[idx].Name
			}
		}
		if name != "" {
			out[i] = e[:sm[1]] + " (" + name + ")" + e[sm[1]:]
		}
	}
	return out
}

var ackedBy = regexp.MustCompile(`acknowledged by (.+)$`)

// conflict explains a 409 to an acknowledgement: someone acknowledged it first, or it
// resolved.
func (m Model) conflict(fp string, err error) string {
	what := "The alert"
	for _, a := range m.data.Alerts {
		if a.Fingerprint == fp {
			what = a.Rule + " on " + a.MachineID
		}
	}
	var e *api.Error
	msg := err.Error()
	if errors.As(err, &e) {
		msg = e.Message
	}
	if sm := ackedBy.FindStringSubmatch(msg); sm != nil {
		return fmt.Sprintf("%s was already acknowledged by %s.", what, sm[1])
	}
	return fmt.Sprintf("%s cannot be acknowledged: %s.", what, msg)
}
