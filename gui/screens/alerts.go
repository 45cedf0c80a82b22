package screens

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Alert colours: the severity block of a card, and the card behind it.
var (
	sevCritical  = color.NRGBA{0xc6, 0x28, 0x28, 0xff}
	sevWarning   = color.NRGBA{0xf9, 0xa8, 0x25, 0xff}
	sevMuted     = color.NRGBA{0x9e, 0x9e, 0x9e, 0xff}
	sevResolved  = color.NRGBA{0x2e, 0x7d, 0x32, 0xff}
	cardCritical = color.NRGBA{0xff, 0xeb, 0xee, 0xff}
	cardWarning  = color.NRGBA{0xff, 0xf8, 0xe1, 0xff}
	cardMuted    = color.NRGBA{0xf0, 0xf0, 0xf0, 0xff}
	cardResolved = color.NRGBA{0xf1, 0xf8, 0xe9, 0xff}
	darkText     = color.NRGBA{0x21, 0x21, 0x21, 0xff}
)

// SilenceChoices are the durations the Silence dialog offers, in order; the
// last two are "until tomorrow morning" and "custom".
var SilenceChoices = []time.Duration{time.Hour, 8 * time.Hour}

// MorningHour is the hour "until tomorrow" silences end (the day shift's start).
const MorningHour = 8

// customTimeLayout is how the Silence dialog's custom end time is typed.
const customTimeLayout = "2006-01-02 15:04"

// alertState is what the client knows of the appliance's alerting.
type alertState struct {
	loaded   bool
	err      error
	alerts   []api.Alert
	silences []api.Silence
	windows  []api.MaintenanceWindow
	rules    map[string]api.AlertRule // by name
	ruleList []api.AlertRule          // in the appliance's order
	rulesErr error
}

// muted reports whether an alert's notifications are held back.
func muted(a api.Alert) bool { return a.Silenced || a.Inhibited }

// needsAttention reports whether an alert counts on the tab's badge: firing and not muted.
func needsAttention(a api.Alert) bool { return a.State == api.AlertFiring && !muted(a) }

// FiringCount returns the number of firing alerts that are not muted: the
// Alerts tab's badge.
func (u *UI) FiringCount() int {
	n := 0
	for _, a := range u.al.alerts {
		if needsAttention(a) {
			n++
		}
	}
	return n
}

// criticalFiring returns the firing critical alerts that are not muted.
func (u *UI) criticalFiring() []api.Alert {
	var out []api.Alert
	for _, a := range u.al.alerts {
		if needsAttention(a) && a.Severity == api.SeverityCritical {
			out = append(out, a)
		}
	}
	return out
}

// loadAlerts fetches the alerts, silences, maintenance windows and rules.
// An appliance without the alerting routes (404) shows a note, not an error
// banner.
func (u *UI) loadAlerts() {
	if u.app == nil {
		return
	}
	var st alertState
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		if st.alerts, err = a.Alerts(ctx, api.AlertFilter{}); err != nil {
			return err
		}
		if st.silences, err = a.Silences(ctx); err != nil {
			return err
		}
		if st.windows, err = a.Maintenance(ctx); err != nil {
			return err
		}
		// The rules translate the summaries and fill the Alert rules tab; the
		// alerts work without them.
		st.ruleList, st.rulesErr = a.Rules(ctx)
		return nil
	}, func(err error) {
		st.loaded, st.err = true, err
		if err != nil {
			st.alerts, st.silences, st.windows, st.ruleList, st.rulesErr = u.al.alerts, u.al.silences, u.al.windows, u.al.ruleList, u.al.rulesErr
		}
		u.al = st
		if u.al.rulesErr == nil {
			u.setRules(u.al.ruleList)
		} else {
			u.al.rules = map[string]api.AlertRule{}
		}
		u.alertsChanged()
	})
}

// alertsChanged redraws everything that shows alerts.
func (u *UI) alertsChanged() {
	u.alertsUI.show()
	u.rulesUI.show()
	u.updateAlertTab()
	u.overview.refresh()
}

func (u *UI) updateAlertTab() {
	title := u.T("tab.alerts")
	if n := u.FiringCount(); n > 0 {
		title = u.T("tab.alerts.count", n)
	}
	it := u.tabs.Items[TabAlerts]
	if it.Text != title {
		it.Text = title
		u.tabs.Refresh()
	}
}

// summary returns an alert's "what is wrong" in the UI's language. Rule
// summaries are templates ({{.Machine}} …) only the appliance renders, so
// the alert's rendered summary in the UI's language comes first; then, from
// an appliance that sends no annotations, the rule's summary in that
// language if it is plain text; then the alert's summary in the appliance's
// notification language, its English one, and last the rule's name.
func (u *UI) summary(a api.Alert) string {
	lang := string(u.Lang())
	if s := strings.TrimSpace(a.Annotations[lang]["summary"]); s != "" {
		return s
	}
	if r, ok := u.al.rules[a.Rule]; ok {
		if s := r.Summary[lang]; s != "" && !isTemplate(s) {
			return s
		}
	}
	if a.Summary != "" {
		return a.Summary
	}
	if s := strings.TrimSpace(a.Annotations["en"]["summary"]); s != "" {
		return s
	}
	return a.Rule
}

// isTemplate reports whether s holds template actions the client cannot render.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// ruleWords names a rule for people: the summary of one of its alerts (on
// machine, if given), else its plain-text summary, else its name.
func (u *UI) ruleWords(rule, machine string) string {
	for _, a := range u.al.alerts {
		if a.Rule == rule && (machine == "" || alertMachine(a) == machine) {
			return u.summary(a)
		}
	}
	if r, ok := u.al.rules[rule]; ok {
		if s := r.Summary[string(u.Lang())]; s != "" && !isTemplate(s) {
			return s
		}
	}
	return rule
}

func (u *UI) machineName(id string) string {
	if m := u.byID[id]; m != nil {
		return m.name()
	}
	return id
}

// alertMachine returns the machine an alert is about.
func alertMachine(a api.Alert) string {
	if a.MachineID != "" {
		return a.MachineID
	}
	return a.Labels["machine"]
}

// alertName returns the alertname label of an alert (its rule).
func alertName(a api.Alert) string {
	if n := a.Labels["alertname"]; n != "" {
		return n
	}
	return a.Rule
}

func alertLabels(a api.Alert) map[string]string {
	l := map[string]string{}
	for k, v := range a.Labels {
		l[k] = v
	}
	if l["machine"] == "" {
		l["machine"] = a.MachineID
	}
	if l["alertname"] == "" {
		l["alertname"] = a.Rule
	}
	if l["severity"] == "" {
		l["severity"] = a.Severity
	}
	return l
}

// muteReason says in words why an alert's notifications are held back:
// from the appliance's Alert.MutedBy ("silence:<id>", "maintenance:<name>",
// "inhibited"), or, from an appliance that does not say, from the active
// silences and open windows matching the alert.
func (u *UI) muteReason(a api.Alert) string {
	if len(a.MutedBy) == 0 {
		return u.guessMuteReason(a)
	}
	var reasons []string
	for _, m := range a.MutedBy {
		switch {
		case strings.HasPrefix(m, "silence:"):
			id := strings.TrimPrefix(m, "silence:")
			i := slices.IndexFunc(u.al.silences, func(s api.Silence) bool { return s.ID == id })
			if i < 0 {
				reasons = append(reasons, u.T("alert.silenced"))
				continue
			}
			reasons = append(reasons, u.silenceReason(u.al.silences[i]))
		case strings.HasPrefix(m, "maintenance:"):
			reasons = append(reasons, u.T("alert.maintenance", strings.TrimPrefix(m, "maintenance:")))
		case m == "inhibited":
			reasons = append(reasons, u.inhibitReason(a))
		default:
			reasons = append(reasons, m)
		}
	}
	return strings.Join(slices.Compact(reasons), "\n")
}

func (u *UI) silenceReason(s api.Silence) string {
	r := u.T("alert.silencedby", u.formatTime(s.EndsAt), s.CreatedBy)
	if s.Comment != "" {
		r += " — “" + s.Comment + "”"
	}
	return r
}

// inhibitReason names the alert holding a back: a firing one on the same
// machine that is not held back itself (the appliance does not say which).
func (u *UI) inhibitReason(a api.Alert) string {
	for _, o := range u.al.alerts {
		if o.Fingerprint != a.Fingerprint && o.State == api.AlertFiring && !o.Inhibited && alertMachine(o) == alertMachine(a) {
			return u.T("alert.inhibitedby", u.summary(o))
		}
	}
	return u.T("alert.inhibited")
}

// guessMuteReason is muteReason for an appliance that does not fill MutedBy.
func (u *UI) guessMuteReason(a api.Alert) string {
	labels := alertLabels(a)
	var reasons []string
	if a.Silenced {
		found := false
		for _, s := range u.al.silences {
			if s.State == "active" && api.MatchLabels(s.Matchers, labels) {
				reasons, found = append(reasons, u.silenceReason(s)), true
			}
		}
		for _, w := range u.al.windows {
			if w.Open && api.MatchLabels(w.Matchers, labels) {
				reasons, found = append(reasons, u.T("alert.maintenance", w.Name)), true
			}
		}
		if !found {
			reasons = append(reasons, u.T("alert.silenced"))
		}
	}
	if a.Inhibited {
		reasons = append(reasons, u.inhibitReason(a))
	}
	return strings.Join(reasons, "\n")
}

type alertsScreen struct {
	u        *UI
	root     fyne.CanvasObject
	head     *widget.Label
	list     *fyne.Container
	silences *fyne.Container
	windows  *fyne.Container
	resolved *widget.Check
}

func newAlertsScreen(u *UI) *alertsScreen {
	s := &alertsScreen{u: u}
	s.head = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.head.SizeName = fynetheme.SizeNameSubHeadingText
	s.resolved = widget.NewCheck(u.T("alerts.showresolved"), func(bool) { s.show() })
	s.resolved.Checked = true
	refresh := widget.NewButtonWithIcon(u.T("events.refresh"), fynetheme.ViewRefreshIcon(), u.loadAlerts)
	s.list = container.NewVBox()
	s.silences = container.NewVBox()
	s.windows = container.NewVBox()
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(s.resolved, refresh), s.head)
	left := container.NewBorder(container.NewVBox(container.NewPadded(bar), u.operatorNote("alerts.viewernote")), nil, nil, nil,
		container.NewVScroll(container.NewPadded(s.list)))
	right := container.NewVScroll(container.NewPadded(container.NewVBox(
		heading(u.T("silences.title")), s.silences,
		heading(u.T("maint.title")), s.windows)))
	split := container.NewHSplit(left, right)
	split.Offset = 0.64
	s.root = split
	s.show()
	return s
}

func heading(text string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = fynetheme.SizeNameSubHeadingText
	return l
}

// operatorNote explains, once at the top, why the buttons are greyed out.
func (u *UI) operatorNote(key string) fyne.CanvasObject {
	if u.app == nil || u.identity.Role == "" || u.canOperate() {
		return container.NewStack()
	}
	l := widget.NewLabel(u.T(key, u.T("role."+string(u.identity.Role))))
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return l
}

func (s *alertsScreen) show() {
	u := s.u
	s.list.Objects = nil
	var firing, quiet, resolved []api.Alert
	for _, a := range u.al.alerts {
		switch {
		case a.State == api.AlertResolved:
			resolved = append(resolved, a)
		case muted(a):
			quiet = append(quiet, a)
		default:
			firing = append(firing, a)
		}
	}
	switch n := u.FiringCount(); {
	case u.app == nil:
		s.head.SetText(u.T("overview.noconn"))
	case u.al.err != nil && api.IsCode(u.al.err, api.CodeNotFound):
		s.head.SetText(u.T("alerts.unsupported"))
	case u.al.err != nil:
		s.head.SetText(u.errorText(u.al.err))
	case !u.al.loaded:
		s.head.SetText(u.T("events.loading"))
	case n == 0:
		s.head.SetText(u.T("alerts.allquiet"))
	default:
		s.head.SetText(u.T("alerts.firing", n))
	}
	section := func(key string, as []api.Alert) {
		if len(as) == 0 {
			return
		}
		s.list.Add(heading(u.T(key, len(as))))
		for _, a := range as {
			s.list.Add(u.alertCard(a))
		}
	}
	section("alerts.section.firing", firing)
	section("alerts.section.muted", quiet)
	if s.resolved.Checked {
		section("alerts.section.resolved", resolved)
	}
	if u.al.loaded && len(u.al.alerts) == 0 && u.al.err == nil {
		s.list.Add(widget.NewLabel(u.T("alerts.none")))
	}
	s.list.Refresh()

	s.silences.Objects = nil
	shown := 0
	for _, sl := range u.al.silences {
		if sl.State == "expired" && shown >= 3 {
			continue
		}
		s.silences.Add(u.silenceRow(sl))
		shown++
	}
	if len(u.al.silences) == 0 {
		s.silences.Add(widget.NewLabel(u.T("silences.none")))
	}
	s.silences.Refresh()
	s.windows.Objects = nil
	for _, w := range u.al.windows {
		s.windows.Add(u.windowRow(w))
	}
	if len(u.al.windows) == 0 {
		s.windows.Add(widget.NewLabel(u.T("maint.none")))
	}
	s.windows.Refresh()
}

// severityBlock is the big coloured block on the left of an alert card.
func (u *UI) severityBlock(a api.Alert) fyne.CanvasObject {
	bg, fg := sevWarning, color.Color(darkText)
	if a.Severity == api.SeverityCritical {
		bg, fg = sevCritical, color.White
	}
	state := u.T("alertstate." + a.State)
	switch {
	case a.State == api.AlertResolved:
		bg, fg = sevResolved, color.White
	case muted(a):
		bg, fg = sevMuted, color.White
		state = u.T("alertstate.muted")
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 8
	rect.SetMinSize(fyne.NewSize(150, 0))
	word := canvas.NewText(u.T("severity."+a.Severity), fg)
	word.TextSize = 22
	word.TextStyle.Bold = true
	word.Alignment = fyne.TextAlignCenter
	st := canvas.NewText(state, fg)
	st.TextSize = 15
	st.Alignment = fyne.TextAlignCenter
	return container.NewStack(rect, container.NewCenter(container.NewVBox(word, st)))
}

// alertCard shows one alert with its Acknowledge, Silence and Details buttons.
func (u *UI) alertCard(a api.Alert) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(u.machineName(alertMachine(a)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.SizeName = fynetheme.SizeNameSubHeadingText
	what := widget.NewLabel(u.summary(a))
	what.Wrapping = fyne.TextWrapWord
	var lines []string
	now := u.opt.Now()
	since := a.ActiveAt
	if a.FiredAt != nil {
		since = *a.FiredAt
	}
	switch {
	case a.State == api.AlertResolved && a.ResolvedAt != nil:
		lines = append(lines, u.T("alert.resolvedat", u.formatTime(*a.ResolvedAt), u.tr.Duration(a.ResolvedAt.Sub(since))))
	case a.State == api.AlertPending:
		lines = append(lines, u.T("alert.pendingsince", u.formatTime(a.ActiveAt)))
	default:
		lines = append(lines, u.T("alert.since", u.formatTime(since), u.tr.Duration(now.Sub(since))))
	}
	if a.AcknowledgedAt != nil {
		ack := u.T("event.acked", a.AcknowledgedBy, u.formatTime(*a.AcknowledgedAt))
		if a.AckComment != "" {
			ack += " — “" + a.AckComment + "”"
		}
		lines = append(lines, ack)
	} else if a.State != api.AlertResolved {
		lines = append(lines, u.T("event.notacked"))
	}
	body := widget.NewLabel(strings.Join(lines, "\n"))
	body.Wrapping = fyne.TextWrapWord
	items := []fyne.CanvasObject{name, what, body}
	if muted(a) && a.State != api.AlertResolved {
		why := widget.NewLabel(u.muteReason(a))
		why.Wrapping = fyne.TextWrapWord
		why.TextStyle.Italic = true
		items = append(items, container.NewBorder(nil, nil, widget.NewIcon(fynetheme.VolumeMuteIcon()), nil, why))
	}

	details := widget.NewButtonWithIcon(u.T("alert.details"), fynetheme.InfoIcon(), func() { u.showAlertDetails(a) })
	var btns []fyne.CanvasObject
	if a.State != api.AlertResolved {
		ack := widget.NewButtonWithIcon(u.T("event.acknowledge"), fynetheme.ConfirmIcon(), func() { u.askAcknowledgeAlert(a) })
		ack.Importance = widget.HighImportance
		if a.AcknowledgedAt != nil || muted(a) {
			ack.Importance = widget.MediumImportance
		}
		if a.AcknowledgedAt != nil {
			ack.Disable()
		}
		sil := widget.NewButtonWithIcon(u.T("alert.silencebtn"), fynetheme.VolumeMuteIcon(), func() { u.askSilence(a) })
		if !u.canOperate() {
			ack.Disable()
			sil.Disable()
		}
		btns = append(btns, ack, sil)
	}
	btns = append(btns, details)
	items = append(items, container.NewHBox(btns...))
	if !u.canOperate() && a.State != api.AlertResolved {
		why := widget.NewLabel(u.T("alert.cannot", u.T("role."+string(u.identity.Role))))
		why.Wrapping = fyne.TextWrapWord
		why.TextStyle.Italic = true
		items = append(items, why)
	}
	bg := cardWarning
	switch {
	case a.State == api.AlertResolved:
		bg = cardResolved
	case muted(a):
		bg = cardMuted
	case a.Severity == api.SeverityCritical:
		bg = cardCritical
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 8
	content := container.NewBorder(nil, nil, u.severityBlock(a), nil, container.NewPadded(container.NewVBox(items...)))
	return container.NewPadded(container.NewStack(rect, content))
}

// askAcknowledgeAlert asks for an optional comment, then acknowledges a.
func (u *UI) askAcknowledgeAlert(a api.Alert) {
	comment := widget.NewMultiLineEntry()
	comment.SetPlaceHolder(u.T("ack.placeholder"))
	comment.SetMinRowsVisible(3)
	errText := widget.NewLabel("")
	errText.Importance = widget.DangerImportance
	errText.Wrapping = fyne.TextWrapWord
	what := widget.NewLabelWithStyle(u.machineName(alertMachine(a))+" — "+u.summary(a), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what.Wrapping = fyne.TextWrapWord
	q := widget.NewLabel(u.T("alertack.question"))
	q.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(what, q, comment, errText)
	if u.linkedEvents(a) { // the appliance acknowledges them with the alert
		l := widget.NewLabel(u.T("alertack.linked"))
		l.Wrapping = fyne.TextWrapWord
		content.Add(l)
	}
	var dlg *dialog.CustomDialog
	confirm := widget.NewButtonWithIcon(u.T("event.acknowledge"), fynetheme.ConfirmIcon(), nil)
	confirm.Importance = widget.HighImportance
	cancel := widget.NewButton(u.T("dialog.cancel"), func() { dlg.Hide() })
	confirm.OnTapped = func() {
		confirm.Disable()
		u.call(func(ctx context.Context, ap Appliance) error {
			_, err := ap.AcknowledgeAlert(ctx, a.Fingerprint, strings.TrimSpace(comment.Text))
			return err
		}, func(err error) {
			confirm.Enable()
			if err != nil {
				errText.SetText(u.errorText(err))
				if api.IsCode(err, api.CodeConflict) { // acknowledged meanwhile, or resolved: show how it is now
					confirm.Disable()
					u.loadAlerts()
				}
				return
			}
			dlg.Hide()
			u.loadAlerts()
			if u.anomalyRule(a.Rule) { // its events were acknowledged with it
				u.eventsOfMachineChanged(alertMachine(a))
			}
		})
	}
	dlg = dialog.NewCustomWithoutButtons(u.T("alertack.title"), content, u.win)
	dlg.SetButtons([]fyne.CanvasObject{cancel, confirm})
	dlg.Resize(fyne.NewSize(500, 0))
	dlg.Show()
	u.win.Canvas().Focus(comment)
}

// silenceEnd returns when a silence chosen in the dialog ends: choice i of
// SilenceChoices, then "until tomorrow morning", then the custom time.
func (u *UI) silenceEnd(choice int, custom string) (time.Time, error) {
	now := u.opt.Now()
	switch {
	case choice < len(SilenceChoices):
		return now.Add(SilenceChoices[choice]), nil
	case choice == len(SilenceChoices):
		t := now.In(u.opt.Location)
		y, m, d := t.Date()
		return time.Date(y, m, d+1, MorningHour, 0, 0, 0, u.opt.Location), nil
	}
	t, err := time.ParseInLocation(customTimeLayout, strings.TrimSpace(custom), u.opt.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s", u.T("silence.err.format"))
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s", u.T("silence.err.past"))
	}
	return t, nil
}

// askSilence offers how long to mute an alert's notifications, then creates
// a silence matching its machine and rule.
func (u *UI) askSilence(a api.Alert) {
	names := []string{u.T("silence.1h"), u.T("silence.8h"), u.T("silence.tomorrow", MorningHour), u.T("silence.custom")}
	custom := widget.NewEntry()
	custom.SetText(u.opt.Now().Add(2 * time.Hour).In(u.opt.Location).Format(customTimeLayout))
	custom.Disable()
	choice := widget.NewRadioGroup(names, func(s string) {
		if s == names[len(names)-1] {
			custom.Enable()
		} else {
			custom.Disable()
		}
	})
	choice.Required = true
	choice.SetSelected(names[0])
	comment := widget.NewEntry()
	comment.SetPlaceHolder(u.T("silence.placeholder"))
	errText := widget.NewLabel("")
	errText.Importance = widget.DangerImportance
	errText.Wrapping = fyne.TextWrapWord
	intro := widget.NewLabel(u.T("silence.intro", u.summary(a), u.machineName(alertMachine(a))))
	intro.Wrapping = fyne.TextWrapWord
	endErr, commentErr := fieldErrLabel(), fieldErrLabel()
	content := container.NewVBox(intro, choice,
		container.NewBorder(nil, nil, widget.NewLabel(u.T("silence.until")), nil, custom), endErr,
		widget.NewLabel(u.T("silence.why")), comment, commentErr, errText)
	var dlg *dialog.CustomDialog
	confirm := widget.NewButtonWithIcon(u.T("silence.confirm"), fynetheme.VolumeMuteIcon(), nil)
	confirm.Importance = widget.HighImportance
	cancel := widget.NewButton(u.T("dialog.cancel"), func() { dlg.Hide() })
	confirm.OnTapped = func() {
		i := 0
		for j, n := range names {
			if n == choice.Selected {
				i = j
			}
		}
		for _, l := range []*widget.Label{endErr, commentErr} {
			l.Hide()
		}
		errText.SetText("")
		end, err := u.silenceEnd(i, custom.Text)
		if err != nil {
			showFieldErr(endErr, err.Error())
			return
		}
		sl := api.Silence{
			Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: alertMachine(a)}, {Label: "alertname", Op: "=", Value: alertName(a)}},
			StartsAt: u.opt.Now().UTC(), EndsAt: end.UTC(), Comment: strings.TrimSpace(comment.Text),
		}
		confirm.Disable()
		u.call(func(ctx context.Context, ap Appliance) error {
			_, err := ap.CreateSilence(ctx, sl)
			return err
		}, func(err error) {
			confirm.Enable()
			var ae *api.Error
			if errors.As(err, &ae) && len(ae.Fields) > 0 {
				// The appliance names the fields: ends_at, comment, matchers[i].label|op|value.
				var rest []string
				for _, f := range ae.Fields {
					switch f.Field {
					case "ends_at", "starts_at":
						showFieldErr(endErr, f.Message)
					case "comment":
						showFieldErr(commentErr, f.Message)
					default:
						rest = append(rest, u.T("form.other", f.Field, f.Message))
					}
				}
				errText.SetText(strings.Join(rest, "\n"))
				return
			}
			if err != nil {
				errText.SetText(u.errorText(err))
				return
			}
			dlg.Hide()
			u.loadAlerts()
		})
	}
	dlg = dialog.NewCustomWithoutButtons(u.T("silence.title"), content, u.win)
	dlg.SetButtons([]fyne.CanvasObject{cancel, confirm})
	dlg.Resize(fyne.NewSize(520, 0))
	dlg.Show()
}

// fieldErrLabel is a hidden red line for a field's error.
func fieldErrLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// showFieldErr shows msg on a field's error line (added to what is there).
func showFieldErr(l *widget.Label, msg string) {
	if l.Visible() && l.Text != "" {
		msg = l.Text + "\n" + msg
	}
	l.SetText(msg)
	l.Show()
}

// fieldErrorsText is errorText followed by the API's field messages.
func (u *UI) fieldErrorsText(err error) string {
	msg := u.errorText(err)
	var ae *api.Error
	if errors.As(err, &ae) {
		for _, f := range ae.Fields {
			msg += "\n" + f.Field + ": " + f.Message
		}
	}
	return msg
}

// showAlertDetails loads an alert's deliveries and shows them.
func (u *UI) showAlertDetails(a api.Alert) {
	var ds []api.Delivery
	u.call(func(ctx context.Context, ap Appliance) error {
		var err error
		ds, err = ap.AlertDeliveries(ctx, a.Fingerprint)
		return err
	}, func(err error) {
		info := []string{
			u.T("details.machine", u.machineName(alertMachine(a))),
			u.T("details.severity", u.T("severity."+a.Severity), u.T("alertstate."+a.State)),
			u.T("details.started", u.formatTime(a.ActiveAt)),
		}
		if a.FiredAt != nil {
			info = append(info, u.T("details.fired", u.formatTime(*a.FiredAt)))
		}
		if a.ResolvedAt != nil {
			info = append(info, u.T("details.resolved", u.formatTime(*a.ResolvedAt)))
		}
		if muted(a) && a.State != api.AlertResolved {
			info = append(info, u.muteReason(a))
		}
		head := widget.NewLabelWithStyle(u.summary(a), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head.Wrapping = fyne.TextWrapWord
		body := widget.NewLabel(strings.Join(info, "\n"))
		body.Wrapping = fyne.TextWrapWord
		list := container.NewVBox()
		switch {
		case err != nil:
			l := widget.NewLabel(u.errorText(err))
			l.Importance = widget.DangerImportance
			l.Wrapping = fyne.TextWrapWord
			list.Add(l)
		case len(ds) == 0:
			list.Add(widget.NewLabel(u.T("details.nodeliveries")))
		}
		for _, d := range ds {
			list.Add(u.deliveryRow(d))
		}
		content := container.NewBorder(container.NewVBox(head, body, heading(u.T("details.deliveries"))), nil, nil, nil,
			container.NewVScroll(list))
		dlg := dialog.NewCustom(u.T("details.title"), u.T("dialog.close"), content, u.win)
		dlg.Resize(fyne.NewSize(720, 620))
		dlg.Show()
	})
}

// deliveryIcon returns the icon of a delivery state.
func deliveryIcon(state string) fyne.Resource {
	switch state {
	case "done":
		return fynetheme.NewSuccessThemedResource(fynetheme.ConfirmIcon())
	case "failed":
		return fynetheme.NewWarningThemedResource(fynetheme.ViewRefreshIcon())
	case "dead", "cancelled":
		return fynetheme.NewErrorThemedResource(fynetheme.CancelIcon())
	}
	return fynetheme.HistoryIcon()
}

// deliveryRow shows one notification: receiver, why, when, how it went.
func (u *UI) deliveryRow(d api.Delivery) fyne.CanvasObject {
	when := d.CreatedAt
	if d.DoneAt != nil {
		when = *d.DoneAt
	}
	title := widget.NewLabelWithStyle(u.T("delivery.head", d.Receiver, u.T("dkind."+d.Kind))+" · "+u.formatTime(when),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	state := widget.NewLabel(u.T("dstate."+d.State) + " · " + u.T("delivery.tries", d.Attempts))
	items := []fyne.CanvasObject{title, state}
	if d.LastError != "" {
		e := widget.NewLabel(u.T("delivery.error", d.LastError))
		e.Wrapping = fyne.TextWrapWord
		if d.State != "done" {
			e.Importance = widget.DangerImportance
		}
		items = append(items, e)
	}
	bg := cardMuted
	switch d.State {
	case "done":
		bg = cardResolved
	case "failed":
		bg = cardWarning
	case "dead", "cancelled":
		bg = cardCritical
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 6
	body := container.New(layout.NewCustomPaddedVBoxLayout(0), items...)
	return container.NewStack(rect, container.NewBorder(nil, nil,
		container.NewPadded(widget.NewIcon(deliveryIcon(d.State))), nil, body))
}

// describeMatchers writes matchers for people: machine names and rule
// summaries instead of label values where it can.
func (u *UI) describeMatchers(ms []api.Matcher) string {
	machine := ""
	for _, m := range ms {
		if m.Label == "machine" && (m.Op == "=" || m.Op == "") {
			machine = m.Value
		}
	}
	var parts []string
	for _, m := range ms {
		switch {
		case m.Label == "machine" && (m.Op == "=" || m.Op == ""):
			parts = append(parts, u.T("match.machine", u.machineName(m.Value)))
		case m.Label == "alertname" && (m.Op == "=" || m.Op == ""):
			parts = append(parts, u.T("match.alert", u.ruleWords(m.Value, machine)))
		default:
			parts = append(parts, m.Label+" "+m.Op+" "+m.Value)
		}
	}
	if len(parts) == 0 {
		return u.T("match.all")
	}
	return strings.Join(parts, "\n")
}

// silenceRow shows one silence with its Expire button.
func (u *UI) silenceRow(s api.Silence) fyne.CanvasObject {
	what := widget.NewLabelWithStyle(u.describeMatchers(s.Matchers), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what.Wrapping = fyne.TextWrapWord
	var lines []string
	switch s.State {
	case "expired":
		lines = append(lines, u.T("silence.ended", u.formatTime(s.EndsAt)))
	case "pending":
		lines = append(lines, u.T("silence.starts", u.formatTime(s.StartsAt), u.formatTime(s.EndsAt)))
	default:
		lines = append(lines, u.T("silence.active", u.formatTime(s.EndsAt), u.tr.Duration(s.EndsAt.Sub(u.opt.Now()))))
	}
	by := u.T("silence.by", s.CreatedBy)
	if s.Comment != "" {
		by += " — “" + s.Comment + "”"
	}
	lines = append(lines, by)
	body := widget.NewLabel(strings.Join(lines, "\n"))
	body.Wrapping = fyne.TextWrapWord
	items := []fyne.CanvasObject{what, body}
	bg := cardMuted
	if s.State != "expired" {
		bg = cardWarning
		exp := widget.NewButtonWithIcon(u.T("silence.expire"), fynetheme.MediaStopIcon(), func() { u.askExpire(s) })
		if !u.canOperate() {
			exp.Disable()
			items = append(items, container.NewHBox(exp))
			why := widget.NewLabel(u.T("silence.cannot", u.T("role."+string(u.identity.Role))))
			why.Wrapping = fyne.TextWrapWord
			why.TextStyle.Italic = true
			items = append(items, why)
		} else {
			items = append(items, container.NewHBox(exp))
		}
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 6
	return container.NewPadded(container.NewStack(rect, container.NewPadded(container.NewVBox(items...))))
}

// askExpire confirms, then ends a silence now.
func (u *UI) askExpire(s api.Silence) {
	d := dialog.NewConfirm(u.T("silence.expire.title"), u.T("silence.expire.q"), func(ok bool) {
		if !ok {
			return
		}
		u.call(func(ctx context.Context, a Appliance) error {
			return a.ExpireSilence(ctx, s.ID)
		}, func(err error) {
			if err != nil {
				dialog.ShowInformation(u.T("silence.expire.title"), u.errorText(err), u.win)
				return
			}
			u.loadAlerts()
		})
	}, u.win)
	d.SetConfirmText(u.T("silence.expire"))
	d.SetDismissText(u.T("dialog.cancel"))
	d.Show()
}

// windowRow shows one maintenance window, with extra (buttons) under it.
func (u *UI) windowRow(w api.MaintenanceWindow, extra ...fyne.CanvasObject) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(w.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	days := u.T("maint.everyday")
	if len(w.Days) > 0 {
		var ds []string
		for _, d := range w.Days {
			ds = append(ds, u.T("day."+strings.ToLower(d)))
		}
		days = strings.Join(ds, ", ")
	}
	lines := []string{u.T("maint.when", days, w.Start, w.End, w.TimeZone), u.describeMatchers(w.Matchers)}
	body := widget.NewLabel(strings.Join(lines, "\n"))
	body.Wrapping = fyne.TextWrapWord
	bg := cardMuted
	var state fyne.CanvasObject = layout.NewSpacer()
	if w.Open {
		bg = cardWarning
		l := widget.NewLabelWithStyle(u.T("maint.open"), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		l.Importance = widget.WarningImportance
		state = l
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 6
	items := append([]fyne.CanvasObject{container.NewBorder(nil, nil, nil, state, name), body}, extra...)
	return container.NewPadded(container.NewStack(rect, container.NewPadded(container.NewVBox(items...))))
}
