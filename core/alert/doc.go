// Package alert is SignalCraft's alert engine: it turns per-machine observations (anomaly
// score ratio, levels, band and bearing-fault energies, sensor health) into alerts and decides
// which notifications to send, to whom and when. It is modelled on Prometheus alerting rules
// (expression, for, keep_firing_for) and Alertmanager (routing tree, grouping with
// group_wait/group_interval/repeat_interval, de-duplication, inhibition, silences), with
// hysteresis, no-data handling, recurring maintenance windows, acknowledgement and escalation
// added for a shop-floor appliance.
//
// The package does no I/O and no logging and never reads the clock: observations carry their
// time and every time-based step takes now. The caller feeds observations with
// [Engine.Observe], calls [Engine.Tick] regularly (e.g. every second) and delivers the
// notifications Tick returns.
//
// # Resolutions
//
// A group remembers which alerts it announced as firing to its receiver (and to each
// escalation receiver). Once such an alert stops firing — it resolved, muted or not; its rule
// was removed or no longer applies to its machine; or it ended and a new instance is still
// pending — the next group flush tells that receiver exactly once, if it wants resolutions:
// the route's send_resolved when set, else the receiver's own (an escalation receiver
// always follows its own). Alerts the receiver was never told about are never reported
// resolved to it, so an alert that fires and resolves within group_wait sends nothing.
// Announcements are part of the state, so a restart between firing and resolving changes
// nothing.
//
// # Exactly once, by idempotency key
//
// Every [Notification] has a Key that is unique per (instance, receiver, group, kind,
// sequence); the sequence comes from a counter kept in [State], the instance names the
// database that state lives in ([State.Instance]): a fresh install starts its sequence again,
// and without the instance its first notification would repeat the key of an earlier
// install's first, which a receiver de-duplicating by key would drop. Tick records what it returned in an outbox
// inside the state until the caller calls [Engine.Confirm]. The intended loop is:
//
//	ns := e.Tick(now)
//	tx := begin()
//	for _, n := range ns { jobs.EnqueueTx(tx, n.Key, n) } // the queue ignores a key it already holds
//	save(tx, e.Snapshot())                               // same transaction
//	commit(tx)
//	e.Confirm(keys(ns)...)
//
// and after a restart:
//
//	e, _ := alert.New(cfg, loaded)
//	for _, n := range e.Pending() { jobs.EnqueueTx(tx, n.Key, n) } // duplicates are dropped by key
//	e.Confirm(keys(e.Pending())...)
//
// If the process dies before the commit, neither the notifications nor the new state were
// stored: the restored engine derives the same notifications again with the same keys. If it
// dies after the commit, the stored state already records them as sent (so firing alerts are not
// announced again) and anything still in its outbox is re-enqueued under its old key, which the
// queue de-duplicates. Pending (for) timers, keep-firing timers, group timers, acknowledgements
// and escalation steps are all part of the state, so they continue across a restart.
package alert
