package screens

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// Metrics the rule editor suggests (any the appliance knows may be typed:
// band_energy_db:<band>, fault_energy:<kind>).
var Metrics = []string{"anomaly_score", "level_dbfs", "score", "overruns",
	"fault_energy:bpfo", "fault_energy:bpfi", "fault_energy:bsf", "fault_energy:ftf"}

// RuleSensorStates are the sensor states a rule may watch, in the order offered.
var RuleSensorStates = []string{api.SensorSilent, api.SensorClipping, api.SensorOffset, api.SensorStuck, api.SensorLost, api.SensorReconnecting, api.SensorEnded}

// ruleOps are the comparisons in the order offered.
var ruleOps = []string{">", ">=", "<", "<="}

// rulesScreen is the Alert rules tab: the rules and the maintenance windows,
// editable by administrators.
type rulesScreen struct {
	u       *UI
	root    fyne.CanvasObject
	status  *widget.Label
	rules   *fyne.Container
	windows *fyne.Container
	result  *widget.Label
}

func newRulesScreen(u *UI) *rulesScreen {
	s := &rulesScreen{u: u, status: widget.NewLabel(""), rules: container.NewVBox(), windows: container.NewVBox(), result: widget.NewLabel("")}
	s.status.Wrapping = fyne.TextWrapWord
	s.result.Wrapping = fyne.TextWrapWord
	s.result.Importance = widget.DangerImportance
	s.result.Hide()
	intro := widget.NewLabel(u.T("rules.intro"))
	intro.Wrapping = fyne.TextWrapWord
	refresh := widget.NewButtonWithIcon(u.T("events.refresh"), fynetheme.ViewRefreshIcon(), u.loadAlerts)
	top := container.NewVBox(container.NewBorder(nil, nil, nil, refresh, intro), u.adminNote("rules.adminonly"), s.status, s.result)
	addRule := u.adminButton(u.T("rules.add"), fynetheme.ContentAddIcon(), func() { u.editRule(-1) })
	addWindow := u.adminButton(u.T("maint.add"), fynetheme.ContentAddIcon(), func() { u.editWindow(-1) })
	left := container.NewVBox(container.NewBorder(nil, nil, nil, addRule, heading(u.T("rules.title"))), s.rules)
	right := container.NewVBox(container.NewBorder(nil, nil, nil, addWindow, heading(u.T("maint.title"))), s.windows)
	split := container.NewHSplit(container.NewVScroll(container.NewPadded(left)), container.NewVScroll(container.NewPadded(right)))
	split.Offset = 0.6
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, split)
	s.show()
	return s
}

// showResult shows the outcome of a change made without a form (a deletion).
func (s *rulesScreen) showResult(err error) {
	if err == nil {
		s.result.Hide()
		return
	}
	s.result.SetText(s.u.fieldErrorsText(err))
	s.result.Show()
}

func (s *rulesScreen) show() {
	u := s.u
	switch {
	case u.app == nil:
		s.status.SetText(u.T("overview.noconn"))
	case u.al.err != nil && api.IsCode(u.al.err, api.CodeNotFound):
		s.status.SetText(u.T("alerts.unsupported"))
	case u.al.err != nil:
		s.status.SetText(u.errorText(u.al.err))
	case u.al.rulesErr != nil:
		s.status.SetText(u.errorText(u.al.rulesErr))
	case !u.al.loaded:
		s.status.SetText(u.T("events.loading"))
	default:
		s.status.SetText("")
	}
	if s.status.Text == "" {
		s.status.Hide()
	} else {
		s.status.Show()
	}
	s.rules.Objects = nil
	for i, r := range u.al.ruleList {
		s.rules.Add(u.ruleCard(i, r))
	}
	if u.al.loaded && len(u.al.ruleList) == 0 && u.al.rulesErr == nil && u.al.err == nil {
		s.rules.Add(widget.NewLabel(u.T("rules.none")))
	}
	s.rules.Refresh()
	s.windows.Objects = nil
	for i, w := range u.al.windows {
		edit := u.adminButton(u.T("form.edit"), fynetheme.DocumentCreateIcon(), func() { u.editWindow(i) })
		del := u.adminButton(u.T("form.delete"), fynetheme.DeleteIcon(), func() { u.deleteWindow(i) })
		s.windows.Add(u.windowRow(w, container.NewHBox(edit, del)))
	}
	if u.al.loaded && len(u.al.windows) == 0 && u.al.err == nil {
		s.windows.Add(widget.NewLabel(u.T("maint.none")))
	}
	s.windows.Refresh()
}

// ruleSummary returns a rule's summary in the UI's language, else in another.
func (u *UI) ruleSummary(r api.AlertRule) string {
	if s := r.Summary[string(u.Lang())]; s != "" {
		return s
	}
	for _, l := range i18n.Langs() {
		if s := r.Summary[string(l)]; s != "" {
			return s
		}
	}
	return ""
}

// metricName returns a metric in words where the catalog has it.
func (u *UI) metricName(m string) string {
	if k := "metric." + m; u.tr.Has(k) {
		return u.T(k)
	}
	return m
}

// ruleCondition says when a rule fires, in words.
func (u *UI) ruleCondition(r api.AlertRule) string {
	forText := u.durText(r.For)
	var lines []string
	if len(r.SensorStates) > 0 {
		var ss []string
		for _, s := range r.SensorStates {
			if k := "sstate." + s; u.tr.Has(k) {
				ss = append(ss, u.T(k))
			} else {
				ss = append(ss, s)
			}
		}
		lines = append(lines, u.T("rule.when.sensor", strings.Join(ss, u.T("rule.or")), forText))
	} else {
		value := func(v float64) string {
			s := formatNumber(v, false)
			if r.Metric == "anomaly_score" { // scores are shown in multiples of the threshold everywhere
				s = u.T("unit.times", s)
			}
			return s
		}
		lines = append(lines, u.T("rule.when.metric", u.metricName(r.Metric), u.T("op.word."+r.Op), value(r.Enter), forText))
		if r.Exit != 0 {
			back := "op.word.<"
			if r.Op == "<" || r.Op == "<=" {
				back = "op.word.>"
			}
			lines = append(lines, u.T("rule.exit", u.T(back), value(r.Exit)))
		}
	}
	if r.KeepFiringFor != "" {
		lines = append(lines, u.T("rule.keep", u.durText(r.KeepFiringFor)))
	}
	return strings.Join(lines, "\n")
}

// durText prints a rule's Go duration in the UI's units: "1m0s" as "1m 00s"
// ("1분 00초" in Korean), "" as "0s". A value that does not parse is shown as is.
func (u *UI) durText(s string) string {
	if d, err := time.ParseDuration(s); err == nil || s == "" {
		return u.tr.Duration(d)
	}
	return s
}

// severityChip is a small coloured word for a rule's severity.
func (u *UI) severityChip(sev string) fyne.CanvasObject {
	bg, fg := sevWarning, color.Color(darkText)
	if sev == api.SeverityCritical {
		bg, fg = sevCritical, color.White
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 4
	word := sev
	if k := "severity." + sev; u.tr.Has(k) {
		word = u.T(k)
	}
	t := canvas.NewText(word, fg)
	t.TextStyle.Bold = true
	t.TextSize = 12
	return container.NewStack(rect, container.NewPadded(t))
}

func (u *UI) ruleCard(i int, r api.AlertRule) fyne.CanvasObject {
	name := widget.NewLabel(r.Name) // the id; the summary under it says what it means
	what := widget.NewLabelWithStyle(u.ruleSummary(r), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what.Wrapping = fyne.TextWrapWord
	cond := widget.NewLabel(u.ruleCondition(r))
	cond.Wrapping = fyne.TextWrapWord
	edit := u.adminButton(u.T("form.edit"), fynetheme.DocumentCreateIcon(), func() { u.editRule(i) })
	del := u.adminButton(u.T("form.delete"), fynetheme.DeleteIcon(), func() { u.deleteRule(i) })
	head := container.NewBorder(nil, nil, container.NewCenter(u.severityChip(r.Severity)), nil, name)
	bg := cardWarning
	if r.Severity == api.SeverityCritical {
		bg = cardCritical
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 6
	return container.NewPadded(container.NewStack(rect, container.NewPadded(container.NewVBox(head, what, cond, container.NewHBox(edit, del)))))
}

// ruleCopy returns a copy of the rules, to change and send back whole.
func (u *UI) ruleCopy() []api.AlertRule { return slices.Clone(u.al.ruleList) }

// putRules replaces the alert rules.
func (u *UI) putRules(list []api.AlertRule, start func(), done func(error)) {
	start()
	var got []api.AlertRule
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		got, err = a.SetRules(ctx, list)
		return err
	}, func(err error) {
		if err == nil {
			u.setRules(got)
			u.alertsChanged()
		}
		done(err)
	})
}

// setRules keeps the rules in order and by name.
func (u *UI) setRules(rs []api.AlertRule) {
	u.al.ruleList, u.al.rulesErr = rs, nil
	u.al.rules = map[string]api.AlertRule{}
	for _, r := range rs {
		u.al.rules[r.Name] = r
	}
}

func (u *UI) deleteRule(i int) {
	r := u.al.ruleList[i]
	u.confirmDelete(u.T("rules.delete.title"), u.T("rules.delete.q", r.Name, u.ruleSummary(r)), func() {
		u.putRules(slices.Delete(u.ruleCopy(), i, i+1), func() {}, u.rulesUI.showResult)
	})
}

// ruleForm holds the rule editor's inputs.
type ruleForm struct {
	name, enter, exit, forD, keep *widget.Entry
	summary                       map[i18n.Lang]*widget.Entry
	kind                          *widget.RadioGroup
	metric                        *widget.SelectEntry
	op, severity                  *widget.Select
	states                        *widget.CheckGroup
	metricBox, sensorBox          *fyne.Container
}

// editRule opens the editor of rule i (-1: a new one).
func (u *UI) editRule(i int) {
	var r api.AlertRule
	if i >= 0 && i < len(u.al.ruleList) {
		r = u.al.ruleList[i]
	} else {
		i = len(u.al.ruleList)
		r = api.AlertRule{Metric: "anomaly_score", Op: ">", Enter: 1, For: "30s", Severity: api.SeverityWarning}
	}
	e := newEditor(u, fmt.Sprintf("rules[%d]", i))
	f := &ruleForm{summary: map[i18n.Lang]*widget.Entry{}}
	f.name = entry(r.Name, "bearing_noise")
	kinds := []string{u.T("rule.kind.metric"), u.T("rule.kind.sensor")}
	f.metric = selectEntry(r.Metric, Metrics)
	var opWords []string
	for _, o := range ruleOps {
		opWords = append(opWords, u.T("op.word."+o)+" ("+o+")")
	}
	f.op = widget.NewSelect(opWords, nil)
	if k := slices.Index(ruleOps, r.Op); k >= 0 {
		f.op.SetSelected(opWords[k])
	}
	f.enter = entry(formatNumber(r.Enter, len(r.SensorStates) > 0), "1.5")
	f.exit = entry(formatNumber(r.Exit, true), u.T("rule.exit.placeholder"))
	var stateWords []string
	for _, s := range RuleSensorStates {
		stateWords = append(stateWords, u.T("sstate."+s))
	}
	f.states = widget.NewCheckGroup(stateWords, nil)
	f.states.Horizontal = true
	for _, s := range r.SensorStates {
		if k := slices.Index(RuleSensorStates, s); k >= 0 {
			f.states.Selected = append(f.states.Selected, stateWords[k])
		}
	}
	f.forD = entry(shortDuration(r.For), "30s")
	f.keep = entry(shortDuration(r.KeepFiringFor), u.T("rule.keep.placeholder"))
	sevWords := []string{u.T("rule.sev.warning"), u.T("rule.sev.critical")}
	f.severity = widget.NewSelect(sevWords, nil)
	if r.Severity == api.SeverityCritical {
		f.severity.SetSelected(sevWords[1])
	} else if r.Severity == api.SeverityWarning {
		f.severity.SetSelected(sevWords[0])
	}
	metricForm := widget.NewForm(
		e.item("metric", u.T("rule.metric"), u.T("rule.metric.hint"), f.metric),
		e.item("op", u.T("rule.op"), "", f.op),
		e.item("enter", u.T("rule.enter"), u.T("rule.enter.hint"), f.enter),
		e.item("exit", u.T("rule.exit.label"), u.T("rule.exit.hint"), f.exit),
	)
	sensorForm := widget.NewForm(e.item("sensor_states", u.T("rule.states"), u.T("rule.states.hint"), f.states))
	f.metricBox, f.sensorBox = container.NewVBox(metricForm), container.NewVBox(sensorForm)
	f.kind = widget.NewRadioGroup(kinds, func(s string) {
		if s == kinds[1] {
			f.metricBox.Hide()
			f.sensorBox.Show()
		} else {
			f.sensorBox.Hide()
			f.metricBox.Show()
		}
	})
	f.kind.Horizontal = true
	f.kind.Required = true
	if len(r.SensorStates) > 0 {
		f.kind.SetSelected(kinds[1])
	} else {
		f.kind.SetSelected(kinds[0])
	}
	items := []*widget.FormItem{
		e.item("name", u.T("rule.name"), u.T("rule.name.hint"), f.name),
		widget.NewFormItem(u.T("rule.kind"), f.kind),
	}
	tail := []*widget.FormItem{
		e.item("for", u.T("rule.for"), u.T("rule.for.hint"), f.forD),
		e.item("keep_firing_for", u.T("rule.keep.label"), u.T("rule.keep.hint"), f.keep),
		e.item("severity", u.T("rule.severity"), u.T("rule.severity.hint"), f.severity),
	}
	for _, l := range i18n.Langs() {
		en := entry(r.Summary[string(l)], "")
		f.summary[l] = en
		tail = append(tail, e.item("summary."+string(l), u.T("rule.summary", l.Name()), u.T("rule.summary.hint"), en))
	}
	form := container.NewVBox(widget.NewForm(items...), f.metricBox, f.sensorBox, widget.NewForm(tail...))
	title := u.T("rules.edit", r.Name)
	if i == len(u.al.ruleList) {
		title = u.T("rules.add")
	}
	e.open(title, form, func() {
		nr, ok := f.read(u, e, r, kinds, opWords, stateWords, sevWords)
		if !ok {
			e.setMsg(u.T("settings.fix"))
			return
		}
		list := u.ruleCopy()
		if i < len(list) {
			list[i] = nr
		} else {
			list = append(list, nr)
		}
		u.putRules(list, e.sending, e.done)
	})
}

// read returns the rule as edited (keeping what the form does not show, such
// as labels); numbers that do not parse are field errors before anything is sent.
func (f *ruleForm) read(u *UI, e *editor, r api.AlertRule, kinds, opWords, stateWords, sevWords []string) (api.AlertRule, bool) {
	ok := true
	r.Name = strings.TrimSpace(f.name.Text)
	r.For = strings.TrimSpace(f.forD.Text)
	r.KeepFiringFor = strings.TrimSpace(f.keep.Text)
	switch f.severity.Selected {
	case sevWords[1]:
		r.Severity = api.SeverityCritical
	case sevWords[0]:
		r.Severity = api.SeverityWarning
	}
	r.Metric, r.Op, r.Enter, r.Exit, r.SensorStates = "", "", 0, 0, nil
	if f.kind.Selected == kinds[1] {
		for k, w := range stateWords {
			if slices.Contains(f.states.Selected, w) {
				r.SensorStates = append(r.SensorStates, RuleSensorStates[k])
			}
		}
		if len(r.SensorStates) == 0 {
			e.setErr("sensor_states", u.T("rule.err.nostates"))
			ok = false
		}
	} else {
		r.Metric = strings.TrimSpace(f.metric.Text)
		if k := slices.Index(opWords, f.op.Selected); k >= 0 {
			r.Op = ruleOps[k]
		}
		var good bool
		if r.Enter, good = parseNumber(f.enter.Text); !good || strings.TrimSpace(f.enter.Text) == "" {
			e.setErr("enter", u.T("settings.err.number"))
			ok = false
		}
		if r.Exit, good = parseNumber(f.exit.Text); !good {
			e.setErr("exit", u.T("settings.err.number"))
			ok = false
		}
	}
	summary := map[string]string{}
	for l, s := range r.Summary { // languages the client does not speak stay
		summary[l] = s
	}
	for l, en := range f.summary {
		if s := strings.TrimSpace(en.Text); s != "" {
			summary[string(l)] = s
		} else {
			delete(summary, string(l))
		}
	}
	r.Summary = summary
	if len(r.Summary) == 0 {
		r.Summary = nil
	}
	return r, ok
}
