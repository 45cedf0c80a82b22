package screens

import (
	"context"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// FaultLabels are the fault types an event can be labelled with, besides
// api.LabelFalseAlarm.
var FaultLabels = api.FaultLabels

type eventsScreen struct {
	u       *UI
	root    fyne.CanvasObject
	list    *fyne.Container
	machine *widget.Select
	open    *widget.Check
	unack   *widget.Check
	status  *widget.Label
}

func newEventsScreen(u *UI) *eventsScreen {
	s := &eventsScreen{u: u}
	all := u.T("events.allmachines")
	opts := []string{all}
	for _, m := range u.machines {
		opts = append(opts, m.name())
	}
	s.machine = widget.NewSelect(opts, func(name string) {
		u.filter.Machine = ""
		for _, m := range u.machines {
			if m.name() == name {
				u.filter.Machine = m.cfg.ID
			}
		}
		u.loadEvents()
	})
	sel := all
	if m := u.byID[u.filter.Machine]; m != nil {
		sel = m.name()
	}
	s.machine.Selected = sel
	s.open = widget.NewCheck(u.T("events.onlyopen"), func(b bool) { u.filter.Open = b; u.loadEvents() })
	s.open.Checked = u.filter.Open
	s.unack = widget.NewCheck(u.T("events.onlyunack"), func(b bool) { u.filter.Unacknowledged = b; u.loadEvents() })
	s.unack.Checked = u.filter.Unacknowledged
	refresh := widget.NewButtonWithIcon(u.T("events.refresh"), fynetheme.ViewRefreshIcon(), u.loadEvents)
	s.status = widget.NewLabel("")
	s.list = container.NewVBox()
	bar := container.NewHBox(widget.NewLabel(u.T("events.machine")), s.machine, s.open, s.unack, refresh)
	s.root = container.NewBorder(container.NewVBox(container.NewPadded(bar), s.roleNote()), s.status, nil, nil,
		container.NewVScroll(container.NewPadded(s.list)))
	s.show()
	return s
}

// roleNote explains, once at the top, why the buttons are greyed out.
func (s *eventsScreen) roleNote() fyne.CanvasObject {
	u := s.u
	if u.app == nil || u.identity.Role == "" || u.canOperate() {
		return container.NewStack()
	}
	l := widget.NewLabel(u.T("events.viewernote", u.T("role."+string(u.identity.Role))))
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return l
}

func (s *eventsScreen) show() {
	s.list.Objects = nil
	if len(s.u.events) == 0 {
		s.list.Add(widget.NewLabel(s.u.T("events.none")))
	}
	for _, e := range s.u.events {
		s.list.Add(s.u.eventCard(e, true))
	}
	s.list.Refresh()
}

// loadEvents fetches the events screen's list with the current filter.
func (u *UI) loadEvents() {
	if u.app == nil {
		return
	}
	f := u.filter
	var evs []api.Event
	u.eventsUI.status.SetText(u.T("events.loading"))
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		evs, err = a.Events(ctx, f)
		return err
	}, func(err error) {
		if err != nil {
			u.eventsUI.status.SetText(u.errorText(err))
			return
		}
		u.events = evs
		u.eventsUI.status.SetText(u.tr.N("events.count", len(evs), len(evs)))
		u.eventsUI.show()
	})
}

// loadMachineEvents fetches a machine's recent events for its detail.
func (u *UI) loadMachineEvents(m *machine) {
	var evs []api.Event
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		evs, err = a.Events(ctx, api.EventFilter{Machine: m.cfg.ID, Limit: 5})
		return err
	}, func(err error) {
		if err != nil {
			return
		}
		m.events = evs
		if u.detail != nil && u.detail.m == m {
			u.detail.showEvents()
		}
	})
}

// eventChanged puts an event the appliance returned in every list shown.
func (u *UI) eventChanged(e api.Event) {
	for i := range u.events {
		if u.events[i].ID == e.ID {
			u.events[i] = e
		}
	}
	if m := u.byID[e.MachineID]; m != nil {
		for i := range m.events {
			if m.events[i].ID == e.ID {
				m.events[i] = e
			}
		}
	}
	u.eventsUI.show()
	if u.detail != nil {
		u.detail.showEvents()
	}
}

var (
	cardOpen  = color.NRGBA{0xff, 0xeb, 0xee, 0xff}
	cardAcked = color.NRGBA{0xf5, 0xf5, 0xf5, 0xff}
	cardNew   = color.NRGBA{0xff, 0xf8, 0xe1, 0xff}
)

// eventCard shows one event with its Acknowledge and Label buttons.
func (u *UI) eventCard(e api.Event, withMachine bool) fyne.CanvasObject {
	title := u.formatTime(e.Start)
	if withMachine {
		name := e.MachineID
		if m := u.byID[e.MachineID]; m != nil {
			name = m.name()
		}
		title = name + " — " + title
	}
	var when string
	if e.Open() {
		when = u.T("event.ongoing", u.tr.Duration(u.opt.Now().Sub(e.Start)))
	} else {
		when = u.T("event.lasted", u.tr.Duration(e.End.Sub(e.Start)))
	}
	lines := []string{when}
	if r, ok := ratio(e.PeakScore, e.Threshold); ok {
		lines = append(lines, u.T("event.peak", u.T("score.times", r)))
	}
	if e.AcknowledgedAt != nil {
		ack := u.T("event.acked", e.AcknowledgedBy, u.formatTime(*e.AcknowledgedAt))
		if e.AckComment != "" {
			ack += " — “" + e.AckComment + "”"
		}
		lines = append(lines, ack)
	} else {
		lines = append(lines, u.T("event.notacked"))
	}
	if e.Label != "" {
		lines = append(lines, u.T("event.label", u.labelName(e.Label)))
	}
	if d := e.Diagnosis; d != nil {
		lines = append(lines, u.diagnosisText(d))
	}
	switch { // the cross-sensor correlation's explanation
	case e.HeardFrom != "":
		lines = append(lines, u.T("event.heardfrom", e.HeardFrom))
	case e.Cause == "plant":
		lines = append(lines, u.T("event.plant"))
	}
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := widget.NewLabel(strings.Join(lines, "\n"))
	body.Wrapping = fyne.TextWrapWord

	ack := widget.NewButtonWithIcon(u.T("event.acknowledge"), fynetheme.ConfirmIcon(), func() { u.askAcknowledge(e) })
	ack.Importance = widget.HighImportance
	lab := widget.NewButtonWithIcon(u.T("event.labelbtn"), fynetheme.DocumentCreateIcon(), func() { u.askLabel(e) })
	if e.AcknowledgedAt != nil {
		ack.Disable()
		ack.Importance = widget.MediumImportance
	}
	// The sound is for everyone to see (spectrogram); listening needs an operator (clips.go).
	sound := widget.NewButtonWithIcon(u.T("event.clips"), fynetheme.MediaMusicIcon(), func() { u.showClips(e) })
	buttons := container.NewVBox(container.NewHBox(ack, lab), container.NewHBox(sound))
	items := []fyne.CanvasObject{head, body, buttons}
	if !u.canOperate() {
		ack.Disable()
		lab.Disable()
		why := widget.NewLabel(u.T("event.cannot", u.T("role."+string(u.identity.Role))))
		why.Wrapping = fyne.TextWrapWord
		why.TextStyle.Italic = true
		items = append(items, why)
	}
	bg := cardAcked
	switch {
	case e.Open() && e.AcknowledgedAt == nil:
		bg = cardOpen
	case e.AcknowledgedAt == nil:
		bg = cardNew
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 6
	return container.NewPadded(container.NewStack(rect, container.NewPadded(container.NewVBox(items...))))
}

// diagnosisText says what the fault classifier found: "Diagnosis: Bearing outer race (87 %)",
// or its best guess when it was not sure.
func (u *UI) diagnosisText(d *api.Diagnosis) string {
	if d.Label != api.DiagnosisUnknown {
		return u.T("event.diagnosis", u.labelName(d.Label), 100*d.Confidence)
	}
	best, p := "", -1.0
	for c, q := range d.Probs {
		if q > p || (q == p && c < best) {
			best, p = c, q
		}
	}
	return u.T("event.diagnosis.unsure", u.labelName(best), 100*p)
}

// labelName translates a label value.
func (u *UI) labelName(l string) string {
	if l == api.LabelFalseAlarm || l == "normal" || slices.Contains(FaultLabels, l) || l == "bearing" { // "bearing": labels of earlier versions
		return u.T("label." + l)
	}
	return l
}

// askAcknowledge asks for an optional comment, then acknowledges e.
func (u *UI) askAcknowledge(e api.Event) {
	comment := widget.NewMultiLineEntry()
	comment.SetPlaceHolder(u.T("ack.placeholder"))
	comment.SetMinRowsVisible(3)
	errText := widget.NewLabel("")
	errText.Importance = widget.DangerImportance
	errText.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(widget.NewLabel(u.T("ack.question")), comment, errText)
	for _, a := range u.linkedAlerts(e) { // the appliance acknowledges them with the event
		l := widget.NewLabel(u.T("ack.linked", u.summary(a)))
		l.Wrapping = fyne.TextWrapWord
		content.Add(l)
	}
	var dlg *dialog.CustomDialog
	confirm := widget.NewButtonWithIcon(u.T("event.acknowledge"), fynetheme.ConfirmIcon(), nil)
	confirm.Importance = widget.HighImportance
	cancel := widget.NewButton(u.T("dialog.cancel"), func() { dlg.Hide() })
	confirm.OnTapped = func() {
		confirm.Disable()
		var got api.Event
		u.call(func(ctx context.Context, a Appliance) error {
			var err error
			got, err = a.AcknowledgeEvent(ctx, e.ID, comment.Text)
			return err
		}, func(err error) {
			confirm.Enable()
			if err != nil {
				errText.SetText(u.errorText(err))
				return
			}
			dlg.Hide()
			u.eventChanged(got)
			u.loadAlerts() // its alerts were acknowledged with it
		})
	}
	dlg = dialog.NewCustomWithoutButtons(u.T("ack.title"), content, u.win)
	dlg.SetButtons([]fyne.CanvasObject{cancel, confirm})
	dlg.Resize(fyne.NewSize(460, 0))
	dlg.Show()
	u.win.Canvas().Focus(comment)
}

// askLabel offers the fault types and "false alarm", then labels e.
func (u *UI) askLabel(e api.Event) {
	values := append(slices.Clone(FaultLabels), api.LabelFalseAlarm)
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = u.labelName(v)
	}
	choice := widget.NewRadioGroup(names, nil)
	if i := slices.Index(values, e.Label); i >= 0 {
		choice.SetSelected(names[i])
	}
	errText := widget.NewLabel("")
	errText.Importance = widget.DangerImportance
	content := container.NewVBox(widget.NewLabel(u.T("label.question")), choice, errText)
	var dlg *dialog.CustomDialog
	save := widget.NewButtonWithIcon(u.T("label.save"), fynetheme.DocumentSaveIcon(), nil)
	save.Importance = widget.HighImportance
	cancel := widget.NewButton(u.T("dialog.cancel"), func() { dlg.Hide() })
	save.OnTapped = func() {
		i := slices.Index(names, choice.Selected)
		if i < 0 {
			errText.SetText(u.T("label.pick"))
			return
		}
		var got api.Event
		u.call(func(ctx context.Context, a Appliance) error {
			var err error
			got, err = a.LabelEvent(ctx, e.ID, values[i])
			return err
		}, func(err error) {
			if err != nil {
				errText.SetText(u.errorText(err))
				return
			}
			dlg.Hide()
			u.eventChanged(got)
		})
	}
	dlg = dialog.NewCustomWithoutButtons(u.T("label.title"), content, u.win)
	dlg.SetButtons([]fyne.CanvasObject{cancel, save})
	dlg.Show()
}

// anomalyRule reports whether a rule reads the anomaly score: its alerts are
// acknowledged together with the machine's anomaly events.
func (u *UI) anomalyRule(name string) bool {
	m := u.al.rules[name].Metric
	return m == "anomaly_score" || m == "score"
}

// acknowledgedTogether reports whether the appliance acknowledges alert a and
// event e together (appliance/daemon/acklink.go): an anomaly event and an
// unacknowledged anomaly alert of its machine, pending or firing, that
// overlap in time.
func (u *UI) acknowledgedTogether(a api.Alert, e api.Event) bool {
	return e.Kind == "anomaly" && alertMachine(a) == e.MachineID && a.State != api.AlertResolved && a.AcknowledgedAt == nil &&
		u.anomalyRule(a.Rule) && (e.Open() || !a.ActiveAt.After(*e.End))
}

// linkedAlerts returns the alerts acknowledging e acknowledges too.
func (u *UI) linkedAlerts(e api.Event) []api.Alert {
	var out []api.Alert
	for _, a := range u.al.alerts {
		if u.acknowledgedTogether(a, e) {
			out = append(out, a)
		}
	}
	return out
}

// linkedEvents reports whether acknowledging a acknowledges an event shown.
func (u *UI) linkedEvents(a api.Alert) bool {
	evs := slices.Clone(u.events)
	if m := u.byID[alertMachine(a)]; m != nil {
		evs = append(evs, m.events...)
	}
	return slices.ContainsFunc(evs, func(e api.Event) bool { return e.AcknowledgedAt == nil && u.acknowledgedTogether(a, e) })
}

// eventsOfMachineChanged fetches again the events of the lists shown that
// are of machine id (the appliance acknowledged some with an alert).
func (u *UI) eventsOfMachineChanged(id string) {
	if slices.ContainsFunc(u.events, func(e api.Event) bool { return e.MachineID == id }) {
		u.loadEvents()
	}
	if m := u.byID[id]; m != nil && len(m.events) > 0 {
		u.loadMachineEvents(m)
	}
}
