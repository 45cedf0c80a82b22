package health

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNoData is returned when there are too few usable (positive) levels.
var ErrNoData = errors.New("health: too few points")

// Baseline is the healthy level of an indicator, learned from its first points.
type Baseline struct {
	Level    float64 // exp(median of ln level): the typical healthy level
	LogSigma float64 // robust spread of ln level (1.4826·MAD): point-to-point noise when healthy
	N        int     // points learned from
}

// LearnBaseline learns a baseline from healthy levels; non-positive levels are ignored. The
// median and the MAD make a few loud points (a run-in, a knock) harmless.
func LearnBaseline(levels []float64) (Baseline, error) {
	logs := make([]float64, 0, len(levels))
	for _, v := range levels {
		if v > 0 && !math.IsInf(v, 0) {
			logs = append(logs, math.Log(v))
		}
	}
	if len(logs) < 3 {
		return Baseline{}, fmt.Errorf("%w: %d positive levels to learn a baseline from (want ≥ 3)", ErrNoData, len(logs))
	}
	mu := median(logs)
	dev := make([]float64, len(logs))
	for i, l := range logs {
		dev[i] = math.Abs(l - mu)
	}
	return Baseline{Level: math.Exp(mu), LogSigma: 1.4826 * median(dev), N: len(logs)}, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// CUSUM is a one-sided (upward) cumulative-sum change detector on ln(level) against a
// baseline (Page 1954): S ← max(0, S + ln(level) − ln(baseline) − K), alarm when S > H.
// K is half the log of the smallest rise worth detecting, so a level that stays below
// baseline·(1+shift)^½ never accumulates; H is the larger of five noise sigmas and the log of
// that rise, so a sustained rise of `shift` alarms after a few points and noise alone rarely
// does (five sigmas: the textbook h = 5 of a CUSUM on standardised data).
type CUSUM struct {
	Mu, K, H float64 // ln(baseline level), allowance and decision interval, in ln units
	S        float64 // the cumulative sum
	Alarmed  bool    // latched once S has passed H
	// Since counts the points since S was last zero: at the alarm, the change started about
	// Since points earlier (the CUSUM's own estimate of the change point).
	Since int
}

// NewCUSUM returns a detector of a rise of the level by the fraction shift (0.25 = +25 %)
// above the baseline b.
func NewCUSUM(b Baseline, shift float64) *CUSUM {
	d := math.Log1p(shift)
	return &CUSUM{Mu: math.Log(b.Level), K: d / 2, H: max(5*b.LogSigma, d)}
}

// Update adds one level and reports whether this point raised the alarm (true once).
// Non-positive levels are ignored.
func (c *CUSUM) Update(level float64) bool {
	if !(level > 0) {
		return false
	}
	c.S = max(0, c.S+math.Log(level)-c.Mu-c.K)
	if c.S == 0 {
		c.Since = 0
	} else {
		c.Since++
	}
	if !c.Alarmed && c.S > c.H {
		c.Alarmed = true
		return true
	}
	return false
}
