package alert

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Status is where an alert is in its life. An alert that is not present is normal.
type Status string

// The alert statuses.
const (
	StatusPending  Status = "pending"  // the condition holds, waiting for the rule's For
	StatusFiring   Status = "firing"   // notifications are due
	StatusResolved Status = "resolved" // the condition ended; kept until its groups have been told
)

// Ack records who acknowledged an alert. An acknowledged alert is not repeated and does not
// escalate; the acknowledgement ends with the alert (it resolves).
type Ack struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// Alert is one (rule, machine) alert instance.
type Alert struct {
	Fingerprint string `json:"fingerprint"` // Labels.Fingerprint()
	Rule        string `json:"rule"`
	Status      Status `json:"status"`
	Labels      Labels `json:"labels"`
	// Annotations are rendered by language and key in snapshots (Alerts, Groups,
	// notifications); the engine's own state does not keep them.
	Annotations map[string]map[string]string `json:"annotations,omitempty"`
	Metric      string                       `json:"metric,omitempty"` // the metric key compared last
	Value       float64                      `json:"value"`            // its latest value
	SensorState string                       `json:"sensor_state,omitempty"`
	NoData      bool                         `json:"no_data,omitempty"` // held by the rule's no-data mode
	ActiveAt    time.Time                    `json:"active_at"`
	FiredAt     time.Time                    `json:"fired_at,omitzero"`
	ResolvedAt  time.Time                    `json:"resolved_at,omitzero"`
	Ack         *Ack                         `json:"ack,omitempty"`
	// Suppressed says why notifications for the alert are muted, as of the last Tick:
	// "silence:<id>", "maintenance:<name>", "inhibited".
	Suppressed []string `json:"suppressed,omitempty"`
	// Diagnosis is the latest verdict of the machine's fault classifier while the alert was
	// active, nil without one.
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
}

func (a *Alert) clone() Alert {
	c := *a
	if a.Diagnosis != nil {
		d := *a.Diagnosis
		c.Diagnosis = &d
	}
	c.Labels = maps.Clone(a.Labels)
	c.Suppressed = slices.Clone(a.Suppressed)
	if a.Ack != nil {
		ack := *a.Ack
		c.Ack = &ack
	}
	if a.Annotations != nil {
		c.Annotations = make(map[string]map[string]string, len(a.Annotations))
		for l, m := range a.Annotations {
			c.Annotations[l] = maps.Clone(m)
		}
	}
	return c
}

func compareAlerts(a, b Alert) int {
	if a.Status != b.Status { // firing, then pending, then resolved
		return strings.Compare(statusOrder(a.Status), statusOrder(b.Status))
	}
	if c := strings.Compare(a.Labels[LabelMachine], b.Labels[LabelMachine]); c != 0 {
		return c
	}
	if c := strings.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	return strings.Compare(a.Fingerprint, b.Fingerprint)
}

func statusOrder(s Status) string {
	switch s {
	case StatusFiring:
		return "0"
	case StatusPending:
		return "1"
	}
	return "2"
}

// Kind of notification.
type Kind string

// The notification kinds.
const (
	KindFiring     Kind = "firing"     // new firing alerts in the group (or some of them resolved)
	KindResolved   Kind = "resolved"   // every alert of the group resolved; with Step, escalated alerts resolved
	KindRepeat     Kind = "repeat"     // unchanged and unacknowledged for repeat_interval
	KindEscalation Kind = "escalation" // critical and unacknowledged for an escalation's After
)

// Notification is one message to deliver to a receiver.
type Notification struct {
	// Key is unique per (instance, receiver, group, kind, sequence) and stays the same when
	// the notification is derived again after a restart: use it as the queue's idempotency
	// key. See State.Instance.
	Key         string    `json:"key"`
	Receiver    string    `json:"receiver"`
	GroupKey    string    `json:"group_key"`
	GroupLabels Labels    `json:"group_labels"`
	Kind        Kind      `json:"kind"`
	Step        int       `json:"step,omitempty"` // escalation step, from 1
	Time        time.Time `json:"time"`
	// Alerts: firing first, then resolved ones — each alert that was announced as firing to
	// this receiver appears resolved exactly once, if the receiver wants resolutions.
	Alerts []Alert `json:"alerts"`
}

// Group is an aggregation group: the alerts one route sends to its receiver together.
type Group struct {
	Key          string    `json:"key"`
	Receiver     string    `json:"receiver"`
	Labels       Labels    `json:"labels"`
	Alerts       []Alert   `json:"alerts"`
	Acknowledged bool      `json:"acknowledged"` // every firing alert is acknowledged
	NextFlush    time.Time `json:"next_flush"`
	LastNotified time.Time `json:"last_notified,omitzero"`
}

// Series is the persisted evaluation state of one rule for one machine.
type Series struct {
	Rule        string    `json:"rule"`
	Machine     string    `json:"machine"`
	Line        string    `json:"line,omitempty"`
	Sensor      string    `json:"sensor,omitempty"`
	Active      bool      `json:"active"` // the condition (with hysteresis) holds
	Metric      string    `json:"metric,omitempty"`
	Value       float64   `json:"value"`
	SensorState string    `json:"sensor_state,omitempty"`
	LastSeen    time.Time `json:"last_seen"`
	NoData      bool      `json:"no_data,omitempty"`
	Final       bool      `json:"final,omitempty"`     // the machine said it sends nothing more
	ClearedAt   time.Time `json:"cleared_at,omitzero"` // condition ended while firing
	Routed      bool      `json:"routed,omitempty"`    // the firing alert has been put in its groups
	Alert       *Alert    `json:"alert,omitempty"`     // nil: normal
}

// GroupState is the persisted state of an aggregation group, including its notification log.
type GroupState struct {
	Key          string         `json:"key"`
	Route        string         `json:"route"`
	Receiver     string         `json:"receiver"`
	Labels       Labels         `json:"labels"`
	Members      []string       `json:"members"` // fingerprints
	CreatedAt    time.Time      `json:"created_at"`
	NextFlush    time.Time      `json:"next_flush"`
	Notified     bool           `json:"notified,omitempty"`
	LastNotified time.Time      `json:"last_notified,omitzero"`
	SentFiring   []string       `json:"sent_firing,omitempty"`
	SentResolved []string       `json:"sent_resolved,omitempty"`
	Escalated    map[string]int `json:"escalated,omitempty"` // fingerprint → escalation steps sent
	// Announced lists the alerts the group's receivers were told are firing and have not yet
	// been told have resolved: each gets one resolution (or none, if its receiver does not
	// want them) once it stops firing, muted or not, even if it has left the engine since.
	Announced []Announcement `json:"announced,omitempty"`
}

// Announcement is an alert announced as firing to one of a group's receivers.
type Announcement struct {
	Step  int   `json:"step,omitempty"` // 0: the route's receiver; n: escalation step n's receiver
	Alert Alert `json:"alert"`          // as last seen firing, without annotations
}

// StateVersion is the version of the State layout.
const StateVersion = 1

// State is everything the engine needs to continue after a restart; it is plain data that
// encodes to JSON. The zero State is a fresh start.
type State struct {
	Version int `json:"version"`
	// Instance names the database the engine's state lives in; every notification key
	// carries it, so that a fresh database (whose Seq starts again at 0) never repeats a key
	// an earlier one used. The caller sets it before New (the daemon: the store's instance
	// id); Snapshot returns it. Empty keeps the keys without it.
	Instance   string         `json:"instance,omitempty"`
	Seq        uint64         `json:"seq"`         // last notification sequence number used
	SilenceSeq uint64         `json:"silence_seq"` // last silence number used
	Series     []Series       `json:"series"`
	Groups     []GroupState   `json:"groups"`
	Silences   []Silence      `json:"silences"`
	Outbox     []Notification `json:"outbox"` // returned by Tick, not yet confirmed
}
