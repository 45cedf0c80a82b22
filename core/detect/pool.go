package detect

import (
	"fmt"
	"math"
)

// Stat is one per-dimension statistic a Pooler computes over the frames of a window.
type Stat string

// Pooling statistics. Each contributes one value per frame dimension to the window
// vector, in the order listed in the configuration.
const (
	StatMean  Stat = "mean"  // arithmetic mean
	StatStd   Stat = "std"   // population standard deviation (ddof 0)
	StatMax   Stat = "max"   // maximum
	StatMin   Stat = "min"   // minimum
	StatDelta Stat = "delta" // mean absolute difference between consecutive frames
	// StatModulation is not a statistic of the frames but of the window's sound: its
	// envelope modulation spectrum in dsp.ModBands bands (dsp.Modulation), for impacts
	// that repeat at 8–512 Hz (a bearing defect) whatever the level.
	StatModulation Stat = "modulation"
)

// Stats lists every statistic a window may be pooled with.
var Stats = []Stat{StatMax, StatMean, StatStd, StatMin, StatDelta, StatModulation}

func (s Stat) valid() bool { return s.frame() || s == StatModulation }

// frame reports whether s is a statistic of the frames (all but modulation).
func (s Stat) frame() bool {
	switch s {
	case StatMean, StatStd, StatMax, StatMin, StatDelta:
		return true
	}
	return false
}

// frameStats returns the statistics of stats computed over frames.
func frameStats(stats []Stat) []Stat {
	var out []Stat
	for _, s := range stats {
		if s.frame() {
			out = append(out, s)
		}
	}
	return out
}

// DefaultStats is the pooling used when none is configured: the per-band maximum.
// On the DCASE 2022 valve data (short open/close transients in noise) the per-band
// maximum over a window separates normal from anomalous clips far better than the
// mean (see docs/EVALUATION.md); on stationary machines it behaves like the mean.
var DefaultStats = []Stat{StatMax}

// Pooler accumulates frame vectors of a fixed dimension and reduces them to one window
// vector of per-dimension statistics. It is not safe for concurrent use; Add and Vector
// do not allocate once dst has capacity.
type Pooler struct {
	dim   int
	stats []Stat
	n     int
	sum   []float64
	sumsq []float64
	max   []float64
	min   []float64
	dsum  []float64
	prev  []float64
}

// NewPooler returns a Pooler for frame vectors of length dim computing stats (DefaultStats
// when none are given). It panics if dim is not positive or a stat is unknown: both are
// programming errors caught earlier by FeatureConfig.Validate.
func NewPooler(dim int, stats ...Stat) *Pooler {
	if dim <= 0 {
		panic(fmt.Sprintf("detect: NewPooler dim %d", dim))
	}
	if len(stats) == 0 {
		stats = DefaultStats
	}
	for _, s := range stats {
		if !s.frame() {
			panic(fmt.Sprintf("detect: unknown pooling stat %q", s))
		}
	}
	p := &Pooler{dim: dim, stats: append([]Stat(nil), stats...)}
	p.sum = make([]float64, dim)
	p.sumsq = make([]float64, dim)
	p.max = make([]float64, dim)
	p.min = make([]float64, dim)
	p.dsum = make([]float64, dim)
	p.prev = make([]float64, dim)
	p.Reset()
	return p
}

// Dim returns the length of the window vectors: len(stats)·dim.
func (p *Pooler) Dim() int { return len(p.stats) * p.dim }

// N returns the number of frames added since the last Reset.
func (p *Pooler) N() int { return p.n }

// Reset forgets all frames.
func (p *Pooler) Reset() {
	p.n = 0
	for i := range p.sum {
		p.sum[i], p.sumsq[i], p.dsum[i] = 0, 0, 0
		p.max[i], p.min[i] = math.Inf(-1), math.Inf(1)
	}
}

// Add accumulates one frame vector; len(v) must be the Pooler's dim.
func (p *Pooler) Add(v []float64) {
	if len(v) != p.dim {
		panic(fmt.Sprintf("detect: Pooler.Add got %d values, want %d", len(v), p.dim))
	}
	for i, x := range v {
		p.sum[i] += x
		p.sumsq[i] += x * x
		if x > p.max[i] {
			p.max[i] = x
		}
		if x < p.min[i] {
			p.min[i] = x
		}
		if p.n > 0 {
			p.dsum[i] += math.Abs(x - p.prev[i])
		}
		p.prev[i] = x
	}
	p.n++
}

// Vector appends the window vector to dst[:0] and returns it. With no frames added
// every value is 0.
func (p *Pooler) Vector(dst []float64) []float64 {
	dst = dst[:0]
	n := float64(p.n)
	for _, s := range p.stats {
		for i := 0; i < p.dim; i++ {
			var v float64
			if p.n > 0 {
				switch s {
				case StatMean:
					v = p.sum[i] / n
				case StatStd:
					m := p.sum[i] / n
					v = math.Sqrt(math.Max(0, p.sumsq[i]/n-m*m))
				case StatMax:
					v = p.max[i]
				case StatMin:
					v = p.min[i]
				case StatDelta:
					if p.n > 1 {
						v = p.dsum[i] / float64(p.n-1)
					}
				}
			}
			dst = append(dst, v)
		}
	}
	return dst
}

// Windower cuts a stream of frame vectors into windows of Size frames starting every Hop
// frames and pools each window. Frames are kept in a ring so overlapping windows (Hop <
// Size) are exact. It is not safe for concurrent use; Push does not allocate.
type Windower struct {
	size, hop int
	dim       int
	ring      [][]float64
	flag      []bool // per ring slot: the frame was pushed flagged
	flagged   int    // flagged frames in the ring
	next      int    // ring slot of the next frame
	count     int64  // frames seen since Reset
	emitted   int64  // windows emitted since Reset
	pool      *Pooler
	out       []float64
}

// NewWindower returns a Windower for frame vectors of length dim.
func NewWindower(dim, size, hop int, stats ...Stat) *Windower {
	if size <= 0 || hop <= 0 {
		panic(fmt.Sprintf("detect: NewWindower size %d hop %d", size, hop))
	}
	w := &Windower{size: size, hop: hop, dim: dim, pool: NewPooler(dim, stats...)}
	w.ring = make([][]float64, size)
	for i := range w.ring {
		w.ring[i] = make([]float64, dim)
	}
	w.flag = make([]bool, size)
	w.out = make([]float64, 0, w.pool.Dim())
	return w
}

// Dim returns the window vector length.
func (w *Windower) Dim() int { return w.pool.Dim() }

// Reset discards buffered frames.
func (w *Windower) Reset() {
	w.next, w.count, w.emitted, w.flagged = 0, 0, 0, 0
	clear(w.flag)
}

// Push adds one frame vector and calls emit with the pooled vector when it completes a
// window. The vector passed to emit is reused: copy it to keep it.
func (w *Windower) Push(v []float64, emit func(window []float64)) { w.PushFlagged(v, false, emit) }

// PushFlagged is Push for a frame that may be flagged (a sensor fault in it): Flagged,
// called from emit, says how many frames of the window being emitted were.
func (w *Windower) PushFlagged(v []float64, flagged bool, emit func(window []float64)) {
	copy(w.ring[w.next], v)
	if w.flag[w.next] {
		w.flagged--
	}
	if w.flag[w.next] = flagged; flagged {
		w.flagged++
	}
	w.next = (w.next + 1) % w.size
	w.count++
	if w.count >= int64(w.size) && (w.count-int64(w.size))%int64(w.hop) == 0 {
		w.emit(w.size, emit)
	}
}

// Flagged returns how many of the frames in the ring (the window being emitted, during
// emit) were pushed flagged.
func (w *Windower) Flagged() int { return w.flagged }

// Flush emits one window over the buffered frames if no window has been emitted since
// Reset and at least one frame was pushed: a finite item shorter than the window (a
// 10-s clip against a 10-s window that needs one frame more) still yields one vector.
// It reports whether it emitted.
func (w *Windower) Flush(emit func(window []float64)) bool {
	if w.emitted > 0 || w.count == 0 {
		return false
	}
	w.emit(int(w.count), emit)
	return true
}

func (w *Windower) emit(n int, emit func([]float64)) {
	w.pool.Reset()
	start := (w.next - n + w.size) % w.size
	for i := 0; i < n; i++ {
		w.pool.Add(w.ring[(start+i)%w.size])
	}
	w.out = w.pool.Vector(w.out)
	w.emitted++
	emit(w.out)
}
