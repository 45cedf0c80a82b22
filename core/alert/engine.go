package alert

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"
)

// maxOutbox bounds the unconfirmed notifications kept in the state; the oldest go first.
const maxOutbox = 10000

// Engine evaluates rules and dispatches notifications. It is safe for concurrent use.
type Engine struct {
	mu sync.Mutex

	rules    []*crule
	ruleBy   map[string]*crule
	root     *route
	routes   map[string]*route
	inhibits []cinhibit
	windows  []*window
	retain   time.Duration

	series     map[string]*Series // rule \x00 machine
	list       []*Series          // creation order, for deterministic iteration
	machines   map[string]*machineRules
	groups     map[string]*GroupState
	silences   map[string]*silence
	routeCache map[string][]*route // fingerprint → routes
	byFP       map[string]*Alert   // scratch for Tick, reused
	instance   string              // State.Instance
	seq        uint64
	silenceSeq uint64
	outbox     []Notification
	outDropped uint64 // notifications dropped from a full outbox since New
	restored   bool   // reset no-data clocks at the first Tick
}

type crule struct {
	Rule
	machines Matchers
	prefix   string // wildcard metric prefix ("fault_energy:"), "" for an exact metric
	tmpl     map[string]map[string]*template.Template
}

type cinhibit struct {
	source, target Matchers
	equal          []string
}

type silence struct {
	Silence
	m Matchers
}

type machineRules struct {
	line, sensor string
	rules        []*crule
}

// New builds an engine from a configuration and a state saved by [Engine.Snapshot] (the
// zero State for a fresh start). Series of rules that no longer exist or no longer apply to
// their machine are dropped (the groups that announced their alerts announce the
// resolution); groups of routes that no longer exist are dropped.
func New(cfg Config, st State) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st.Version != 0 && st.Version != StateVersion {
		return nil, fmt.Errorf("%w: alert state version %d, want %d", ErrInvalid, st.Version, StateVersion)
	}
	e := &Engine{
		ruleBy: map[string]*crule{}, routes: map[string]*route{}, retain: cfg.SilenceRetention,
		series: map[string]*Series{}, machines: map[string]*machineRules{}, groups: map[string]*GroupState{},
		silences: map[string]*silence{}, routeCache: map[string][]*route{},
		instance: st.Instance, seq: st.Seq, silenceSeq: st.SilenceSeq,
	}
	for _, r := range cfg.Rules {
		c := &crule{Rule: r, tmpl: map[string]map[string]*template.Template{}}
		c.machines, _ = r.Machines.compiled()
		if strings.HasSuffix(r.Expr.Metric, "*") {
			c.prefix = strings.TrimSuffix(r.Expr.Metric, "*")
		}
		for lang, m := range r.Annotations {
			c.tmpl[lang] = map[string]*template.Template{}
			for k, src := range m {
				c.tmpl[lang][k], _ = parseAnnotation(src)
			}
		}
		e.rules = append(e.rules, c)
		e.ruleBy[r.Name] = c
	}
	recv := map[string]Receiver{}
	for _, r := range cfg.Receivers {
		recv[r.Name] = r
	}
	e.root = compileRoute(&cfg.Route, nil, "0", recv, e.routes)
	for _, ir := range cfg.InhibitRules {
		s, _ := ir.SourceMatchers.compiled()
		t, _ := ir.TargetMatchers.compiled()
		e.inhibits = append(e.inhibits, cinhibit{source: s, target: t, equal: ir.Equal})
	}
	for _, w := range cfg.MaintenanceWindows {
		c, _ := w.compile()
		e.windows = append(e.windows, c)
	}

	for i := range st.Series {
		s := st.Series[i]
		if r := e.ruleBy[s.Rule]; r == nil || !r.appliesTo(s.Machine, s.Line, s.Sensor) {
			continue
		}
		if s.Alert != nil {
			a := s.Alert.clone()
			a.Annotations = nil
			s.Alert = &a
		}
		e.addSeries(&s)
	}
	for i := range st.Groups {
		g := st.Groups[i]
		r := e.routes[g.Route]
		if r == nil {
			continue
		}
		g.Receiver = r.receiver
		g.Members = slices.Clone(g.Members)
		g.SentFiring, g.SentResolved = slices.Clone(g.SentFiring), slices.Clone(g.SentResolved)
		g.Escalated = maps.Clone(g.Escalated)
		g.Announced = cloneAnnounced(g.Announced)
		if len(g.Announced) == 0 {
			g.Announced = announcedBefore(&g, e.list)
		}
		e.groups[g.Key] = &g
	}
	for _, s := range st.Silences {
		m, err := s.Matchers.compiled()
		if err != nil {
			return nil, fmt.Errorf("restore silence %s: %w", s.ID, err)
		}
		s.Matchers = m
		e.silences[s.ID] = &silence{Silence: s, m: m}
	}
	e.outbox = slices.Clone(st.Outbox)
	e.restored = len(e.list) > 0
	return e, nil
}

func seriesKey(rule, machine string) string { return rule + "\x00" + machine }

func (e *Engine) addSeries(s *Series) {
	e.series[seriesKey(s.Rule, s.Machine)] = s
	e.list = append(e.list, s)
}

// rulesFor returns the rules that apply to a machine heard through line and sensor.
func (e *Engine) rulesFor(o *Observation) []*crule {
	mr := e.machines[o.Machine]
	if mr != nil && mr.line == o.Line && mr.sensor == o.Sensor {
		return mr.rules
	}
	mr = &machineRules{line: o.Line, sensor: o.Sensor}
	for _, r := range e.rules {
		if r.appliesTo(o.Machine, o.Line, o.Sensor) {
			mr.rules = append(mr.rules, r)
		}
	}
	e.machines[o.Machine] = mr
	// A series of a rule that no longer applies (the machine is heard through another line
	// or sensor now) would never be evaluated again and its alert would fire for ever: drop
	// it, as New drops series of removed rules; its groups announce the resolution.
	e.list = slices.DeleteFunc(e.list, func(s *Series) bool {
		if s.Machine != o.Machine || slices.ContainsFunc(mr.rules, func(r *crule) bool { return r.Name == s.Rule }) {
			return false
		}
		delete(e.series, seriesKey(s.Rule, s.Machine))
		return true
	})
	return mr.rules
}

func (r *crule) appliesTo(machine, line, sensor string) bool {
	return r.machines.Matches(Labels{LabelMachine: machine, LabelLine: line, LabelSensor: sensor})
}

// read returns the rule's input from an observation: the metric key and value, or the
// sensor state.
func (r *crule) read(o *Observation) (metric string, v float64, ok bool) {
	x := r.Expr
	if len(x.SensorStates) > 0 {
		return "", 0, o.SensorState != ""
	}
	if r.prefix == "" {
		v, ok = o.Values[x.Metric]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return "", 0, false
		}
		return x.Metric, v, true
	}
	upward := x.Op == OpGT || x.Op == OpGE
	for k, val := range o.Values {
		if !strings.HasPrefix(k, r.prefix) || math.IsNaN(val) || math.IsInf(val, 0) {
			continue
		}
		if !ok || (upward && val > v) || (!upward && val < v) || (val == v && k < metric) {
			metric, v, ok = k, val, true
		}
	}
	return metric, v, ok
}

// holds evaluates the condition with hysteresis, given whether it held before.
func (r *crule) holds(was bool, v float64, state string) bool {
	x := r.Expr
	if len(x.SensorStates) > 0 {
		return slices.Contains(x.SensorStates, state)
	}
	if !was || x.Exit == nil {
		return x.Op.cmp(v, x.Enter)
	}
	if x.Op == OpGT || x.Op == OpGE {
		return v >= *x.Exit
	}
	return v <= *x.Exit
}

// Observe feeds one observation; rules whose input it carries are evaluated at o.Time.
func (e *Engine) Observe(o Observation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.list {
		if s.Machine == o.Machine {
			s.Final = o.Final
		}
	}
	for _, r := range e.rulesFor(&o) {
		metric, v, ok := r.read(&o)
		if !ok {
			continue
		}
		s := e.series[seriesKey(r.Name, o.Machine)]
		if s == nil {
			s = &Series{Rule: r.Name, Machine: o.Machine, Final: o.Final}
			e.addSeries(s)
		}
		s.Line, s.Sensor = o.Line, o.Sensor
		if s.NoData { // data is back: judge it afresh
			s.NoData, s.Active = false, false
		}
		if o.Time.After(s.LastSeen) {
			s.LastSeen = o.Time
		}
		s.Metric, s.Value, s.SensorState = metric, v, o.SensorState
		s.Active = r.holds(s.Active, v, o.SensorState)
		e.step(r, s, o.Time)
		if a := s.Alert; a != nil && a.Status != StatusResolved && o.Diagnosis != nil {
			d := *o.Diagnosis
			a.Diagnosis = &d
		}
	}
}

func (e *Engine) newAlert(r *crule, s *Series, t time.Time) *Alert {
	l := Labels{LabelAlertName: r.Name, LabelMachine: s.Machine, LabelSeverity: string(r.Severity)}
	if s.Line != "" {
		l[LabelLine] = s.Line
	}
	if s.Sensor != "" {
		l[LabelSensor] = s.Sensor
	}
	maps.Copy(l, r.Labels)
	return &Alert{Fingerprint: l.Fingerprint(), Rule: r.Name, Status: StatusPending, Labels: l, ActiveAt: t}
}

// step moves a series' alert through pending → firing → resolved at time t.
func (e *Engine) step(r *crule, s *Series, t time.Time) {
	a := s.Alert
	switch {
	case a == nil || a.Status == StatusResolved:
		if !s.Active {
			return
		}
		// A resolved alert that comes back is a new instance (as in Prometheus).
		a = e.newAlert(r, s, t)
		s.Alert, s.Routed, s.ClearedAt = a, false, time.Time{}
		if r.For <= 0 {
			a.Status, a.FiredAt = StatusFiring, t
		}
	case a.Status == StatusPending:
		if !s.Active {
			s.Alert = nil
			return
		}
		if t.Sub(a.ActiveAt) >= r.For {
			a.Status, a.FiredAt = StatusFiring, t
		}
	case a.Status == StatusFiring:
		if s.Active {
			s.ClearedAt = time.Time{}
			break
		}
		if s.ClearedAt.IsZero() {
			s.ClearedAt = t
		}
		if t.Sub(s.ClearedAt) >= r.KeepFiringFor {
			a.Status, a.ResolvedAt = StatusResolved, t
		}
	}
	// An alert keeps the values it last fired with once its condition ends — while
	// keep_firing_for holds it and once resolved — so that "sensor is lost" does not become
	// "sensor is ok" in the resolution.
	if a.Status != StatusResolved && s.Active {
		a.Metric, a.Value, a.SensorState, a.NoData = s.Metric, s.Value, s.SensorState, s.NoData
	}
}

// Tick evaluates everything that depends on time at now — pending alerts reaching their For,
// keep-firing ending, no-data, silences and maintenance windows, group wait, group interval,
// repeat interval and escalation — and returns the notifications to deliver. They are also
// kept in the outbox until [Engine.Confirm].
func (e *Engine) Tick(now time.Time) []Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.restored {
		// After a restart the daemon has not had a chance to observe anything yet: give every
		// series a full no-data period from now instead of alerting on our own downtime.
		for _, s := range e.list {
			if !s.LastSeen.IsZero() && s.LastSeen.Before(now) {
				s.LastSeen = now
			}
		}
		e.restored = false
	}
	for _, s := range e.list {
		r := e.ruleBy[s.Rule]
		if (r.NoData == NoDataOK || r.NoData == NoDataAlerting) && !s.NoData && !s.Final &&
			!s.LastSeen.IsZero() && now.Sub(s.LastSeen) >= r.NoDataAfter {
			s.NoData, s.Active = true, r.NoData == NoDataAlerting
		}
		e.step(r, s, now)
	}
	for id, s := range e.silences {
		if now.Sub(s.EndsAt) > e.retain {
			delete(e.silences, id)
		}
	}
	byFP := e.suppress(now)

	// Put newly firing alerts into their groups.
	for _, s := range e.list {
		a := s.Alert
		if a == nil || a.Status != StatusFiring || s.Routed {
			continue
		}
		s.Routed = true
		for _, r := range e.routesFor(a) {
			gl := r.groupLabels(a.Labels)
			key := r.groupKey(gl)
			g := e.groups[key]
			if g == nil {
				// The group starts when the alert fired, not at this Tick, so group_wait
				// does not depend on how often the caller ticks.
				start := a.FiredAt
				if start.IsZero() || start.After(now) {
					start = now
				}
				g = &GroupState{Key: key, Route: r.id, Receiver: r.receiver, Labels: gl, CreatedAt: start, NextFlush: start.Add(r.groupWait)}
				e.groups[key] = g
			}
			if !slices.Contains(g.Members, a.Fingerprint) {
				g.Members = append(g.Members, a.Fingerprint)
			}
			delete(g.Escalated, a.Fingerprint) // a new instance starts its escalation afresh
		}
	}

	var out []Notification
	for _, key := range slices.Sorted(maps.Keys(e.groups)) {
		g := e.groups[key]
		r := e.routes[g.Route]
		if !now.Before(g.NextFlush) {
			out = e.flush(g, r, byFP, now, out)
		}
		out = e.escalate(g, r, byFP, now, out)
	}

	// Forget resolved alerts that every group has dealt with, and empty groups.
	member := map[string]bool{}
	for key, g := range e.groups {
		if len(g.Members) == 0 && len(g.Announced) == 0 {
			delete(e.groups, key)
			continue
		}
		for _, fp := range g.Members {
			member[fp] = true
		}
	}
	for _, s := range e.list {
		if a := s.Alert; a != nil && a.Status == StatusResolved && (!s.Routed || !member[a.Fingerprint]) {
			s.Alert, s.Routed = nil, false
		}
	}
	e.outbox = append(e.outbox, out...)
	if n := len(e.outbox) - maxOutbox; n > 0 {
		e.outbox = slices.Delete(e.outbox, 0, n)
		e.outDropped += uint64(n)
	}
	return out
}

func (e *Engine) routesFor(a *Alert) []*route {
	if rs, ok := e.routeCache[a.Fingerprint]; ok {
		return rs
	}
	rs := e.root.match(a.Labels)
	e.routeCache[a.Fingerprint] = rs
	return rs
}

// suppress works out, for every alert, whether silences, maintenance windows or inhibition
// mute it at now; it returns the alerts by fingerprint.
func (e *Engine) suppress(now time.Time) map[string]*Alert {
	if e.byFP == nil {
		e.byFP = make(map[string]*Alert, len(e.list))
	}
	byFP := e.byFP
	clear(byFP)
	var active []*silence
	for _, id := range slices.Sorted(maps.Keys(e.silences)) {
		if s := e.silences[id]; s.Status(now) == SilenceActive {
			active = append(active, s)
		}
	}
	var open []*window
	for _, w := range e.windows {
		if w.active(now) {
			open = append(open, w)
		}
	}
	// Inhibition sources: per rule, the Equal-label values of firing source alerts.
	sources := make([]map[string][]string, len(e.inhibits))
	for i := range sources {
		sources[i] = map[string][]string{}
	}
	for _, s := range e.list {
		a := s.Alert
		if a == nil {
			continue
		}
		byFP[a.Fingerprint] = a
		a.Suppressed = a.Suppressed[:0]
		if a.Status != StatusFiring {
			continue
		}
		for i, ir := range e.inhibits {
			if ir.source.Matches(a.Labels) {
				k := equalKey(a.Labels, ir.equal)
				sources[i][k] = append(sources[i][k], a.Fingerprint)
			}
		}
	}
	for _, s := range e.list {
		a := s.Alert
		if a == nil {
			continue
		}
		for _, si := range active {
			if si.m.Matches(a.Labels) {
				a.Suppressed = append(a.Suppressed, "silence:"+si.ID)
			}
		}
		for _, w := range open {
			if w.matchers.Matches(a.Labels) {
				a.Suppressed = append(a.Suppressed, "maintenance:"+w.name)
			}
		}
		for i, ir := range e.inhibits {
			if !ir.target.Matches(a.Labels) {
				continue
			}
			src := sources[i][equalKey(a.Labels, ir.equal)]
			if len(src) > 1 || (len(src) == 1 && src[0] != a.Fingerprint) {
				a.Suppressed = append(a.Suppressed, "inhibited")
				break
			}
		}
		if len(a.Suppressed) == 0 {
			a.Suppressed = nil
		}
	}
	return byFP
}

func equalKey(l Labels, names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(l[n])
		b.WriteByte(0xff)
	}
	return b.String()
}

// flush is one group_wait/group_interval tick of a group, with Alertmanager's
// de-duplication: notify about new firing alerts, about resolved ones (if the route sends
// them), when everything resolved, or when nothing changed for repeat_interval. Muted alerts
// are not announced, but an alert announced before it was muted still gets its resolution,
// and so does one that has left the engine (its rule was removed). Escalation receivers get
// the resolutions of what they were sent, on the same schedule.
func (e *Engine) flush(g *GroupState, r *route, byFP map[string]*Alert, now time.Time, out []Notification) []Notification {
	var firing []*Alert
	muted := false // a member fires but is muted
	members := g.Members[:0]
	for _, fp := range g.Members {
		a := byFP[fp]
		if a == nil || a.Status == StatusResolved {
			delete(g.Escalated, fp)
			continue
		}
		members = append(members, fp)
		switch {
		case a.Status != StatusFiring:
		case len(a.Suppressed) > 0:
			muted = true
		default:
			firing = append(firing, a)
		}
	}
	g.Members = members
	firingFP := fingerprints(firing)
	resolved := e.ended(g, 0, byFP, now)
	// An announced alert that ended is no longer "sent as firing", whether or not its
	// resolution goes out: when it fires again it is news.
	g.SentFiring = slices.DeleteFunc(g.SentFiring, func(fp string) bool {
		return slices.ContainsFunc(resolved, func(a *Alert) bool { return a.Fingerprint == fp })
	})

	var kind Kind
	switch {
	case !g.Notified:
		if len(firing) > 0 {
			kind = KindFiring
		}
	case !subset(firingFP, g.SentFiring):
		kind = KindFiring
	case r.sendResolved && len(resolved) > 0:
		kind = KindFiring
	case len(firing) == 0:
		if len(g.SentFiring) > 0 {
			kind = KindResolved
		}
	case now.Sub(g.LastNotified) >= r.repeatInterval && !allAcked(firing):
		kind = KindRepeat
	}
	if kind == KindFiring && len(firing) == 0 && !muted {
		kind = KindResolved // nothing of the group fires any more
	}
	if kind != "" {
		alerts := firing
		if r.sendResolved {
			alerts = slices.Concat(firing, resolved)
		}
		if len(alerts) > 0 {
			out = append(out, e.notification(g.Receiver, g, kind, 0, alerts, now))
			announce(g, 0, firing)
		}
		g.Notified, g.LastNotified = true, now
		g.SentFiring, g.SentResolved = firingFP, fingerprints(resolved)
	}
	// ended took the resolutions out of g.Announced whether or not they were sent: a
	// receiver that does not want them never gets them later either.

	steps := map[int]bool{}
	for _, an := range g.Announced {
		if an.Step > 0 {
			steps[an.Step] = true
		}
	}
	for _, step := range slices.Sorted(maps.Keys(steps)) {
		res := e.ended(g, step, byFP, now)
		if len(res) > 0 && step <= len(r.escalations) && r.escalations[step-1].sendResolved {
			out = append(out, e.notification(r.escalations[step-1].Receiver, g, KindResolved, step, res, now))
		}
	}

	// Stay on the group's own grid (created + group_wait + k·group_interval) however
	// irregular the ticks are.
	g.NextFlush = g.NextFlush.Add((now.Sub(g.NextFlush)/r.groupInterval + 1) * r.groupInterval)
	return out
}

// ended takes out of g.Announced the announcements to step's receiver of alerts that no
// longer fire and returns those alerts, resolved; the announcements of alerts still firing
// are brought up to date. An announced alert that has left the engine, or whose instance
// ended and a new one is pending, is resolved from its announcement.
func (e *Engine) ended(g *GroupState, step int, byFP map[string]*Alert, now time.Time) []*Alert {
	var out []*Alert
	kept := g.Announced[:0]
	for _, an := range g.Announced {
		if an.Step != step {
			kept = append(kept, an)
			continue
		}
		a := byFP[an.Alert.Fingerprint]
		switch {
		case a != nil && a.Status == StatusFiring:
			an.Alert = stored(a)
			kept = append(kept, an)
		case a != nil && a.Status == StatusResolved:
			out = append(out, a)
		default:
			c := an.Alert
			c.Status, c.ResolvedAt = StatusResolved, now
			if a != nil && a.ActiveAt.Before(now) { // the new instance started after this one ended
				c.ResolvedAt = a.ActiveAt
			}
			out = append(out, &c)
		}
	}
	clear(g.Announced[len(kept):])
	g.Announced = kept
	return out
}

// announce records that alerts were announced as firing to step's receiver.
func announce(g *GroupState, step int, alerts []*Alert) {
	for _, a := range alerts {
		i := slices.IndexFunc(g.Announced, func(an Announcement) bool { return an.Step == step && an.Alert.Fingerprint == a.Fingerprint })
		if i < 0 {
			g.Announced = append(g.Announced, Announcement{Step: step, Alert: stored(a)})
		} else {
			g.Announced[i].Alert = stored(a)
		}
	}
}

// announcedBefore rebuilds the announcements of a group saved before they were recorded:
// the firing alerts of its last notification and the escalation steps sent.
func announcedBefore(g *GroupState, list []*Series) []Announcement {
	live := map[string]*Alert{}
	for _, s := range list {
		if s.Alert != nil && s.Alert.Status == StatusFiring {
			live[s.Alert.Fingerprint] = s.Alert
		}
	}
	var out []Announcement
	for _, fp := range g.SentFiring {
		if a := live[fp]; a != nil {
			out = append(out, Announcement{Alert: stored(a)})
		}
	}
	for _, fp := range slices.Sorted(maps.Keys(g.Escalated)) {
		if a := live[fp]; a != nil {
			for step := 1; step <= g.Escalated[fp]; step++ {
				out = append(out, Announcement{Step: step, Alert: stored(a)})
			}
		}
	}
	return out
}

// stored is the copy of an alert kept in a group's announcements: no rendered annotations,
// no mute reasons.
func stored(a *Alert) Alert {
	c := a.clone()
	c.Annotations, c.Suppressed = nil, nil
	return c
}

func cloneAnnounced(as []Announcement) []Announcement {
	out := slices.Clone(as)
	for i := range out {
		out[i].Alert = out[i].Alert.clone()
	}
	return out
}

// escalate sends critical, announced, unmuted and unacknowledged alerts to each escalation
// receiver once their After has passed since they fired.
func (e *Engine) escalate(g *GroupState, r *route, byFP map[string]*Alert, now time.Time, out []Notification) []Notification {
	for i, x := range r.escalations {
		var due []*Alert
		for _, fp := range g.Members {
			a := byFP[fp]
			if a == nil || a.Status != StatusFiring || a.Labels[LabelSeverity] != string(SeverityCritical) ||
				a.Ack != nil || len(a.Suppressed) > 0 || !slices.Contains(g.SentFiring, fp) ||
				g.Escalated[fp] != i || now.Before(a.FiredAt.Add(x.After)) {
				continue
			}
			due = append(due, a)
		}
		if len(due) == 0 {
			continue
		}
		if g.Escalated == nil {
			g.Escalated = map[string]int{}
		}
		for _, a := range due {
			g.Escalated[a.Fingerprint] = i + 1
		}
		out = append(out, e.notification(x.Receiver, g, KindEscalation, i+1, due, now))
		announce(g, i+1, due)
	}
	return out
}

func (e *Engine) notification(receiver string, g *GroupState, kind Kind, step int, alerts []*Alert, now time.Time) Notification {
	e.seq++
	key := "alert:"
	if e.instance != "" {
		key += e.instance + ":"
	}
	n := Notification{
		Key:      key + receiver + ":" + hashString(g.Key) + ":" + string(kind) + ":" + strconv.FormatUint(e.seq, 10),
		Receiver: receiver, GroupKey: g.Key, GroupLabels: maps.Clone(g.Labels), Kind: kind, Step: step, Time: now,
	}
	for _, a := range alerts {
		n.Alerts = append(n.Alerts, e.view(a))
	}
	slices.SortFunc(n.Alerts, compareAlerts)
	return n
}

// view copies an alert and renders its annotations.
func (e *Engine) view(a *Alert) Alert {
	c := a.clone()
	r := e.ruleBy[a.Rule]
	if r == nil || len(r.tmpl) == 0 {
		return c
	}
	d := TemplateData{
		Rule: a.Rule, Machine: a.Labels[LabelMachine], Line: a.Labels[LabelLine], Sensor: a.Labels[LabelSensor],
		Severity: a.Labels[LabelSeverity], Metric: a.Metric, Value: a.Value, Threshold: r.Expr.Enter,
		SensorState: a.SensorState, NoData: a.NoData, Labels: a.Labels,
	}
	if a.Diagnosis != nil {
		d.Fault, d.FaultConfidence = a.Diagnosis.Label, a.Diagnosis.Confidence
	}
	c.Annotations = map[string]map[string]string{}
	var buf bytes.Buffer
	for lang, m := range r.tmpl {
		c.Annotations[lang] = map[string]string{}
		for k, t := range m {
			buf.Reset()
			if err := t.Execute(&buf, d); err != nil {
				c.Annotations[lang][k] = r.Annotations[lang][k]
				continue
			}
			c.Annotations[lang][k] = buf.String()
		}
	}
	return c
}

func fingerprints(as []*Alert) []string {
	if len(as) == 0 {
		return nil
	}
	fps := make([]string, len(as))
	for i, a := range as {
		fps[i] = a.Fingerprint
	}
	slices.Sort(fps)
	return fps
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func allAcked(as []*Alert) bool {
	for _, a := range as {
		if a.Ack == nil {
			return false
		}
	}
	return len(as) > 0
}
