// Package sensor classifies the health of one audio channel from its samples: ok, silent,
// clipping, offset (a DC offset) or stuck (identical samples), plus the states a capture
// source reports itself (lost, reconnecting, ended). A Monitor keeps the current state and
// when it began; ClassifyFrame judges one short analysis frame on its own, so that the
// windows a sensor fault touches can be kept out of anomaly scoring however short it is.
package sensor

import (
	"fmt"
	"math"
	"time"
)

// State is the health of a sensor channel.
type State string

// The states, in increasing order of precedence when several hold at once.
const (
	OK           State = "ok"
	Silent       State = "silent"
	Clipping     State = "clipping"
	Offset       State = "offset" // a DC offset: the signal sits far from zero
	Stuck        State = "stuck"
	Reconnecting State = "reconnecting"
	Lost         State = "lost"
	Ended        State = "ended" // a finite source (a replayed recording) has finished
)

// Thresholds decide when a window of samples is unhealthy.
type Thresholds struct {
	SilentDBFS float64 // RMS below this level is silence (e.g. -70 dBFS)
	ClipLevel  float64 // |x| at or above this is a clipped sample (e.g. 0.999)
	ClipMin    int     // a window with at least this many clipped samples is clipping (e.g. 3)
	// FlatTopLevel: a signal that flattens at a level of its own below full scale (a
	// saturated preamplifier) shows FlatTopMin or more samples exactly at its peak, in runs;
	// peaks below FlatTopLevel are not judged so (quiet sound repeats values by
	// quantisation).
	FlatTopLevel    float64
	FlatTopMin      int
	StuckFraction   float64       // more repeated consecutive samples than this fraction is stuck (e.g. 0.95)
	OffsetLevel     float64       // |mean| above this (and above the AC level) is a DC offset (e.g. 0.05)
	Window          time.Duration // samples are judged in windows of this length
	SilentFor       time.Duration // silence must last this long before the state changes
	RecoverWindows  int           // healthy windows needed to return to ok
	MinStuckSamples int           // windows shorter than this are never called stuck
}

// DefaultThresholds are sensible for industrial microphones.
func DefaultThresholds() Thresholds {
	return Thresholds{
		SilentDBFS:      -70,
		ClipLevel:       0.999,
		ClipMin:         3,
		FlatTopLevel:    0.25,
		FlatTopMin:      3,
		StuckFraction:   0.95,
		OffsetLevel:     0.05,
		Window:          time.Second,
		SilentFor:       2 * time.Second,
		RecoverWindows:  2,
		MinStuckSamples: 64,
	}
}

// Validate reports the first unusable threshold, naming it.
func (t Thresholds) Validate() error {
	switch {
	case t.SilentDBFS >= 0:
		return fmt.Errorf("sensor: silent_dbfs %v: must be below 0", t.SilentDBFS)
	case t.ClipLevel <= 0 || t.ClipLevel > 1:
		return fmt.Errorf("sensor: clip_level %v: must be in (0, 1]", t.ClipLevel)
	case t.ClipMin < 1:
		return fmt.Errorf("sensor: clip_min %d: must be at least 1", t.ClipMin)
	case !(t.FlatTopLevel > 0 && t.FlatTopLevel <= 1) || t.FlatTopMin < 2:
		return fmt.Errorf("sensor: flat_top_level %v, flat_top_min %d: must be in (0, 1] and at least 2", t.FlatTopLevel, t.FlatTopMin)
	case t.StuckFraction <= 0 || t.StuckFraction > 1:
		return fmt.Errorf("sensor: stuck_fraction %v: must be in (0, 1]", t.StuckFraction)
	case !(t.OffsetLevel > 0 && t.OffsetLevel <= 1):
		return fmt.Errorf("sensor: offset_level %v: must be in (0, 1]", t.OffsetLevel)
	case t.Window <= 0:
		return fmt.Errorf("sensor: window %v: must be positive", t.Window)
	case t.SilentFor < 0:
		return fmt.Errorf("sensor: silent_for %v: must not be negative", t.SilentFor)
	case t.RecoverWindows < 1:
		return fmt.Errorf("sensor: recover_windows %d: must be at least 1", t.RecoverWindows)
	}
	return nil
}

// WindowStats summarises one window of samples.
type WindowStats struct {
	N        int
	RMS      float64
	DBFS     float64
	Peak     float64
	Clipped  int // samples at or above the clip level
	Repeated int // samples identical to their predecessor
	Mean     float64
	AtPeak   int // samples exactly at the peak magnitude, in runs of two or more (a flat top)
}

// Measure computes the statistics of a window. prev is the last sample of the previous window
// (so repeats are counted across window boundaries); pass NaN when there is none. Clipped
// counts the samples at or above clipLevel.
func Measure(x []float32, prev float32, clipLevel float64) WindowStats {
	return measure(x, float64(prev), clipLevel)
}

// MeasureFrame is Measure for a frame of float64 samples (an analysis frame of the
// feature chain), with no predecessor.
func MeasureFrame(x []float64, clipLevel float64) WindowStats {
	return measure(x, math.NaN(), clipLevel)
}

func measure[T float32 | float64](x []T, prev, clipLevel float64) WindowStats {
	var s WindowStats
	s.N = len(x)
	var sum, lin float64
	last := prev
	for _, v := range x {
		f := float64(v)
		sum += f * f
		lin += f
		a := math.Abs(f)
		if a > s.Peak {
			s.Peak = a
		}
		if a >= clipLevel {
			s.Clipped++
		}
		if f == last && f != 0 { // repeated zeros are silence, not a frozen converter
			s.Repeated++
		}
		last = f
	}
	if s.N > 0 {
		s.RMS = math.Sqrt(sum / float64(s.N))
		s.Mean = lin / float64(s.N)
		run := 0 // samples at the peak in runs of at least two: a flattened top
		for _, v := range x {
			if math.Abs(float64(v)) != s.Peak {
				run = 0
				continue
			}
			if run++; run == 2 {
				s.AtPeak += 2
			} else if run > 2 {
				s.AtPeak++
			}
		}
	}
	s.DBFS = DBFS(s.RMS)
	return s
}

// clipped returns the samples of s that show clipping: at or above the clip level, or, for
// a signal flattened at a level of its own, the samples exactly at its peak.
func (t Thresholds) clipped(s WindowStats) int {
	if s.Peak >= t.FlatTopLevel && s.Peak < t.ClipLevel && s.AtPeak >= t.FlatTopMin {
		return s.Clipped + s.AtPeak
	}
	return s.Clipped
}

// FrameFault reports whether ClassifyFrame finds a sensor fault in the frame; it is the
// frame check the feature chain of the daemon, adapt and eval installs
// (detect.Chain.SetFrameCheck).
func (t Thresholds) FrameFault(x []float64) bool { return t.ClassifyFrame(x) != OK }

// ClassifyFrame judges one analysis frame (tens of milliseconds) on its own, with no
// confirmation over time: what the Monitor would call the frame if it lasted, except that
// a single clipped sample is enough (it spoils the frame's spectrum). The feature chain
// uses it to keep every window that touches a sensor fault out of scoring and learning,
// however short the fault.
func (t Thresholds) ClassifyFrame(x []float64) State {
	s := MeasureFrame(x, t.ClipLevel)
	if st := t.Classify(s); st != OK {
		return st
	}
	if t.clipped(s) > 0 {
		return Clipping
	}
	return OK
}

// DBFS converts an RMS level (full scale 1.0) to dBFS, floored at -120.
func DBFS(rms float64) float64 {
	if rms <= 1e-6 {
		return -120
	}
	return 20 * math.Log10(rms)
}

// Classify returns the health a single window suggests on its own.
func (t Thresholds) Classify(s WindowStats) State {
	if s.N == 0 {
		return OK
	}
	n := float64(s.N)
	switch {
	case s.N >= t.MinStuckSamples && float64(s.Repeated)/n > t.StuckFraction && s.RMS > 0:
		return Stuck // a non-zero constant: a converter or driver has frozen
	case t.clipped(s) >= t.ClipMin:
		return Clipping
	case t.OffsetLevel > 0 && math.Abs(s.Mean) > t.OffsetLevel && s.Mean*s.Mean > s.RMS*s.RMS-s.Mean*s.Mean:
		return Offset // the DC part outweighs the sound itself
	case s.DBFS < t.SilentDBFS:
		return Silent // digital zero lands here too: it is silence, not a stuck value
	}
	return OK
}

// Change describes a state transition.
type Change struct {
	From, To State
	At       time.Time
	Detail   string
	// Offset is, for a change Samples found, how many of the samples given took effect
	// before it: the change holds from that sample on.
	Offset int
}

// Faulty reports whether a state means the sound is not the machine's as it is (silent,
// clipping, offset, stuck, lost or reconnecting).
func (s State) Faulty() bool { return s != OK && s != Ended }

// Timeline remembers where in a stream (by sample position) a sensor's state changed, so
// that the state in effect at any recent sample can be told exactly, whatever the blocks
// the samples came in: the daemon and the offline evaluation so leave out the same
// windows. It keeps the last MaxMarks changes.
type Timeline struct {
	marks []mark
}

type mark struct {
	pos   uint64
	state State
}

// MaxMarks bounds a Timeline.
const MaxMarks = 64

// Mark records that the state became s at sample pos (positions must not decrease).
func (tl *Timeline) Mark(pos uint64, s State) {
	if len(tl.marks) == MaxMarks {
		tl.marks = append(tl.marks[:0], tl.marks[1:]...)
	}
	tl.marks = append(tl.marks, mark{pos, s})
}

// At returns the state in effect at sample pos (OK before the first mark).
func (tl *Timeline) At(pos uint64) State {
	for i := len(tl.marks) - 1; i >= 0; i-- {
		if tl.marks[i].pos <= pos {
			return tl.marks[i].state
		}
	}
	return OK
}

// Faulty reports whether the sensor was at fault anywhere in [from, to): a window of
// sound that spans a fault is not the machine's sound.
func (tl *Timeline) Faulty(from, to uint64) bool {
	if tl.At(from).Faulty() {
		return true
	}
	for _, m := range tl.marks {
		if m.pos > from && m.pos < to && m.state.Faulty() {
			return true
		}
	}
	return false
}

// Monitor tracks one channel's health across windows. It is not safe for concurrent use.
type Monitor struct {
	t          Thresholds
	rate       int
	window     int // samples per window
	buf        []float32
	prev       float32
	state      State
	since      time.Time
	silentFrom time.Time
	healthy    int
	last       WindowStats
}

// NewMonitor returns a monitor for a channel at the given sample rate, starting in OK at start.
func NewMonitor(t Thresholds, sampleRate int, start time.Time) (*Monitor, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if sampleRate <= 0 {
		return nil, fmt.Errorf("sensor: sample_rate %d: must be positive", sampleRate)
	}
	w := int(float64(sampleRate) * t.Window.Seconds())
	if w < 1 {
		w = 1
	}
	return &Monitor{t: t, rate: sampleRate, window: w, buf: make([]float32, 0, w),
		prev: float32(math.NaN()), state: OK, since: start}, nil
}

// State returns the current state and when it began.
func (m *Monitor) State() (State, time.Time) { return m.state, m.since }

// Last returns the statistics of the most recent complete window.
func (m *Monitor) Last() WindowStats { return m.last }

// Samples feeds samples that began at time t. It returns the state changes they caused.
func (m *Monitor) Samples(t time.Time, x []float32) []Change {
	var changes []Change
	offset := 0
	for len(x) > 0 {
		n := min(m.window-len(m.buf), len(x))
		m.buf = append(m.buf, x[:n]...)
		x = x[n:]
		offset += n
		if len(m.buf) < m.window {
			break
		}
		end := t.Add(time.Duration(float64(offset) / float64(m.rate) * float64(time.Second)))
		if c, ok := m.judge(end); ok {
			c.Offset = offset
			changes = append(changes, c)
		}
		m.buf = m.buf[:0]
	}
	return changes
}

func (m *Monitor) judge(at time.Time) (Change, bool) {
	s := Measure(m.buf, m.prev, m.t.ClipLevel)
	m.prev = m.buf[len(m.buf)-1]
	m.last = s
	if m.state == Lost || m.state == Reconnecting || m.state == Ended {
		// samples are flowing again: the source is back
		return m.set(OK, at, "samples flowing again"), true
	}
	got := m.t.Classify(s)
	if got == Silent {
		if m.silentFrom.IsZero() {
			m.silentFrom = at.Add(-m.t.Window)
		}
		if at.Sub(m.silentFrom) < m.t.SilentFor {
			got = m.state // not silent for long enough yet
			if got == Silent {
				got = OK
			}
		}
	} else {
		m.silentFrom = time.Time{}
	}
	if got == m.state {
		m.healthy = 0
		return Change{}, false
	}
	if got == OK {
		m.healthy++
		if m.healthy < m.t.RecoverWindows {
			return Change{}, false
		}
	}
	m.healthy = 0
	return m.set(got, at, detail(got, s)), true
}

// Report records a state the source itself reports (Lost, Reconnecting, Ended).
func (m *Monitor) Report(s State, at time.Time, detail string) (Change, bool) {
	if s == m.state {
		return Change{}, false
	}
	m.buf = m.buf[:0]
	m.healthy = 0
	m.silentFrom = time.Time{}
	return m.set(s, at, detail), true
}

func (m *Monitor) set(s State, at time.Time, d string) Change {
	c := Change{From: m.state, To: s, At: at, Detail: d}
	m.state, m.since = s, at
	return c
}

func detail(s State, w WindowStats) string {
	switch s {
	case Silent:
		return fmt.Sprintf("level %.1f dBFS", w.DBFS)
	case Clipping:
		if w.Clipped == 0 {
			return fmt.Sprintf("%d of %d samples flattened at %.2f of full scale", w.AtPeak, w.N, w.Peak)
		}
		return fmt.Sprintf("%d of %d samples clipped", w.Clipped, w.N)
	case Stuck:
		return fmt.Sprintf("%d of %d samples repeated", w.Repeated, w.N)
	case Offset:
		return fmt.Sprintf("DC offset %+.3f of full scale", w.Mean)
	}
	return fmt.Sprintf("level %.1f dBFS", w.DBFS)
}
