package api

import (
	"context"
	"net/url"
	"time"
)

// PathMachineHealth is a machine's health record: hourly indicators, the degradation alarm
// and the remaining-useful-life estimate (issue 12).
const PathMachineHealth = Prefix + "machines/{id}/health"

// Health states of a machine (MachineHealth.State).
const (
	HealthLearning  = "learning"  // the healthy baseline is being learned (the first 60 hours)
	HealthHealthy   = "healthy"   // no sustained rise above the baseline
	HealthDegrading = "degrading" // the degradation alarm has been raised
)

// MachineHealth is a machine's health record and what it predicts.
type MachineHealth struct {
	MachineID string `json:"machine_id"`
	State     string `json:"state"` // learning, healthy, degrading
	// Baseline is the healthy level (RMS, full scale) learned from the first hours;
	// FailureLevel the level the RUL is the time to (6.3 × Baseline, ISO 10816-1's 16 dB
	// from new to damaging). Both 0 while learning.
	Baseline     float64    `json:"baseline"`
	FailureLevel float64    `json:"failure_level"`
	Alarm        *time.Time `json:"alarm,omitempty"` // when degradation was detected
	Onset        *time.Time `json:"onset,omitempty"` // when the rise began (the change-point estimate)
	RUL          *RUL       `json:"rul,omitempty"`
	// RULNote says why there is no RUL estimate (learning, healthy, too few hours since the alarm).
	RULNote string        `json:"rul_note,omitempty"`
	Points  []HealthPoint `json:"points"` // oldest first
}

// HealthPoint is one hour of a machine's health record.
type HealthPoint struct {
	Hour     time.Time `json:"hour"`     // start of the hour
	Windows  int       `json:"windows"`  // analysis windows heard in it
	RMS      float64   `json:"rms"`      // level (root mean square, full scale): what the alarm follows
	Smoothed float64   `json:"smoothed"` // the level's trend (geometric EWMA), for charts
	Kurtosis float64   `json:"kurtosis"` // mean kurtosis: 3 for noise, higher with impacts
	Peak     float64   `json:"peak"`
	// Envelope is the envelope energy at the bearing defect frequencies; absent without a
	// shaft speed (a fault classifier's front end).
	Envelope *float64 `json:"envelope,omitempty"`
	// Score is the mean anomaly level (score / threshold: 1 is the threshold); absent in
	// hours without monitored windows.
	Score *float64 `json:"score,omitempty"`
}

// RUL is a remaining-useful-life estimate: print "about Hours h (range LowHours–HighHours h)"
// only when Confident (Text does).
type RUL struct {
	At        time.Time `json:"at"`    // the time it is for
	Hours     float64   `json:"hours"` // the estimate
	LowHours  float64   `json:"low_hours"`
	HighHours *float64  `json:"high_hours,omitempty"` // absent: the trend may never reach the failure level
	Confident bool      `json:"confident"`
	Text      string    `json:"text"` // "about 12 h (range 9.0–16 h)", or "RUL uncertain: …"
}

// HealthFilter selects the hours returned: [From, To); zero bounds are open. The alarm and
// the RUL always come from the whole record.
type HealthFilter struct{ From, To time.Time }

// Query encodes the filter as URL parameters.
func (f HealthFilter) Query() url.Values {
	return ScoreFilter{From: f.From, To: f.To}.Query()
}

// MachineHealth returns a machine's health record, alarm and RUL estimate.
func (c *Client) MachineHealth(ctx context.Context, machine string, f HealthFilter) (MachineHealth, error) {
	var h MachineHealth
	return h, c.do(ctx, "GET", Expand(PathMachineHealth, machine), f.Query(), nil, &h)
}
