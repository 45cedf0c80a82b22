package health

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Sentinel errors of [Monitor.Estimate].
var (
	// ErrLearning: the baseline is still being learned.
	ErrLearning = errors.New("health: learning the healthy baseline")
	// ErrHealthy: no degradation detected, so there is nothing to extrapolate.
	ErrHealthy = errors.New("health: no degradation detected")
	// ErrTooFew: degradation detected, but too few points since to fit the model.
	ErrTooFew = errors.New("health: too few points since the alarm")
)

// Monitor follows one machine's health level (one [Point] level, e.g. RMS, at a time): it
// learns the baseline, raises the degradation alarm and estimates the remaining useful life.
// It is not safe for concurrent use.
type Monitor struct {
	cfg      Config
	learning []float64
	base     Baseline
	learned  bool
	cusum    *CUSUM
	// hist holds the points after the baseline: the CUSUM's change-point estimate reaches back
	// into it and the degradation model is fitted on its tail.
	hist    []obs
	alarm   int // index into hist of the alarm point; -1 before
	onsetAt int // index into hist of the CUSUM's change-point estimate, set with alarm
	last    time.Time
	stopped int // points left out as machine at rest
}

type obs struct {
	t     time.Time
	level float64
}

// NewMonitor returns a monitor, or the configuration's errors.
func NewMonitor(c Config) (*Monitor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Monitor{cfg: c, alarm: -1}, nil
}

// Config returns the monitor's configuration.
func (m *Monitor) Config() Config { return m.cfg }

// Add adds the level of one point at time t (points in time order) and reports whether it
// raised the degradation alarm. Non-positive or non-finite levels, and levels below
// StoppedRatio × baseline (the machine at rest), are left out.
func (m *Monitor) Add(t time.Time, level float64) bool {
	if !(level > 0) || math.IsInf(level, 0) {
		return false
	}
	if !m.learned {
		m.learning = append(m.learning, level)
		m.last = t
		if len(m.learning) >= m.cfg.BaselinePoints {
			if b, err := LearnBaseline(m.learning); err == nil {
				m.base, m.learned = b, true
				m.cusum = NewCUSUM(b, m.cfg.Shift)
			}
			m.learning = nil
		}
		return false
	}
	if level < m.cfg.StoppedRatio*m.base.Level {
		m.stopped++
		return false
	}
	m.last = t
	m.hist = append(m.hist, obs{t, level})
	if m.cusum.Update(level) {
		// The run of positive sums that ended in the alarm began Since−1 points earlier.
		m.alarm = len(m.hist) - 1
		m.onsetAt = max(0, m.alarm-(m.cusum.Since-1))
		return true
	}
	return false
}

// State is a snapshot of the monitor.
type State struct {
	Learned  bool
	Baseline Baseline
	// FailureLevel is FailureRatio × the baseline level: the level the RUL is the time to.
	FailureLevel float64
	CUSUM        float64 // the CUSUM statistic (ln units); the alarm is at CUSUM > Threshold
	Threshold    float64
	Alarmed      bool
	Alarm        time.Time // the point that raised the alarm
	Onset        time.Time // the CUSUM's estimate of when the rise began (≤ Alarm)
	Last         time.Time // the latest point added
	Stopped      int       // points left out as machine at rest
}

// State returns the monitor's state.
func (m *Monitor) State() State {
	s := State{Learned: m.learned, Baseline: m.base, Last: m.last, Stopped: m.stopped}
	if !m.learned {
		return s
	}
	s.FailureLevel = m.cfg.FailureRatio * m.base.Level
	s.CUSUM, s.Threshold, s.Alarmed = m.cusum.S, m.cusum.H, m.cusum.Alarmed
	if s.Alarmed {
		s.Alarm = m.hist[m.alarm].t
		s.Onset = m.hist[m.onsetAt].t
	}
	return s
}

// Estimate is a remaining-useful-life estimate with its interval.
type Estimate struct {
	At  time.Time     // the time the estimate is for ("now")
	RUL time.Duration // the point estimate: the one that maximises the expected PHM 2012 score
	// Median, Low and High are the 50th, 5th and 95th percentiles of the RUL distribution;
	// High is meaningless when Unbounded (the trend may never reach the failure level).
	Median, Low, High time.Duration
	Unbounded         bool
	// Confident: High is bounded and High − Low ≤ ConfidentWidth × RUL; only then should a
	// client print "about N h (range a–b h)".
	Confident    bool
	Alarm        time.Time // when degradation was detected
	Onset        time.Time // the start of the fit: the CUSUM's change-point estimate
	Points       int       // points the model was fitted on
	Growth       float64   // posterior mean of β: growth rate of level − baseline, per hour
	FailureLevel float64
}

// Hours returns RUL, Low and High in hours.
func (e Estimate) Hours() (rul, low, high float64) {
	return e.RUL.Hours(), e.Low.Hours(), e.High.Hours()
}

// String is the estimate as a client shows it: "about 12 h (range 9–16 h)" when confident,
// "RUL uncertain: about … (range …)" otherwise.
func (e Estimate) String() string {
	hi := "?"
	if !e.Unbounded {
		hi = fmtHours(e.High.Hours())
	}
	s := fmt.Sprintf("about %s h (range %s–%s h)", fmtHours(e.RUL.Hours()), fmtHours(e.Low.Hours()), hi)
	if !e.Confident {
		return "RUL uncertain: " + s
	}
	return s
}

func fmtHours(h float64) string {
	if h < 10 {
		return fmt.Sprintf("%.1f", h)
	}
	return fmt.Sprintf("%.0f", h)
}

// maxRUL caps draws so durations do not overflow (about 100 years).
const maxRUL = 100 * 365 * 24 * time.Hour

// Estimate returns the RUL at time now (normally the latest point's time). It fits
// ln(level − φ) = θ + β·τ + ε, with φ the baseline level and τ the time since the onset (the
// CUSUM's change-point estimate, at or before the alarm) in units of that time's length, by
// Bayesian linear regression (vague Gaussian prior; known noise variance, the larger of the
// baseline's and the fit's residual variance; the covariance widened for autocorrelated
// residuals) on the points since the onset that lie above the baseline. Each posterior draw
// (θ, β) reaches the failure level at τ = (ln(FailureLevel − φ) − θ)/β, never if β ≤ 0.
func (m *Monitor) Estimate(now time.Time) (Estimate, error) {
	switch {
	case !m.learned:
		return Estimate{}, ErrLearning
	case m.alarm < 0, now.Before(m.hist[m.alarm].t):
		return Estimate{}, ErrHealthy
	}
	alarm, start := m.hist[m.alarm].t, m.hist[m.onsetAt].t
	age := now.Sub(start).Hours()
	phi := m.base.Level
	failure := m.cfg.FailureRatio * phi
	var ts, ys []float64
	for _, o := range m.hist[m.onsetAt:] {
		if o.t.After(now) {
			break
		}
		if o.level > phi {
			ts = append(ts, o.t.Sub(start).Hours())
			ys = append(ys, math.Log(o.level-phi))
		}
	}
	if len(ts) < m.cfg.MinPoints || !(age > 0) {
		return Estimate{}, fmt.Errorf("%w: %d above baseline (want %d)", ErrTooFew, len(ts), m.cfg.MinPoints)
	}
	w := make([]float64, len(ts))
	for i, t := range ts {
		ts[i] = t / age // τ ∈ [0, 1]
		w[i] = 1
		if m.cfg.Forget > 0 {
			w[i] = math.Exp2(-(1 - ts[i]) / m.cfg.Forget)
		}
	}
	noise := m.base.LogSigma * m.base.LogSigma
	mean, cov := fitLine(ts, ys, w, noise)
	var rss, sw float64
	for i := range ts {
		r := ys[i] - mean[0] - mean[1]*ts[i]
		rss += w[i] * r * r
		sw += w[i]
	}
	if sw > 2 {
		if v := rss / (sw - 2); v > noise {
			mean, cov = fitLine(ts, ys, w, v)
		}
	}
	// Residuals of a degradation trend are autocorrelated (the level wanders around it), so n
	// points carry the information of n·(1−ρ)/(1+ρ) independent ones (ρ: lag-1 autocorrelation
	// of the residuals); the covariance is widened by that factor.
	if infl := autocorrInflation(ts, ys, mean); infl > 1 {
		for i := range cov {
			for j := range cov[i] {
				cov[i][j] *= infl
			}
		}
	}
	// Draws from N(mean, cov) by its Cholesky factor.
	l11 := math.Sqrt(cov[0][0])
	l21 := cov[1][0] / l11
	l22 := math.Sqrt(max(0, cov[1][1]-l21*l21))
	target := math.Log(failure - phi)
	rng := rand.New(rand.NewPCG(m.cfg.Seed, 0x5eed))
	rul := make([]float64, m.cfg.Draws) // hours; +Inf when never reached
	for i := range rul {
		z1, z2 := rng.NormFloat64(), rng.NormFloat64()
		theta := mean[0] + l11*z1
		beta := mean[1] + l21*z1 + l22*z2
		if beta <= 0 {
			rul[i] = math.Inf(1)
			continue
		}
		rul[i] = max(0, ((target-theta)/beta-1)*age)
	}
	slices.Sort(rul)
	q := func(p float64) float64 { return rul[int(math.Round(p*float64(len(rul)-1)))] }
	e := Estimate{At: now, Alarm: alarm, Onset: start, Points: len(ts), Growth: mean[1] / age, FailureLevel: failure}
	e.Median, e.Low = hours(q(0.5)), hours(q(0.05))
	if hi := q(0.95); math.IsInf(hi, 1) {
		e.Unbounded = true
	} else {
		e.High = hours(hi)
	}
	e.RUL = hours(bayesPoint(rul))
	e.Confident = !e.Unbounded && e.RUL > 0 && (e.High-e.Low).Hours() <= m.cfg.ConfidentWidth*e.RUL.Hours()
	return e, nil
}

func hours(h float64) time.Duration {
	if math.IsInf(h, 1) || h*float64(time.Hour) >= float64(maxRUL) {
		return maxRUL
	}
	return time.Duration(h * float64(time.Hour))
}

// bayesPoint returns, among the percentiles 1..99 of the sorted RUL draws, the estimate with
// the largest mean PHM 2012 accuracy over the draws: the decision-theoretic point estimate
// under the challenge's asymmetric score (a late estimate costs four times an early one, so
// it sits below the median).
func bayesPoint(sorted []float64) float64 {
	best, bestScore := sorted[len(sorted)/2], -1.0
	// Draws thinned to at most 500 keep the search cheap; they are quantiles of the same draws.
	step := max(1, len(sorted)/500)
	for p := 1; p <= 99; p++ {
		c := sorted[int(float64(p)/100*float64(len(sorted)-1))]
		if math.IsInf(c, 1) {
			break
		}
		var s float64
		var n int
		for i := 0; i < len(sorted); i += step {
			actual := sorted[i]
			n++
			switch {
			case math.IsInf(actual, 1):
				s += Accuracy(100)
			case actual <= 0:
				if c <= 0 {
					s++
				}
			default:
				s += Accuracy(PercentError(actual, c))
			}
		}
		if s /= float64(n); s > bestScore {
			best, bestScore = c, s
		}
	}
	return best
}

// fitLine is the posterior of y = a + b·x + ε, ε ~ N(0, noise/w_i), under a vague prior
// a ~ N(0, 10²), b ~ N(0, 10²) (ln units; x is in [0, 1]).
func fitLine(x, y, w []float64, noise float64) (mean [2]float64, cov [2][2]float64) {
	noise = max(noise, 1e-12)
	const priorPrec = 1.0 / 100
	a00, a01, a11 := priorPrec, 0.0, priorPrec
	var b0, b1 float64
	for i := range x {
		wi := w[i] / noise
		a00 += wi
		a01 += wi * x[i]
		a11 += wi * x[i] * x[i]
		b0 += wi * y[i]
		b1 += wi * x[i] * y[i]
	}
	det := a00*a11 - a01*a01
	cov = [2][2]float64{{a11 / det, -a01 / det}, {-a01 / det, a00 / det}}
	mean = [2]float64{cov[0][0]*b0 + cov[0][1]*b1, cov[1][0]*b0 + cov[1][1]*b1}
	return mean, cov
}

// autocorrInflation returns (1+ρ)/(1−ρ) for the lag-1 autocorrelation ρ of the residuals of
// y = mean[0] + mean[1]·x, with ρ limited to [0, 0.95].
func autocorrInflation(x, y []float64, mean [2]float64) float64 {
	if len(x) < 3 {
		return 1
	}
	var num, den, prev float64
	for i := range x {
		r := y[i] - mean[0] - mean[1]*x[i]
		den += r * r
		if i > 0 {
			num += r * prev
		}
		prev = r
	}
	if den == 0 {
		return 1
	}
	rho := min(max(num/den, 0), 0.95)
	return (1 + rho) / (1 - rho)
}
