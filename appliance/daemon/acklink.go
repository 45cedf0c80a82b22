package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"signalcraft/core/alert"
	"signalcraft/core/store"
)

// One acknowledgement settles an anomaly and everything raised about it (issue 9): an
// anomaly event and the anomaly alerts of the same machine that are pending or firing for
// it are acknowledged together, whichever of them the operator acknowledges, by any client.
//
// The link: an alert is an anomaly alert when its rule reads the machine's anomaly score
// (anomaly_score or score); it is "for" an event of its machine when the two overlap in
// time — the event is still open, or ended no earlier than the alert became active. Only
// what is unacknowledged at that moment is linked: an alert that starts firing after its
// event was acknowledged (a warning turning critical) still asks for attention.

// anomalyRule reports whether the rule named reads the anomaly score; a.mu is held.
func (a *alerting) anomalyRule(name string) bool {
	i := slices.IndexFunc(a.cfg.Rules, func(r alert.Rule) bool { return r.Name == name })
	if i < 0 {
		return false
	}
	m := a.cfg.Rules[i].Expr.Metric
	return m == alert.MetricAnomalyScore || m == alert.MetricScore
}

// linkedAlerts returns the unacknowledged anomaly alerts pending or firing for ev; a.mu is held.
func (a *alerting) linkedAlerts(ev store.Event) []alert.Alert {
	var out []alert.Alert
	for _, al := range a.engine.Alerts() {
		if al.Labels[alert.LabelMachine] == ev.MachineID && al.Status != alert.StatusResolved && al.Ack == nil &&
			a.anomalyRule(al.Rule) && (ev.IsOpen() || !al.ActiveAt.After(ev.End)) {
			out = append(out, al)
		}
	}
	return out
}

// linkedEvents returns the ids of the unacknowledged anomaly events of al's machine that al
// fires for: open, or ended no earlier than al became active.
func (a *alerting) linkedEvents(ctx context.Context, al alert.Alert) ([]int64, error) {
	evs, err := a.db.Events(ctx, store.EventFilter{MachineID: al.Labels[alert.LabelMachine], Kind: store.EventAnomaly,
		From: al.ActiveAt, Unacknowledged: true})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids, nil
}

// ackEventsTx acknowledges the events in a transaction; one acknowledged meanwhile is left
// as it is.
func (a *alerting) ackEventsTx(ctx context.Context, ids []int64, who, comment string) func(*sql.Tx) error {
	if len(ids) == 0 {
		return nil
	}
	return func(tx *sql.Tx) error {
		for _, id := range ids {
			if err := a.db.AcknowledgeEventTx(ctx, tx, id, who, comment); err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("acknowledge event %d with its alert: %w", id, err)
			}
		}
		return nil
	}
}

// AcknowledgeEvent acknowledges an event and, for an anomaly event, the anomaly alerts of its
// machine pending or firing for it. The event and the audit entries (the caller's, and one
// per linked alert) are written in one transaction; then the alerts are acknowledged and the
// engine's state saved (on failure it is saved with the next change: the event is
// acknowledged either way). It returns store.ErrNotFound for an unknown event and
// store.ErrConflict for one already acknowledged.
func (a *alerting) AcknowledgeEvent(ctx context.Context, id int64, who, comment string, audit ...store.AuditEntry) error {
	ev, err := a.db.Event(ctx, id)
	if err != nil {
		return err
	}
	var linked []alert.Alert
	if ev.Kind == store.EventAnomaly && ev.AcknowledgedBy == "" {
		a.mu.Lock()
		linked = a.linkedAlerts(ev)
		a.mu.Unlock()
	}
	targets := make([]string, len(linked))
	for i, al := range linked {
		targets[i] = "alert/" + al.Fingerprint
	}
	audit = append(slices.Clone(audit), linkedAudits(audit, who, a.now(), "alert.acknowledge", targets, fmt.Sprintf("event/%d", id), comment)...)
	if err := a.db.AcknowledgeEventComment(ctx, id, who, comment, audit...); err != nil {
		return err
	}
	if len(linked) == 0 {
		return nil
	}
	a.mu.Lock()
	for _, al := range linked {
		// An alert resolved meanwhile cannot be acknowledged any more, and one acknowledged
		// meanwhile keeps its acknowledgement: nothing to do for either.
		if a.engine.Acknowledge(al.Fingerprint, who, comment, a.clock()) == nil {
			a.dirty = true
		}
	}
	a.mu.Unlock()
	if err := a.saveState(ctx); err != nil {
		a.log.Warn("alerts acknowledged with their event not saved yet; they are saved with the next change", "event", id, "err", err)
	}
	return nil
}

// linkedAudits returns the audit entries of acknowledgements made together with another
// (via, e.g. "event/42"): one per target, by the actor and at the time of the first of
// primary (who and now without one), saying what they came with.
func linkedAudits(primary []store.AuditEntry, who string, now time.Time, action string, targets []string, via, comment string) []store.AuditEntry {
	actor, at := who, now
	if len(primary) > 0 {
		actor, at = primary[0].Actor, primary[0].Time
	}
	detail := "with " + via
	if comment != "" {
		detail += ": " + comment
	}
	out := make([]store.AuditEntry, len(targets))
	for i, t := range targets {
		out[i] = store.AuditEntry{Time: at, Actor: actor, Action: action, Target: t, Detail: detail}
	}
	return out
}

// eventTargets returns the audit targets of events.
func eventTargets(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprintf("event/%d", id)
	}
	return out
}
