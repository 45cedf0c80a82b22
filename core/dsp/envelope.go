package dsp

import (
	"math/cmplx"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"
)

// EnvelopeSpectrum returns the amplitude spectrum of the Hilbert envelope of x, the classic
// bearing-fault demodulation: the analytic signal is computed as scipy.signal.hilbert(x)
// (FFT of length N = len(x), positive frequencies doubled, negative ones zeroed, inverse FFT),
// the envelope is its magnitude, the envelope's mean is removed, and
// mag[k] = |rfft(envelope − mean)[k]| / N at freqs[k] = k·sr/N, k = 0..N/2.
// Band-pass filter x around the resonance first for best results. Any N works (gonum's FFT
// handles all factors; prime lengths are slow). len(x) < 2 returns nil slices.
func EnvelopeSpectrum(x []float64, sr int) (freqs, mag []float64) {
	n := len(x)
	if n < 2 {
		return nil, nil
	}
	rfft := fourier.NewFFT(n)
	half := rfft.Coefficients(nil, x)

	// Analytic signal spectrum: Z[0] = X[0], Z[k] = 2X[k] for 0 < k < N/2,
	// Z[N/2] = X[N/2] for even N, Z[k] = 0 above.
	z := make([]complex128, n)
	z[0] = half[0]
	for k := 1; k < len(half); k++ {
		z[k] = 2 * half[k]
	}
	if n%2 == 0 {
		z[n/2] = half[n/2]
	}
	analytic := fourier.NewCmplxFFT(n).Sequence(nil, z) // unnormalised inverse: ×N

	env := make([]float64, n)
	var mean float64
	for i, v := range analytic {
		env[i] = cmplx.Abs(v) / float64(n)
		mean += env[i]
	}
	mean /= float64(n)
	for i := range env {
		env[i] -= mean
	}

	spec := rfft.Coefficients(half, env)
	freqs = make([]float64, len(spec))
	mag = make([]float64, len(spec))
	for k, c := range spec {
		freqs[k] = float64(k) * float64(sr) / float64(n)
		mag[k] = cmplx.Abs(c) / float64(n)
	}
	return freqs, mag
}

// FaultEnergy sums mag[k]² over the bins whose frequency lies within ±tolHz of a harmonic
// h·f0, h = 1..harmonics; a bin close to several harmonics is counted once. freqs must be
// sorted ascending (as returned by [EnvelopeSpectrum]) and as long as mag.
func FaultEnergy(freqs, mag []float64, f0 float64, harmonics int, tolHz float64) float64 {
	if len(freqs) != len(mag) || f0 <= 0 || tolHz < 0 {
		return 0
	}
	var sum float64
	next := 0 // first bin not yet counted
	for h := 1; h <= harmonics; h++ {
		c := float64(h) * f0
		lo := sort.SearchFloat64s(freqs, c-tolHz)
		lo = max(lo, next)
		for k := lo; k < len(freqs) && freqs[k] <= c+tolHz; k++ {
			sum += mag[k] * mag[k]
			next = k + 1
		}
	}
	return sum
}

// BearingOrders are rolling-element bearing defect frequencies as multiples of shaft speed.
type BearingOrders struct {
	BPFO float64 // ball pass frequency, outer race
	BPFI float64 // ball pass frequency, inner race
	BSF  float64 // ball (roller) spin frequency
	FTF  float64 // fundamental train (cage) frequency
}

// CWRU6205 returns the drive-end SKF 6205-2RS orders published by the CWRU Bearing Data
// Center: BPFI 5.4152, BPFO 3.5848, FTF 0.3983, BSF 2.357.
func CWRU6205() BearingOrders {
	return BearingOrders{BPFO: 3.5848, BPFI: 5.4152, BSF: 2.357, FTF: 0.3983}
}

// BearingFrequencies are bearing defect frequencies in Hz.
type BearingFrequencies struct {
	BPFO, BPFI, BSF, FTF float64
}

// FaultFrequencies scales orders by the shaft rotation frequency shaftHz (rpm/60). For CWRU at
// 1797 rpm: BPFO 107.4 Hz, BPFI 162.2 Hz, BSF 70.6 Hz, FTF 11.9 Hz.
func FaultFrequencies(shaftHz float64, orders BearingOrders) BearingFrequencies {
	return BearingFrequencies{
		BPFO: shaftHz * orders.BPFO,
		BPFI: shaftHz * orders.BPFI,
		BSF:  shaftHz * orders.BSF,
		FTF:  shaftHz * orders.FTF,
	}
}
