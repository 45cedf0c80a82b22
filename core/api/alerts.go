package api

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Paths of the alerting routes (issue 4).
const (
	PathAlerts          = Prefix + "alerts"
	PathAlertAck        = Prefix + "alerts/{id}/acknowledge"
	PathAlertDeliveries = Prefix + "alerts/{id}/deliveries"
	PathSilences        = Prefix + "silences"
	PathSilence         = Prefix + "silences/{id}"
	PathMaintenance     = Prefix + "maintenance"
	PathRules           = Prefix + "rules"
	PathReceivers       = Prefix + "receivers"
	PathReceiverTest    = Prefix + "receivers/{id}/test"
	PathJobs            = Prefix + "jobs"
	PathJobRetry        = Prefix + "jobs/{id}/retry"
)

// AlertRoutes are the alerting routes, the tail of Routes.
var AlertRoutes = []Route{
	{"GET", PathAlerts, RoleViewer, false, "Alerts: pending, firing and recently resolved ([]Alert); ?state=, ?machine=, ?severity=."},
	{"POST", PathAlertAck, RoleOperator, true, "Acknowledge an alert by fingerprint (AcknowledgeRequest → Alert), and for an anomaly alert its machine's events it fires for; stops its repeats and escalation."},
	{"GET", PathAlertDeliveries, RoleViewer, false, "Notification deliveries of an alert, newest first ([]Delivery)."},
	{"GET", PathSilences, RoleViewer, false, "Silences, active and pending first ([]Silence)."},
	{"POST", PathSilences, MinRoleSilence, true, "Create a silence (Silence → 201 Silence); matchers on alert labels."},
	{"DELETE", PathSilence, MinRoleSilence, true, "Expire a silence now (204)."},
	{"GET", PathMaintenance, RoleViewer, false, "Recurring maintenance windows ([]MaintenanceWindow)."},
	{"PUT", PathMaintenance, RoleAdmin, true, "Replace the maintenance windows ([]MaintenanceWindow); invalid fields give 422."},
	{"GET", PathRules, RoleViewer, false, "Alert rules ([]AlertRule)."},
	{"PUT", PathRules, RoleAdmin, true, "Replace the alert rules ([]AlertRule); invalid fields give 422."},
	{"GET", PathReceivers, RoleViewer, false, "Notification receivers ([]Receiver); secrets are shown only to admins."},
	{"PUT", PathReceivers, RoleAdmin, true, "Replace the receivers ([]Receiver); a secret sent back as \"****\" keeps its stored value."},
	{"POST", PathReceiverTest, RoleAdmin, true, "Send a test notification through a receiver, by name (TestRequest → Delivery)."},
	{"GET", PathJobs, RoleViewer, false, "The job queue: counts per kind (JobStats) and recent jobs; ?kind=, ?state=."},
	{"POST", PathJobRetry, RoleAdmin, true, "Queue a dead job again (204)."},
}

// Alert states.
const (
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Severities.
const (
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Alert is one rule's alert for one machine.
type Alert struct {
	Fingerprint string            `json:"fingerprint"` // stable id from the labels
	Rule        string            `json:"rule"`
	MachineID   string            `json:"machine_id"`
	Severity    string            `json:"severity"`
	State       string            `json:"state"` // AlertPending, AlertFiring, AlertResolved
	Value       float64           `json:"value"`
	Labels      map[string]string `json:"labels"`
	// Summary is the rendered summary in the appliance's notification language.
	Summary string `json:"summary"`
	// Annotations are the rule's annotations rendered for this alert, by language and key
	// ("en" → "summary", "description"), so a client shows the alert in its own language
	// rather than the rule's templates ({{.Machine}} …).
	Annotations map[string]map[string]string `json:"annotations,omitempty"`
	ActiveAt    time.Time                    `json:"active_at"`
	FiredAt     *time.Time                   `json:"fired_at,omitempty"`
	ResolvedAt  *time.Time                   `json:"resolved_at,omitempty"`
	Silenced    bool                         `json:"silenced"`  // muted by a silence or a maintenance window
	Inhibited   bool                         `json:"inhibited"` // muted by another alert (e.g. the sensor is lost)
	// MutedBy says why the alert's notifications are muted: "silence:<id>",
	// "maintenance:<name>", "inhibited".
	MutedBy        []string   `json:"muted_by,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AckComment     string     `json:"ack_comment,omitempty"`
	// Diagnosis is the machine's fault classifier's latest verdict while the alert was
	// active (label and confidence only); absent without one.
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
}

// AlertFilter selects alerts.
type AlertFilter struct {
	State, Machine, Severity string
}

// Query encodes the filter as URL parameters.
func (f AlertFilter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"state": f.State, "machine": f.Machine, "severity": f.Severity} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// Matcher matches an alert label: Op is "=", "!=", "=~" or "!~" (regular expressions are
// anchored).
type Matcher struct {
	Label string `json:"label"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// MatchLabels reports whether every matcher matches the labels, as the appliance matches them
// (regular expressions anchored; an invalid one matches nothing). No matchers match everything.
func MatchLabels(ms []Matcher, labels map[string]string) bool {
	for _, m := range ms {
		v := labels[m.Label]
		var ok bool
		switch m.Op {
		case "=", "":
			ok = v == m.Value
		case "!=":
			ok = v != m.Value
		case "=~", "!~":
			re, err := regexp.Compile("^(?:" + m.Value + ")$")
			ok = err == nil && re.MatchString(v) == (m.Op == "=~")
		}
		if !ok {
			return false
		}
	}
	return true
}

// Silence mutes the notifications of alerts its matchers all match, from StartsAt to EndsAt.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
	State     string    `json:"state"` // pending, active, expired
}

// MaintenanceWindow is planned downtime that recurs every week: notifications of matching
// alerts are muted while it is open.
type MaintenanceWindow struct {
	Name     string    `json:"name"`
	Days     []string  `json:"days"`      // mon … sun; empty means every day
	Start    string    `json:"start"`     // "HH:MM"
	End      string    `json:"end"`       // "HH:MM"; before Start means it ends the next day
	TimeZone string    `json:"time_zone"` // IANA name, e.g. Asia/Seoul
	Matchers []Matcher `json:"matchers"`
	Open     bool      `json:"open"` // open now (set by the appliance)
}

// AlertRule raises an alert when a machine's metric crosses Enter for For, and resolves it
// when the metric is back past Exit (hysteresis) for KeepFiringFor.
type AlertRule struct {
	Name          string            `json:"name"`
	Metric        string            `json:"metric,omitempty"` // anomaly_score, level_dbfs, fault_energy:bpfo…
	Op            string            `json:"op,omitempty"`     // >, >=, <, <=
	Enter         float64           `json:"enter,omitempty"`
	Exit          float64           `json:"exit,omitempty"`
	SensorStates  []string          `json:"sensor_states,omitempty"` // instead of a metric: these sensor states
	For           string            `json:"for"`                     // Go duration
	KeepFiringFor string            `json:"keep_firing_for,omitempty"`
	Severity      string            `json:"severity"`
	Labels        map[string]string `json:"labels,omitempty"`
	Summary       map[string]string `json:"summary,omitempty"` // by language: en, ko
}

// Receiver is where notifications go. Settings are the fields of Type's block in the
// configuration file (shoutrrr, webhook, mqtt, kakao_alimtalk, sens_sms, jandi, dooray: e.g.
// {"url": …, "secret": …} for a webhook), plus "rate_limit" (messages per minute) and
// "circuit_breaker" ({"failures": 5, "cool_down": "1m"}) when set. Secrets in them read
// "****" for non-admins; sent back as they were read, they keep their stored values.
type Receiver struct {
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	Lang         string         `json:"lang"`          // en, ko
	SendResolved bool           `json:"send_resolved"` // tell it once when an alert it was told about resolves; a route's send_resolved overrides it
	Settings     map[string]any `json:"settings"`
}

// TestRequest is the body of POST /api/v1/receivers/{name}/test.
type TestRequest struct {
	Lang string `json:"lang,omitempty"`
}

// Delivery is one notification sent (or being sent) through a receiver.
type Delivery struct {
	JobID     int64      `json:"job_id"`
	Receiver  string     `json:"receiver"`
	Kind      string     `json:"kind"`  // firing, resolved, repeat, escalation, test
	State     string     `json:"state"` // queued, running, done, failed (will retry), dead, cancelled
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
}

// JobStats counts the jobs of one kind.
type JobStats struct {
	Kind        string     `json:"kind"`
	Queued      int        `json:"queued"`
	Running     int        `json:"running"`
	Failed      int        `json:"failed"` // waiting to retry
	Dead        int        `json:"dead"`
	Done        int        `json:"done"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	OldestQueue float64    `json:"oldest_queued_seconds"`
}

// Job is one job of the queue.
type Job struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	RunAt     time.Time `json:"run_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Jobs is the answer of GET /api/v1/jobs.
type Jobs struct {
	Stats  []JobStats `json:"stats"`
	Recent []Job      `json:"recent"`
}

// Alerts returns alerts, firing first.
func (c *Client) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	var as []Alert
	return as, c.do(ctx, "GET", PathAlerts, f.Query(), nil, &as)
}

// AcknowledgeAlert acknowledges an alert by fingerprint (operator).
func (c *Client) AcknowledgeAlert(ctx context.Context, fingerprint, comment string) (Alert, error) {
	var a Alert
	return a, c.do(ctx, "POST", Expand(PathAlertAck, fingerprint), nil, AcknowledgeRequest{Comment: comment}, &a)
}

// AlertDeliveries returns the notification deliveries of an alert.
func (c *Client) AlertDeliveries(ctx context.Context, fingerprint string) ([]Delivery, error) {
	var ds []Delivery
	return ds, c.do(ctx, "GET", Expand(PathAlertDeliveries, fingerprint), nil, nil, &ds)
}

// Silences returns the silences.
func (c *Client) Silences(ctx context.Context) ([]Silence, error) {
	var ss []Silence
	return ss, c.do(ctx, "GET", PathSilences, nil, nil, &ss)
}

// CreateSilence creates a silence (operator); ID, CreatedBy and State are set by the appliance.
func (c *Client) CreateSilence(ctx context.Context, s Silence) (Silence, error) {
	var out Silence
	return out, c.do(ctx, "POST", PathSilences, nil, s, &out)
}

// ExpireSilence ends a silence now (operator).
func (c *Client) ExpireSilence(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", Expand(PathSilence, id), nil, nil, nil)
}

// Maintenance returns the maintenance windows.
func (c *Client) Maintenance(ctx context.Context) ([]MaintenanceWindow, error) {
	var ws []MaintenanceWindow
	return ws, c.do(ctx, "GET", PathMaintenance, nil, nil, &ws)
}

// SetMaintenance replaces the maintenance windows (admin).
func (c *Client) SetMaintenance(ctx context.Context, ws []MaintenanceWindow) ([]MaintenanceWindow, error) {
	var out []MaintenanceWindow
	return out, c.do(ctx, "PUT", PathMaintenance, nil, ws, &out)
}

// Rules returns the alert rules.
func (c *Client) Rules(ctx context.Context) ([]AlertRule, error) {
	var rs []AlertRule
	return rs, c.do(ctx, "GET", PathRules, nil, nil, &rs)
}

// SetRules replaces the alert rules (admin).
func (c *Client) SetRules(ctx context.Context, rs []AlertRule) ([]AlertRule, error) {
	var out []AlertRule
	return out, c.do(ctx, "PUT", PathRules, nil, rs, &out)
}

// Receivers returns the receivers (secrets masked for non-admins).
func (c *Client) Receivers(ctx context.Context) ([]Receiver, error) {
	var rs []Receiver
	return rs, c.do(ctx, "GET", PathReceivers, nil, nil, &rs)
}

// SetReceivers replaces the receivers (admin).
func (c *Client) SetReceivers(ctx context.Context, rs []Receiver) ([]Receiver, error) {
	var out []Receiver
	return out, c.do(ctx, "PUT", PathReceivers, nil, rs, &out)
}

// TestReceiver sends a test notification through a receiver (admin).
func (c *Client) TestReceiver(ctx context.Context, name, lang string) (Delivery, error) {
	var d Delivery
	return d, c.do(ctx, "POST", Expand(PathReceiverTest, name), nil, TestRequest{Lang: lang}, &d)
}

// Jobs returns the job queue's counts and recent jobs.
func (c *Client) Jobs(ctx context.Context, kind, state string) (Jobs, error) {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	if state != "" {
		q.Set("state", state)
	}
	var j Jobs
	return j, c.do(ctx, "GET", PathJobs, q, nil, &j)
}

// RetryJob queues a dead job again (admin).
func (c *Client) RetryJob(ctx context.Context, id int64) error {
	return c.do(ctx, "POST", Expand(PathJobRetry, strconv.FormatInt(id, 10)), nil, nil, nil)
}
