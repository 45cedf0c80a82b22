// Package fleet holds what the terminal client knows about the appliance:
// the caller's identity, the machines, each machine's latest live state and
// a short history of its scores. The root model owns it and changes it only
// in Update; the pages read it in View.
package fleet

import (
	"time"

	"signalcraft/core/api"
)

// HistorySpan is how much score history a machine keeps: the detail page's
// chart shows the last two minutes.
const HistorySpan = 150 * time.Second

// Point is one live update kept in a machine's history.
type Point struct {
	Time      time.Time
	Score     float64
	Smoothed  float64
	Threshold float64
	State     string
}

// Fleet is the client's picture of the appliance.
type Fleet struct {
	// Now is the clock used for ages ("3m ago"); tests inject a fixed one.
	Now      func() time.Time
	Me       api.Identity
	Health   api.Health
	Machines []api.Machine
	live     map[string]api.Live
	history  map[string][]Point
	// Events are the most recent events of all machines, newest first.
	Events []api.Event
	// LastUpdate is when the last live update arrived (by Now).
	LastUpdate time.Time
	// Alerts are the appliance's alerts (all states, unfiltered), firing first. AlertsErr is
	// why they could not be read (an appliance without alerting answers 404); while it is
	// set, Alerts are those of the last successful read, if any.
	Alerts    []api.Alert
	AlertsErr error
}

// AlertCount counts alerts by state and severity for the summaries.
type AlertCount struct {
	Critical, Warning int // firing and not muted, by severity
	Muted             int // firing but silenced or inhibited
	Acked             int // firing and acknowledged (muted or not)
	Pending           int
}

// Firing is the number of firing alerts, muted or not.
func (c AlertCount) Firing() int { return c.Critical + c.Warning + c.Muted }

// CountAlerts counts Alerts: firing ones by severity (silenced or inhibited ones apart) and
// pending ones.
func (f *Fleet) CountAlerts() AlertCount {
	var c AlertCount
	for _, a := range f.Alerts {
		if a.State == api.AlertFiring && a.AcknowledgedAt != nil {
			c.Acked++
		}
		switch {
		case a.State == api.AlertPending:
			c.Pending++
		case a.State != api.AlertFiring:
		case a.Silenced || a.Inhibited:
			c.Muted++
		case a.Severity == api.SeverityCritical:
			c.Critical++
		default:
			c.Warning++
		}
	}
	return c
}

// New returns an empty fleet using the clock now (time.Now if nil).
func New(now func() time.Time) *Fleet {
	if now == nil {
		now = time.Now
	}
	return &Fleet{Now: now, live: map[string]api.Live{}, history: map[string][]Point{}}
}

// Can reports whether the caller's role allows what needs min.
func (f *Fleet) Can(min api.Role) bool { return f.Me.Role.Allows(min) }

// SetMachines replaces the machine list, keeping live data of machines
// still present.
func (f *Fleet) SetMachines(ms []api.Machine) {
	f.Machines = ms
	keep := map[string]bool{}
	for _, m := range ms {
		keep[m.ID] = true
	}
	for id := range f.live {
		if !keep[id] {
			delete(f.live, id)
			delete(f.history, id)
		}
	}
}

// NextMachine cycles a machine filter: "" (all), then each machine in order, then "" again.
func (f *Fleet) NextMachine(current string) string {
	if current == "" {
		if len(f.Machines) > 0 {
			return f.Machines[0].ID
		}
		return ""
	}
	for i, mc := range f.Machines {
		if mc.ID == current && i+1 < len(f.Machines) {
			return f.Machines[i+1].ID
		}
	}
	return ""
}

// Machine returns the machine with the given id.
func (f *Fleet) Machine(id string) (api.Machine, bool) {
	for _, m := range f.Machines {
		if m.ID == id {
			return m, true
		}
	}
	return api.Machine{}, false
}

// Apply records live updates. It reports the machines whose open event
// changed (an event opened or closed), which the events page reloads for.
func (f *Fleet) Apply(ls []api.Live) (eventsChanged bool) {
	for _, l := range ls {
		prev, seen := f.live[l.MachineID]
		if seen && !l.Time.IsZero() && l.Time.Before(prev.Time) {
			continue // a replayed update older than what we have
		}
		if prev.OpenEvent != l.OpenEvent {
			eventsChanged = true
		}
		f.live[l.MachineID] = l
		h := append(f.history[l.MachineID], Point{Time: l.Time, Score: l.Score, Smoothed: l.Smoothed,
			Threshold: l.Threshold, State: l.State})
		cut := 0
		for cut < len(h) && l.Time.Sub(h[cut].Time) > HistorySpan {
			cut++
		}
		if cut > 0 {
			h = append(h[:0], h[cut:]...)
		}
		f.history[l.MachineID] = h
	}
	if len(ls) > 0 {
		f.LastUpdate = f.Now()
	}
	return eventsChanged
}

// Seed fills a machine's history from stored score points (oldest first) when the client
// connects, keeping only the last HistorySpan.
func (f *Fleet) Seed(machine string, ps []api.ScorePoint) {
	if len(ps) == 0 {
		return
	}
	end := ps[len(ps)-1].Time
	var h []Point
	for _, p := range ps {
		if end.Sub(p.Time) <= HistorySpan {
			h = append(h, Point{Time: p.Time, Score: p.Score, Smoothed: p.Smoothed, Threshold: p.Threshold, State: p.State})
		}
	}
	f.history[machine] = h
}

// Live returns a machine's latest live state; ok is false before the first.
func (f *Fleet) Live(machine string) (l api.Live, ok bool) {
	l, ok = f.live[machine]
	return l, ok
}

// History returns a machine's score history, oldest first. The slice is
// the fleet's own: do not keep or change it.
func (f *Fleet) History(machine string) []Point { return f.history[machine] }

// LastEvent returns a machine's newest event among Events.
func (f *Fleet) LastEvent(machine string) (api.Event, bool) {
	for _, e := range f.Events {
		if e.MachineID == machine {
			return e, true
		}
	}
	return api.Event{}, false
}

// MachineEvents returns up to n of a machine's newest events among Events.
func (f *Fleet) MachineEvents(machine string, n int) []api.Event {
	var out []api.Event
	for _, e := range f.Events {
		if e.MachineID == machine && len(out) < n {
			out = append(out, e)
		}
	}
	return out
}
