package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/correlate"
)

// PlantMachine is the pseudo-machine a plant-wide disturbance is observed on: its
// PlantDisturbance alert is one notice for every machine the disturbance made anomalous.
const PlantMachine = "plant"

// correlatedBy is who the silences of explained anomaly alerts are created by.
const correlatedBy = "signalcraftd correlation"

// Event snapshot keys the correlation adds to the events it explains.
const (
	snapCause     = "cause"      // "plant": a plant-wide disturbance (common cause)
	snapHeardFrom = "heard_from" // the machine whose fault this machine heard
)

// correlation feeds every machine's windows, in stream time, to core/correlate and acts on
// its verdicts: a common cause raises one PlantDisturbance alert (observed on
// PlantMachine) and silences the anomaly alerts of the machines it explains; an attributed
// anomaly silences the attributed machine's anomaly alerts while its source's go on. The
// events explained carry the cause in their snapshot (cause: plant, heard_from: pump-2),
// which each machine writes on its own goroutine at its next window.
type correlation struct {
	c      *correlate.Correlator
	alerts *alerting
	log    *slog.Logger
	hold   time.Duration

	// replay: every source replays as fast as possible, so machines run seconds of sound
	// apart; their observations wait in pend until the correlation has judged their time,
	// so that its verdicts reach the alert engine before the notifications they change, as
	// on a live appliance.
	replay bool
	step   time.Duration

	// feedMu makes a window's judging, the verdicts' actions and the release of the
	// observations it completes one step, so that machines on their own goroutines cannot
	// send observations of a slot before the silences its verdicts create
	feedMu sync.Mutex

	mu      sync.Mutex
	pend    []alert.Observation  // replay: in time order
	left    map[string]bool      // machines whose recording ended
	mutings map[int]*muting      // episode → the silence of its explained alerts
	notes   map[string]eventNote // machine → what its current or latest event is explained by
}

// eventNote is what explains a machine's anomaly.
type eventNote struct {
	episode   int
	start     time.Time // the episode's first onset
	at        time.Time // when the machine was judged part of it
	cause     string    // "plant", or ""
	heardFrom string
}

// newCorrelation builds the correlation of the configured machines, nil when it is off.
func newCorrelation(cfg *config.Config, alerts *alerting, log *slog.Logger) (*correlation, error) {
	cc := cfg.Correlation
	if !cc.Enabled || len(cfg.Machines) < 2 {
		return nil, nil
	}
	var ids []string
	step := time.Duration(0)
	for _, mc := range cfg.Machines {
		ids = append(ids, mc.ID)
		if h := mc.Detection.Profile().Hop; step == 0 || h < step {
			step = h
		}
	}
	c, err := correlate.New(cc.Correlate(step), ids)
	if err != nil {
		return nil, fmt.Errorf("correlation: %w", err)
	}
	if alerts != nil && !slices.ContainsFunc(alerts.cfg.Rules, func(r alert.Rule) bool {
		return r.Expr.Metric == alert.MetricPlantDisturbance
	}) {
		log.Warn("correlation: no alert rule reads plant_disturbance: a plant-wide disturbance will silence the machines' anomaly alerts without any notice; add the PlantDisturbance rule of the default alerting")
	}
	return &correlation{c: c, alerts: alerts, log: log.With("component", "correlation"), hold: cc.Hold,
		replay: cfg.Replay(), step: step, left: map[string]bool{}, mutings: map[int]*muting{}, notes: map[string]eventNote{}}, nil
}

// window takes a machine's window; it runs on the machine's goroutine.
func (k *correlation) window(w correlate.Window) {
	k.feedMu.Lock()
	defer k.feedMu.Unlock()
	k.mu.Lock()
	delete(k.left, w.Machine)
	k.mu.Unlock()
	before := k.c.Judged()
	vs := k.c.Add(w)
	k.act(vs, before)
	k.release(false)
}

// leave says a machine sends no windows for now (its recording ended, its sensor was
// lost): the others are judged without waiting for it until it sends again.
func (k *correlation) leave(machine string) {
	k.feedMu.Lock()
	defer k.feedMu.Unlock()
	k.mu.Lock()
	k.left[machine] = true
	all := len(k.left) == len(k.c.Machines())
	k.mu.Unlock()
	before := k.c.Judged()
	k.act(k.c.Leave(machine), before)
	k.release(all)
}

// observe hands an observation to the alert engine: at once on a live appliance, once its
// time is judged in a replay.
func (k *correlation) observe(o alert.Observation) {
	if k.alerts == nil {
		return
	}
	if !k.replay {
		k.alerts.observe(o)
		return
	}
	k.mu.Lock()
	i, _ := slices.BinarySearchFunc(k.pend, o.Time, func(p alert.Observation, t time.Time) int {
		if p.Time.After(t) {
			return 1
		}
		return -1 // equal times keep their order of arrival
	})
	k.pend = slices.Insert(k.pend, i, o)
	k.mu.Unlock()
}

// release sends the observations whose time is judged (all of them once every recording
// has ended), oldest first.
func (k *correlation) release(all bool) {
	if !k.replay || k.alerts == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock() // held while sending: releases from two machines keep the order
	judged := k.c.Judged().Add(k.step / 2)
	n := 0
	for n < len(k.pend) && (all || !k.pend[n].Time.After(judged)) {
		k.alerts.observe(k.pend[n])
		n++
	}
	k.pend = slices.Delete(k.pend, 0, n)
}

func (k *correlation) act(vs []correlate.Verdict, before time.Time) {
	for _, v := range vs {
		k.verdict(v)
	}
	now := k.c.Judged()
	if !now.After(before) {
		return
	}
	for _, e := range k.c.Live() {
		if e.Kind == correlate.Common {
			k.observe(alert.Observation{Time: now, Machine: PlantMachine,
				Values: map[string]float64{alert.MetricPlantDisturbance: float64(e.Anomalous)}})
		}
		if e.Anomalous > 0 {
			k.extend(e.ID, now)
		}
	}
}

func (k *correlation) verdict(v correlate.Verdict) {
	switch v.Kind {
	case correlate.Common:
		k.log.Warn("plant-wide disturbance: one cause, not a fault of each machine", "episode", v.Episode,
			"machines", strings.Join(v.Machines, ","), "start", v.Start)
		k.note(v, eventNote{episode: v.Episode, start: v.Start, at: v.At, cause: "plant"})
		k.silence(v.Episode, v.Machines, v.Start, v.At, fmt.Sprintf("plant-wide disturbance (common cause) from %s",
			v.Start.UTC().Format(time.RFC3339)))
	case correlate.Attributed:
		k.log.Info("anomaly attributed to a neighbouring machine", "episode", v.Episode, "machine", v.Machines[0],
			"heard_from", v.Source, "lag", v.Lag, "coef", v.Coef)
		k.note(v, eventNote{episode: v.Episode, start: v.Start, at: v.At, heardFrom: v.Source})
		k.silence(v.Episode, v.Machines, v.Start, v.At, "heard from "+v.Source)
	case correlate.Over:
		k.log.Info("correlated episode over", "episode", v.Episode, "machines", strings.Join(v.Machines, ","))
		if v.Source == "" {
			k.observe(alert.Observation{Time: v.At, Machine: PlantMachine,
				Values: map[string]float64{alert.MetricPlantDisturbance: 0}})
		}
		k.mu.Lock()
		delete(k.mutings, v.Episode) // its silence ends hold after the machines were last anomalous
		k.mu.Unlock()
	}
}

func (k *correlation) note(v correlate.Verdict, n eventNote) {
	k.mu.Lock()
	for _, m := range v.Machines {
		k.notes[m] = n
	}
	k.mu.Unlock()
}

// noteFor returns the latest explanation of the machine's anomalies.
func (k *correlation) noteFor(machine string) (eventNote, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	n, ok := k.notes[machine]
	return n, ok
}

// muting is the silence of an episode's explained anomaly alerts.
type muting struct {
	id      string
	start   time.Time
	until   time.Time
	comment string
	members []string
	rules   []string // the anomaly rules active for the members: a later fault of another rule is heard
}

// silence mutes the anomaly alerts of the machines an episode explains, from the episode's
// start until hold after they were last anomalous. It covers the anomaly rules active for
// them (pending or firing), so that, say, a critical alert a real fault raises later on one
// of them is not muted with the disturbance; an episode's silence grows with the machines
// that join it and the rules that become active for them.
func (k *correlation) silence(episode int, machines []string, start, at time.Time, comment string) {
	if k.alerts == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	mu := k.mutings[episode]
	if mu == nil {
		mu = &muting{start: start, comment: comment}
		k.mutings[episode] = mu
	}
	for _, m := range machines {
		if !slices.Contains(mu.members, m) {
			mu.members = append(mu.members, m)
		}
	}
	k.apply(episode, mu, at, true)
}

// apply creates or replaces an episode's silence when its machines, their active anomaly
// rules or its end (now + hold, moved on every few seconds) changed; k.mu is held.
func (k *correlation) apply(episode int, mu *muting, now time.Time, force bool) {
	rules := k.alerts.activeRules(mu.members, "anomaly")
	grown := false
	for _, r := range rules {
		if !slices.Contains(mu.rules, r) {
			mu.rules, grown = append(mu.rules, r), true
		}
	}
	if !force && !grown && mu.until.Sub(now) > k.hold-5*time.Second {
		return
	}
	quoted := make([]string, len(mu.members))
	for i, m := range mu.members {
		quoted[i] = regexp.QuoteMeta(m)
	}
	ms := alert.Matchers{
		alert.MustMatcher(alert.MatchRegexp, alert.LabelMachine, strings.Join(quoted, "|")),
		alert.MustMatcher(alert.MatchEqual, "category", "anomaly")}
	if len(mu.rules) > 0 {
		ms = append(ms, alert.MustMatcher(alert.MatchRegexp, alert.LabelAlertName, strings.Join(mu.rules, "|")))
	}
	until := now.Add(k.hold)
	s := alert.Silence{ID: mu.id, StartsAt: mu.start.Add(-k.hold), EndsAt: until, CreatedBy: correlatedBy,
		Comment: mu.comment, Matchers: ms}
	id, err := k.alerts.silence(s)
	if err != nil {
		k.log.Error("silence explained anomaly alerts", "episode", episode, "err", err)
		return
	}
	mu.id, mu.until = id, until
}

// extend keeps an episode's silence on while its machines are anomalous.
func (k *correlation) extend(episode int, now time.Time) {
	if k.alerts == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if mu := k.mutings[episode]; mu != nil {
		k.apply(episode, mu, now, false)
	}
}

// Pairs returns the n most strongly correlated pairs of machines.
func (k *correlation) Pairs(n int) []correlate.Pair { return k.c.Pairs(n) }

// Correlations returns the n most strongly correlated pairs of machines and the live
// episodes, for the API (GET /api/v1/correlations) and reports.
func (m *Main) Correlations(n int) wire.Correlations {
	out := wire.Correlations{Pairs: []wire.CorrelationPair{}, Episodes: []wire.CorrelationEpisode{}}
	if m.corr == nil {
		return out
	}
	out.Enabled = true
	if t := m.corr.c.Judged(); !t.IsZero() {
		out.Judged = &t
	}
	for _, p := range m.corr.Pairs(n) {
		out.Pairs = append(out.Pairs, wire.CorrelationPair{MachineA: p.A, MachineB: p.B, LagMS: p.Lag.Milliseconds(),
			Coefficient: p.Coef, Signal: p.Signal, Samples: p.N})
	}
	for _, e := range m.corr.c.Live() {
		out.Episodes = append(out.Episodes, wire.CorrelationEpisode{ID: e.ID, Kind: string(e.Kind), Start: e.Start,
			Source: e.Source, Machines: e.Members, Anomalous: e.Anomalous})
	}
	return out
}

// activeRules returns the rules of the category with a pending or firing alert for one of
// the machines, sorted.
func (a *alerting) activeRules(machines []string, category string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, al := range a.engine.Alerts() {
		if al.Status != alert.StatusResolved && al.Labels["category"] == category &&
			slices.Contains(machines, al.Labels[alert.LabelMachine]) && !slices.Contains(out, al.Rule) {
			out = append(out, al.Rule)
		}
	}
	slices.Sort(out)
	return out
}

// silence creates or replaces a silence in the engine's time.
func (a *alerting) silence(s alert.Silence) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, err := a.engine.Silence(s, a.clock())
	if err == nil {
		a.dirty = true
	}
	return id, err
}

// explain writes what explains the machine's anomaly into its open event, or into the event
// that closed last if the verdict came after it ended; machine goroutine only.
func (m *machine) explain(k *correlation) {
	if k == nil {
		return
	}
	n, ok := k.noteFor(m.cfg.ID)
	if !ok || n.episode == m.explained {
		return
	}
	ev := &m.event
	if ev.ID == 0 {
		ev = &m.lastEvent
	}
	// the event the machine was anomalous in when judged: started by then, not over long before
	if ev.ID == 0 || ev.Start.After(n.at) || !ev.End.IsZero() && ev.End.Before(n.start.Add(-time.Minute)) {
		return
	}
	snap := map[string]any{}
	if len(ev.Snapshot) > 0 {
		_ = json.Unmarshal(ev.Snapshot, &snap)
	}
	if n.cause != "" {
		snap[snapCause] = n.cause
	}
	if n.heardFrom != "" {
		snap[snapHeardFrom] = n.heardFrom
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return
	}
	ev.Snapshot = b
	m.explained = n.episode
	m.events.save(context.Background(), *ev)
	m.log.Info("event explained by the correlation", "event", ev.ID, "cause", n.cause, "heard_from", n.heardFrom)
}
