package alert

import (
	"fmt"
	"time"
)

// Silence mutes notifications for the alerts its matchers select between StartsAt and
// EndsAt. Expired silences are kept for Config.SilenceRetention so they can be shown.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  Matchers  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment,omitempty"`
}

// SilenceStatus is where a silence is in its life.
type SilenceStatus string

// The silence statuses.
const (
	SilencePending SilenceStatus = "pending" // not started yet
	SilenceActive  SilenceStatus = "active"
	SilenceExpired SilenceStatus = "expired"
)

// Status returns the silence's status at now.
func (s Silence) Status(now time.Time) SilenceStatus {
	switch {
	case now.Before(s.StartsAt):
		return SilencePending
	case now.Before(s.EndsAt):
		return SilenceActive
	}
	return SilenceExpired
}

// validate checks a silence being created or updated at now.
func (s Silence) validate(now time.Time) error {
	var e errs
	if len(s.Matchers) == 0 {
		e.add("matchers", nil, "a silence needs at least one matcher")
	}
	allEmpty := true
	for i, m := range s.Matchers {
		c, err := m.compile()
		if err != nil {
			e.add(fmt.Sprintf("matchers[%d]", i), m.String(), "%v", err)
			continue
		}
		if !c.Matches(Labels{}) {
			allEmpty = false
		}
	}
	if len(s.Matchers) > 0 && allEmpty {
		e.add("matchers", s.Matchers.String(), "would silence every alert; at least one matcher must not match an empty label")
	}
	if s.StartsAt.IsZero() {
		e.add("starts_at", s.StartsAt, "is required")
	}
	if !s.EndsAt.After(s.StartsAt) {
		e.add("ends_at", s.EndsAt.Format(time.RFC3339), "must be after starts_at")
	}
	if !s.EndsAt.After(now) {
		e.add("ends_at", s.EndsAt.Format(time.RFC3339), "is in the past")
	}
	if s.CreatedBy == "" {
		e.add("created_by", s.CreatedBy, "is required")
	}
	return e.err()
}
