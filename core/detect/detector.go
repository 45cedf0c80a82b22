package detect

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// State is the phase of a Detector.
type State int

// Detector states.
const (
	StateLearning   State = iota // collecting normal windows
	StateMonitoring              // scoring against the fitted model
)

// String returns "learning" or "monitoring".
func (s State) String() string {
	switch s {
	case StateLearning:
		return "learning"
	case StateMonitoring:
		return "monitoring"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Smoothing selects how window scores are smoothed before they meet the threshold.
type Smoothing string

// Smoothing methods.
const (
	SmoothNone   Smoothing = "none"
	SmoothEMA    Smoothing = "ema"    // exponential moving average with weight Alpha on the new score
	SmoothMedian Smoothing = "median" // moving median of the last MedianWindow scores
)

// MaxMedianWindow bounds DetectorConfig.MedianWindow.
const MaxMedianWindow = 63

// DetectorConfig configures a Detector. Zero fields take the defaults of
// DefaultDetectorConfig when passed to NewDetector.
type DetectorConfig struct {
	Kind  Kind    `json:"kind"`
	Model Options `json:"model"`
	// LearnDuration is how long (in the timestamps given to Push) normal windows are
	// collected before the model is fitted; learning continues past it until
	// MinLearnWindows windows have been seen.
	LearnDuration   time.Duration `json:"learn_duration"`
	MinLearnWindows int           `json:"min_learn_windows"`
	// MaxLearnWindows caps the memory of the learning phase: beyond it, every other
	// stored window is dropped and only every 2nd, 4th, … new window is kept.
	MaxLearnWindows int       `json:"max_learn_windows"`
	Quantile        float64   `json:"quantile"` // of the gamma fitted to training scores
	Smoothing       Smoothing `json:"smoothing"`
	Alpha           float64   `json:"alpha"`         // EMA weight in (0,1]
	MedianWindow    int       `json:"median_window"` // moving-median length
	// Persistence: the Level of a window is the EnterWindows-th largest smoothed score
	// of the last EnterOf windows, so it exceeds the threshold only when at least
	// EnterWindows of the last EnterOf windows do ("k of n"; EnterOf 0 means EnterWindows,
	// i.e. k in a row). An event opens when the Level exceeds the threshold and closes
	// when it stays below ExitRatio·threshold for ExitWindows consecutive windows. A
	// sound that makes fewer than k windows anomalous (one knock in a long max-pooled
	// window) never opens an event.
	EnterWindows int     `json:"enter_windows"`
	EnterOf      int     `json:"enter_of,omitempty"`
	ExitRatio    float64 `json:"exit_ratio"`
	ExitWindows  int     `json:"exit_windows"`
	// Window is the span of sound each window vector covers. Learning time counts from
	// the start of the first window, so a learning period as long as the sound given
	// learns from all of it. 0 counts from the end of the first window.
	Window time.Duration `json:"window,omitempty"`
	// Features records the feature chain the windows come from, so that a stored model
	// is never fed windows of another chain (nil: not recorded, models from before
	// per-machine profiles). The detector does not use it otherwise.
	Features *FeatureConfig `json:"features,omitempty"`
}

// MaxEnterOf bounds DetectorConfig.EnterOf.
const MaxEnterOf = 1024

// DefaultDetectorConfig returns the defaults: mahalanobis, 10 minutes of learning (at
// least 30 windows, at most 8192 kept), quantile 0.99, EMA smoothing with α = 0.3,
// events entering after 3 windows above the threshold and leaving after 3 windows below
// 0.9 of it.
func DefaultDetectorConfig() DetectorConfig {
	return DetectorConfig{
		Kind:            KindMahalanobis,
		LearnDuration:   10 * time.Minute,
		MinLearnWindows: 30,
		MaxLearnWindows: 8192,
		Quantile:        DefaultQuantile,
		Smoothing:       SmoothEMA,
		Alpha:           0.3,
		MedianWindow:    5,
		EnterWindows:    3,
		ExitRatio:       0.9,
		ExitWindows:     3,
	}
}

func (c DetectorConfig) withDefaults() DetectorConfig {
	d := DefaultDetectorConfig()
	if c.Kind == "" {
		c.Kind = d.Kind
	}
	if c.MinLearnWindows <= 0 {
		c.MinLearnWindows = d.MinLearnWindows
	}
	if c.MaxLearnWindows <= 0 {
		c.MaxLearnWindows = d.MaxLearnWindows
	}
	if c.Quantile == 0 {
		c.Quantile = d.Quantile
	}
	if c.Smoothing == "" {
		c.Smoothing = d.Smoothing
	}
	if c.Alpha == 0 {
		c.Alpha = d.Alpha
	}
	if c.MedianWindow == 0 {
		c.MedianWindow = d.MedianWindow
	}
	if c.EnterWindows == 0 {
		c.EnterWindows = d.EnterWindows
	}
	if c.ExitRatio == 0 {
		c.ExitRatio = d.ExitRatio
	}
	if c.ExitWindows == 0 {
		c.ExitWindows = d.ExitWindows
	}
	if c.EnterOf == 0 {
		c.EnterOf = c.EnterWindows
	}
	return c
}

// Validate reports the first invalid field (after defaults), wrapping ErrConfig.
func (c DetectorConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%w: %s %v: %s", ErrConfig, field, v, why)
	}
	switch {
	case c.Kind != KindMahalanobis && c.Kind != KindGMM && c.Kind != KindKNN:
		return bad("kind", c.Kind, "unknown model kind")
	case c.LearnDuration < 0:
		return bad("learn_duration", c.LearnDuration, "must not be negative")
	case c.MinLearnWindows < 2:
		return bad("min_learn_windows", c.MinLearnWindows, "must be at least 2")
	case c.MaxLearnWindows < 2*c.MinLearnWindows:
		return bad("max_learn_windows", c.MaxLearnWindows, "must be at least twice min_learn_windows")
	case !(c.Quantile > 0 && c.Quantile < 1):
		return bad("quantile", c.Quantile, "must be in (0, 1)")
	case c.Smoothing != SmoothNone && c.Smoothing != SmoothEMA && c.Smoothing != SmoothMedian:
		return bad("smoothing", c.Smoothing, "must be none, ema or median")
	case !(c.Alpha > 0 && c.Alpha <= 1):
		return bad("alpha", c.Alpha, "must be in (0, 1]")
	case c.MedianWindow < 1 || c.MedianWindow > MaxMedianWindow:
		return bad("median_window", c.MedianWindow, fmt.Sprintf("must be in 1..%d", MaxMedianWindow))
	case c.EnterWindows < 1:
		return bad("enter_windows", c.EnterWindows, "must be at least 1")
	case c.EnterOf < c.EnterWindows || c.EnterOf > MaxEnterOf:
		return bad("enter_of", c.EnterOf, fmt.Sprintf("must be in enter_windows..%d", MaxEnterOf))
	case c.Window < 0:
		return bad("window", c.Window, "must not be negative")
	case !(c.ExitRatio > 0 && c.ExitRatio <= 1):
		return bad("exit_ratio", c.ExitRatio, "must be in (0, 1]")
	case c.ExitWindows < 1:
		return bad("exit_windows", c.ExitWindows, "must be at least 1")
	}
	return nil
}

// Event is an anomaly episode.
type Event struct {
	Start    time.Time          `json:"start"`
	End      time.Time          `json:"end,omitzero"` // zero while open
	Peak     float64            `json:"peak"`         // highest window score (combined units)
	PeakTime time.Time          `json:"peak_time"`
	Snapshot []float64          `json:"snapshot"`          // window vector at the peak
	Scalars  map[string]float64 `json:"scalars,omitempty"` // named scalars at the peak
}

func (e *Event) clone() *Event {
	c := *e
	c.Snapshot = append([]float64(nil), e.Snapshot...)
	if e.Scalars != nil {
		c.Scalars = make(map[string]float64, len(e.Scalars))
		for k, v := range e.Scalars {
			c.Scalars[k] = v
		}
	}
	return &c
}

// Result is the outcome of one Push.
type Result struct {
	State State
	// Learned is true on the Push that ended learning with a fitted model.
	Learned bool
	// Progress is the learning progress in [0, 1] (1 while monitoring).
	Progress float64
	// Score, Smoothed and Threshold are 0 while learning. With several operating
	// conditions (Adapt), Score is min over conditions of score/threshold, times the
	// first condition's threshold, so it stays in the first model's units.
	Score, Smoothed, Threshold float64
	// Level is the persistent score the decision is made on: the k-th largest smoothed
	// score of the last n windows (DetectorConfig.EnterWindows of EnterOf). It is 0 until
	// k windows have been seen since learning or the last Gap.
	Level   float64
	InEvent bool
	Opened  *Event // the event that opened at this window
	Closed  *Event // the event that closed at this window
	// Err reports a failed fit at the end of learning; the detector keeps learning.
	Err error
}

type condition struct {
	model     Model
	gamma     Gamma
	threshold float64
}

// Detector is the per-machine streaming detector. It is not safe for concurrent use.
type Detector struct {
	cfg   DetectorConfig
	state State

	// learning
	started    bool
	learnStart time.Time
	learn      [][]float64
	stride     int // keep every stride-th window
	seen       int // windows seen while learning

	conds []condition

	// smoothing
	smoothed float64
	hasSm    bool
	ring     []float64
	ringN    int
	ringPos  int

	// persistence: the last EnterOf smoothed scores and their times
	recent    []float64
	recentT   []time.Time
	recentN   int
	recentPos int

	// hysteresis
	inEvent   bool
	cand      bool // windows above the threshold are being watched (the event's start and peak)
	above     int  // consecutive windows whose smoothed score is at or below the threshold, while cand
	below     int
	candStart time.Time
	candEnd   time.Time
	lastEnd   time.Time // end of the last event
	ev        Event
	dim       int
}

// NewDetector validates cfg (zero fields take defaults) and returns a learning Detector.
func NewDetector(cfg DetectorConfig) (*Detector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, stride: 1}
	d.ring = make([]float64, cfg.MedianWindow)
	d.recent = make([]float64, cfg.EnterOf)
	d.recentT = make([]time.Time, cfg.EnterOf)
	return d, nil
}

// Config returns the effective configuration.
func (d *Detector) Config() DetectorConfig { return d.cfg }

// State returns the current phase.
func (d *Detector) State() State { return d.state }

// Threshold returns the decision threshold (0 while learning).
func (d *Detector) Threshold() float64 {
	if len(d.conds) == 0 {
		return 0
	}
	return d.conds[0].threshold
}

// Model returns the model of the first operating condition (nil while learning).
func (d *Detector) Model() Model {
	if len(d.conds) == 0 {
		return nil
	}
	return d.conds[0].model
}

// Conditions returns the number of operating conditions (0 while learning).
func (d *Detector) Conditions() int { return len(d.conds) }

// Relearn discards the model(s) and any open event and starts learning again at the
// next Push.
func (d *Detector) Relearn() {
	cfg := d.cfg
	ring, recent, recentT := d.ring, d.recent, d.recentT
	*d = Detector{cfg: cfg, stride: 1, ring: ring, recent: recent, recentT: recentT}
	clear(d.ring)
	clear(d.recent)
	clear(d.recentT)
}

// Gap tells the detector that the stream of windows was interrupted (windows excluded
// because the sensor was at fault, or samples lost): the smoother and the persistence
// window start afresh so that evidence from before the gap does not combine with
// evidence after it. An open event stays open; it closes as usual once the Level,
// known again after k windows, stays below the exit level.
func (d *Detector) Gap() {
	d.hasSm, d.ringN, d.ringPos = false, 0, 0
	d.recentN, d.recentPos = 0, 0
	d.cand, d.above, d.below = false, 0, 0
}

// InEvent reports whether an anomaly event is open.
func (d *Detector) InEvent() bool { return d.inEvent }

// DropEvent forgets an open event without closing it, for a caller that ended the event
// elsewhere: a detector restored from a snapshot saved during an event (a retune) while the
// store holds no open event, or whose event the store closed after a crash. The next
// windows above the threshold open a new event, after the persistence rule. It reports
// whether an event was open.
func (d *Detector) DropEvent() bool {
	was := d.inEvent
	d.inEvent, d.cand, d.above, d.below = false, false, 0, 0
	d.candStart, d.candEnd = time.Time{}, time.Time{}
	d.ev = Event{}
	return was
}

// Score returns the combined score of x without changing any state (0 while learning).
func (d *Detector) Score(x []float64) float64 {
	if len(d.conds) == 0 {
		return 0
	}
	c0 := d.conds[0]
	s := c0.model.Score(x)
	if len(d.conds) == 1 {
		return s
	}
	best := s / c0.threshold
	for _, c := range d.conds[1:] {
		best = math.Min(best, c.model.Score(x)/c.threshold)
	}
	return best * c0.threshold
}

// Push feeds the window vector x that ended at time t. See PushNamed.
func (d *Detector) Push(t time.Time, x []float64) Result { return d.PushNamed(t, x, nil) }

// PushNamed is Push with named scalars (e.g. RMS, crest factor) recorded in the event
// snapshot at the peak. While monitoring it does not allocate unless an event opens,
// closes or reaches a new peak with scalars.
func (d *Detector) PushNamed(t time.Time, x []float64, scalars map[string]float64) Result {
	if d.state == StateLearning {
		return d.pushLearning(t, x)
	}
	if len(x) != d.dim {
		return Result{State: d.state, Progress: 1, Threshold: d.Threshold(),
			Err: fmt.Errorf("%w: window has %d values, model %d", ErrDimension, len(x), d.dim)}
	}
	s := d.Score(x)
	sm := d.smooth(s)
	thr := d.Threshold()
	level, known := d.level(t, sm)
	r := Result{State: StateMonitoring, Progress: 1, Score: s, Smoothed: sm, Threshold: thr, Level: level}
	d.hysteresis(t, x, s, sm, level, known, thr, scalars, &r)
	r.InEvent = d.inEvent
	return r
}

// level records the smoothed score sm of the window at t and returns the k-th largest of
// the last n (k = EnterWindows, n = EnterOf), and whether k windows have been seen.
func (d *Detector) level(t time.Time, sm float64) (float64, bool) {
	n, k := len(d.recent), d.cfg.EnterWindows
	d.recent[d.recentPos], d.recentT[d.recentPos] = sm, t
	d.recentPos = (d.recentPos + 1) % n
	if d.recentN < n {
		d.recentN++
	}
	if d.recentN < k {
		return 0, false
	}
	// k-th largest by partial selection: n is small (tens of windows).
	var buf [64]float64
	v := buf[:0]
	if d.recentN > len(buf) {
		v = make([]float64, 0, d.recentN)
	}
	v = append(v, d.recent[:d.recentN]...)
	for i := 0; i < k; i++ {
		m := i
		for j := i + 1; j < len(v); j++ {
			if v[j] > v[m] {
				m = j
			}
		}
		v[i], v[m] = v[m], v[i]
	}
	return v[k-1], true
}

// earliestAbove returns the time of the oldest remembered window whose smoothed score
// exceeds thr and that came after the last event ended (t if none does).
func (d *Detector) earliestAbove(thr float64, t time.Time) time.Time {
	n := len(d.recent)
	for i := 0; i < d.recentN; i++ {
		j := (d.recentPos - d.recentN + i + n) % n
		if d.recent[j] > thr && d.recentT[j].After(d.lastEnd) {
			return d.recentT[j]
		}
	}
	return t
}

func (d *Detector) pushLearning(t time.Time, x []float64) Result {
	if !d.started {
		d.started, d.learnStart = true, t.Add(-d.cfg.Window)
		d.dim = len(x)
	}
	r := Result{State: StateLearning}
	if len(x) != d.dim {
		r.Err = fmt.Errorf("%w: window has %d values, learning %d", ErrDimension, len(x), d.dim)
		return r
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			r.Err = fmt.Errorf("%w in window at %s", ErrNotFinite, t.Format(time.RFC3339Nano))
			return r
		}
	}
	if d.seen%d.stride == 0 {
		d.learn = append(d.learn, append([]float64(nil), x...))
		if len(d.learn) >= d.cfg.MaxLearnWindows {
			kept := d.learn[:0]
			for i := 0; i < len(d.learn); i += 2 {
				kept = append(kept, d.learn[i])
			}
			clear(d.learn[len(kept):])
			d.learn = kept
			d.stride *= 2
		}
	}
	d.seen++
	r.Progress = d.progress(t)
	if t.Sub(d.learnStart) < d.cfg.LearnDuration || d.seen < d.cfg.MinLearnWindows {
		return r
	}
	c, err := fitCondition(d.cfg, d.learn)
	if err != nil {
		r.Err = fmt.Errorf("fit after learning: %w", err)
		return r
	}
	d.conds = []condition{c}
	d.learn = nil
	d.state = StateMonitoring
	r.State, r.Learned, r.Progress, r.Threshold = StateMonitoring, true, 1, c.threshold
	return r
}

// FinishLearning fits the model now on the windows learned so far, however short the
// learning period was, provided there are at least MinLearnWindows of them: a recording
// replayed with a learning period as long as itself ends a hop or so before the period
// does. It returns the Result of a Push that ended learning, or one whose Err says why
// nothing was fitted (ErrTooFewWindows, or not learning any more).
func (d *Detector) FinishLearning() Result {
	if d.state != StateLearning {
		return Result{State: d.state, Progress: 1, Threshold: d.Threshold(), Err: ErrNotLearning}
	}
	r := Result{State: StateLearning, Progress: math.Min(1, float64(d.seen)/float64(d.cfg.MinLearnWindows))}
	if d.seen < d.cfg.MinLearnWindows {
		r.Err = fmt.Errorf("%w: %d windows learned, %d needed", ErrTooFewWindows, d.seen, d.cfg.MinLearnWindows)
		return r
	}
	c, err := fitCondition(d.cfg, d.learn)
	if err != nil {
		r.Err = fmt.Errorf("fit after learning: %w", err)
		return r
	}
	d.conds, d.learn, d.state = []condition{c}, nil, StateMonitoring
	return Result{State: StateMonitoring, Learned: true, Progress: 1, Threshold: c.threshold}
}

func (d *Detector) progress(t time.Time) float64 {
	p := 1.0
	if d.cfg.LearnDuration > 0 {
		p = math.Min(1, float64(t.Sub(d.learnStart))/float64(d.cfg.LearnDuration))
	}
	return math.Min(p, math.Min(1, float64(d.seen)/float64(d.cfg.MinLearnWindows)))
}

func fitCondition(cfg DetectorConfig, X [][]float64) (condition, error) {
	m, err := Fit(cfg.Kind, X, cfg.Model)
	if err != nil {
		return condition{}, err
	}
	scores, err := CrossValidatedScores(cfg.Kind, X, cfg.Model, DefaultFolds)
	if err != nil {
		return condition{}, err
	}
	thr, g, err := Threshold(scores, cfg.Quantile)
	if err != nil {
		return condition{}, err
	}
	if !(thr > 0) || math.IsInf(thr, 0) {
		return condition{}, fmt.Errorf("%w: threshold %g is not positive", ErrNotFinite, thr)
	}
	return condition{model: m, gamma: g, threshold: thr}, nil
}

// Adapt adds an operating condition learned from a few normal window vectors (the
// "few-shot target domain" setting): a separate model of the same kind and its own
// threshold. Windows are then scored by the condition they fit best (min of score /
// threshold), so the old condition is not forgotten. It fails while learning.
func (d *Detector) Adapt(X [][]float64) error {
	if d.state != StateMonitoring {
		return ErrNotMonitored
	}
	for i, x := range X {
		if len(x) != d.dim {
			return fmt.Errorf("%w: adaptation vector %d has %d values, model %d", ErrDimension, i, len(x), d.dim)
		}
	}
	c, err := fitCondition(d.cfg, X)
	if err != nil {
		return fmt.Errorf("adapt: %w", err)
	}
	d.conds = append(d.conds, c)
	return nil
}

func (d *Detector) smooth(s float64) float64 {
	switch d.cfg.Smoothing {
	case SmoothEMA:
		if !d.hasSm {
			d.smoothed, d.hasSm = s, true
		} else {
			d.smoothed = d.cfg.Alpha*s + (1-d.cfg.Alpha)*d.smoothed
		}
	case SmoothMedian:
		d.ring[d.ringPos] = s
		d.ringPos = (d.ringPos + 1) % len(d.ring)
		if d.ringN < len(d.ring) {
			d.ringN++
		}
		var buf [MaxMedianWindow]float64
		v := buf[:d.ringN]
		copy(v, d.ring[:d.ringN])
		for i := 1; i < len(v); i++ { // insertion sort: tiny n
			for j := i; j > 0 && v[j-1] > v[j]; j-- {
				v[j-1], v[j] = v[j], v[j-1]
			}
		}
		if len(v)%2 == 1 {
			d.smoothed = v[len(v)/2]
		} else {
			d.smoothed = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		d.hasSm = true
	default:
		d.smoothed, d.hasSm = s, true
	}
	return d.smoothed
}

func (d *Detector) notePeak(t time.Time, x []float64, s float64, scalars map[string]float64, first bool) {
	if !first && s <= d.ev.Peak {
		return
	}
	d.ev.Peak, d.ev.PeakTime = s, t
	d.ev.Snapshot = append(d.ev.Snapshot[:0], x...)
	if scalars == nil {
		d.ev.Scalars = nil
		return
	}
	if d.ev.Scalars == nil {
		d.ev.Scalars = make(map[string]float64, len(scalars))
	}
	clear(d.ev.Scalars)
	for k, v := range scalars {
		d.ev.Scalars[k] = v
	}
}

func (d *Detector) hysteresis(t time.Time, x []float64, s, sm, level float64, known bool, thr float64, scalars map[string]float64, r *Result) {
	if !d.inEvent {
		// Watch windows above the threshold: the first one is the event's start, the
		// highest its peak. Forget them once a whole persistence window has passed
		// without one.
		if sm > thr {
			if !d.cand {
				d.cand = true
				d.candStart = d.earliestAbove(thr, t)
				d.ev.Start, d.ev.End = d.candStart, time.Time{}
				d.notePeak(t, x, s, scalars, true)
			} else {
				d.notePeak(t, x, s, scalars, false)
			}
			d.above = 0
		} else if d.cand {
			d.above++
			if d.above >= len(d.recent) {
				d.cand, d.above = false, 0
			}
		}
		if known && level > thr {
			if !d.cand { // only possible if the smoothed scores sit exactly at the threshold
				d.cand = true
				d.notePeak(t, x, s, scalars, true)
			}
			// the event starts with the first anomalous window of those that met the
			// persistence rule, not with a stray one long before
			d.candStart = d.earliestAbove(thr, t)
			d.ev.Start, d.ev.End = d.candStart, time.Time{}
			d.inEvent, d.below, d.cand, d.above = true, 0, false, 0
			r.Opened = d.ev.clone()
		}
		return
	}
	d.notePeak(t, x, s, scalars, false)
	if !known || level >= d.cfg.ExitRatio*thr {
		d.below = 0
		return
	}
	d.below++
	if d.below == 1 {
		d.candEnd = t
	}
	if d.below >= d.cfg.ExitWindows {
		d.ev.End = d.candEnd
		r.Closed = d.ev.clone()
		d.inEvent, d.below = false, 0
		d.lastEnd = d.candEnd // the next event starts after this one
	}
}

// snapshot is the persisted form of a Detector.
type snapshot struct {
	Version    int             `json:"version"`
	Config     DetectorConfig  `json:"config"`
	State      State           `json:"state"`
	Dim        int             `json:"dim"`
	Started    bool            `json:"started"`
	LearnStart time.Time       `json:"learn_start"`
	Learn      [][]float64     `json:"learn,omitempty"`
	Stride     int             `json:"stride"`
	Seen       int             `json:"seen"`
	Conditions []snapCondition `json:"conditions,omitempty"`
	Smoothed   float64         `json:"smoothed"`
	HasSm      bool            `json:"has_smoothed"`
	Ring       []float64       `json:"ring"`
	RingN      int             `json:"ring_n"`
	RingPos    int             `json:"ring_pos"`
	Recent     []float64       `json:"recent,omitempty"`
	RecentT    []time.Time     `json:"recent_t,omitempty"`
	RecentN    int             `json:"recent_n,omitempty"`
	RecentPos  int             `json:"recent_pos,omitempty"`
	Cand       bool            `json:"cand,omitempty"`
	InEvent    bool            `json:"in_event"`
	Above      int             `json:"above"`
	Below      int             `json:"below"`
	CandStart  time.Time       `json:"cand_start"`
	CandEnd    time.Time       `json:"cand_end"`
	LastEnd    time.Time       `json:"last_end,omitzero"`
	Event      Event           `json:"event"`
}

type snapCondition struct {
	Model     json.RawMessage `json:"model"`
	Gamma     Gamma           `json:"gamma"`
	Threshold float64         `json:"threshold"`
}

const snapshotVersion = 1

// MarshalBinary serialises the whole detector state (configuration, learning progress,
// models, thresholds, smoother and event state) so that a restarted daemon resumes
// exactly where it stopped.
func (d *Detector) MarshalBinary() ([]byte, error) {
	s := snapshot{
		Version: snapshotVersion, Config: d.cfg, State: d.state, Dim: d.dim,
		Started: d.started, LearnStart: d.learnStart, Learn: d.learn, Stride: d.stride, Seen: d.seen,
		Smoothed: d.smoothed, HasSm: d.hasSm, Ring: d.ring, RingN: d.ringN, RingPos: d.ringPos,
		Recent: d.recent, RecentT: d.recentT, RecentN: d.recentN, RecentPos: d.recentPos, Cand: d.cand,
		InEvent: d.inEvent, Above: d.above, Below: d.below, CandStart: d.candStart, CandEnd: d.candEnd,
		LastEnd: d.lastEnd, Event: d.ev,
	}
	for _, c := range d.conds {
		b, err := MarshalModel(c.model)
		if err != nil {
			return nil, err
		}
		s.Conditions = append(s.Conditions, snapCondition{Model: b, Gamma: c.gamma, Threshold: c.threshold})
	}
	return json.Marshal(s)
}

// Restore rebuilds a Detector serialised by MarshalBinary.
func Restore(b []byte) (*Detector, error) {
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("%w: version %d", ErrCorrupt, s.Version)
	}
	d, err := NewDetector(s.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if s.State != StateLearning && s.State != StateMonitoring {
		return nil, fmt.Errorf("%w: state %d", ErrCorrupt, s.State)
	}
	if s.Stride < 1 || len(s.Ring) != d.cfg.MedianWindow || s.RingN < 0 || s.RingN > len(s.Ring) ||
		s.RingPos < 0 || s.RingPos >= len(s.Ring) {
		return nil, fmt.Errorf("%w: smoother or learning counters", ErrCorrupt)
	}
	for _, x := range s.Learn {
		if len(x) != s.Dim {
			return nil, fmt.Errorf("%w: learning window dimension", ErrCorrupt)
		}
	}
	for _, c := range s.Conditions {
		m, err := UnmarshalModel(c.Model)
		if err != nil {
			return nil, err
		}
		if m.Dim() != s.Dim {
			return nil, fmt.Errorf("%w: model dimension %d, detector %d", ErrCorrupt, m.Dim(), s.Dim)
		}
		d.conds = append(d.conds, condition{model: m, gamma: c.Gamma, threshold: c.Threshold})
	}
	if s.State == StateMonitoring && len(d.conds) == 0 {
		return nil, fmt.Errorf("%w: monitoring without a model", ErrCorrupt)
	}
	d.state, d.dim, d.started, d.learnStart = s.State, s.Dim, s.Started, s.LearnStart
	d.learn, d.stride, d.seen = s.Learn, s.Stride, s.Seen
	d.smoothed, d.hasSm, d.ring, d.ringN, d.ringPos = s.Smoothed, s.HasSm, s.Ring, s.RingN, s.RingPos
	d.inEvent, d.above, d.below, d.candStart, d.candEnd, d.ev = s.InEvent, s.Above, s.Below, s.CandStart, s.CandEnd, s.Event
	d.lastEnd = s.LastEnd
	// Snapshots from before persistence (k of n) have no recent scores: start that window afresh.
	if len(s.Recent) == len(d.recent) && len(s.RecentT) == len(d.recent) && s.RecentN >= 0 && s.RecentN <= len(d.recent) &&
		s.RecentPos >= 0 && s.RecentPos < len(d.recent) {
		d.recent, d.recentT, d.recentN, d.recentPos, d.cand = s.Recent, s.RecentT, s.RecentN, s.RecentPos, s.Cand
	}
	return d, nil
}
