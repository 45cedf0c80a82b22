package screens

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// WeekDays are the day names of api.MaintenanceWindow.Days, Monday first.
var WeekDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// TimeZones are the time zones the window editor offers first (any IANA
// name may be typed). The appliance refuses "Local": the editor offers this
// computer's zone by its IANA name instead, when it has one.
var TimeZones = []string{"Asia/Seoul", "UTC", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore", "Asia/Ho_Chi_Minh",
	"Europe/Berlin", "Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles"}

// localZone returns the IANA name of this computer's time zone, or "".
func (u *UI) localZone() string {
	if n := u.opt.Location.String(); n != "Local" && n != "" {
		return n
	}
	if tz := os.Getenv("TZ"); tz != "" && !strings.HasPrefix(tz, ":") {
		return tz
	}
	if p, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(p, "zoneinfo/"); ok {
			return name
		}
	}
	return ""
}

// zoneChoices lists the time zones to offer: the usual ones, this computer's and cur.
func (u *UI) zoneChoices(cur string) []string {
	out := slices.Clone(TimeZones)
	for _, z := range []string{u.localZone(), cur} {
		if z != "" && !slices.Contains(out, z) {
			out = append(out, z)
		}
	}
	return out
}

// clockChoices are times of day every half hour ("24:00" too when end).
func clockChoices(end bool) []string {
	var out []string
	for m := 0; m < 24*60; m += 30 {
		out = append(out, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	if end {
		out = append(out, "24:00")
	}
	return out
}

// matcherOps are the matcher operators in the order offered, with their words' keys.
var matcherOps = []struct{ op, key string }{{"=", "op.eq"}, {"!=", "op.ne"}, {"=~", "op.re"}, {"!~", "op.nre"}}

// matcherEditor edits a list of label matchers, one row each.
type matcherEditor struct {
	u    *UI
	rows []*matcherRow
	box  *fyne.Container
	root fyne.CanvasObject
}

type matcherRow struct {
	label *widget.SelectEntry
	op    *widget.Select
	value *widget.SelectEntry
	root  fyne.CanvasObject
}

func newMatcherEditor(u *UI, ms []api.Matcher) *matcherEditor {
	me := &matcherEditor{u: u, box: container.NewVBox()}
	for _, m := range ms {
		me.add(m)
	}
	add := widget.NewButtonWithIcon(u.T("form.addmatcher"), fynetheme.ContentAddIcon(), func() {
		me.add(api.Matcher{Label: "machine", Op: "="})
	})
	me.root = container.NewVBox(me.box, container.NewHBox(add))
	return me
}

// valueChoices suggests values for a label: machine ids, rule names, severities.
func (u *UI) valueChoices(label string) []string {
	var out []string
	switch label {
	case "machine":
		for _, m := range u.machines {
			out = append(out, m.cfg.ID)
		}
	case "alertname":
		for _, r := range u.al.ruleList {
			out = append(out, r.Name)
		}
	case "severity":
		out = []string{api.SeverityWarning, api.SeverityCritical}
	}
	return out
}

func (me *matcherEditor) add(m api.Matcher) {
	u := me.u
	r := &matcherRow{}
	r.value = selectEntry(m.Value, u.valueChoices(m.Label))
	r.label = selectEntry(m.Label, []string{"machine", "alertname", "severity", "line", "sensor"})
	r.label.OnChanged = func(s string) { r.value.SetOptions(u.valueChoices(s)) }
	var ops []string
	sel := ""
	for _, o := range matcherOps {
		ops = append(ops, u.T(o.key))
		if o.op == m.Op || (m.Op == "" && o.op == "=") {
			sel = u.T(o.key)
		}
	}
	r.op = widget.NewSelect(ops, nil)
	r.op.SetSelected(sel)
	var remove *widget.Button
	remove = widget.NewButtonWithIcon("", fynetheme.DeleteIcon(), func() {
		i := slices.Index(me.rows, r)
		if i >= 0 {
			me.rows = slices.Delete(me.rows, i, i+1)
			me.box.Remove(r.root)
		}
	})
	r.root = container.NewBorder(nil, nil, nil, remove,
		container.NewGridWithColumns(3, r.label, r.op, r.value))
	me.rows = append(me.rows, r)
	me.box.Add(r.root)
}

// matchers returns the matchers as edited (rows without a label are left out).
func (me *matcherEditor) matchers() []api.Matcher {
	out := []api.Matcher{}
	for _, r := range me.rows {
		m := api.Matcher{Label: strings.TrimSpace(r.label.Text), Value: r.value.Text}
		if m.Label == "" && m.Value == "" {
			continue
		}
		for _, o := range matcherOps {
			if me.u.T(o.key) == r.op.Selected {
				m.Op = o.op
			}
		}
		out = append(out, m)
	}
	return out
}

// editWindow opens the editor of maintenance window i (-1: a new one).
func (u *UI) editWindow(i int) {
	var w api.MaintenanceWindow
	if i >= 0 && i < len(u.al.windows) {
		w = u.al.windows[i]
	} else {
		i = len(u.al.windows)
		w = api.MaintenanceWindow{Start: "06:00", End: "10:00", TimeZone: u.localZone(),
			Matchers: []api.Matcher{{Label: "machine", Op: "="}}}
		if w.TimeZone == "" {
			w.TimeZone = TimeZones[0]
		}
	}
	e := newEditor(u, fmt.Sprintf("maintenance[%d]", i))
	name := entry(w.Name, u.T("maint.name.placeholder"))
	var dayWords []string
	for _, d := range WeekDays {
		dayWords = append(dayWords, u.T("day."+d))
	}
	days := widget.NewCheckGroup(dayWords, nil)
	days.Horizontal = true
	for _, d := range w.Days {
		if k := slices.Index(WeekDays, strings.ToLower(d)); k >= 0 {
			days.Selected = append(days.Selected, dayWords[k])
		}
	}
	start := selectEntry(w.Start, clockChoices(false))
	end := selectEntry(w.End, clockChoices(true))
	tz := selectEntry(w.TimeZone, u.zoneChoices(w.TimeZone))
	ms := newMatcherEditor(u, w.Matchers)
	form := widget.NewForm(
		e.item("name", u.T("maint.name"), "", name),
		e.item("days", u.T("maint.days"), u.T("maint.days.hint"), days),
		e.item("start", u.T("maint.start"), u.T("maint.clock.hint"), start),
		e.item("end", u.T("maint.end"), u.T("maint.end.hint"), end),
		e.item("time_zone", u.T("maint.tz"), u.T("maint.tz.hint"), tz),
		e.item("matchers", u.T("maint.matchers"), u.T("maint.matchers.hint"), ms.root),
	)
	title := u.T("maint.edit")
	if i == len(u.al.windows) {
		title = u.T("maint.add")
	}
	e.open(title, form, func() {
		nw := api.MaintenanceWindow{Name: strings.TrimSpace(name.Text), Days: []string{},
			Start: strings.TrimSpace(start.Text), End: strings.TrimSpace(end.Text),
			TimeZone: strings.TrimSpace(tz.Text), Matchers: ms.matchers()}
		for k, word := range dayWords {
			if slices.Contains(days.Selected, word) {
				nw.Days = append(nw.Days, WeekDays[k])
			}
		}
		list := u.windowList()
		if i < len(list) {
			list[i] = nw
		} else {
			list = append(list, nw)
		}
		u.putWindows(list, e.sending, e.done)
	})
}

// windowList returns a copy of the windows as the appliance takes them back.
func (u *UI) windowList() []api.MaintenanceWindow {
	out := make([]api.MaintenanceWindow, len(u.al.windows))
	for i, w := range u.al.windows {
		w.Open = false
		out[i] = w
	}
	return out
}

// putWindows replaces the maintenance windows, then reloads the alerts (their muting changes).
func (u *UI) putWindows(list []api.MaintenanceWindow, start func(), done func(error)) {
	start()
	var got []api.MaintenanceWindow
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		got, err = a.SetMaintenance(ctx, list)
		return err
	}, func(err error) {
		if err == nil {
			u.al.windows = got
			u.alertsChanged()
			u.loadAlerts()
		}
		done(err)
	})
}

// deleteWindow asks, then removes maintenance window i.
func (u *UI) deleteWindow(i int) {
	w := u.al.windows[i]
	u.confirmDelete(u.T("maint.delete.title"), u.T("maint.delete.q", w.Name), func() {
		list := slices.Delete(u.windowList(), i, i+1)
		u.putWindows(list, func() {}, u.rulesUI.showResult)
	})
}
