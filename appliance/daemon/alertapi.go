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

	"signalcraft/appliance/api"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/store"
)

// Keys of the alerting settings changed through the API (store.SaveSetting). They replace
// the configuration file's rules, receivers and maintenance windows at start.
const (
	settingRules       = "alert.rules"
	settingReceivers   = "alert.receivers"
	settingMaintenance = "alert.maintenance"
)

// deliveryScan bounds how many recent notification jobs Deliveries looks through.
const deliveryScan = 1000

var _ api.Alerting = (*alerting)(nil)

// setReceivers replaces the notification channels; a.mu is held (or a is not shared yet).
func (a *alerting) setReceivers(rs []notify.Receiver) {
	a.recvList = slices.Clone(rs)
	a.receivers = make(map[string]notify.Receiver, len(rs))
	for _, r := range rs {
		a.receivers[r.Name] = r
	}
}

// alertReceivers is the engine's receiver list for the channels rs: one per channel, and a
// log-only one (as configured in prev, if it was) for every other name the routing tree uses.
func alertReceivers(route alert.Route, prev []alert.Receiver, rs []notify.Receiver) []alert.Receiver {
	var out []alert.Receiver
	have := map[string]bool{}
	for _, r := range rs {
		out = append(out, alert.Receiver{Name: r.Name, SendResolved: r.SendResolved})
		have[r.Name] = true
	}
	for _, name := range route.Receivers() {
		if have[name] {
			continue
		}
		have[name] = true
		r := alert.Receiver{Name: name}
		if i := slices.IndexFunc(prev, func(p alert.Receiver) bool { return p.Name == name }); i >= 0 {
			r = prev[i]
		}
		out = append(out, r)
	}
	return out
}

// storedAlertSettings lays the rules, receivers and maintenance windows changed through the
// API over the configuration file's. A stored setting the configuration no longer allows
// (a route names a receiver it lacks, say) is skipped with a warning.
func storedAlertSettings(ctx context.Context, db *store.DB, cfg alert.Config, rs []notify.Receiver, log *slog.Logger) (alert.Config, []notify.Receiver) {
	load := func(key string, v any) bool {
		b, err := db.Setting(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return false
		}
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			log.Warn("stored alerting setting unreadable; using the configuration file's", "setting", key, "err", err)
			return false
		}
		return true
	}
	apply := func(key string, next alert.Config) bool {
		if err := next.Validate(); err != nil {
			log.Warn("stored alerting setting no longer valid; using the configuration file's", "setting", key, "err", err)
			return false
		}
		log.Info("alerting setting from the API applied", "setting", key)
		return true
	}
	var rules []alert.Rule
	if load(settingRules, &rules) {
		next := cfg
		next.Rules = rules
		if apply(settingRules, next) {
			cfg = next
		}
	}
	var windows []alert.MaintenanceWindow
	if load(settingMaintenance, &windows) {
		next := cfg
		next.MaintenanceWindows = windows
		if apply(settingMaintenance, next) {
			cfg = next
		}
	}
	var recv []notify.Receiver
	if load(settingReceivers, &recv) {
		next := cfg
		next.Receivers = alertReceivers(cfg.Route, cfg.Receivers, recv)
		var err error
		for _, r := range recv {
			err = errors.Join(err, r.Validate())
		}
		if err != nil {
			log.Warn("stored receivers no longer valid; using the configuration file's", "err", err)
		} else if apply(settingReceivers, next) {
			cfg, rs = next, recv
		}
	}
	return cfg, rs
}

// saveState stores the engine's state now, with audit entries in the same transaction.
func (a *alerting) saveState(ctx context.Context, audit ...store.AuditEntry) error {
	return a.saveStateWith(ctx, nil, audit...)
}

// saveStateWith is saveState with more writes (also, unless nil) in the same transaction.
func (a *alerting) saveStateWith(ctx context.Context, also func(*sql.Tx) error, audit ...store.AuditEntry) error {
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	a.mu.Lock()
	state, err := json.Marshal(a.engine.Snapshot())
	if err == nil {
		a.dirty, a.lastSave = false, a.now()
	}
	a.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode alert state: %w", err)
	}
	err = a.db.WriteAudited(ctx, func(tx *sql.Tx) error {
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return a.db.SaveAlertStateTx(ctx, tx, state)
	}, audit...)
	if err != nil {
		a.mu.Lock()
		a.dirty = true
		a.mu.Unlock()
	}
	return err // notifications in the outbox are enqueued by the next commit
}

// reconfigure stores value under key with the audit entries, then rebuilds the engine from
// its state with the configuration change makes (and the channels rs, unless nil).
func (a *alerting) reconfigure(ctx context.Context, key string, value any, change func(*alert.Config), rs []notify.Receiver, audit []store.AuditEntry) error {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	a.mu.Lock()
	cfg := a.cfg
	change(&cfg)
	if rs != nil {
		cfg.Receivers = alertReceivers(cfg.Route, a.cfg.Receivers, rs)
	}
	a.mu.Unlock()
	if err := cfg.Validate(); err != nil {
		return err
	}
	blob, err := json.Marshal(value)
	if err != nil {
		return err
	}
	by := ""
	if len(audit) > 0 {
		by = audit[0].Actor
	}
	if err := a.db.SaveSetting(ctx, key, blob, by, audit...); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e, err := alert.New(cfg, a.engine.Snapshot())
	if err != nil {
		return fmt.Errorf("alerting: %s stored but not applied: %w", key, err)
	}
	a.engine, a.cfg, a.dirty = e, cfg, true
	if rs != nil {
		a.setReceivers(rs)
	}
	return nil
}

// alertToWire converts an engine alert, with its summary in the notification language.
func (a *alerting) alertToWire(al alert.Alert) wire.Alert {
	machine := al.Labels[alert.LabelMachine]
	summary := al.Annotations[a.lang]["summary"]
	if summary == "" {
		summary = al.Annotations["en"]["summary"]
	}
	if summary == "" {
		summary = al.Rule + ": " + machine
	}
	out := wire.Alert{Fingerprint: al.Fingerprint, Rule: al.Rule, MachineID: machine, Severity: al.Labels[alert.LabelSeverity],
		State: string(al.Status), Value: al.Value, Labels: map[string]string(al.Labels), Summary: strings.TrimSpace(summary),
		ActiveAt: al.ActiveAt, MutedBy: al.Suppressed}
	if !al.FiredAt.IsZero() {
		t := al.FiredAt
		out.FiredAt = &t
	}
	if !al.ResolvedAt.IsZero() {
		t := al.ResolvedAt
		out.ResolvedAt = &t
	}
	for _, m := range al.Suppressed {
		switch {
		case m == "inhibited":
			out.Inhibited = true
		case strings.HasPrefix(m, "silence:"), strings.HasPrefix(m, "maintenance:"):
			out.Silenced = true
		}
	}
	if al.Ack != nil {
		t := al.Ack.At
		out.AcknowledgedBy, out.AcknowledgedAt, out.AckComment = al.Ack.By, &t, al.Ack.Comment
	}
	if d := al.Diagnosis; d != nil {
		out.Diagnosis = &wire.Diagnosis{Label: d.Label, Confidence: d.Confidence}
	}
	for lang, m := range al.Annotations {
		if out.Annotations == nil {
			out.Annotations = map[string]map[string]string{}
		}
		out.Annotations[lang] = make(map[string]string, len(m))
		for k, v := range m {
			out.Annotations[lang][k] = strings.TrimSpace(v)
		}
	}
	return out
}

// find returns the alert with the fingerprint; a.mu is held.
func (a *alerting) find(fp string) (alert.Alert, bool) {
	for _, al := range a.engine.Alerts() {
		if al.Fingerprint == fp {
			return al, true
		}
	}
	return alert.Alert{}, false
}

// Alerts returns the engine's alerts, firing first.
func (a *alerting) Alerts(context.Context) ([]wire.Alert, error) {
	a.mu.Lock()
	as := a.engine.Alerts()
	a.mu.Unlock()
	out := make([]wire.Alert, len(as))
	for i, al := range as {
		out[i] = a.alertToWire(al)
	}
	return out, nil
}

// AcknowledgeAlert acknowledges a pending or firing alert and saves the engine's state.
func (a *alerting) AcknowledgeAlert(ctx context.Context, fp, who, comment string, audit ...store.AuditEntry) (wire.Alert, error) {
	a.mu.Lock()
	al, ok := a.find(fp)
	var err error
	switch {
	case !ok:
		err = wire.Errorf(wire.CodeNotFound, "no alert %q", fp)
	case al.Status == alert.StatusResolved:
		err = wire.Errorf(wire.CodeConflict, "alert %s has resolved", fp)
	case al.Ack != nil:
		err = wire.Errorf(wire.CodeConflict, "alert %s was acknowledged by %s", fp, al.Ack.By)
	default:
		if err = a.engine.Acknowledge(fp, who, comment, a.clock()); err == nil {
			a.dirty = true
			al, _ = a.find(fp)
		}
	}
	anomaly := err == nil && a.anomalyRule(al.Rule)
	a.mu.Unlock()
	if err != nil {
		return wire.Alert{}, err
	}
	// One acknowledgement settles both: the machine's anomaly events this alert fires for
	// are acknowledged with it, in the same transaction (acklink.go).
	var events []int64
	if anomaly {
		if events, err = a.linkedEvents(ctx, al); err != nil {
			a.log.Warn("events of an acknowledged alert not found; acknowledging the alert alone", "alert", fp, "err", err)
		}
	}
	audit = append(slices.Clone(audit), linkedAudits(audit, who, a.now(), "event.acknowledge", eventTargets(events), "alert/"+fp, comment)...)
	if err := a.saveStateWith(ctx, a.ackEventsTx(ctx, events, who, comment), audit...); err != nil {
		return wire.Alert{}, err
	}
	return a.alertToWire(al), nil
}

// Deliveries returns the notification jobs about an alert, newest first: the recent notify
// jobs whose notification carries it.
func (a *alerting) Deliveries(ctx context.Context, fp string) ([]wire.Delivery, error) {
	js, err := a.queue.List(ctx, jobs.Filter{Kind: JobNotify, Limit: deliveryScan})
	if err != nil {
		return nil, err
	}
	out := []wire.Delivery{}
	for _, j := range js {
		var p deliveryPayload
		if json.Unmarshal(j.Payload, &p) != nil ||
			!slices.ContainsFunc(p.Notification.Alerts, func(al alert.Alert) bool { return al.Fingerprint == fp }) {
			continue
		}
		d := wire.Delivery{JobID: j.ID, Receiver: p.Notification.Receiver, Kind: string(p.Notification.Kind), State: string(j.State),
			Attempts: j.Attempt, LastError: j.LastError, CreatedAt: j.CreatedAt}
		if !j.FinishedAt.IsZero() {
			t := j.FinishedAt
			d.DoneAt = &t
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		a.mu.Lock()
		_, ok := a.find(fp)
		a.mu.Unlock()
		if !ok {
			return nil, wire.Errorf(wire.CodeNotFound, "no alert %q and no notification about it", fp)
		}
	}
	return out, nil
}

// Silences returns the engine's silences.
func (a *alerting) Silences(context.Context) ([]alert.Silence, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.engine.Silences(), nil
}

// CreateSilence adds a silence and saves the engine's state; the audit entries' targets get
// the new id.
func (a *alerting) CreateSilence(ctx context.Context, s alert.Silence, audit ...store.AuditEntry) (alert.Silence, error) {
	s.ID = ""
	a.mu.Lock()
	id, err := a.engine.Silence(s, a.clock())
	if err == nil {
		a.dirty = true
		for _, c := range a.engine.Silences() {
			if c.ID == id {
				s = c
			}
		}
	}
	a.mu.Unlock()
	if err != nil {
		return alert.Silence{}, err
	}
	audit = slices.Clone(audit)
	for i := range audit {
		audit[i].Target += id
	}
	return s, a.saveState(ctx, audit...)
}

// ExpireSilence ends a silence now and saves the engine's state.
func (a *alerting) ExpireSilence(ctx context.Context, id string, audit ...store.AuditEntry) error {
	a.mu.Lock()
	err := a.engine.ExpireSilence(id, a.clock())
	if err == nil {
		a.dirty = true
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	return a.saveState(ctx, audit...)
}

// Maintenance returns the maintenance windows.
func (a *alerting) Maintenance(context.Context) ([]alert.MaintenanceWindow, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.cfg.MaintenanceWindows), nil
}

// SetMaintenance replaces the maintenance windows and stores them.
func (a *alerting) SetMaintenance(ctx context.Context, ws []alert.MaintenanceWindow, audit ...store.AuditEntry) error {
	ws = slices.Clone(ws)
	return a.reconfigure(ctx, settingMaintenance, ws, func(c *alert.Config) { c.MaintenanceWindows = ws }, nil, audit)
}

// Rules returns the alert rules.
func (a *alerting) Rules(context.Context) ([]alert.Rule, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.cfg.Rules), nil
}

// SetRules replaces the alert rules and stores them.
func (a *alerting) SetRules(ctx context.Context, rs []alert.Rule, audit ...store.AuditEntry) error {
	rs = slices.Clone(rs)
	return a.reconfigure(ctx, settingRules, rs, func(c *alert.Config) { c.Rules = rs }, nil, audit)
}

// Receivers returns the notification channels with their secrets.
func (a *alerting) Receivers(context.Context) ([]notify.Receiver, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.recvList), nil
}

// SetReceivers replaces the notification channels and stores them. A receiver the routing
// tree names but rs lacks stays as a log-only receiver.
func (a *alerting) SetReceivers(ctx context.Context, rs []notify.Receiver, audit ...store.AuditEntry) error {
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return wire.Errorf(wire.CodeInvalid, "%v", err)
		}
	}
	rs = slices.Clone(rs)
	if rs == nil {
		rs = []notify.Receiver{}
	}
	return a.reconfigure(ctx, settingReceivers, rs, func(*alert.Config) {}, rs, audit)
}

// TestReceiver sends a test notification through a receiver now.
func (a *alerting) TestReceiver(ctx context.Context, name, lang string) (wire.Delivery, error) {
	a.mu.Lock()
	r, ok := a.receivers[name]
	a.mu.Unlock()
	if !ok {
		return wire.Delivery{}, wire.Errorf(wire.CodeNotFound, "no receiver %q", name)
	}
	start := a.now()
	d := wire.Delivery{Receiver: name, Kind: "test", State: string(jobs.StateDone), Attempts: 1, CreatedAt: start}
	if err := a.notifier.Test(ctx, r, lang); err != nil {
		d.State, d.LastError = string(jobs.StateFailed), err.Error()
		return d, nil
	}
	done := a.now()
	d.DoneAt = &done
	return d, nil
}

// Jobs returns the queue's counts per kind and its recent jobs.
func (a *alerting) Jobs(ctx context.Context, kind, state string) (wire.Jobs, error) {
	stats, err := a.queue.Stats(ctx)
	if err != nil {
		return wire.Jobs{}, err
	}
	js, err := a.queue.List(ctx, jobs.Filter{Kind: kind, State: jobs.State(state), Limit: 100})
	if err != nil {
		return wire.Jobs{}, err
	}
	out := wire.Jobs{Stats: make([]wire.JobStats, len(stats)), Recent: make([]wire.Job, len(js))}
	for i, s := range stats {
		out.Stats[i] = wire.JobStats{Kind: s.Kind, Queued: int(s.Queued), Running: int(s.Running), Failed: int(s.Failed),
			Dead: int(s.Dead), Done: int(s.Done), LastError: s.LastError, OldestQueue: s.OldestReady.Seconds()}
		if !s.LastErrorAt.IsZero() {
			t := s.LastErrorAt
			out.Stats[i].LastErrorAt = &t
		}
	}
	for i, j := range js {
		out.Recent[i] = wire.Job{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempts: j.Attempt, LastError: j.LastError,
			RunAt: j.RunAt, CreatedAt: j.CreatedAt}
	}
	return out, nil
}

// RetryJob queues a dead or cancelled job again.
func (a *alerting) RetryJob(ctx context.Context, id int64) error {
	return a.queue.Retry(ctx, id)
}
