// Package alerts is the alerts page, in four sections that v cycles through:
//
//   - Alerts: pending, firing and recently resolved alerts with their severity colour
//     (critical red, warning yellow), machine, rule, value, since when, who acknowledged
//     them, and — dimmed — why a silenced or inhibited one is muted; filters by state and
//     machine; enter shows an alert's details and its notification deliveries; a
//     acknowledges with a comment and s silences it through a small form (operator).
//   - Silences: active, pending and expired silences; x expires one (operator).
//   - Maintenance: the recurring maintenance windows.
//   - Receivers: where notifications go, with settings as the appliance gives them (secrets
//     "****" except for admins); t sends a test notification and shows its delivery (admin).
//   - Rules: the alert rules.
//
// Admins edit maintenance windows, receivers and rules: e opens the selected one in a
// form, n a new one, D deletes one after a confirmation. Saving replaces the appliance's
// whole list (PUT); the fields it rejects (422, named like rules[2].severity) are marked
// beside the form's fields.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/i18n"
	"signalcraft/tui/theme"
)

// Client is what the page needs from the appliance (*api.Client has it).
type Client interface {
	Alerts(ctx context.Context, f api.AlertFilter) ([]api.Alert, error)
	AcknowledgeAlert(ctx context.Context, fingerprint, comment string) (api.Alert, error)
	AlertDeliveries(ctx context.Context, fingerprint string) ([]api.Delivery, error)
	Silences(ctx context.Context) ([]api.Silence, error)
	CreateSilence(ctx context.Context, s api.Silence) (api.Silence, error)
	ExpireSilence(ctx context.Context, id string) error
	Maintenance(ctx context.Context) ([]api.MaintenanceWindow, error)
	SetMaintenance(ctx context.Context, ws []api.MaintenanceWindow) ([]api.MaintenanceWindow, error)
	Receivers(ctx context.Context) ([]api.Receiver, error)
	SetReceivers(ctx context.Context, rs []api.Receiver) ([]api.Receiver, error)
	TestReceiver(ctx context.Context, name, lang string) (api.Delivery, error)
	Rules(ctx context.Context) ([]api.AlertRule, error)
	SetRules(ctx context.Context, rs []api.AlertRule) ([]api.AlertRule, error)
}

// Timeout bounds each request the page makes.
const Timeout = 10 * time.Second

// DefaultSilence is the duration the silence form offers.
const DefaultSilence = "1h"

// Section is one of the page's five sections.
type Section int

// The sections, in the order v cycles through them.
const (
	SectionAlerts Section = iota
	SectionSilences
	SectionMaintenance
	SectionReceivers
	SectionRules
	nSections
)

var sectionNames = [nSections]string{"Alerts", "Silences", "Maintenance", "Receivers", "Rules"}

func (s Section) String() string { return sectionNames[s] }

// name is the section's name in tr's language.
func (s Section) name(tr i18n.Translator) string {
	return tr.T("alerts.section." + strings.ToLower(sectionNames[s]))
}

// States are the state filter's values, in the order f cycles through them ("" is all).
var States = []string{"", api.AlertFiring, api.AlertPending, api.AlertResolved}

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, Section, State, Machine, Refresh key.Binding
	Details, Back, Ack, Silence, Expire, Test  key.Binding
	Edit, New, Delete                          key.Binding
	NextField, PrevField, Submit, Save, Cancel key.Binding
	Yes, No                                    key.Binding
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("alerts.key.up"))),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("alerts.key.down"))),
		Section:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", tr.T("alerts.key.section"))),
		State:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", tr.T("alerts.key.state_filter"))),
		Machine:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", tr.T("alerts.key.machine_filter"))),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.T("alerts.key.refresh"))),
		Details:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("alerts.key.details"))),
		Back:      key.NewBinding(key.WithKeys("esc", "enter"), key.WithHelp("esc", tr.T("alerts.key.back"))),
		Ack:       key.NewBinding(key.WithKeys("a"), key.WithHelp("a", tr.T("alerts.key.acknowledge"))),
		Silence:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", tr.T("alerts.key.silence"))),
		Expire:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", tr.T("alerts.key.expire"))),
		Test:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", tr.T("alerts.key.send_test"))),
		Edit:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", tr.T("alerts.key.edit"))),
		New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", tr.T("alerts.key.new"))),
		Delete:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", tr.T("alerts.key.delete"))),
		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", tr.T("alerts.key.next_field"))),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", tr.T("alerts.key.prev_field"))),
		Submit:    key.NewBinding(key.WithKeys("enter", "ctrl+s"), key.WithHelp("enter", tr.T("alerts.key.submit"))),
		Save:      key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", tr.T("alerts.key.save"))),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.T("alerts.key.cancel"))),
		Yes:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", tr.T("alerts.key.yes"))),
		No:        key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", tr.T("alerts.key.no"))),
	}
}

// LoadedMsg carries a reload's result: the alerts of Filter and everything else the page
// shows, each with its own error.
type LoadedMsg struct {
	Filter         api.AlertFilter
	Alerts         []api.Alert
	AlertsErr      error
	Silences       []api.Silence
	SilencesErr    error
	Maintenance    []api.MaintenanceWindow
	MaintenanceErr error
	Receivers      []api.Receiver
	ReceiversErr   error
	Rules          []api.AlertRule
	RulesErr       error
}

// DeliveriesMsg carries an alert's notification deliveries.
type DeliveriesMsg struct {
	Fingerprint string
	Deliveries  []api.Delivery
	Err         error
}

// AcknowledgedMsg carries the result of acknowledging an alert.
type AcknowledgedMsg struct {
	Fingerprint string
	Alert       api.Alert
	Err         error
}

// SilencedMsg carries the result of creating a silence.
type SilencedMsg struct {
	Silence api.Silence
	Err     error
}

// ExpiredMsg carries the result of expiring a silence.
type ExpiredMsg struct {
	ID  string
	Err error
}

// SavedMsg carries the result of replacing a list (rules, receivers or maintenance windows):
// the list as the appliance now has it, or the error (a 422 names the fields rejected).
type SavedMsg struct {
	Kind        Kind
	Name        string // the item edited or deleted
	Deleted     bool
	Rules       []api.AlertRule
	Receivers   []api.Receiver
	Maintenance []api.MaintenanceWindow
	Err         error
}

// TestedMsg carries the delivery of a receiver's test notification.
type TestedMsg struct {
	Receiver string
	Delivery api.Delivery
	Err      error
}

type mode int

const (
	browsing   mode = iota
	details         // an alert's details and deliveries
	commenting      // the acknowledgement's comment
	silencing       // the silence form
	confirming      // expire the selected silence?
	editing         // a rule, receiver or maintenance window in a form
	deleting        // delete the selected rule, receiver or window?
)

// The silence form's fields.
const (
	fieldMatchers = iota
	fieldDuration
	fieldComment
	nFields
)

var fieldLabels = [nFields]string{"Matchers", "Duration", "Comment"}

// Model is the alerts page.
type Model struct {
	KeyMap  KeyMap
	client  Client
	fleet   *fleet.Fleet
	st      theme.Styles
	tr      i18n.Translator
	section Section
	filter  api.AlertFilter
	data    LoadedMsg
	loaded  bool
	loading bool
	cursor  [nSections]int
	mode    mode

	deliveries    []api.Delivery // of the alert in details
	deliveriesFP  string
	deliveriesErr error

	comment   textinput.Model
	form      [nFields]textinput.Model
	focus     int
	formErrs  map[int]string
	formAlert api.Alert

	ed editor // the rule, receiver or window being edited

	lastTest      *api.Delivery
	flash         string
	width, height int
}

// New returns the alerts page. It shows nothing until Load's command runs.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	ti := textinput.New()
	ti.Prompt = "comment: "
	ti.Placeholder = "what was found, what was done"
	ti.CharLimit = 1000
	m := Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st, comment: ti, formErrs: map[int]string{}}
	for i := range m.form {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = 500
		m.form[i] = in
	}
	m.form[fieldDuration].Placeholder = "e.g. 30m, 2h, 1d"
	m.form[fieldComment].Placeholder = "why: what others see it muted for"
	return m
}

// SetLang sets the language of the alerts section, of the comment box and of the key help
// (silences, maintenance windows, receivers, rules and their editors are English still).
func (m *Model) SetLang(tr i18n.Translator) {
	m.tr, m.KeyMap = tr, keyMap(tr)
	m.comment.Prompt = tr.T("events.comment.prompt")
	m.comment.Placeholder = tr.T("events.comment.placeholder")
	m.form[fieldDuration].Placeholder = tr.T("silence.f.duration.placeholder")
	m.form[fieldComment].Placeholder = tr.T("silence.f.comment.placeholder")
	m.comment.SetWidth(max(m.width-ansi.StringWidth(m.comment.Prompt)-2, 10))
}

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.comment.SetWidth(max(w-ansi.StringWidth(m.comment.Prompt)-2, 10))
	for i := range m.form {
		m.form[i].SetWidth(max(w-formLabelW-2, 10))
	}
	m.ed.setWidth(m.editInputW())
}

// Capturing reports whether keys are text or answers for the page (a comment, the silence
// form, a confirmation), so the root must not take them.
func (m Model) Capturing() bool {
	return m.mode == commenting || m.mode == silencing || m.mode == confirming || m.mode == editing || m.mode == deleting
}

// Section returns the section shown.
func (m Model) Section() Section { return m.section }

// Filter returns the alert filter.
func (m Model) Filter() api.AlertFilter { return m.filter }

// Alerts returns the alerts listed.
func (m Model) Alerts() []api.Alert { return m.data.Alerts }

// Load returns the command that reloads alerts (with the current filter), silences,
// maintenance windows and receivers.
func (m *Model) Load() tea.Cmd {
	m.loading = true
	c, f := m.client, m.filter
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		msg := LoadedMsg{Filter: f}
		msg.Alerts, msg.AlertsErr = c.Alerts(ctx, f)
		if api.IsCode(msg.AlertsErr, api.CodeNotFound) {
			// An appliance without alerting: the other routes are missing too.
			return msg
		}
		msg.Silences, msg.SilencesErr = c.Silences(ctx)
		msg.Maintenance, msg.MaintenanceErr = c.Maintenance(ctx)
		msg.Receivers, msg.ReceiversErr = c.Receivers(ctx)
		msg.Rules, msg.RulesErr = c.Rules(ctx)
		return msg
	}
}

func (m Model) canOperate() bool { return m.fleet.Can(api.MinRoleSilence) }
func (m Model) admin() bool      { return m.fleet.Can(api.RoleAdmin) }

// ShortHelp lists the keys usable now, without the actions the caller's role does not allow.
func (m Model) ShortHelp() []key.Binding {
	km := m.KeyMap
	switch m.mode {
	case commenting:
		return []key.Binding{km.Submit, km.Cancel}
	case silencing:
		return []key.Binding{km.NextField, km.Submit, km.Cancel}
	case confirming, deleting:
		return []key.Binding{km.Yes, km.No}
	case editing:
		return []key.Binding{km.NextField, km.PrevField, km.Save, km.Cancel}
	case details:
		bs := []key.Binding{km.Back}
		if m.canOperate() {
			bs = append(bs, km.Ack, km.Silence)
		}
		return bs
	}
	bs := []key.Binding{km.Up, km.Down}
	switch m.section {
	case SectionAlerts:
		bs = append(bs, km.Details)
		if m.canOperate() {
			bs = append(bs, km.Ack, km.Silence)
		}
		bs = append(bs, km.State, km.Machine)
	case SectionSilences:
		if m.canOperate() {
			bs = append(bs, km.Expire)
		}
	case SectionReceivers:
		if m.admin() {
			bs = append(bs, km.Test, km.Edit, km.New, km.Delete)
		}
	case SectionMaintenance, SectionRules:
		if m.admin() {
			bs = append(bs, km.Edit, km.New, km.Delete)
		}
	}
	return append(bs, km.Section, km.Refresh)
}

// rows is the number of rows of the section shown.
func (m Model) rows() int {
	switch m.section {
	case SectionAlerts:
		return len(m.data.Alerts)
	case SectionSilences:
		return len(m.data.Silences)
	case SectionMaintenance:
		return len(m.data.Maintenance)
	case SectionRules:
		return len(m.data.Rules)
	}
	return len(m.data.Receivers)
}

func (m Model) selectedAlert() (api.Alert, bool) {
	if i := m.cursor[SectionAlerts]; i < len(m.data.Alerts) {
		return m.data.Alerts[i], true
	}
	return api.Alert{}, false
}

func (m Model) selectedSilence() (api.Silence, bool) {
	if i := m.cursor[SectionSilences]; i < len(m.data.Silences) {
		return m.data.Silences[i], true
	}
	return api.Silence{}, false
}

func (m Model) selectedReceiver() (api.Receiver, bool) {
	if i := m.cursor[SectionReceivers]; i < len(m.data.Receivers) {
		return m.data.Receivers[i], true
	}
	return api.Receiver{}, false
}

// Update handles keys and the results of the page's commands.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.Filter != m.filter {
			return m, nil // an answer to an older filter
		}
		keepFP := ""
		if a, ok := m.selectedAlert(); ok {
			keepFP = a.Fingerprint
		}
		if m.mode == details {
			keepFP = m.deliveriesFP
		}
		keepSilence := ""
		if s, ok := m.selectedSilence(); ok {
			keepSilence = s.ID
		}
		m.data, m.loaded, m.loading = msg, true, false
		m.cursor[SectionAlerts] = 0
		found := false
		for i, a := range m.data.Alerts {
			if a.Fingerprint == keepFP {
				m.cursor[SectionAlerts], found = i, true
			}
		}
		if m.mode == details && !found {
			m.mode = browsing // the alert shown is gone
		}
		m.cursor[SectionSilences] = 0
		for i, s := range m.data.Silences {
			if s.ID == keepSilence {
				m.cursor[SectionSilences] = i
			}
		}
		for s := SectionMaintenance; s < nSections; s++ {
			m.cursor[s] = min(m.cursor[s], max(m.rowsOf(s)-1, 0))
		}
		return m, nil
	case DeliveriesMsg:
		if msg.Fingerprint == m.deliveriesFP {
			m.deliveries, m.deliveriesErr = msg.Deliveries, msg.Err
		}
		return m, nil
	case AcknowledgedMsg:
		if msg.Err != nil {
			if api.IsCode(msg.Err, api.CodeConflict) {
				// Someone was quicker (409): say who, and show it.
				m.flash = m.st.Warning.Render(m.conflict(msg.Fingerprint, msg.Err))
				return m, m.Load()
			}
			m.flash = m.st.Error.Render(m.describe("what.ackalerts", msg.Err, api.RoleOperator))
			return m, nil
		}
		for i, a := range m.data.Alerts {
			if a.Fingerprint == msg.Fingerprint {
				m.data.Alerts[i] = msg.Alert
			}
		}
		m.flash = m.st.OK.Render(m.tr.T("alerts.acked", msg.Alert.Rule, msg.Alert.MachineID))
		return m, m.Load()
	case SilencedMsg:
		if msg.Err != nil {
			var e *api.Error
			if api.IsCode(msg.Err, api.CodeInvalid) && errors.As(msg.Err, &e) && len(e.Fields) > 0 {
				m.mode = silencing // back to the form, errors beside the fields
				m.formErrs = map[int]string{}
				var other []string
				for _, f := range e.Fields {
					if i, ok := formField(f.Field); ok {
						// matchers[1].value: "#2 value: …"
						rest, _ := strings.CutPrefix(f.Field, "matchers")
						if i != fieldMatchers {
							rest = ""
						}
						text := describeRest(rest, f.Message)
						if old := m.formErrs[i]; old != "" {
							text = old + "; " + text
						}
						m.formErrs[i] = text
					} else {
						other = append(other, f.Field+": "+f.Message)
					}
				}
				m.flash = m.st.Error.Render(m.tr.T("alerts.silencerejected", strings.Join(other, "; ")))
				return m, m.form[m.focus].Focus()
			}
			m.flash = m.st.Error.Render(m.describe("what.silence", msg.Err, api.MinRoleSilence))
			return m, nil
		}
		m.flash = m.st.OK.Render(m.tr.T("alerts.silenced", msg.Silence.ID,
			clock(m.fleet.Now(), msg.Silence.EndsAt), FormatMatchers(msg.Silence.Matchers)))
		return m, m.Load()
	case ExpiredMsg:
		if msg.Err != nil {
			m.flash = m.st.Error.Render(m.describe("what.expire", msg.Err, api.MinRoleSilence))
			return m, nil
		}
		m.flash = m.st.OK.Render(m.tr.T("alerts.expired", msg.ID))
		return m, m.Load()
	case TestedMsg:
		if msg.Err != nil {
			m.flash = m.st.Error.Render(m.describe("what.test", msg.Err, api.RoleAdmin))
			return m, nil
		}
		d := msg.Delivery
		m.lastTest = &d
		switch {
		case d.JobID != 0: // queued: the queue page follows it
			m.flash = m.st.OK.Render(fmt.Sprintf("Test notification through %s: job #%d %s (page 7 follows the queue).", msg.Receiver, d.JobID, d.State))
		case d.State == "done":
			m.flash = m.st.OK.Render(fmt.Sprintf("Test notification through %s sent.", msg.Receiver))
		default:
			m.flash = m.st.Error.Render(fmt.Sprintf("Test notification through %s %s: %s", msg.Receiver, d.State, d.LastError))
		}
		return m, nil
	case SavedMsg:
		return m.saved(msg)
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	switch m.mode {
	case commenting:
		var cmd tea.Cmd
		m.comment, cmd = m.comment.Update(msg)
		return m, cmd
	case silencing:
		var cmd tea.Cmd
		m.form[m.focus], cmd = m.form[m.focus].Update(msg)
		return m, cmd
	case editing:
		var cmd tea.Cmd
		m.ed, cmd = m.ed.update(msg)
		return m, cmd
	}
	return m, nil
}

func (m Model) rowsOf(s Section) int {
	m.section = s
	return m.rows()
}

// formField maps a field of the appliance's 422 answer to the form's field.
func formField(f string) (int, bool) {
	switch {
	case strings.HasPrefix(f, "matchers"):
		return fieldMatchers, true
	case f == "ends_at" || f == "starts_at" || f == "duration":
		return fieldDuration, true
	case f == "comment":
		return fieldComment, true
	}
	return 0, false
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
			a, _ := m.selectedAlert()
			m.mode = browsing
			m.comment.Blur()
			c, comment := m.client, strings.TrimSpace(m.comment.Value())
			m.flash = m.st.Muted.Render(m.tr.T("alerts.acking", a.Rule, a.MachineID))
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), Timeout)
				defer cancel()
				out, err := c.AcknowledgeAlert(ctx, a.Fingerprint, comment)
				return AcknowledgedMsg{Fingerprint: a.Fingerprint, Alert: out, Err: err}
			}
		}
		var cmd tea.Cmd
		m.comment, cmd = m.comment.Update(k)
		return m, cmd
	case silencing:
		return m.formKey(k)
	case editing:
		return m.editKey(k)
	case deleting:
		switch {
		case key.Matches(k, km.Yes):
			m.mode = browsing
			return m.deleteSelected()
		case key.Matches(k, km.No):
			m.mode = browsing
			m.flash = ""
		}
		return m, nil
	case confirming:
		switch {
		case key.Matches(k, km.Yes):
			s, _ := m.selectedSilence()
			m.mode = browsing
			c := m.client
			m.flash = m.st.Muted.Render(m.tr.T("alerts.expiring", s.ID))
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), Timeout)
				defer cancel()
				return ExpiredMsg{ID: s.ID, Err: c.ExpireSilence(ctx, s.ID)}
			}
		case key.Matches(k, km.No):
			m.mode = browsing
			m.flash = ""
		}
		return m, nil
	case details:
		switch {
		case key.Matches(k, km.Back):
			m.mode = browsing
			return m, nil
		case key.Matches(k, km.Ack), key.Matches(k, km.Silence):
			m.mode = browsing
			next, cmd := m.key(k)
			if next.mode == browsing {
				next.mode = details // an action refused: stay on the details
			}
			return next, cmd
		}
		return m, nil
	}
	switch {
	case key.Matches(k, km.Up):
		if m.cursor[m.section] > 0 {
			m.cursor[m.section]--
		}
	case key.Matches(k, km.Down):
		if m.cursor[m.section] < m.rows()-1 {
			m.cursor[m.section]++
		}
	case key.Matches(k, km.Section):
		m.section = (m.section + 1) % nSections
		m.flash = ""
	case key.Matches(k, km.Refresh):
		return m, m.Load()
	}
	switch m.section {
	case SectionAlerts:
		return m.alertKey(k)
	case SectionSilences:
		if key.Matches(k, km.Expire) {
			s, ok := m.selectedSilence()
			switch {
			case !ok:
			case !m.canOperate():
				m.flash = m.st.Warning.Render(m.tr.NeedRole(api.MinRoleSilence, "what.expire", m.fleet.Me.Role))
			case s.State == "expired":
				m.flash = m.st.Muted.Render(m.tr.T("alerts.alreadyexpired", s.ID))
			default:
				m.mode = confirming
				m.flash = ""
			}
		}
	}
	if m.section >= SectionMaintenance {
		if next, cmd, ok := m.listKey(k); ok {
			return next, cmd
		}
	}
	switch m.section {
	case SectionReceivers:
		if key.Matches(k, km.Test) {
			r, ok := m.selectedReceiver()
			switch {
			case !ok:
			case !m.admin():
				m.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleAdmin, "what.test", m.fleet.Me.Role))
			default:
				c := m.client
				m.flash = m.st.Muted.Render(m.tr.T("alerts.testing", r.Name))
				return m, func() tea.Msg {
					ctx, cancel := context.WithTimeout(context.Background(), Timeout)
					defer cancel()
					d, err := c.TestReceiver(ctx, r.Name, r.Lang)
					return TestedMsg{Receiver: r.Name, Delivery: d, Err: err}
				}
			}
		}
	}
	return m, nil
}

func (m Model) alertKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	km := m.KeyMap
	switch {
	case key.Matches(k, km.State):
		for i, s := range States {
			if s == m.filter.State {
				m.filter.State = States[(i+1)%len(States)]
				break
			}
		}
		return m, m.Load()
	case key.Matches(k, km.Machine):
		m.filter.Machine = m.fleet.NextMachine(m.filter.Machine)
		return m, m.Load()
	case key.Matches(k, km.Details):
		a, ok := m.selectedAlert()
		if !ok {
			return m, nil
		}
		m.mode = details
		m.deliveries, m.deliveriesErr, m.deliveriesFP = nil, nil, a.Fingerprint
		c := m.client
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), Timeout)
			defer cancel()
			ds, err := c.AlertDeliveries(ctx, a.Fingerprint)
			return DeliveriesMsg{Fingerprint: a.Fingerprint, Deliveries: ds, Err: err}
		}
	case key.Matches(k, km.Ack):
		a, ok := m.selectedAlert()
		switch {
		case !ok:
		case !m.canOperate():
			m.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleOperator, "what.ackalerts", m.fleet.Me.Role))
		case a.AcknowledgedAt != nil:
			m.flash = m.st.Muted.Render(m.tr.T("alerts.already", a.Rule, a.MachineID, a.AcknowledgedBy))
		default:
			m.mode = commenting
			m.comment.Reset()
			m.flash = ""
			return m, m.comment.Focus()
		}
	case key.Matches(k, km.Silence):
		a, ok := m.selectedAlert()
		switch {
		case !ok:
		case !m.canOperate():
			m.flash = m.st.Warning.Render(m.tr.NeedRole(api.MinRoleSilence, "what.silence", m.fleet.Me.Role))
		default:
			m.mode, m.formAlert, m.focus = silencing, a, fieldMatchers
			m.formErrs = map[int]string{}
			for i := range m.form {
				m.form[i].Reset()
				m.form[i].Blur()
			}
			m.form[fieldMatchers].SetValue(FormatMatchers([]api.Matcher{
				{Label: "machine", Op: "=", Value: a.MachineID}, {Label: "alertname", Op: "=", Value: a.Rule}}))
			m.form[fieldDuration].SetValue(DefaultSilence)
			m.flash = ""
			return m, m.form[fieldMatchers].Focus()
		}
	}
	return m, nil
}

// formKey handles the silence form: tab moves, enter on the last field or ctrl+s submits.
func (m Model) formKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	km := m.KeyMap
	submit := key.Matches(k, km.Submit) && (k.String() == "ctrl+s" || m.focus == nFields-1)
	switch {
	case key.Matches(k, km.Cancel):
		m.mode = browsing
		m.form[m.focus].Blur()
		m.flash = ""
		return m, nil
	case submit:
		return m.submitSilence()
	case key.Matches(k, km.NextField), key.Matches(k, km.Submit):
		return m.moveFocus(1)
	case key.Matches(k, km.PrevField):
		return m.moveFocus(-1)
	}
	var cmd tea.Cmd
	m.form[m.focus], cmd = m.form[m.focus].Update(k)
	return m, cmd
}

func (m Model) moveFocus(d int) (Model, tea.Cmd) {
	m.form[m.focus].Blur()
	m.focus = (m.focus + d + nFields) % nFields
	return m, m.form[m.focus].Focus()
}

// submitSilence checks the form and sends the silence, from now for the duration.
func (m Model) submitSilence() (Model, tea.Cmd) {
	m.formErrs = map[int]string{}
	ms, err := ParseMatchers(m.form[fieldMatchers].Value())
	if err != nil {
		m.formErrs[fieldMatchers] = err.Error()
	}
	d, err := parseDuration(m.form[fieldDuration].Value())
	if err != nil {
		m.formErrs[fieldDuration] = err.Error()
	}
	if len(m.formErrs) > 0 {
		m.flash = m.st.Error.Render(m.tr.T("settings.fix"))
		return m, nil
	}
	now := m.fleet.Now()
	s := api.Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(d), Comment: strings.TrimSpace(m.form[fieldComment].Value())}
	m.mode = browsing
	m.form[m.focus].Blur()
	m.flash = m.st.Muted.Render(m.tr.T("alerts.creating"))
	c := m.client
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		out, err := c.CreateSilence(ctx, s)
		return SilencedMsg{Silence: out, Err: err}
	}
}

// describe turns an action's error into a sentence for the status line.
// describe turns an action's error into a sentence; what is a catalog key ("what.expire")
// or, for the editors, English words.
func (m Model) describe(what string, err error, min api.Role) string {
	tr := m.tr
	switch {
	case api.IsCode(err, api.CodeForbidden):
		return tr.NeedRole(min, what, m.fleet.Me.Role)
	case api.IsCode(err, api.CodeConflict):
		return tr.T("err.conflict", err.Error())
	case api.IsCode(err, api.CodeUnauthorized):
		return tr.T("err.token", err.Error())
	case api.IsCode(err, api.CodeNotFound):
		return tr.T("err.notfound", err.Error())
	}
	return tr.T("err.could", tr.T(what), err)
}
