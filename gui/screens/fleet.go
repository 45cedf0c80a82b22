package screens

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
	"signalcraft/gui/status"
	"signalcraft/gui/theme"
)

// FleetSource is what the fleet screen needs of an api.FleetWatcher.
type FleetSource interface {
	Snapshot() []api.FleetAppliance
	Changed() <-chan struct{}
	Acknowledge(ctx context.Context, appliance, fingerprint, comment string) (api.Alert, error)
}

// FleetOptions configures NewFleet. Every field but Source has a working default.
type FleetOptions struct {
	Source   FleetSource
	Lang     i18n.Lang
	Now      func() time.Time // default time.Now
	Location *time.Location   // default time.Local
	// Go runs blocking work (acknowledgements) off the UI goroutine; default "go f()".
	Go      func(f func())
	Timeout time.Duration // bounds each acknowledgement; default 10s
	// MinInterval is the least time between two redraws while live updates pour in
	// (default 200ms).
	MinInterval time.Duration
	// Do runs f on the UI goroutine and waits for it; default fyne.DoAndWait. Fyne's test
	// driver has no UI goroutine, so tests that read the screen from another goroutine pass
	// a runner that serialises with their reads.
	Do func(f func())
}

// Fleet is the fleet screen: several appliances at once, their health and replication lag
// (an unreachable one in red with since when and why), every machine with its verdict in
// its colour, and the firing alerts of all of them with Acknowledge.
type Fleet struct {
	opt     FleetOptions
	tr      i18n.Translator
	root    *fyne.Container
	apps    []api.FleetAppliance
	msg     string // the last acknowledgement failure
	changed <-chan struct{}
	// Shown is when the screen last redrew, by Now.
	Shown time.Time
	// states is the state each machine ("appliance/machine") is shown in, and since which
	// redraw.
	states  map[string]shownState
	lastKey string // what the last rebuild showed (shownKey)
}

type shownState struct {
	state string
	at    time.Time
}

// StateShown returns the state a machine is shown in and when the screen first drew it in
// that state (to measure how long after its live update's arrival a change appears).
func (f *Fleet) StateShown(appliance, machine string) (state string, since time.Time) {
	s := f.states[appliance+"/"+machine]
	return s.state, s.at
}

// NewFleet returns the fleet screen showing opt.Source's current snapshot.
func NewFleet(opt FleetOptions) *Fleet {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	if opt.Go == nil {
		opt.Go = func(f func()) { go f() }
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.MinInterval <= 0 {
		opt.MinInterval = 200 * time.Millisecond
	}
	if opt.Do == nil {
		opt.Do = fyne.DoAndWait
	}
	f := &Fleet{opt: opt, tr: i18n.New(opt.Lang), root: container.NewStack(), changed: opt.Source.Changed(),
		states: map[string]shownState{}}
	f.Refresh()
	return f
}

// Content returns the screen's root object.
func (f *Fleet) Content() fyne.CanvasObject { return f.root }

// Appliances returns the snapshot shown.
func (f *Fleet) Appliances() []api.FleetAppliance { return f.apps }

// Watch redraws the screen on the UI goroutine (FleetOptions.Do) after each change of the source,
// at most once per MinInterval, until ctx is done.
func (f *Fleet) Watch(ctx context.Context) {
	ch := f.changed
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
		f.opt.Do(f.Refresh)
		t := time.NewTimer(f.opt.MinInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Refresh reads the source's snapshot and rebuilds the screen. Call it on the UI goroutine.
//
// Rebuilding every row costs tens of milliseconds for tens of appliances
// (docs/BENCHMARKS.md), so it is skipped when nothing shown would change: live updates that
// leave every machine's verdict as it was cost only the comparison.
func (f *Fleet) Refresh() {
	f.apps = f.opt.Source.Snapshot()
	now := f.opt.Now()
	key := f.shownKey(now)
	if key == f.lastKey && len(f.root.Objects) > 0 {
		return
	}
	f.lastKey = key
	f.root.Objects = []fyne.CanvasObject{container.NewVScroll(f.build())}
	f.root.Refresh()
	f.Shown = now
	for _, a := range f.apps {
		for _, fm := range a.Machines {
			state := fm.Live.State
			if !a.Reachable {
				state = "" // shown unknown
			}
			k := a.Name + "/" + fm.Machine.ID
			if f.states[k].state != state {
				f.states[k] = shownState{state, f.Shown}
			}
		}
	}
}

func (f *Fleet) build() fyne.CanvasObject {
	now := f.opt.Now()
	machines, firing, down := 0, 0, 0
	for _, a := range f.apps {
		machines += len(a.Machines)
		firing += len(a.Alerts)
		if !a.Reachable {
			down++
		}
	}
	title := canvas.NewText(f.tr.T("fleet.title"), nil)
	title.TextSize = 22
	title.TextStyle.Bold = true
	box := container.NewVBox(title, widget.NewLabel(f.tr.T("fleet.summary", len(f.apps), machines, firing, down)))
	if f.msg != "" {
		box.Add(coloured(f.msg, theme.StatusColour(status.Anomaly), false))
	}

	box.Add(fleetHeading(f.tr.T("fleet.appliances")))
	for _, a := range f.apps {
		box.Add(f.applianceRow(now, a))
	}

	box.Add(fleetHeading(f.tr.T("fleet.machines")))
	for _, a := range f.apps {
		if len(a.Machines) == 0 {
			box.Add(widget.NewLabel(a.Name + " — " + f.tr.T("fleet.nomachines")))
		}
		for _, fm := range a.Machines {
			box.Add(f.machineRow(now, a, fm))
		}
	}

	box.Add(fleetHeading(f.tr.T("fleet.alerts")))
	if firing == 0 {
		box.Add(widget.NewLabel(f.tr.T("fleet.noalerts")))
	}
	for _, a := range f.apps {
		if a.Reachable && a.AlertsErr != "" {
			box.Add(coloured(a.Name+": "+f.tr.T("fleet.alertsunavailable", a.AlertsErr), theme.StatusColour(status.CheckMic), false))
		}
		for _, al := range a.Alerts {
			box.Add(f.alertRow(a, al))
		}
	}
	return box
}

func fleetHeading(s string) fyne.CanvasObject {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func coloured(s string, c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextStyle.Bold = bold
	return t
}

// swatch is a verdict's colour with its word on it, so colour is never the only cue.
func swatch(word string, k status.Kind) fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.StatusColour(k))
	bg.SetMinSize(fyne.NewSize(170, 28))
	bg.CornerRadius = 4
	txt := canvas.NewText(word, theme.StatusTextColour(k))
	txt.TextStyle.Bold = true
	txt.Alignment = fyne.TextAlignCenter
	return container.NewStack(bg, container.NewCenter(txt))
}

func (f *Fleet) applianceRow(now time.Time, a api.FleetAppliance) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(a.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if !a.Reachable {
		var s string
		if a.DownSince.IsZero() {
			s = f.tr.T("fleet.connecting", a.Target)
			return container.NewHBox(name, coloured(s, theme.StatusColour(status.NoSignal), false))
		}
		s = f.tr.T("fleet.unreachable", a.DownSince.In(f.opt.Location).Format("15:04:05"), a.Err)
		return container.NewHBox(name, coloured(s, theme.StatusColour(status.Anomaly), true))
	}
	k, key := status.Normal, "fleet.health.ok"
	switch a.Status() {
	case api.HealthDegraded:
		k, key = status.CheckMic, "fleet.health.degraded"
	case api.HealthFailing:
		k, key = status.Anomaly, "fleet.health.failing"
	}
	parts := []fyne.CanvasObject{name, swatch(f.tr.T(key), k), widget.NewLabel(f.replication(a))}
	if a.Health.Report != nil && len(a.Health.Report.Reasons) > 0 {
		parts = append(parts, widget.NewLabel(a.Health.Report.Reasons[0]))
	}
	return container.NewHBox(parts...)
}

// replication says what the appliance's health report says about replication.
func (f *Fleet) replication(a api.FleetAppliance) string {
	r, ok := a.Replication()
	switch {
	case !ok:
		return f.tr.T("fleet.repl.noreport")
	case !r.Configured || r.Status == api.ReplicationNotConfigured:
		return f.tr.T("fleet.repl.notconfigured")
	case r.LagSeconds != nil:
		return f.tr.T("fleet.repl.lag", r.Status, f.tr.Duration(time.Duration(*r.LagSeconds*float64(time.Second))))
	case r.LastError != "":
		return f.tr.T("fleet.repl", r.Status+": "+r.LastError)
	}
	return f.tr.T("fleet.repl", r.Status)
}

func (f *Fleet) machineRow(now time.Time, a api.FleetAppliance, fm api.FleetMachine) fyne.CanvasObject {
	name := fm.Machine.Name
	if name == "" {
		name = fm.Machine.ID
	}
	label := widget.NewLabel(a.Name + " · " + name)
	if !a.Reachable {
		// the last known state is stale and may hide a fault: never show it as normal
		return container.NewHBox(swatch(f.tr.T("status.nosignal"), status.NoSignal), label,
			coloured(f.tr.T("fleet.unknown"), theme.StatusColour(status.Anomaly), false))
	}
	// staleness by the client's clock: how long since the update arrived
	k, word := f.verdict(now, fm)
	parts := []fyne.CanvasObject{swatch(word, k), label}
	if fm.HasLive && fm.Live.Sensor != "" && fm.Live.Sensor != api.SensorOK {
		parts = append(parts, widget.NewLabel(fm.Live.Sensor))
	}
	return container.NewHBox(parts...)
}

func (f *Fleet) alertRow(a api.FleetAppliance, al api.Alert) fyne.CanvasObject {
	sev := status.CheckMic
	if al.Severity == api.SeverityCritical {
		sev = status.Anomaly
	}
	summary := al.Summary
	if tr := al.Annotations[string(f.tr.Lang())]; tr["summary"] != "" {
		summary = tr["summary"]
	}
	if summary == "" {
		summary = al.Rule
	}
	parts := []fyne.CanvasObject{swatch(f.tr.T("severity."+al.Severity), sev), widget.NewLabel(a.Name + " · " + al.MachineID + " · " + summary)}
	if al.AcknowledgedAt != nil {
		parts = append(parts, widget.NewLabel(f.tr.T("fleet.acked", al.AcknowledgedBy)))
		return container.NewHBox(parts...)
	}
	btn := widget.NewButton(f.tr.T("fleet.ack"), nil)
	if !a.Me.Role.Allows(api.RoleOperator) {
		btn.Disable()
	}
	name, fp := a.Name, al.Fingerprint
	btn.OnTapped = func() {
		btn.Disable()
		f.opt.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), f.opt.Timeout)
			defer cancel()
			_, err := f.opt.Source.Acknowledge(ctx, name, fp, "acknowledged from the fleet view")
			msg := ""
			if err != nil {
				msg = f.tr.T("fleet.ackfailed", name, strings.TrimSpace(err.Error()))
			}
			f.opt.Do(func() {
				f.msg = msg
				f.Refresh()
			})
		})
	}
	return container.NewHBox(append(parts, btn)...)
}

// verdict is a machine's verdict and its words; staleness is by the client's clock (how long
// since the update arrived), not the appliance's.
func (f *Fleet) verdict(now time.Time, fm api.FleetMachine) (status.Kind, string) {
	k := status.Of(fm.Live, fm.HasLive, fm.Live.Time.Add(now.Sub(fm.Arrived)))
	if k == status.Learning {
		return k, f.tr.T(k.Key(), status.Percent(fm.Live))
	}
	return k, f.tr.T(k.Key())
}

// shownKey is everything the screen shows, as one string: equal keys draw the same screen.
func (f *Fleet) shownKey(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s\n", f.tr.Lang(), f.msg)
	for _, a := range f.apps {
		fmt.Fprintf(&b, "%s|%v|%v|%s|%s|%s|%s|%s|%s\n", a.Name, a.Reachable, a.DownSince, a.Err, a.Target, a.Status(),
			f.replication(a), a.Me.Role, a.AlertsErr)
		if a.Health.Report != nil && len(a.Health.Report.Reasons) > 0 {
			b.WriteString(a.Health.Report.Reasons[0] + "\n")
		}
		for _, fm := range a.Machines {
			_, word := f.verdict(now, fm)
			fmt.Fprintf(&b, "%s|%s|%s|%s|%s\n", fm.Machine.ID, fm.Machine.Name, fm.Live.State, fm.Live.Sensor, word)
		}
		for _, al := range a.Alerts {
			fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%v\n", al.Fingerprint, al.Severity, al.MachineID, al.Summary, al.AcknowledgedBy, al.AcknowledgedAt != nil)
		}
	}
	return b.String()
}
