package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"signalcraft/appliance/metrics"
	"signalcraft/core/alert"
	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/store"
)

// JobNotify is the job kind of a notification delivery.
const JobNotify = "notify"

// alertTick is how often the alert engine's timers are evaluated (for, group wait,
// repeats, escalation, maintenance windows).
const alertTick = 250 * time.Millisecond

// alerting runs the alert engine on its own goroutine: machines send it observations; each
// tick it evaluates the engine and, in one transaction, stores the engine's state and
// enqueues the notifications it produced as jobs, so a crash neither loses an announcement
// nor makes one twice (the jobs' idempotency keys are the notifications' keys). Deliveries
// run as jobs through core/notify.
type alerting struct {
	db       *store.DB
	queue    *jobs.Queue
	notifier *notify.Notifier
	log      *slog.Logger
	now      func() time.Time // wall clock: saves, deliveries
	clock    func() time.Time // the engine's time: o.Now, or the stream clock of a replay
	stream   *streamClock     // nil unless the daemon replays recordings as fast as possible
	lang     string
	obs      chan alert.Observation
	metrics  *metrics.Metrics // notification outcomes

	// saveMu orders the saves of the engine's state (held from the snapshot to the commit,
	// so an older snapshot never overwrites a newer one); cfgMu orders configuration changes.
	// Both are taken before mu.
	saveMu sync.Mutex
	cfgMu  sync.Mutex

	mu        sync.Mutex // guards engine, cfg and receivers
	engine    *alert.Engine
	cfg       alert.Config
	receivers map[string]notify.Receiver
	recvList  []notify.Receiver // receivers in configuration order
	dirty     bool              // the engine changed since its state was last saved
	lastSave  time.Time
	dropped   uint64
	failures  int       // commits failed in a row (a full disk): retried every commitRetry
	lastTry   time.Time // of the latest failed commit
	outDrop   uint64    // notifications the engine's outbox had dropped, as last logged

	hooks    alertHooks
	status   map[string]alertSeen // by fingerprint, for hooks.onAlert
	lastTick time.Time            // stream time of the last grid tick (replays)
	inflight atomic.Int64         // replays: observations sent and not yet handled
}

// alertHooks let the stream evaluation watch what the engine decides, in engine time.
type alertHooks struct {
	// onNotifications gets the notifications committed to the job queue.
	onNotifications func([]alert.Notification)
	// onAlert gets an alert each time its status changes (pending, firing, resolved).
	onAlert func(alert.Alert)
	// noDelivery keeps notifications from reaching any receiver (the evaluation replays
	// recordings with a production configuration).
	noDelivery bool
}

type alertSeen struct {
	status   alert.Status
	activeAt time.Time
	rule     string
	labels   alert.Labels
}

// ended is the resolution of an alert instance that left the engine's list unseen.
func (s alertSeen) ended(fp string, at time.Time) alert.Alert {
	return alert.Alert{Fingerprint: fp, Rule: s.rule, Labels: s.labels, Status: alert.StatusResolved,
		ActiveAt: s.activeAt, ResolvedAt: at}
}

func newAlerting(ctx context.Context, db *store.DB, cfg alert.Config, receivers []notify.Receiver, lang string, o Options) (*alerting, error) {
	st := alert.State{}
	if b, err := db.AlertState(ctx); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("alert state: %w", err)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// The database's instance goes into every notification key: a fresh database (or a
	// restored one, which `signalcraftd restore` gives a new instance) never repeats a key an
	// earlier one sent. A stored state's own instance gives way to the database's.
	in, err := db.Instance(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	st.Instance = in.ID
	cfg, receivers = storedAlertSettings(ctx, db, cfg, receivers, o.Logger.With("component", "alerting"))
	engine, err := alert.New(cfg, st)
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	q, err := jobs.New(db, jobs.Options{Now: o.Now, Logger: o.Logger.With("component", "jobs")})
	if err != nil {
		return nil, err
	}
	a := &alerting{db: db, queue: q, notifier: notify.New(notify.Options{Now: o.Now, Logger: o.Logger.With("component", "notify")}),
		log: o.Logger.With("component", "alerting"), now: o.Now, clock: o.Now, lang: lang, obs: make(chan alert.Observation, 4096),
		engine: engine, cfg: cfg}
	a.setReceivers(receivers)
	a.metrics = o.Metrics
	q.Handle(JobNotify, o.Metrics.JobHandler(JobNotify, a.deliver), jobs.WorkerConfig{Concurrency: 4, Lease: 2 * time.Minute, MaxAttempts: 12,
		Backoff: jobs.Backoff{Base: 2 * time.Second, Max: 10 * time.Minute, Jitter: 0.2}})
	return a, nil
}

// observe hands an observation to the engine without ever blocking a live machine. A
// replay (stream time) waits instead: dropping observations there would change what the
// engine decides, and the replay can always wait.
func (a *alerting) observe(o alert.Observation) {
	if a.stream != nil {
		a.inflight.Add(1)
		a.obs <- o
		return
	}
	select {
	case a.obs <- o:
	default:
		a.mu.Lock()
		a.dropped++
		a.mu.Unlock()
	}
}

// run evaluates the engine until ctx ends, then saves its state. The job queue runs beside it.
func (a *alerting) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.queue.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("job queue stopped", "err", err)
		}
	})
	// Notifications returned before a crash but not committed are derived again with the
	// same keys; ones committed but not confirmed are enqueued again, which the queue
	// ignores by key.
	a.commit(context.WithoutCancel(ctx), a.pending())
	tick := time.NewTicker(alertTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			a.drainObservations()
			a.mu.Lock()
			a.lastTry = time.Time{} // the last chance: no waiting for the retry interval
			a.mu.Unlock()
			a.commit(context.WithoutCancel(ctx), a.tick())
			a.mu.Lock()
			if a.failures > 0 {
				a.log.Error("alert state and notifications not saved before the stop: the database cannot be written",
					"notifications", len(a.engine.Pending()))
			}
			a.mu.Unlock()
			wg.Wait()
			return
		case o := <-a.obs:
			if a.stream != nil {
				a.observeStream(ctx, o)
				continue
			}
			a.mu.Lock()
			a.engine.Observe(o)
			a.dirty = true
			a.mu.Unlock()
			a.drainObservations()
			a.commit(ctx, a.tick()) // for: 0 rules fire on this observation, not at the next tick
		case <-tick.C:
			a.commit(ctx, a.tick())
		}
	}
}

// observeStream handles observations in stream time as a real-time appliance would: the
// engine ticks every alertTick of stream time up to the observation, then observes it and
// ticks at its time. Pending alerts, group waits and repeats so fall at the same moments of
// the recording as in a real-time run, however fast it is replayed.
func (a *alerting) observeStream(ctx context.Context, o alert.Observation) {
	for {
		now := a.stream.Now()
		if a.lastTick.IsZero() || a.lastTick.After(now) {
			a.lastTick = now
		}
		for next := a.lastTick.Add(alertTick); next.Before(o.Time); next = next.Add(alertTick) {
			a.stream.observe(next)
			a.commit(ctx, a.tick())
			a.lastTick = next
		}
		a.stream.observe(o.Time)
		a.mu.Lock()
		a.engine.Observe(o)
		a.dirty = true
		a.mu.Unlock()
		a.commit(ctx, a.tick())
		a.inflight.Add(-1)
		select {
		case o = <-a.obs:
		default:
			return
		}
	}
}

// settled reports whether a replay's observations have all been handled.
func (a *alerting) settled() bool { return a.inflight.Load() == 0 }

func (a *alerting) drainObservations() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		select {
		case o := <-a.obs:
			a.engine.Observe(o)
			a.dirty = true
			if a.stream != nil {
				a.inflight.Add(-1)
			}
		default:
			return
		}
	}
}

func (a *alerting) tick() []alert.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	ns := a.engine.Tick(a.clock())
	if a.hooks.onAlert != nil {
		a.reportChanges()
	}
	return ns
}

// reportChanges calls hooks.onAlert with every alert whose status changed since the last
// tick, and with the resolution of alerts the engine has forgotten since; a.mu is held.
func (a *alerting) reportChanges() {
	if a.status == nil {
		a.status = map[string]alertSeen{}
	}
	seen := map[string]bool{}
	for _, al := range a.engine.Alerts() {
		seen[al.Fingerprint] = true
		was, ok := a.status[al.Fingerprint]
		if ok && was.status == al.Status && was.activeAt.Equal(al.ActiveAt) {
			continue
		}
		if ok && !was.activeAt.Equal(al.ActiveAt) && was.status != alert.StatusResolved {
			// a new instance replaced one whose end was not seen
			a.hooks.onAlert(was.ended(al.Fingerprint, al.ActiveAt))
		}
		a.status[al.Fingerprint] = alertSeen{status: al.Status, activeAt: al.ActiveAt, rule: al.Rule, labels: al.Labels}
		a.hooks.onAlert(al)
	}
	for fp, was := range a.status {
		if !seen[fp] {
			delete(a.status, fp)
			if was.status != alert.StatusResolved { // a pending alert whose condition ended
				a.hooks.onAlert(was.ended(fp, a.clock()))
			}
		}
	}
}

func (a *alerting) pending() []alert.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.engine.Pending()
}

// deliveryPayload is a notify job's payload.
type deliveryPayload struct {
	Notification alert.Notification `json:"notification"`
}

// saveEvery bounds how long a changed engine state (pending timers, values) waits to be
// saved when no notification forces it.
const saveEvery = 5 * time.Second

// commitRetry is how often a commit that failed (a full disk) is tried again.
const commitRetry = time.Second

// commit saves the engine's state and enqueues its unconfirmed notifications — ns, which
// Tick has just put in the engine's outbox, and any a failed commit left there — in one
// transaction, then confirms them. A commit the database refuses (a full disk) leaves the
// state dirty and the notifications in the outbox, which is bounded (the oldest are
// dropped, counted and logged): both are written, under the notifications' own keys, by
// the first commit that succeeds, tried every commitRetry.
func (a *alerting) commit(ctx context.Context, ns []alert.Notification) {
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	a.mu.Lock()
	now := a.now()
	if a.failures > 0 && now.Sub(a.lastTry) < commitRetry {
		a.mu.Unlock()
		return // ns wait in the outbox for the next attempt
	}
	if d := a.engine.OutboxDropped(); d > a.outDrop {
		a.log.Error("notifications dropped: the database has not been writable for too long", "dropped", d-a.outDrop)
		a.outDrop = d
	}
	ns = a.engine.Pending()
	if len(ns) == 0 && !(a.dirty && (a.failures > 0 || now.Sub(a.lastSave) >= saveEvery)) {
		a.mu.Unlock()
		return
	}
	state, err := json.Marshal(a.engine.Snapshot())
	a.dirty, a.lastSave = false, now
	a.mu.Unlock()
	if err != nil {
		a.log.Error("encode alert state", "err", err)
		return
	}
	err = a.db.Write(ctx, func(tx *sql.Tx) error {
		for _, n := range ns {
			payload, err := json.Marshal(deliveryPayload{Notification: n})
			if err != nil {
				return err
			}
			prio := 0
			if len(n.Alerts) > 0 && n.Alerts[0].Labels["severity"] == string(alert.SeverityCritical) {
				prio = 10
			}
			if _, _, err := a.queue.EnqueueTx(ctx, tx, jobs.Job{Kind: JobNotify, Key: n.Key, Priority: prio, Payload: payload}); err != nil {
				return err
			}
		}
		return a.db.SaveAlertStateTx(ctx, tx, state)
	})
	a.mu.Lock()
	if err != nil {
		if a.failures == 0 {
			a.log.Error("alert state and notifications held in memory until the database can be written again",
				"notifications", len(ns), "err", err)
		}
		a.failures++
		a.dirty, a.lastTry = true, now
		a.mu.Unlock()
		return // they stay in the engine's outbox, under the same keys
	}
	if a.failures > 0 {
		a.log.Info("alert state and notifications saved again", "notifications", len(ns), "failed commits", a.failures)
		a.failures = 0
	}
	a.mu.Unlock()
	if len(ns) > 0 {
		a.queue.Wake()
		keys := make([]string, len(ns))
		for i, n := range ns {
			keys[i] = n.Key
		}
		a.mu.Lock()
		a.engine.Confirm(keys...)
		a.mu.Unlock()
		if a.hooks.onNotifications != nil {
			a.hooks.onNotifications(ns)
		}
	}
}

// deliver is the notify job handler.
func (a *alerting) deliver(ctx context.Context, j jobs.Job) error {
	var p deliveryPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(fmt.Errorf("notification payload: %w", err))
	}
	n := p.Notification
	a.mu.Lock()
	r, ok := a.receivers[n.Receiver]
	a.mu.Unlock()
	lang := a.lang
	if ok && r.Lang != "" {
		lang = r.Lang
	}
	title, body := alert.Render(lang, n)
	if a.hooks.noDelivery {
		a.log.Debug("notification not delivered (evaluation)", "receiver", n.Receiver, "kind", n.Kind, "title", title)
		return nil
	}
	if !ok {
		a.log.Warn("notification (receiver has no channel configured)", "receiver", n.Receiver, "kind", n.Kind, "title", title)
		return nil
	}
	err := a.notifier.Deliver(ctx, r, message(n, lang, title, body))
	a.metrics.Notified(n.Receiver, err)
	switch {
	case err == nil:
		return nil
	case notify.IsPermanent(err):
		return jobs.Permanent(err)
	case notify.RetryAfter(err) > 0:
		return jobs.RetryAfter(err, notify.RetryAfter(err))
	}
	return err
}

// message converts an alert notification into core/notify's form. The engine has already
// decided, with the route's send_resolved over the receiver's, whether the receiver gets
// resolutions: every alert goes out with its own status, and a message carrying only
// resolutions is a resolved one.
func message(n alert.Notification, lang, title, body string) notify.Message {
	m := notify.Message{Key: n.Key, Receiver: n.Receiver, Lang: lang, Title: title, Body: body,
		Status: notify.StatusFiring, Labels: map[string]string(n.GroupLabels), GroupKey: n.GroupKey, SentAt: n.Time}
	if n.Kind == alert.KindResolved || (len(n.Alerts) > 0 && !slices.ContainsFunc(n.Alerts, func(al alert.Alert) bool {
		return al.Status != alert.StatusResolved
	})) {
		m.Status = notify.StatusResolved
	}
	m.Severity = notify.SeverityInfo
	for _, al := range n.Alerts {
		sev := al.Labels["severity"]
		if sev == notify.SeverityCritical || (sev == notify.SeverityWarning && m.Severity != notify.SeverityCritical) {
			m.Severity = sev
		}
		summary := al.Annotations[lang]["summary"]
		if summary == "" {
			summary = al.Annotations["en"]["summary"]
		}
		st := notify.StatusFiring
		if al.Status == alert.StatusResolved {
			st = notify.StatusResolved
		}
		m.Alerts = append(m.Alerts, notify.AlertInfo{Status: st, Machine: al.Labels["machine"], Rule: al.Rule, Severity: sev,
			Value: al.Value, StartsAt: al.FiredAt, EndsAt: al.ResolvedAt, Summary: strings.TrimSpace(summary)})
	}
	return m
}
