package config

import "time"

// Retraining configures the learning loop (docs/mlo_pipeline.md): what keeps sound for
// the machines' datasets and what starts a retraining job. A trigger set to 0 is off.
type Retraining struct {
	// Enabled runs the loop: learning sound and labelled clips are kept as dataset items
	// and the triggers below start train jobs (default true).
	Enabled bool `yaml:"enabled"`
	// Labels starts a retraining once this many event labels were set or changed on a
	// machine since its last training (default 3).
	Labels int `yaml:"labels"`
	// FalseAlarmsPerDay starts one when the events labelled false alarms over the last
	// 24 hours reach this many (default 5).
	FalseAlarmsPerDay int `yaml:"false_alarms_per_day"`
	// DriftPSI starts one when the population stability index of the last hour's window
	// scores against the model's training scores exceeds it (0: off; 0.25 is the usual
	// "drifted" mark).
	DriftPSI float64 `yaml:"drift_psi"`
	// Every retrains on a schedule (0: off).
	Every time.Duration `yaml:"every"`
	// CheckEvery is how often the triggers are looked at (default 1m).
	CheckEvery time.Duration `yaml:"check_every"`
	// CPUShare bounds a training job to this share of one core (default 0.5).
	CPUShare float64 `yaml:"cpu_share"`
	// TestFraction is the share of each label's items, the latest by time, held back to
	// judge models on and never trained on (default 0.25).
	TestFraction float64 `yaml:"test_fraction"`
	// LearningChunk is the length of the pieces the learning sound is kept in (default 30s).
	LearningChunk time.Duration `yaml:"learning_chunk"`
}

// DefaultRetraining returns the learning loop's defaults.
func DefaultRetraining() Retraining {
	return Retraining{Enabled: true, Labels: 3, FalseAlarmsPerDay: 5, CheckEvery: time.Minute, CPUShare: 0.5,
		TestFraction: 0.25, LearningChunk: 30 * time.Second}
}

func (r Retraining) validate() error {
	switch {
	case r.Labels < 0 || r.Labels > 10000:
		return fieldErr("retraining.labels", r.Labels, "must be between 0 (off) and 10000")
	case r.FalseAlarmsPerDay < 0 || r.FalseAlarmsPerDay > 10000:
		return fieldErr("retraining.false_alarms_per_day", r.FalseAlarmsPerDay, "must be between 0 (off) and 10000")
	case r.DriftPSI < 0 || r.DriftPSI > 10:
		return fieldErr("retraining.drift_psi", r.DriftPSI, "must be between 0 (off) and 10")
	case r.Every != 0 && r.Every < time.Hour:
		return fieldErr("retraining.every", r.Every, "must be 0 (off) or at least 1h")
	case r.CheckEvery < time.Second || r.CheckEvery > time.Hour:
		return fieldErr("retraining.check_every", r.CheckEvery, "must be between 1s and 1h")
	case !(r.CPUShare >= 0.05 && r.CPUShare <= 1):
		return fieldErr("retraining.cpu_share", r.CPUShare, "must be between 0.05 and 1")
	case !(r.TestFraction >= 0.05 && r.TestFraction <= 0.5):
		return fieldErr("retraining.test_fraction", r.TestFraction, "must be between 0.05 and 0.5")
	case r.LearningChunk < 5*time.Second || r.LearningChunk > 10*time.Minute:
		return fieldErr("retraining.learning_chunk", r.LearningChunk, "must be between 5s and 10m")
	}
	return nil
}
