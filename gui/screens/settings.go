package screens

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

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
)

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
	form := widget.NewForm(
		mk(FieldName, u.T("settings.name"), ""),
		mk(FieldSource, u.T("settings.source"), u.T("settings.source.hint")),
		mk(FieldChannel, u.T("settings.channel"), u.T("settings.channel.hint")),
		mk(FieldLearning, u.T("settings.learning"), u.T("settings.learning.hint")),
		mk(FieldModel, u.T("settings.model"), u.T("settings.model.hint")),
		mk(FieldQuantile, u.T("settings.quantile"), u.T("settings.quantile.hint")),
		mk(FieldSmoothing, u.T("settings.smoothing"), u.T("settings.smoothing.hint")),
	)
	s.save = widget.NewButtonWithIcon(u.T("settings.save"), fynetheme.DocumentSaveIcon(), s.submit)
	s.save.Importance = widget.HighImportance
	s.relearn = widget.NewButtonWithIcon(u.T("settings.relearn"), fynetheme.ViewRefreshIcon(), s.askRelearn)
	s.relearn.Importance = widget.WarningImportance
	s.msg = widget.NewLabel("")
	s.msg.Wrapping = fyne.TextWrapWord
	var note fyne.CanvasObject = container.NewStack()
	if u.app != nil && u.identity.Role != "" && !u.canAdmin() {
		s.save.Disable()
		s.relearn.Disable()
		l := widget.NewLabel(u.T("settings.adminonly", u.T("role."+string(u.identity.Role))))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		note = l
	}
	top := container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(u.T("settings.machine")), nil, s.pick), note)
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
	return m, ok
}

func (s *settingsScreen) submit() {
	u := s.u
	if u.byID[s.id] == nil {
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
				msg := fe.Message
				if f := s.fields[fe.Field]; f != nil {
					f.setErr(msg)
				} else {
					unplaced = append(unplaced, fe.Field+": "+msg)
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
