package health

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid")

// FieldError names the configuration field and the value it rejects.
type FieldError struct {
	Field  string
	Value  any
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %v: %s", e.Field, e.Value, e.Reason) }

// Unwrap makes every FieldError match ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Config sets the baseline, alarm and RUL model of a [Monitor].
type Config struct {
	// BaselinePoints is how many points (after leaving out stopped ones) the healthy baseline
	// is learned from. Default 60: one hour of 1-minute points, 2½ days of hourly ones.
	BaselinePoints int `json:"baseline_points"`
	// Shift is the smallest rise of the level above baseline the CUSUM alarm looks for, as a
	// fraction. Default 0.25: ISO 10816-1 (criterion II) calls a change of 25 % significant.
	Shift float64 `json:"shift"`
	// FailureRatio is the failure level as a multiple of the baseline. Default 6.3 (16 dB):
	// the ratio between the zone A/B boundary (newly commissioned machines) and the zone C/D
	// boundary ("severe enough to cause damage") of ISO 10816-1, the same for all four
	// machine classes (0.71→4.5, 1.12→7.1, 1.8→11.2, 2.8→18 mm/s).
	FailureRatio float64 `json:"failure_ratio"`
	// StoppedRatio: a point below StoppedRatio × baseline is the machine at rest, not a
	// healthier machine, and is left out. Default 0.1 (−20 dB).
	StoppedRatio float64 `json:"stopped_ratio"`
	// Forget is the half-life of a point's weight in the degradation fit, as a fraction of the
	// time since the fit started (scale-free: an accelerated test in hours and a plant bearing
	// in weeks are weighed alike). 0 weighs all points equally, as Gebraeel's model does.
	// Default 0: on FEMTO Bearing1_1, the one bearing used to choose, 0 scored best of
	// 0, 1, 0.5, 0.25, 0.15 and 0.1 (docs/EVALUATION.md).
	Forget float64 `json:"forget"`
	// MinPoints is how many points after the alarm the model needs before it estimates. Default 5.
	MinPoints int `json:"min_points"`
	// Draws is the number of posterior draws of the RUL distribution. Default 2000.
	Draws int `json:"draws"`
	// Seed seeds the posterior draws: the same data and seed give the same estimate.
	Seed uint64 `json:"seed"`
	// ConfidentWidth: an estimate is confident when its 90 % interval (5th to 95th
	// percentile) is bounded and no wider than ConfidentWidth × the estimate. Default 1.
	ConfidentWidth float64 `json:"confident_width"`
}

// DefaultConfig returns the defaults documented on each field of [Config].
func DefaultConfig() Config {
	return Config{BaselinePoints: 60, Shift: 0.25, FailureRatio: 6.3, StoppedRatio: 0.1, Forget: 0,
		MinPoints: 5, Draws: 2000, Seed: 1, ConfidentWidth: 1}
}

// Validate reports every unusable field.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, &FieldError{Field: field, Value: v, Reason: reason})
	}
	if c.BaselinePoints < 3 {
		bad("baseline_points", c.BaselinePoints, "must be at least 3")
	}
	if !(c.Shift > 0) {
		bad("shift", c.Shift, "must be above 0")
	}
	if !(c.FailureRatio > 1) {
		bad("failure_ratio", c.FailureRatio, "must be above 1 (a multiple of the healthy level)")
	}
	if c.StoppedRatio < 0 || c.StoppedRatio >= 1 {
		bad("stopped_ratio", c.StoppedRatio, "must be at least 0 and below 1")
	}
	if c.Forget < 0 {
		bad("forget", c.Forget, "must not be negative")
	}
	if c.MinPoints < 3 {
		bad("min_points", c.MinPoints, "must be at least 3")
	}
	if c.Draws < 100 {
		bad("draws", c.Draws, "must be at least 100")
	}
	if !(c.ConfidentWidth > 0) {
		bad("confident_width", c.ConfidentWidth, "must be above 0")
	}
	return errors.Join(errs...)
}
