package detect

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"signalcraft/core/dsp"
)

// ErrConfig is wrapped by every configuration error of this package.
var ErrConfig = errors.New("detect: invalid config")

// Scalar names of dsp.Frame fields that FeatureConfig.Scalars may append to the log-mel
// vector of each frame before pooling.
var scalarFields = map[string]func(f *dsp.Frame) float64{
	"rms":       func(f *dsp.Frame) float64 { return f.RMS },
	"dbfs":      func(f *dsp.Frame) float64 { return f.DBFS },
	"peak":      func(f *dsp.Frame) float64 { return f.Peak },
	"crest":     func(f *dsp.Frame) float64 { return f.Crest },
	"kurtosis":  func(f *dsp.Frame) float64 { return f.Kurtosis },
	"zcr":       func(f *dsp.Frame) float64 { return f.ZCR },
	"centroid":  func(f *dsp.Frame) float64 { return f.Centroid },
	"bandwidth": func(f *dsp.Frame) float64 { return f.Bandwidth },
	"rolloff":   func(f *dsp.Frame) float64 { return f.Rolloff },
	"flatness":  func(f *dsp.Frame) float64 { return f.Flatness },
	"flux":      func(f *dsp.Frame) float64 { return f.Flux },
}

// FeatureConfig is the whole feature chain from samples to window vectors. The daemon
// and the evaluation build their Chain from the same FeatureConfig.
type FeatureConfig struct {
	DSP dsp.Config `json:"dsp"`
	// Window and Hop are the analysis window length and the distance between window
	// starts, in frames.
	Window int `json:"window_frames"`
	Hop    int `json:"hop_frames"`
	// Stats are the pooling statistics over the log-mel (and scalar) frames of a window.
	Stats []Stat `json:"stats"`
	// MFCC appends the frame's MFCCs to the log-mel vector.
	MFCC bool `json:"mfcc,omitempty"`
	// Scalars names dsp.Frame scalar features appended to each frame vector
	// ("rms", "dbfs", "peak", "crest", "kurtosis", "zcr", "centroid", "bandwidth",
	// "rolloff", "flatness", "flux").
	Scalars []string `json:"scalars,omitempty"`
}

// NewFeatureConfig returns a FeatureConfig with the given frame analysis and window/hop
// durations rounded to whole frames (at least one), pooled with DefaultStats.
func NewFeatureConfig(c dsp.Config, window, hop time.Duration) FeatureConfig {
	return FeatureConfig{
		DSP:    c,
		Window: FramesIn(c, window),
		Hop:    FramesIn(c, hop),
		Stats:  append([]Stat(nil), DefaultStats...),
	}
}

// FramesIn returns the number of frames whose starts fall in duration d (at least 1).
func FramesIn(c dsp.Config, d time.Duration) int {
	if c.Hop <= 0 || c.SampleRate <= 0 {
		return 1
	}
	n := int(math.Round(d.Seconds() * float64(c.SampleRate) / float64(c.Hop)))
	return max(n, 1)
}

// FrameDim returns the length of the per-frame vector: mels, plus MFCCs, plus scalars.
func (fc FeatureConfig) FrameDim() int {
	n := fc.DSP.Mels + len(fc.Scalars)
	if fc.MFCC {
		n += fc.DSP.MFCC
	}
	return n
}

// Dim returns the length of the window vectors: the frame statistics of every frame
// dimension, then the modulation bands if asked for.
func (fc FeatureConfig) Dim() int {
	s := len(frameStats(fc.Stats))
	if len(fc.Stats) == 0 {
		s = len(DefaultStats)
	}
	n := s * fc.FrameDim()
	if fc.modulation() {
		n += dsp.ModBands
	}
	return n
}

func (fc FeatureConfig) modulation() bool { return slices.Contains(fc.Stats, StatModulation) }

// Groups returns the lengths of the window vector's feature groups, for Options.Groups:
// the frame statistics, then the modulation bands when the chain computes them (one group
// otherwise, nil).
func (fc FeatureConfig) Groups() []int {
	if !fc.modulation() {
		return nil
	}
	return []int{fc.Dim() - dsp.ModBands, dsp.ModBands}
}

// Span returns the samples a window covers: (Window−1)·Hop + FrameSize.
func (fc FeatureConfig) Span() int { return (fc.Window-1)*fc.DSP.Hop + fc.DSP.FrameSize }

// Validate reports the first invalid field, wrapping ErrConfig.
func (fc FeatureConfig) Validate() error {
	if err := fc.DSP.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if fc.Window <= 0 {
		return fmt.Errorf("%w: window_frames %d must be positive", ErrConfig, fc.Window)
	}
	if fc.Hop <= 0 {
		return fmt.Errorf("%w: hop_frames %d must be positive", ErrConfig, fc.Hop)
	}
	for _, s := range fc.Stats {
		if !s.valid() {
			return fmt.Errorf("%w: stats: unknown statistic %q", ErrConfig, s)
		}
	}
	if len(fc.Stats) > 0 && len(frameStats(fc.Stats)) == 0 {
		return fmt.Errorf("%w: stats %v: at least one statistic of the frames (max, mean, std, min, delta) is needed", ErrConfig, fc.Stats)
	}
	for _, s := range fc.Scalars {
		if _, ok := scalarFields[s]; !ok {
			return fmt.Errorf("%w: scalars: unknown feature %q", ErrConfig, s)
		}
	}
	if fc.MFCC && fc.DSP.MFCC == 0 {
		return fmt.Errorf("%w: mfcc requested but dsp.mfcc is 0", ErrConfig)
	}
	return nil
}

// Chain runs samples → frames → features → window vectors. It is not safe for
// concurrent use (one per channel); Push does not allocate in steady state.
type Chain struct {
	fc      FeatureConfig
	framer  *dsp.Framer
	ext     *dsp.Extractor
	frame   *dsp.Frame
	vec     []float64
	win     *Windower
	scalars []func(*dsp.Frame) float64
	frames  int64 // frames processed since Reset
	emit    func([]float64)
	onFrame func(frame []float64)
	check   func(samples []float64) bool // flags frames a sensor fault touches; nil flags none

	// modulation: the window's raw samples, frame by frame, and the window vector with
	// the modulation bands appended
	mod     *dsp.Modulation
	raw     []float64 // ring of the last Span samples
	rawPos  int
	rawN    int
	rawLin  []float64
	withMod []float64
	onWin   func([]float64)
}

// NewChain validates fc and builds a Chain.
func NewChain(fc FeatureConfig) (*Chain, error) {
	if err := fc.Validate(); err != nil {
		return nil, err
	}
	ext, err := dsp.NewExtractor(fc.DSP)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c := &Chain{
		fc:     fc,
		framer: dsp.NewFramer(fc.DSP.FrameSize, fc.DSP.Hop),
		ext:    ext,
		frame:  dsp.NewFrame(fc.DSP),
		vec:    make([]float64, 0, fc.FrameDim()),
		win:    NewWindower(fc.FrameDim(), fc.Window, fc.Hop, frameStats(fc.Stats)...),
	}
	if fc.modulation() {
		c.mod = dsp.NewModulation(fc.Span(), fc.DSP.SampleRate)
		c.raw = make([]float64, fc.Span())
		c.rawLin = make([]float64, 0, fc.Span())
		c.withMod = make([]float64, 0, fc.Dim())
	}
	c.onWin = c.window
	for _, s := range fc.Scalars {
		c.scalars = append(c.scalars, scalarFields[s])
	}
	c.onFrame = c.processFrame
	return c, nil
}

// Config returns the chain's configuration.
func (c *Chain) Config() FeatureConfig { return c.fc }

// SetFrameCheck installs a check of each frame's samples (e.g. a sensor fault in it:
// silence, clipping, a DC offset); Flagged then tells, for each window emitted, how many of
// its frames the check flagged, so that the caller can keep the window out of scoring and
// learning. nil removes the check.
func (c *Chain) SetFrameCheck(check func(samples []float64) bool) { c.check = check }

// Flagged returns how many frames of the window being emitted (during emit) the frame check
// flagged.
func (c *Chain) Flagged() int { return c.win.Flagged() }

// Frame returns the features of the most recent frame (valid until the next Push).
func (c *Chain) Frame() *dsp.Frame { return c.frame }

// Frames returns the number of frames processed since Reset; the most recent window
// emitted ended with frame Frames()-1, which ends at sample
// (Frames()-1)·Hop + FrameSize of the stream.
func (c *Chain) Frames() int64 { return c.frames }

// Reset starts a new stream.
func (c *Chain) Reset() {
	c.framer.Reset()
	c.ext.Reset()
	c.win.Reset()
	c.frames = 0
	c.rawPos, c.rawN = 0, 0
}

// Push feeds samples and calls emit for every completed window vector. The vector is
// reused after emit returns.
func (c *Chain) Push(samples []float32, emit func(window []float64)) {
	c.emit = emit
	c.framer.Push(samples, c.onFrame)
	c.emit = nil
}

// Flush emits one window over everything pushed since Reset if no window was emitted
// (an item shorter than the window). It reports whether it emitted.
func (c *Chain) Flush(emit func(window []float64)) bool {
	c.emit = emit
	defer func() { c.emit = nil }()
	return c.win.Flush(c.onWin)
}

// window completes a pooled window vector (the modulation bands of its samples) and
// passes it on.
func (c *Chain) window(v []float64) {
	if c.mod == nil {
		c.emit(v)
		return
	}
	n := len(c.raw)
	lin := c.rawLin[:0]
	for i := 0; i < c.rawN; i++ {
		lin = append(lin, c.raw[(c.rawPos-c.rawN+i+n)%n])
	}
	c.rawLin = lin
	c.withMod = c.mod.Bands(append(c.withMod[:0], v...), lin)
	c.emit(c.withMod)
}

func (c *Chain) processFrame(x []float64) {
	c.ext.Process(x, c.frame)
	c.frames++
	v := append(c.vec[:0], c.frame.LogMel...)
	if c.fc.MFCC {
		v = append(v, c.frame.MFCC...)
	}
	for _, f := range c.scalars {
		v = append(v, f(c.frame))
	}
	c.vec = v
	if c.raw != nil { // the frame's new samples (all of the first frame's)
		fresh := x
		if c.frames > 1 {
			fresh = x[len(x)-c.fc.DSP.Hop:]
		}
		n := len(c.raw)
		for _, s := range fresh {
			c.raw[c.rawPos] = s
			c.rawPos = (c.rawPos + 1) % n
		}
		c.rawN = min(n, c.rawN+len(fresh))
	}
	c.win.PushFlagged(v, c.check != nil && c.check(x), c.onWin)
}
