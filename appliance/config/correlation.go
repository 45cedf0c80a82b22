package config

import (
	"time"

	"signalcraft/core/correlate"
)

// Correlation relates the machines of the appliance (core/correlate): a disturbance most
// microphones hear at once raises one PlantDisturbance alert instead of one anomaly alert
// per machine, and an anomaly heard from a neighbouring machine is attributed to it.
type Correlation struct {
	// Enabled turns the correlation on (default false).
	Enabled bool `yaml:"enabled"`
	// MinMachines and MinShare: a common cause is at least this many machines, and this
	// share of those listening, turning anomalous within Span (defaults 3, 0.6, 2s).
	MinMachines int           `yaml:"min_machines"`
	MinShare    float64       `yaml:"min_share"`
	Span        time.Duration `yaml:"span"`
	// Horizon and MaxLag: the correlations reach this far back, at lags up to MaxLag
	// (defaults 30s, 2s).
	Horizon time.Duration `yaml:"horizon"`
	MaxLag  time.Duration `yaml:"max_lag"`
	// MinCoef is the correlation of the levels that relates two machines (default 0.6).
	MinCoef float64 `yaml:"min_coef"`
	// AlikeDB: level rises closer than this are equally loud, the earlier onset leads
	// (default 3).
	AlikeDB float64 `yaml:"alike_db"`
	// Hold is how long after an explained machine was last anomalous its anomaly alerts
	// stay silenced (default 2m: longer than the default anomaly rules keep firing, 70s,
	// so that they resolve unannounced rather than being announced late).
	Hold time.Duration `yaml:"hold"`
}

// DefaultCorrelation returns the correlation's defaults (off).
func DefaultCorrelation() Correlation {
	d := correlate.DefaultConfig()
	return Correlation{MinMachines: d.MinMachines, MinShare: d.MinShare, Span: d.Span, Horizon: d.Horizon,
		MaxLag: d.MaxLag, MinCoef: d.MinCoef, AlikeDB: d.Alike, Hold: 2 * time.Minute}
}

// Correlate returns core/correlate's configuration for windows every step.
func (c Correlation) Correlate(step time.Duration) correlate.Config {
	d := correlate.DefaultConfig()
	d.MinMachines, d.MinShare, d.Span, d.Horizon, d.MaxLag, d.MinCoef, d.Alike =
		c.MinMachines, c.MinShare, c.Span, c.Horizon, c.MaxLag, c.MinCoef, c.AlikeDB
	d.Step = step
	d.MaxSkew = max(d.MaxSkew, c.Span)
	return d
}

func (c Correlation) validate() error {
	switch {
	case c.MinMachines < 2 || c.MinMachines > 1000:
		return fieldErr("correlation.min_machines", c.MinMachines, "must be between 2 and 1000")
	case !(c.MinShare > 0 && c.MinShare <= 1):
		return fieldErr("correlation.min_share", c.MinShare, "must be in (0, 1]")
	case c.Span < 100*time.Millisecond || c.Span > time.Minute:
		return fieldErr("correlation.span", c.Span, "must be between 100ms and 1m")
	case c.Horizon < 5*time.Second || c.Horizon > 10*time.Minute:
		return fieldErr("correlation.horizon", c.Horizon, "must be between 5s and 10m")
	case c.MaxLag < 0 || c.MaxLag > c.Horizon/2:
		return fieldErr("correlation.max_lag", c.MaxLag, "must be between 0 and half the horizon")
	case !(c.MinCoef > 0 && c.MinCoef <= 1):
		return fieldErr("correlation.min_coef", c.MinCoef, "must be in (0, 1]")
	case !(c.AlikeDB >= 0 && c.AlikeDB <= 40):
		return fieldErr("correlation.alike_db", c.AlikeDB, "must be between 0 and 40")
	case c.Hold < 10*time.Second || c.Hold > 24*time.Hour:
		return fieldErr("correlation.hold", c.Hold, "must be between 10s and 24h")
	}
	return nil
}
