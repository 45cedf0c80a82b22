package dsp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Feature parameters: librosa's defaults for rolloff and zero crossings, and the floor
// reported for digital silence.
const (
	RolloffPercent = 0.85  // spectral_rolloff roll_percent
	ZCRThreshold   = 1e-10 // zero_crossings threshold: |x| <= this counts as +0
	DBFSFloor      = -120  // dBFS of an all-zero frame
)

// Frame holds the features of one analysis frame. Its slices are allocated once by
// [NewFrame] and overwritten by every [Extractor.Process] call; copy what must outlive it.
//
// Spectral features use the spectrum of the Hann-windowed frame X[k], k = 0..FrameSize/2,
// at bin frequencies f[k] = k·SampleRate/FrameSize. Time-domain features use the raw
// (unwindowed) samples x[0..N-1].
type Frame struct {
	Power  []float64 // |X[k]|², FrameSize/2+1 bins (librosa stft power=2, center=False)
	Mel    []float64 // mel power: MelFilterbank · Power
	LogMel []float64 // 10·log10(Mel + LogMelEps) (DCASE form)
	MFCC   []float64 // DCTOrtho(PowerToDB(Mel, 1, 1e-10, 80))[:Config.MFCC] (librosa.feature.mfcc)

	// RMS is sqrt(mean(x²)) (librosa.feature.rms on samples, no window).
	RMS float64
	// DBFS is 20·log10(RMS) relative to a full scale of 1.0, floored at DBFSFloor.
	DBFS float64
	// Peak is max|x|.
	Peak float64
	// Crest is Peak/RMS (0 for an all-zero frame).
	Crest float64
	// Kurtosis is Pearson's (non-excess) kurtosis m4/m2² with biased central moments, as
	// scipy.stats.kurtosis(x, fisher=False): 3 for Gaussian noise, 1.5 for a sine. A constant
	// frame (m2 = 0) gives 0 rather than NaN.
	Kurtosis float64
	// ZCR is the fraction of the N samples at which the sign changes from the previous
	// sample, as librosa.feature.zero_crossing_rate on one frame (center=False): samples with
	// |x| <= ZCRThreshold count as positive, the first sample never counts, and the count
	// is divided by N (not N-1).
	ZCR float64

	// Centroid is Σ f[k]·|X[k]| / Σ|X[k]| in Hz (librosa spectral_centroid, magnitude).
	Centroid float64
	// Bandwidth is (Σ |X[k]|/Σ|X| · (f[k]−Centroid)²)^(1/2) in Hz (spectral_bandwidth, p=2).
	Bandwidth float64
	// Rolloff is the lowest f[k] at which the cumulative magnitude Σ_{j<=k}|X[j]| reaches
	// RolloffPercent of the total (spectral_rolloff, magnitude).
	Rolloff float64
	// Flatness is the geometric over the arithmetic mean of max(1e-10, |X[k]|²)
	// (spectral_flatness, amin=1e-10, power=2), in [0, 1].
	Flatness float64
	// Flux is the L2 norm of the positive magnitude increments from the previous frame
	// processed by the same Extractor: sqrt(Σ_k max(0, |X_t[k]| − |X_{t−1}[k]|)²). It is 0
	// for the first frame after NewExtractor or Reset.
	Flux float64
}

// NewFrame allocates a Frame for c. c should be valid (see [Config.Validate]).
func NewFrame(c Config) *Frame {
	bins := c.FrameSize/2 + 1
	return &Frame{
		Power:  make([]float64, bins),
		Mel:    make([]float64, c.Mels),
		LogMel: make([]float64, c.Mels),
		MFCC:   make([]float64, c.MFCC),
	}
}

// Extractor computes a [Frame] from FrameSize samples. Build one per channel: it keeps the
// previous spectrum for Flux and is not safe for concurrent use.
type Extractor struct {
	cfg     Config
	fft     *fourier.FFT
	window  []float64 // periodic Hann
	buf     []float64 // windowed frame
	spec    []complex128
	mag     []float64
	prevMag []float64
	hasPrev bool
	freqs   []float64
	filters []sparseFilter
	dct     []float64 // MFCC×Mels, row-major
	db      []float64 // power_to_db(mel)
}

// NewExtractor validates c and preallocates everything [Extractor.Process] needs.
func NewExtractor(c Config) (*Extractor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := c.FrameSize
	bins := n/2 + 1
	e := &Extractor{
		cfg:     c,
		fft:     fourier.NewFFT(n),
		window:  HannWindow(n),
		buf:     make([]float64, n),
		spec:    make([]complex128, bins),
		mag:     make([]float64, bins),
		prevMag: make([]float64, bins),
		freqs:   make([]float64, bins),
		filters: sparseFilterbank(MelFilterbank(c.SampleRate, n, c.Mels, c.FMin, c.fmax(), c.Scale)),
		dct:     dctMatrix(c.MFCC, c.Mels),
		db:      make([]float64, c.Mels),
	}
	for k := range e.freqs {
		e.freqs[k] = float64(k) * float64(c.SampleRate) / float64(n)
	}
	return e, nil
}

// Config returns the configuration the Extractor was built with.
func (e *Extractor) Config() Config { return e.cfg }

// Reset forgets the previous spectrum, so the next frame's Flux is 0 (use it at a gap in
// the stream).
func (e *Extractor) Reset() { e.hasPrev = false }

// Process computes every feature of the frame x into f. len(x) must be FrameSize and f must
// come from NewFrame with the same Config; otherwise Process panics. It does not allocate.
func (e *Extractor) Process(x []float64, f *Frame) {
	n := e.cfg.FrameSize
	if len(x) != n || len(f.Power) != n/2+1 || len(f.Mel) != e.cfg.Mels || len(f.LogMel) != e.cfg.Mels || len(f.MFCC) != e.cfg.MFCC {
		panic(fmt.Sprintf("dsp: Process: frame of %d samples or Frame not built for this Config (frame_size %d)", len(x), n))
	}
	e.timeFeatures(x, f)

	buf := e.buf[:n]
	for i, w := range e.window[:n] {
		buf[i] = x[i] * w
	}
	e.fft.Coefficients(e.spec, buf)
	e.spectralFeatures(f)
	e.melFeatures(f)
}

func (e *Extractor) timeFeatures(x []float64, f *Frame) {
	n := float64(len(x))
	var sum, sumSq, peak float64
	zc := 0
	prevNeg := x[0] < -ZCRThreshold
	for _, v := range x {
		sum += v
		sumSq += v * v
		peak = max(peak, math.Abs(v))
		neg := v < -ZCRThreshold
		crossed := 0 // written so the compiler emits SETcc, not an unpredictable branch
		if neg != prevNeg {
			crossed = 1
		}
		zc += crossed
		prevNeg = neg
	}
	mean := sum / n
	var m2, m4 float64
	for _, v := range x {
		d := v - mean
		d2 := d * d
		m2 += d2
		m4 += d2 * d2
	}
	m2 /= n
	m4 /= n

	f.RMS = math.Sqrt(sumSq / n)
	f.Peak = peak
	f.ZCR = float64(zc) / n
	f.DBFS = DBFSFloor
	f.Crest = 0
	if f.RMS > 0 {
		f.DBFS = math.Max(DBFSFloor, 20*math.Log10(f.RMS))
		f.Crest = peak / f.RMS
	}
	f.Kurtosis = 0
	if m2 > 0 {
		f.Kurtosis = m4 / (m2 * m2)
	}
}

// spectralFeatures fills Power and the spectral-shape features from e.spec. Everything that
// needs only one pass over the bins is computed in one loop: it is a third of Process.
func (e *Extractor) spectralFeatures(f *Frame) {
	spec := e.spec
	power, mag := f.Power[:len(spec)], e.mag[:len(spec)]
	freqs, prev := e.freqs[:len(spec)], e.prevMag[:len(spec)]
	var total, weighted, flux, lin float64
	// Flatness: the geometric mean is a running product renormalised with Frexp every
	// four bins, as a log per bin would cost a fifth of Process (see flatnessLogs).
	mant, exp := 1.0, 0
	for k, c := range spec {
		re, im := real(c), imag(c)
		p := re*re + im*im
		m := math.Sqrt(p)
		power[k] = p
		mag[k] = m
		total += m
		weighted += freqs[k] * m
		d := max(m-prev[k], 0) // branch-free: the sign is random for noisy frames
		flux += d * d
		prev[k] = m
		pt := max(DefaultAmin, p)
		lin += pt
		mant *= pt
		if k&3 == 3 {
			var ex int
			mant, ex = math.Frexp(mant)
			exp += ex
		}
	}

	// util.normalize leaves columns whose norm is below the smallest normal float unscaled.
	norm := total
	if norm < 0x1p-1022 {
		norm = 1
	}
	centroid := weighted / norm
	var spread float64
	for k, m := range mag {
		d := freqs[k] - centroid
		spread += m / norm * d * d
	}
	f.Centroid = centroid
	f.Bandwidth = math.Sqrt(spread)

	threshold := RolloffPercent * total
	var cum float64
	f.Rolloff = freqs[len(freqs)-1]
	for k, m := range mag {
		cum += m
		if cum >= threshold {
			f.Rolloff = freqs[k]
			break
		}
	}

	n := float64(len(power))
	logSum := math.Log(mant) + float64(exp)*math.Ln2
	if mant == 0 || math.IsInf(mant, 0) || math.IsNaN(mant) {
		// Only power values beyond ~1e77 push the product out of range.
		logSum = flatnessLogs(power)
	}
	f.Flatness = math.Exp(logSum/n) / (lin / n)

	f.Flux = 0
	if e.hasPrev {
		f.Flux = math.Sqrt(flux)
	}
	e.hasPrev = true
}

// flatnessLogs is Σ log(max(amin, p)), the slow path of the flatness geometric mean.
func flatnessLogs(power []float64) float64 {
	var s float64
	for _, p := range power {
		s += math.Log(max(DefaultAmin, p))
	}
	return s
}

// melFeatures computes Mel, LogMel and MFCC from Power. Both logarithmic forms come from one
// log10 per band where possible: with u = LogMelEps/mel,
// 10·log10(mel + eps) = 10·log10(mel) + 10·log10(1 + u), and for u <= 1e-5 the series
// u − u²/2 + u³/3 gives log(1 + u) to better than 1e-20 absolute, far below the rounding of
// the log itself. The logarithms are a fifth of Process, so this is worth the lines.
func (e *Extractor) melFeatures(f *Frame) {
	const (
		seriesMin = LogMelEps * 1e5 // mel above which u <= 1e-5
		tenOverLn = 10 / math.Ln10
	)
	power := f.Power
	mel := f.Mel[:len(e.filters)]
	logMel := f.LogMel[:len(mel)]
	db := e.db[:len(mel)]
	peak := math.Inf(-1)
	for i, flt := range e.filters {
		var s float64
		p := power[flt.start : flt.start+len(flt.weights)]
		for j, w := range flt.weights {
			s += w * p[j]
		}
		mel[i] = s
		// power_to_db(mel, ref=1, amin=1e-10) before top_db clipping (as PowerToDB).
		d := 10 * math.Log10(max(DefaultAmin, s))
		db[i] = d
		peak = max(peak, d)
		if s > seriesMin {
			u := LogMelEps / s
			logMel[i] = d + tenOverLn*(u-u*u/2+u*u*u/3)
		} else {
			logMel[i] = 10 * math.Log10(s+LogMelEps)
		}
	}
	if len(f.MFCC) == 0 {
		return
	}
	floor := peak - DefaultTopDB
	for i, d := range db {
		db[i] = max(d, floor)
	}
	nm := len(db)
	for k := range f.MFCC {
		row := e.dct[k*nm : (k+1)*nm]
		var s float64
		for i, v := range db {
			s += row[i] * v
		}
		f.MFCC[k] = s
	}
}

// HannWindow returns the periodic ("DFT-even") Hann window of length n,
// w[i] = 0.5 − 0.5·cos(2πi/n), as scipy.signal.get_window('hann', n) and librosa's default.
func HannWindow(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
	}
	return w
}
