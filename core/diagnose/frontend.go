package diagnose

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"signalcraft/core/dsp"
)

// Unknown is the label of a prediction whose confidence is below the model's MinConfidence.
const Unknown = "unknown"

// ErrConfig reports an unusable FrontEnd, Options or training set.
var ErrConfig = errors.New("diagnose: invalid configuration")

// FrontEnd turns a window of vibration or sound into a feature vector designed to generalise
// across loads and speeds: the envelope spectrum ([dsp.EnvelopeSpectrum]) of the window and of
// its first difference (a cheap high-pass that favours the structural resonances bearing
// impacts excite) is read at the bearing defect orders (BPFO, BPFI, BSF, FTF, 1× shaft and
// harmonics, plus the BPFI ± 1× sidebands of inner-race faults), and so are the envelope
// spectra of four FFT bands (0–⅛, ⅛–¼, ¼–½, ½–1 of Nyquist) and of the most impulsive of them
// (the band of largest kurtosis, a coarse kurtogram) scaled by ShaftHz, and each
// peak is expressed relative to the envelope spectrum's median (order tracking: the same
// fault gives the same features at another speed). Around them sit dimensionless statistics:
// kurtosis, crest, shape, impulse factor, skewness, kurtosis of the band-passed signal in four
// bands (a spectral-kurtosis-like profile), spectral band energy fractions, centroid and
// flatness — ratios, never absolute levels, so gain and load do not shift them.
//
// ShaftHz must be configured (rpm/60 of the monitored shaft): it is not estimated from the
// signal. Orders defaults to the CWRU drive-end SKF 6205 ([dsp.CWRU6205]).
type FrontEnd struct {
	Rate    int               // sample rate, Hz
	ShaftHz float64           // shaft speed in Hz (rpm/60); required
	Window  time.Duration     // analysis window; 0 means 1 s
	Orders  dsp.BearingOrders // defect orders; zero value means dsp.CWRU6205()
}

// Samples returns the window length in samples.
func (f FrontEnd) Samples() int {
	w := f.Window
	if w <= 0 {
		w = time.Second
	}
	return int(math.Round(w.Seconds() * float64(f.Rate)))
}

func (f FrontEnd) orders() dsp.BearingOrders {
	if f.Orders == (dsp.BearingOrders{}) {
		return dsp.CWRU6205()
	}
	return f.Orders
}

// Validate reports a FrontEnd that cannot produce features.
func (f FrontEnd) Validate() error {
	switch {
	case f.Rate < 1000:
		return fmt.Errorf("%w: front end rate %d Hz (want ≥ 1000)", ErrConfig, f.Rate)
	case !(f.ShaftHz > 0):
		return fmt.Errorf("%w: front end shaft speed %g Hz must be configured (rpm/60)", ErrConfig, f.ShaftHz)
	case 12*f.ShaftHz*f.orders().BPFI > float64(f.Rate)/2:
		return fmt.Errorf("%w: shaft speed %g Hz too high for rate %d Hz", ErrConfig, f.ShaftHz, f.Rate)
	case f.Samples() < f.Rate/4:
		return fmt.Errorf("%w: window %v shorter than 250 ms", ErrConfig, f.Window)
	}
	return nil
}

var (
	orderNames   = []string{"bpfo", "bpfi", "bsf", "ftf", "1x"}
	harmonics    = 3
	kurtBands    = [][2]float64{{0, 0.125}, {0.125, 0.25}, {0.25, 0.5}, {0.5, 1}} // fractions of Nyquist
	energyBands  = 8                                                              // equal-width bands of the power spectrum
	timeNames    = []string{"kurtosis", "crest", "shape", "impulse", "skewness", "diff_kurtosis"}
	spectralTail = []string{"centroid", "flatness", "high_low_ratio"}
)

// Names returns the feature names, in the order of [FrontEnd.Features].
func (f FrontEnd) Names() []string {
	var n []string
	n = append(n, timeNames...)
	for _, b := range kurtBands {
		n = append(n, fmt.Sprintf("band_kurtosis_%g_%g", b[0], b[1]))
	}
	for i := range energyBands {
		n = append(n, fmt.Sprintf("band_energy_%d", i))
	}
	n = append(n, spectralTail...)
	for _, env := range []string{"env", "denv", "kenv", "b0env", "b1env", "b2env", "b3env"} {
		for _, o := range orderNames {
			for h := 1; h <= harmonics; h++ {
				n = append(n, fmt.Sprintf("%s_%s_h%d", env, o, h))
			}
		}
		n = append(n, env+"_bpfi_sidebands")
		for _, o := range orderNames[:3] {
			n = append(n, env+"_"+o+"_share")
		}
	}
	return n
}

// Features returns the feature vector of one window x (len(x) should be about Window·Rate;
// any length of at least a quarter second works, resolution follows the length).
func (f FrontEnd) Features(x []float32) ([]float64, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if len(x) < f.Rate/4 {
		return nil, fmt.Errorf("%w: window of %d samples, want ≥ %d", ErrConfig, len(x), f.Rate/4)
	}
	v := make([]float64, len(x))
	var mean float64
	for i, s := range x {
		v[i] = float64(s)
		mean += v[i]
	}
	mean /= float64(len(v))
	for i := range v {
		v[i] -= mean
	}
	d := make([]float64, len(v))
	for i := 1; i < len(v); i++ {
		d[i] = v[i] - v[i-1]
	}
	d[0] = d[1]

	out := make([]float64, 0, len(f.Names()))
	out = append(out, timeStats(v, d)...)
	spec, bandEnv, best := f.spectral(v)
	out = append(out, spec...)
	for _, sig := range [][]float64{v, d} {
		out = append(out, f.envelopeOrders(dsp.EnvelopeSpectrum(sig, f.Rate))...)
	}
	freqs := envFreqs(len(v), f.Rate)
	perBand := make([][]float64, len(bandEnv))
	for b, mag := range bandEnv {
		perBand[b] = f.envelopeOrders(freqs, mag)
	}
	out = append(out, perBand[best]...)
	for _, pb := range perBand {
		out = append(out, pb...)
	}
	for i, o := range out {
		if math.IsNaN(o) || math.IsInf(o, 0) {
			out[i] = 0
		}
	}
	return out, nil
}

// moments returns the standardised skewness and kurtosis of a zero-mean signal, its rms,
// mean absolute value and peak.
func moments(v []float64) (skew, kurt, rms, mabs, peak float64) {
	var m2, m3, m4 float64
	for _, s := range v {
		s2 := s * s
		m2 += s2
		m3 += s2 * s
		m4 += s2 * s2
		mabs += math.Abs(s)
		peak = max(peak, math.Abs(s))
	}
	n := float64(len(v))
	m2, m3, m4, mabs = m2/n, m3/n, m4/n, mabs/n
	if m2 == 0 {
		return 0, 0, 0, 0, 0
	}
	return m3 / math.Pow(m2, 1.5), m4 / (m2 * m2), math.Sqrt(m2), mabs, peak
}

func timeStats(v, d []float64) []float64 {
	skew, kurt, rms, mabs, peak := moments(v)
	_, dk, _, _, _ := moments(d)
	return []float64{
		math.Log(kurt),
		peak / rms,
		rms / mabs,
		peak / mabs,
		skew,
		math.Log(dk),
	}
}

// spectral returns band kurtoses, band energy fractions and spectral shape ratios.
// It also returns the envelope spectrum of each band-passed signal (as [dsp.EnvelopeSpectrum]
// computes it, but from the band's analytic signal built directly from the window's FFT,
// which saves two FFTs per band) and the index of the band with the largest kurtosis, the
// band whose envelope best shows the fault impacts (a four-band kurtogram).
func (f FrontEnd) spectral(v []float64) (feats []float64, bandEnv [][]float64, best int) {
	n := len(v)
	half := fourier.NewFFT(n).Coefficients(nil, v)
	power := make([]float64, len(half))
	var total float64
	for k, c := range half {
		power[k] = real(c)*real(c) + imag(c)*imag(c)
		total += power[k]
	}
	var out []float64

	// Kurtosis of the signal band-passed by FFT masking: impulsive bearing faults raise the
	// kurtosis of the bands their resonances fall in. The inverse FFT of the band's positive
	// frequencies, doubled, is its analytic signal: real part = band signal, modulus = envelope.
	cfft := fourier.NewCmplxFFT(n)
	rfft := fourier.NewFFT(n)
	z := make([]complex128, n)
	band := make([]float64, n)
	env := make([]float64, n)
	bestK := math.Inf(-1)
	nb := len(half)
	for bi, b := range kurtBands {
		clear(z)
		lo, hi := int(b[0]*float64(nb-1)), int(b[1]*float64(nb-1))
		for k := max(lo, 1); k <= hi; k++ {
			z[k] = 2 * half[k]
			if n%2 == 0 && k == n/2 {
				z[k] = half[k]
			}
		}
		seq := cfft.Sequence(nil, z)
		var mean float64
		for i, c := range seq {
			band[i] = real(c) / float64(n)
			env[i] = cmplx.Abs(c) / float64(n)
			mean += env[i]
		}
		mean /= float64(n)
		for i := range env {
			env[i] -= mean
		}
		_, k, _, _, _ := moments(band)
		out = append(out, math.Log(k))
		if k > bestK {
			bestK, best = k, bi
		}
		spec := rfft.Coefficients(nil, env)
		mag := make([]float64, len(spec))
		for i, c := range spec {
			mag[i] = cmplx.Abs(c) / float64(n)
		}
		bandEnv = append(bandEnv, mag)
	}

	for i := range energyBands {
		lo, hi := i*nb/energyBands, (i+1)*nb/energyBands
		var e float64
		for k := max(lo, 1); k < hi; k++ {
			e += power[k]
		}
		out = append(out, e/total)
	}

	var cent, logSum, lin float64
	var lowE, highE float64
	for k := 1; k < nb; k++ {
		p := power[k] + 1e-30
		cent += float64(k) * p
		logSum += math.Log(p)
		lin += p
		if k < nb/2 {
			lowE += p
		} else {
			highE += p
		}
	}
	m := float64(nb - 1)
	out = append(out, cent/lin/m, math.Exp(logSum/m)/(lin/m), math.Log(highE/lowE))
	return out, bandEnv, best
}

// envFreqs returns the bin frequencies of the envelope spectrum of an n-sample window.
func envFreqs(n, rate int) []float64 {
	fr := make([]float64, n/2+1)
	for k := range fr {
		fr[k] = float64(k) * float64(rate) / float64(n)
	}
	return fr
}

// envelopeOrders reads an envelope spectrum at the defect orders.
func (f FrontEnd) envelopeOrders(freqs, mag []float64) []float64 {
	o := f.orders()
	sh := f.ShaftHz
	df := freqs[1] - freqs[0]

	// Median of the envelope spectrum between 0.5× shaft speed and 4×BPFI: the floor the
	// peaks are measured against, so gain, load and overall impulsiveness cancel out.
	lo, hi := int(0.5*sh/df), int(4*o.BPFI*sh/df)
	hi = min(max(hi, lo+8), len(mag)-1)
	med := median(mag[lo:hi]) + 1e-12
	peak := func(fc float64) float64 {
		tol := max(2*df, 0.01*fc)
		a, b := int((fc-tol)/df), int(math.Ceil((fc+tol)/df))
		a, b = max(a, 1), min(b, len(mag)-1)
		var p float64
		for k := a; k <= b; k++ {
			p = max(p, mag[k])
		}
		return math.Log((p + 1e-12) / med)
	}

	var out []float64
	for _, ord := range []float64{o.BPFO, o.BPFI, o.BSF, o.FTF, 1} {
		for h := 1; h <= harmonics; h++ {
			out = append(out, peak(float64(h)*ord*sh))
		}
	}
	out = append(out, (peak(o.BPFI*sh-sh)+peak(o.BPFI*sh+sh))/2)

	var total float64
	top := 4 * o.BPFI * sh
	for k, fr := range freqs {
		if fr > 0.5*sh && fr < top {
			total += mag[k] * mag[k]
		}
	}
	for _, ord := range []float64{o.BPFO, o.BPFI, o.BSF} {
		tol := max(2*df, 0.01*ord*sh)
		out = append(out, dsp.FaultEnergy(freqs, mag, ord*sh, harmonics, tol)/(total+1e-30))
	}
	return out
}

func median(s []float64) float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	if len(c) == 0 {
		return 0
	}
	return c[len(c)/2]
}
