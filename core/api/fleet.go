package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// FleetMember is one appliance a fleet client watches: a name the user gave it and its
// client.
type FleetMember struct {
	Name   string
	Client *Client
}

// FleetOptions tunes a FleetWatcher. Zero fields take the defaults.
type FleetOptions struct {
	Now func() time.Time // default time.Now
	// Poll is how often each appliance's health and firing alerts are read again (they are
	// not on the live stream); a failed read marks the appliance unreachable. Default 5s.
	Poll time.Duration
	// RetryMin and RetryMax bound the backoff between attempts to reach an unreachable
	// appliance (defaults 500ms and 30s).
	RetryMin, RetryMax time.Duration
	// Timeout bounds each request other than the live stream (default 5s).
	Timeout time.Duration
	// MaxAlerts is how many firing alerts are kept per appliance, most severe first
	// (default 200); Truncated says how many more there were.
	MaxAlerts int
}

// FleetMachine is one machine of a watched appliance with its latest live state.
type FleetMachine struct {
	Machine Machine
	// Live is the latest live update (Spectrum dropped, to keep memory bounded); HasLive is
	// false before the first.
	Live    Live
	HasLive bool
	// Arrived is when Live reached the client (by FleetOptions.Now); StateArrived is when the
	// first update with the current Live.State arrived.
	Arrived, StateArrived time.Time
}

// FleetAppliance is what a FleetWatcher knows about one appliance.
type FleetAppliance struct {
	Name   string
	Target string // the client's base URL
	// Reachable is true while the appliance answers. Before the first answer and after a
	// failure it is false, and Err says why (empty while still connecting the first time).
	Reachable bool
	// DownSince is when the appliance stopped answering (or the first failed attempt); zero
	// while reachable or before the first attempt ended.
	DownSince time.Time
	Err       string
	Me        Identity
	Health    Health // the last read health; Health.Report holds replication and more
	HealthAt  time.Time
	Machines  []FleetMachine
	// Alerts are the firing alerts, critical first; AlertsErr is why they could not be read
	// (an appliance without alerting answers 404) while the appliance itself answers.
	Alerts    []Alert
	AlertsErr string
	Truncated int
	// LastLive is when the last live update of the appliance arrived.
	LastLive time.Time
}

// Replication returns the appliance's replication state from its health report, and false
// when the appliance did not send one.
func (a FleetAppliance) Replication() (HealthReplication, bool) {
	if a.Health.Report == nil {
		return HealthReplication{}, false
	}
	return a.Health.Report.Replication, true
}

// Status is the appliance's overall health (HealthOK, HealthDegraded, HealthFailing), from
// its report when it sent one.
func (a FleetAppliance) Status() string {
	if a.Health.Report != nil && a.Health.Report.Status != "" {
		return a.Health.Report.Status
	}
	return a.Health.Status
}

// FleetWatcher keeps one live connection per appliance (the SSE stream, which resumes by
// itself) and polls each appliance's health and firing alerts; an appliance that stops
// answering is marked unreachable with the reason and reconnected with backoff. Its memory
// is bounded: the latest live update per machine (without spectrum), the machine list and at
// most MaxAlerts alerts per appliance. It is safe for concurrent use.
type FleetWatcher struct {
	opt     FleetOptions
	members []FleetMember

	mu      sync.Mutex
	state   map[string]*FleetAppliance
	refresh map[string]chan struct{}
	subs    []chan struct{} // under mu
}

// NewFleetWatcher returns a watcher of members; Run starts it. Names must be unique.
func NewFleetWatcher(members []FleetMember, opt FleetOptions) (*FleetWatcher, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Poll <= 0 {
		opt.Poll = 5 * time.Second
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = 500 * time.Millisecond
	}
	if opt.RetryMax < opt.RetryMin {
		opt.RetryMax = max(30*time.Second, opt.RetryMin)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.MaxAlerts <= 0 {
		opt.MaxAlerts = 200
	}
	w := &FleetWatcher{opt: opt, members: slices.Clone(members), state: map[string]*FleetAppliance{},
		refresh: map[string]chan struct{}{}}
	for _, m := range members {
		if m.Name == "" || m.Client == nil {
			return nil, fmt.Errorf("fleet: appliance %q: a name and a client are needed", m.Name)
		}
		if _, dup := w.state[m.Name]; dup {
			return nil, fmt.Errorf("fleet: appliance name %q given twice", m.Name)
		}
		w.state[m.Name] = &FleetAppliance{Name: m.Name, Target: m.Client.BaseURL()}
		w.refresh[m.Name] = make(chan struct{}, 1)
	}
	return w, nil
}

// Changed returns a new channel that receives after any change of the watcher's state,
// changes in quick succession coalesced into one. Each consumer (a terminal page, a window)
// calls it once and keeps the channel.
func (w *FleetWatcher) Changed() <-chan struct{} {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	w.subs = append(w.subs, ch)
	w.mu.Unlock()
	return ch
}

func (w *FleetWatcher) notify() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Snapshot returns a copy of every appliance's state, in the members' order.
func (w *FleetWatcher) Snapshot() []FleetAppliance {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]FleetAppliance, 0, len(w.members))
	for _, m := range w.members {
		a := *w.state[m.Name]
		a.Machines = slices.Clone(a.Machines)
		a.Alerts = slices.Clone(a.Alerts)
		out = append(out, a)
	}
	return out
}

// Refresh asks the appliance's loop to read its health and alerts now.
func (w *FleetWatcher) Refresh(name string) {
	if ch, ok := w.refresh[name]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Acknowledge acknowledges a firing alert of one appliance (operator) and refreshes that
// appliance's alerts.
func (w *FleetWatcher) Acknowledge(ctx context.Context, appliance, fingerprint, comment string) (Alert, error) {
	for _, m := range w.members {
		if m.Name == appliance {
			a, err := m.Client.AcknowledgeAlert(ctx, fingerprint, comment)
			if err == nil {
				w.mu.Lock()
				st := w.state[appliance]
				for i := range st.Alerts {
					if st.Alerts[i].Fingerprint == fingerprint {
						st.Alerts[i] = a
					}
				}
				w.mu.Unlock()
				w.notify()
			}
			w.Refresh(appliance)
			return a, err
		}
	}
	return Alert{}, fmt.Errorf("fleet: no appliance %q", appliance)
}

// Run watches every appliance until ctx is done.
func (w *FleetWatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, m := range w.members {
		wg.Go(func() { w.watch(ctx, m) })
	}
	wg.Wait()
}

func (w *FleetWatcher) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// watch is one appliance's loop: connect, stream and poll; on failure mark it unreachable
// and try again after a backoff.
func (w *FleetWatcher) watch(ctx context.Context, m FleetMember) {
	delay := w.opt.RetryMin
	for ctx.Err() == nil {
		err := w.connect(ctx, m)
		if err == nil {
			delay = w.opt.RetryMin
			err = w.follow(ctx, m)
		}
		if ctx.Err() != nil {
			return
		}
		w.fail(m.Name, err)
		if !w.sleep(ctx, delay) {
			return
		}
		delay = min(2*delay, w.opt.RetryMax)
	}
}

func (w *FleetWatcher) fail(name string, err error) {
	w.mu.Lock()
	st := w.state[name]
	if st.Reachable || st.DownSince.IsZero() {
		st.DownSince = w.opt.Now()
	}
	st.Reachable = false
	st.Err = err.Error()
	w.mu.Unlock()
	w.notify()
}

// connect reads who we are, the machines, their latest live state, the health and alerts.
func (w *FleetWatcher) connect(ctx context.Context, m FleetMember) error {
	cctx, cancel := context.WithTimeout(ctx, w.opt.Timeout)
	defer cancel()
	me, err := m.Client.Me(cctx)
	if err != nil {
		return err
	}
	ms, err := m.Client.Machines(cctx)
	if err != nil {
		return err
	}
	snap, err := m.Client.LiveSnapshot(cctx, "")
	if err != nil {
		return err
	}
	w.mu.Lock()
	st := w.state[m.Name]
	st.Me = me
	old := map[string]FleetMachine{}
	for _, fm := range st.Machines {
		old[fm.Machine.ID] = fm
	}
	st.Machines = st.Machines[:0]
	for _, mc := range ms {
		fm := old[mc.ID]
		fm.Machine = mc
		st.Machines = append(st.Machines, fm)
	}
	w.mu.Unlock()
	for _, l := range snap {
		w.apply(m.Name, l)
	}
	return w.poll(ctx, m)
}

// poll reads health and firing alerts. Only a failed health read is an error: alerts may be
// missing on an appliance without alerting.
func (w *FleetWatcher) poll(ctx context.Context, m FleetMember) error {
	cctx, cancel := context.WithTimeout(ctx, w.opt.Timeout)
	defer cancel()
	h, err := m.Client.Health(cctx)
	if err != nil {
		return err
	}
	as, aerr := m.Client.Alerts(cctx, AlertFilter{State: AlertFiring})
	w.mu.Lock()
	st := w.state[m.Name]
	st.Health, st.HealthAt = h, w.opt.Now()
	st.Reachable, st.Err, st.DownSince = true, "", time.Time{}
	if aerr != nil {
		st.AlertsErr = aerr.Error()
	} else {
		st.AlertsErr = ""
		sortAlerts(as)
		st.Truncated = max(0, len(as)-w.opt.MaxAlerts)
		st.Alerts = slices.Clip(as[:min(len(as), w.opt.MaxAlerts)])
	}
	w.mu.Unlock()
	w.notify()
	return nil
}

// sortAlerts orders alerts critical first, then by firing time, newest first.
func sortAlerts(as []Alert) {
	sort.SliceStable(as, func(i, j int) bool {
		ci, cj := as[i].Severity == SeverityCritical, as[j].Severity == SeverityCritical
		if ci != cj {
			return ci
		}
		return as[i].ActiveAt.After(as[j].ActiveAt)
	})
}

// errStreamEnded reports a live stream the server refused for good.
var errStreamEnded = errors.New("live stream ended")

// follow streams live updates and polls until the appliance fails or ctx ends.
func (w *FleetWatcher) follow(ctx context.Context, m FleetMember) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Client.Stream(sctx, "", func(l Live) { w.apply(m.Name, l) }) }()
	finished := false
	defer func() {
		cancel()
		if !finished {
			<-done
		}
	}()
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			finished = true
			if err == nil {
				err = errStreamEnded
			}
			return fmt.Errorf("%w: %w", errStreamEnded, err)
		case <-t.C:
		case <-w.refresh[m.Name]:
		}
		if err := w.poll(ctx, m); err != nil {
			return err
		}
	}
}

// apply records one live update.
func (w *FleetWatcher) apply(name string, l Live) {
	now := w.opt.Now()
	l.Spectrum = nil
	w.mu.Lock()
	st := w.state[name]
	i := slices.IndexFunc(st.Machines, func(fm FleetMachine) bool { return fm.Machine.ID == l.MachineID })
	if i < 0 {
		// a machine added since we read the list: keep it by id
		st.Machines = append(st.Machines, FleetMachine{Machine: Machine{ID: l.MachineID, Name: l.MachineID}})
		i = len(st.Machines) - 1
	}
	fm := &st.Machines[i]
	if fm.HasLive && !l.Time.IsZero() && l.Time.Before(fm.Live.Time) {
		w.mu.Unlock()
		return // a replayed update older than what we have
	}
	if !fm.HasLive || fm.Live.State != l.State {
		fm.StateArrived = now
	}
	fm.Live, fm.HasLive, fm.Arrived = l, true, now
	st.LastLive = now
	w.mu.Unlock()
	w.notify()
}
