package screens

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Models the appliance offers (api.Detection.Model).
var Models = []string{"mahalanobis", "gmm", "knn"}

// field is one form field with the error line under it.
type field struct {
	path  string // the API's dotted field name
	entry *widget.Entry
	sel   *widget.Select
	err   *widget.Label
}

func (f *field) setErr(msg string) {
	f.err.SetText(msg)
	if msg == "" {
		f.err.Hide()
	} else {
		f.err.Show()
	}
}

type settingsScreen struct {
	u       *UI
	root    fyne.CanvasObject
	pick    *widget.Select
	id      string // machine being edited
	fields  map[string]*field
	save    *widget.Button
	relearn *widget.Button
	msg     *widget.Label
}

// Field paths of the settings form, as the API names them in 422 answers.
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

// relearnLabel is the label key of each field whose change makes the appliance learn the
// machine afresh (api.RelearnChanges).
var relearnLabel = map[string]string{
	FieldSource: "settings.source", FieldChannel: "settings.channel", FieldModel: "settings.model",
	FieldWindow: "settings.window", FieldHop: "settings.hop", FieldPooling: "settings.pooling",
}

func newSettingsScreen(u *UI) *settingsScreen {
	s := &settingsScreen{u: u, fields: map[string]*field{}}
	var names []string
	for _, m := range u.machines {
		names = append(names, m.name())
	}
	s.pick = widget.NewSelect(names, func(name string) {
		for _, m := range u.machines {
			if m.name() == name {
				s.load(m.cfg.ID)
			}
		}
	})
	s.pick.PlaceHolder = u.T("settings.pick")
	mk := func(path, label, hint string) *widget.FormItem {
		f := &field{path: path, err: widget.NewLabel("")}
		f.err.Importance = widget.DangerImportance
		f.err.Wrapping = fyne.TextWrapWord
		f.err.Hide()
		var in fyne.CanvasObject
		if path == FieldModel {
			f.sel = widget.NewSelect(Models, nil)
			in = f.sel
		} else {
			f.entry = widget.NewEntry()
			f.entry.OnChanged = func(string) { f.setErr("") }
			in = f.entry
		}
		s.fields[path] = f
		item := widget.NewFormItem(label, container.NewVBox(in, f.err))
		item.HintText = hint
		return item
	}
	heading := widget.NewLabelWithStyle(u.T("settings.listening"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	note := widget.NewLabel(u.T("settings.listening.note"))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.WarningImportance
	form := widget.NewForm(
		mk(FieldName, u.T("settings.name"), ""),
		mk(FieldSource, u.T("settings.source"), u.T("settings.source.hint")),
		mk(FieldChannel, u.T("settings.channel"), u.T("settings.channel.hint")),
		mk(FieldLearning, u.T("settings.learning"), u.T("settings.learning.hint")),
		mk(FieldModel, u.T("settings.model"), u.T("settings.model.hint")),
		mk(FieldQuantile, u.T("settings.quantile"), u.T("settings.quantile.hint")),
		mk(FieldSmoothing, u.T("settings.smoothing"), u.T("settings.smoothing.hint")),
		widget.NewFormItem("", container.NewVBox(heading, note)),
		mk(FieldWindow, u.T("settings.window"), u.T("settings.window.hint")),
		mk(FieldHop, u.T("settings.hop"), u.T("settings.hop.hint")),
		mk(FieldPooling, u.T("settings.pooling"), u.T("settings.pooling.hint")),
		mk(FieldPersistence, u.T("settings.persistence"), u.T("settings.persistence.hint")),
	)
	for _, p := range []string{FieldWindow, FieldHop, FieldPooling, FieldPersistence} {
		s.fields[p].entry.SetPlaceHolder(u.T("settings.default"))
	}
	s.save = widget.NewButtonWithIcon(u.T("settings.save"), fynetheme.DocumentSaveIcon(), s.submit)
	s.save.Importance = widget.HighImportance
	s.relearn = widget.NewButtonWithIcon(u.T("settings.relearn"), fynetheme.ViewRefreshIcon(), s.askRelearn)
	s.relearn.Importance = widget.WarningImportance
	s.msg = widget.NewLabel("")
	s.msg.Wrapping = fyne.TextWrapWord
	var role fyne.CanvasObject = container.NewStack()
	if u.app != nil && u.identity.Role != "" && !u.canAdmin() {
		s.save.Disable()
		s.relearn.Disable()
		l := widget.NewLabel(u.T("settings.adminonly", u.T("role."+string(u.identity.Role))))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		role = l
	}
	top := container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(u.T("settings.machine")), nil, s.pick), role)
	buttons := container.NewHBox(s.save, s.relearn)
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(form, buttons, s.msg))))
	s.show()
	return s
}

// show loads the machine shown in detail, or the first, if none is picked.
func (s *settingsScreen) show() {
	id := s.id
	if s.u.byID[id] == nil {
		id = s.u.openID
	}
	if s.u.byID[id] == nil && len(s.u.machines) > 0 {
		id = s.u.machines[0].cfg.ID
	}
	if m := s.u.byID[id]; m != nil && id != s.id {
		s.pick.SetSelected(m.name()) // calls load
	}
}

// EditMachine shows machine id in the settings tab.
func (u *UI) EditMachine(id string) {
	u.SelectTab(TabSettings)
	if m := u.byID[id]; m != nil {
		u.settings.pick.SetSelected(m.name())
	}
}

func (s *settingsScreen) load(id string) {
	m := s.u.byID[id]
	if m == nil {
		return
	}
	s.id = id
	c := m.cfg
	s.fields[FieldName].entry.SetText(c.Name)
	s.fields[FieldSource].entry.SetText(c.Sensor.Source)
	s.fields[FieldChannel].entry.SetText(strconv.Itoa(c.Sensor.Channel))
	s.fields[FieldLearning].entry.SetText(shortDuration(c.Detection.Learning))
	s.fields[FieldModel].sel.SetSelected(c.Detection.Model)
	s.fields[FieldQuantile].entry.SetText(strconv.FormatFloat(c.Detection.Quantile, 'g', -1, 64))
	s.fields[FieldSmoothing].entry.SetText(strconv.Itoa(c.Detection.Smoothing))
	s.fields[FieldWindow].entry.SetText(shortDuration(c.Detection.Window))
	s.fields[FieldHop].entry.SetText(shortDuration(c.Detection.Hop))
	s.fields[FieldPooling].entry.SetText(strings.Join(c.Detection.Pooling, ", "))
	s.fields[FieldPersistence].entry.SetText(shortDuration(c.Detection.Persistence))
	for _, f := range s.fields {
		f.setErr("")
	}
	s.msg.SetText("")
}

// shortDuration prints "10m0s" as "10m" for people.
func shortDuration(d string) string {
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return d
}

// FieldError returns the error shown under a settings field ("" if none).
func (u *UI) FieldError(path string) string {
	f := u.settings.fields[path]
	if f == nil || f.err.Hidden {
		return ""
	}
	return f.err.Text
}

// SettingsEntry returns the entry of a settings field, for tests.
func (u *UI) SettingsEntry(path string) *widget.Entry { return u.settings.fields[path].entry }

// SettingsSave returns the settings' save button.
func (u *UI) SettingsSave() *widget.Button { return u.settings.save }

// form reads the machine from the form; numbers that do not parse are
// field errors before anything is sent.
func (s *settingsScreen) form() (api.Machine, bool) {
	m := s.u.byID[s.id].cfg
	ok := true
	text := func(p string) string { return strings.TrimSpace(s.fields[p].entry.Text) }
	m.Name = text(FieldName)
	m.Sensor.Source = text(FieldSource)
	if ch, err := strconv.Atoi(text(FieldChannel)); err != nil {
		s.fields[FieldChannel].setErr(s.u.T("settings.err.integer"))
		ok = false
	} else {
		m.Sensor.Channel = ch
	}
	m.Detection.Learning = text(FieldLearning)
	if d, err := time.ParseDuration(m.Detection.Learning); err == nil {
		m.Detection.Learning = d.String()
	}
	m.Detection.Model = s.fields[FieldModel].sel.Selected
	if q, err := strconv.ParseFloat(strings.ReplaceAll(text(FieldQuantile), ",", "."), 64); err != nil {
		s.fields[FieldQuantile].setErr(s.u.T("settings.err.number"))
		ok = false
	} else {
		m.Detection.Quantile = q
	}
	if n, err := strconv.Atoi(text(FieldSmoothing)); err != nil {
		s.fields[FieldSmoothing].setErr(s.u.T("settings.err.integer"))
		ok = false
	} else {
		m.Detection.Smoothing = n
	}
	dur := func(p string) string {
		t := text(p)
		if t == "" {
			return "" // the kind's default
		}
		d, err := time.ParseDuration(t)
		if err != nil {
			s.fields[p].setErr(s.u.T("settings.err.duration"))
			ok = false
			return t
		}
		return d.String()
	}
	m.Detection.Window = dur(FieldWindow)
	m.Detection.Hop = dur(FieldHop)
	m.Detection.Persistence = dur(FieldPersistence)
	m.Detection.Pooling = parsePooling(text(FieldPooling))
	return m, ok
}

// parsePooling reads a list of window statistics separated by commas or spaces, in lower
// case; nil (the kind's default) when there is none.
func parsePooling(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		out = append(out, strings.ToLower(f))
	}
	return out
}

// relearnChanges describes the changes from old to next that make the appliance learn the
// machine afresh (api.RelearnChanges), one "Label: old → new" each; none if there is none.
func (s *settingsScreen) relearnChanges(old, next api.Machine) []string {
	u := s.u
	show := func(v string) string {
		if v == "" {
			return u.T("settings.default.short")
		}
		return v
	}
	var out []string
	for _, c := range api.RelearnChanges(old, next) {
		a, b := c.Old, c.New
		if c.Field == FieldWindow || c.Field == FieldHop {
			a, b = shortDuration(a), shortDuration(b)
		}
		out = append(out, u.T("settings.change", u.T(relearnLabel[c.Field]), show(a), show(b)))
	}
	return out
}

// fieldFor returns the form field an API field path belongs to and the message to show
// there: "detection.pooling[1]" is the pooling field, its message naming the statistic sent.
func (s *settingsScreen) fieldFor(fe api.FieldError, sent api.Machine) (*field, string) {
	base, rest, ok := strings.Cut(fe.Field, "[")
	if !ok {
		return s.fields[fe.Field], fe.Message
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	f := s.fields[base]
	if f == nil || err != nil || !strings.HasSuffix(rest, "]") {
		return nil, fe.Message
	}
	if base == FieldPooling && i >= 0 && i < len(sent.Detection.Pooling) {
		return f, fmt.Sprintf("%q: %s", sent.Detection.Pooling[i], fe.Message)
	}
	return f, fmt.Sprintf("#%d: %s", i+1, fe.Message)
}

func (s *settingsScreen) submit() {
	u := s.u
	mm := u.byID[s.id]
	if mm == nil {
		return
	}
	for _, f := range s.fields {
		f.setErr("")
	}
	m, ok := s.form()
	if !ok {
		s.msg.SetText(u.T("settings.fix"))
		return
	}
	changes := s.relearnChanges(mm.cfg, m)
	if len(changes) == 0 {
		s.send(m)
		return
	}
	text := widget.NewLabel(u.T("relearnsave.warning", strings.Join(changes, ", "), mm.name(), shortDuration(m.Detection.Learning)))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(u.T("relearnsave.title"), u.T("relearnsave.confirm"), u.T("dialog.cancel"), text, func(yes bool) {
		if !yes {
			s.msg.SetText(u.T("relearnsave.cancelled"))
			return
		}
		s.send(m)
	}, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// send saves m on the appliance and shows its answer: the saved machine, or its 422s
// under their fields.
func (s *settingsScreen) send(m api.Machine) {
	u := s.u
	s.save.Disable()
	s.msg.SetText(u.T("settings.saving"))
	var got api.Machine
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		got, err = a.UpdateMachine(ctx, m)
		return err
	}, func(err error) {
		s.save.Enable()
		var ae *api.Error
		if errors.As(err, &ae) && len(ae.Fields) > 0 {
			unplaced := []string{}
			for _, fe := range ae.Fields {
				if f, msg := s.fieldFor(fe, m); f != nil {
					if prev := f.err.Text; !f.err.Hidden && prev != "" {
						msg = prev + "\n" + msg
					}
					f.setErr(msg)
				} else {
					unplaced = append(unplaced, fe.Field+": "+fe.Message)
				}
			}
			s.msg.SetText(strings.Join(append([]string{u.T("settings.fix")}, unplaced...), "\n"))
			return
		}
		if err != nil {
			s.msg.SetText(u.errorText(err))
			return
		}
		if mm := u.byID[got.ID]; mm != nil {
			mm.cfg = got
		}
		if got.ID == s.id {
			s.load(got.ID) // as the appliance stored it: defaults filled in, durations in its form
		}
		s.msg.SetText(u.T("settings.saved"))
		u.overview.refresh()
	})
}

func (s *settingsScreen) askRelearn() {
	u := s.u
	m := u.byID[s.id]
	if m == nil {
		return
	}
	note := widget.NewEntry()
	note.SetPlaceHolder(u.T("relearn.note"))
	text := widget.NewLabel(u.T("relearn.warning", m.name(), shortDuration(m.cfg.Detection.Learning)))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(u.T("relearn.title"), u.T("relearn.confirm"), u.T("dialog.cancel"),
		container.NewVBox(text, note), func(ok bool) {
			if !ok {
				return
			}
			u.call(func(ctx context.Context, a Appliance) error {
				return a.Relearn(ctx, m.cfg.ID, note.Text)
			}, func(err error) {
				if err != nil {
					s.msg.SetText(u.errorText(err))
					return
				}
				s.msg.SetText(u.T("relearn.started", m.name()))
			})
		}, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
