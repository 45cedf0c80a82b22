package dsp

import (
	"math"
	"math/cmplx"
	"slices"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Modulation band layout: log-spaced bands (three per octave) of modulation rate from
// ModMinHz to ModMaxHz, over the envelope of the sound above ModLowHz.
const (
	ModMinHz  = 8.0
	ModMaxHz  = 512.0
	ModBands  = 18
	ModLowHz  = 1000.0
	ModHighHz = 7200.0 // 0.45 × 16 kHz: the same band at every sample rate
)

// Modulation measures how regularly the level of a stretch of sound pulses: the power
// spectrum of the Hilbert envelope of its content from ModLowHz to ModHighHz (computed at a
// 16-kHz rate whatever the input's, so 48-kHz sound costs little more than 16-kHz), in ModBands log-spaced
// bands of modulation rate between ModMinHz and ModMaxHz, each reduced to the log10 of its
// strongest line over its median (line prominence). Impacts that repeat — a bearing defect
// striking at its defect frequency, a loose part — make a line at their rate and its
// harmonics whatever the machine's loudness and however its broadband sound varies, which
// the level spectrum of short frames cannot see. It reuses its buffers: not safe for
// concurrent use.
type Modulation struct {
	n, sr    int
	m        int // length of the envelope: n at 16 kHz, fewer samples at higher rates
	rfft     *fourier.FFT
	efft     *fourier.FFT // of the envelope (length m)
	cfft     *fourier.CmplxFFT
	x        []float64
	half     []complex128
	z        []complex128
	analytic []complex128
	env      []float64
	edges    []int // envelope-spectrum bin edges of the bands, ModBands+1
	band     []float64
	spec     []complex128
	lowBin   int
	highBin  int
}

// NewModulation returns a Modulation for stretches of n samples at sample rate sr.
func NewModulation(n, sr int) *Modulation {
	bin := func(hz float64) int { return int(math.Round(hz * float64(n) / float64(sr))) }
	low, high := max(1, bin(ModLowHz)), min(n/2, bin(min(ModHighHz, 0.45*float64(sr))))
	// the analytic signal of the band needs only its bins: an inverse FFT just long enough
	// to hold them gives the envelope at a lower rate, with the same bin spacing
	env := smooth(max(2*high+2, int(math.Ceil(float64(min(n, n*16000/sr))))))
	if env > n {
		env = n
	}
	m := &Modulation{n: n, sr: sr, m: env, rfft: fourier.NewFFT(n), efft: fourier.NewFFT(env), cfft: fourier.NewCmplxFFT(env),
		x: make([]float64, n), half: make([]complex128, n/2+1), z: make([]complex128, env),
		analytic: make([]complex128, env), env: make([]float64, env), spec: make([]complex128, env/2+1)}
	m.lowBin, m.highBin = low, high
	ratio := math.Pow(ModMaxHz/ModMinHz, 1/float64(ModBands))
	for b := 0; b <= ModBands; b++ {
		e := max(1, bin(ModMinHz*math.Pow(ratio, float64(b))))
		if b > 0 {
			e = max(e, m.edges[b-1]+2) // at least two bins: a line and a floor
		}
		m.edges = append(m.edges, e)
	}
	return m
}

// smooth returns the least number ≥ n whose only prime factors are 2, 3 and 5: FFTs of such
// lengths are fast (gonum's slow down on large prime factors).
func smooth(n int) int {
	for ; ; n++ {
		k := n
		for _, p := range []int{2, 3, 5} {
			for k%p == 0 {
				k /= p
			}
		}
		if k == 1 {
			return n
		}
	}
}

// Len returns the stretch length the Modulation was built for.
func (m *Modulation) Len() int { return m.n }

// Bands appends the ModBands values for x to dst and returns it. x shorter than Len is
// zero-padded; longer is cut to its last Len samples.
func (m *Modulation) Bands(dst, x []float64) []float64 {
	if len(x) > m.n {
		x = x[len(x)-m.n:]
	}
	copy(m.x, x)
	clear(m.x[len(x):])
	half := m.rfft.Coefficients(m.half, m.x)
	// analytic signal of the band above ModLowHz: positive frequencies doubled, the rest zero
	clear(m.z)
	for k := m.lowBin; k <= m.highBin && k < len(half); k++ {
		m.z[k] = 2 * half[k]
	}
	a := m.cfft.Sequence(m.analytic, m.z)
	var mean float64
	for i, v := range a {
		m.env[i] = cmplx.Abs(v)
		mean += m.env[i]
	}
	mean /= float64(len(m.env))
	for i := range m.env {
		m.env[i] -= mean
	}
	spec := m.efft.Coefficients(m.spec, m.env)
	for b := 0; b < ModBands; b++ {
		p := m.band[:0]
		for k := m.edges[b]; k < m.edges[b+1] && k < len(spec); k++ {
			p = append(p, real(spec[k])*real(spec[k])+imag(spec[k])*imag(spec[k]))
		}
		m.band = p
		if len(p) == 0 {
			dst = append(dst, 0)
			continue
		}
		peak := slices.Max(p)
		slices.Sort(p)
		med := p[len(p)/2]
		dst = append(dst, math.Log10((peak+1e-30)/(med+1e-30)))
	}
	return dst
}
