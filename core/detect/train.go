package detect

import (
	"fmt"
	"math"
)

// Train returns a monitoring Detector fitted on the normal window vectors X at once, as
// the end of a learning period would fit it: the same model kind, threshold rule and
// decision settings as cfg. When X holds more than cfg.MaxLearnWindows vectors, an evenly
// spaced subset of that many is used, as learning keeps one. Training a challenger from a
// dataset (core/mlops) goes through here, so a retrained model and a learned one differ
// only in the windows they saw.
func Train(cfg DetectorConfig, X [][]float64) (*Detector, error) {
	d, err := NewDetector(cfg)
	if err != nil {
		return nil, err
	}
	if len(X) < d.cfg.MinLearnWindows {
		return nil, fmt.Errorf("%w: %d windows, %d needed", ErrTooFewWindows, len(X), d.cfg.MinLearnWindows)
	}
	dim := len(X[0])
	for i, x := range X {
		if len(x) != dim {
			return nil, fmt.Errorf("%w: window %d has %d values, window 0 has %d", ErrDimension, i, len(x), dim)
		}
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w in window %d", ErrNotFinite, i)
			}
		}
	}
	if n := d.cfg.MaxLearnWindows; len(X) > n {
		kept := make([][]float64, n)
		for i := range kept {
			kept[i] = X[i*len(X)/n]
		}
		X = kept
	}
	c, err := fitCondition(d.cfg, X)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	d.conds, d.dim, d.started, d.state = []condition{c}, dim, true, StateMonitoring
	return d, nil
}

// Fresh returns a copy of a monitoring detector's models, thresholds and settings with
// none of its stream state: no smoothing history, no recent windows, no event — the
// detector as it would judge a new recording from its first window.
func (d *Detector) Fresh() (*Detector, error) {
	if d.state != StateMonitoring {
		return nil, ErrNotMonitored
	}
	f, err := NewDetector(d.cfg)
	if err != nil {
		return nil, err
	}
	f.conds = append([]condition(nil), d.conds...)
	f.dim, f.started, f.state = d.dim, true, StateMonitoring
	return f, nil
}

// ScoreDeciles returns the 9 inner deciles of the score distribution the first operating
// condition's threshold was drawn from (the gamma fitted to its cross-validated training
// scores): what a window of the sound it learned scores. Drift (core/mlops.PSI) compares
// live scores against them. Nil while learning.
func (d *Detector) ScoreDeciles() []float64 {
	if len(d.conds) == 0 {
		return nil
	}
	out := make([]float64, 9)
	for i := range out {
		out[i] = d.conds[0].gamma.Quantile(float64(i+1) / 10)
	}
	return out
}
