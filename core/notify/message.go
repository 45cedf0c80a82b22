package notify

import "time"

// Status says what a Message announces.
type Status string

// Message statuses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
	StatusTest     Status = "test"
)

// Severity levels known to the channel formatting (colours, wording). Other values are
// passed through unchanged and formatted like SeverityInfo.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Languages supported by the default templates.
const (
	LangEnglish = "en"
	LangKorean  = "ko"
)

// AlertInfo is one alert carried by a Message.
type AlertInfo struct {
	// Status is the alert's own, firing or resolved (a firing message can carry alerts that
	// resolved); "" means the message's Status.
	Status   Status    `json:"status,omitempty"`
	Machine  string    `json:"machine"`
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	Value    float64   `json:"value"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	Summary  string    `json:"summary,omitempty"`
}

// Message is one notification for one receiver. Key is the idempotency key: delivering the
// same key twice to the same receiver must not notify twice (webhooks get it as the
// Idempotency-Key header; the Notifier also remembers recently delivered keys). The alert
// engine's keys name the appliance's database instance, so they are unique across installs
// and restores, not only within one database.
// Title and Body are rendered by the caller; when empty, the default templates for Lang
// (or the receiver's Lang) are used.
type Message struct {
	Key      string            `json:"key"`
	Receiver string            `json:"receiver"`
	Lang     string            `json:"lang,omitempty"`
	Title    string            `json:"title"`
	Body     string            `json:"body"`
	Severity string            `json:"severity"`
	Status   Status            `json:"status"`
	Labels   map[string]string `json:"labels,omitempty"`
	Alerts   []AlertInfo       `json:"alerts"`
	GroupKey string            `json:"group_key,omitempty"`
	SentAt   time.Time         `json:"sent_at"`
}

// status is a's status within m.
func (m Message) status(a AlertInfo) Status {
	if a.Status != "" {
		return a.Status
	}
	return m.Status
}
