package dsp

import "math"

// Slaney mel scale constants (librosa.core.convert.hz_to_mel with htk=False).
const (
	slaneyFSp       = 200.0 / 3 // Hz per mel below the break
	slaneyMinLogHz  = 1000.0    // break between the linear and logarithmic parts
	slaneyMinLogMel = slaneyMinLogHz / slaneyFSp
	slaneyLogStep   = 0.06875177742094912 // ln(6.4)/27, checked by TestConstants
)

// HzToMel converts a frequency in Hz to mels on the given scale, as librosa.hz_to_mel.
func HzToMel(hz float64, scale MelScale) float64 {
	if scale == MelHTK {
		return 2595 * math.Log10(1+hz/700)
	}
	if hz >= slaneyMinLogHz {
		return slaneyMinLogMel + math.Log(hz/slaneyMinLogHz)/slaneyLogStep
	}
	return hz / slaneyFSp
}

// MelToHz is the inverse of [HzToMel], as librosa.mel_to_hz.
func MelToHz(mel float64, scale MelScale) float64 {
	if scale == MelHTK {
		return 700 * (math.Pow(10, mel/2595) - 1)
	}
	if mel >= slaneyMinLogMel {
		return slaneyMinLogHz * math.Exp(slaneyLogStep*(mel-slaneyMinLogMel))
	}
	return slaneyFSp * mel
}

// MelFilterbank returns the nmels×(nfft/2+1) triangular filter matrix of
// librosa.filters.mel(sr=sr, n_fft=nfft, n_mels=nmels, fmin=fmin, fmax=fmax, htk=scale==MelHTK,
// norm='slaney'): filter edges are nmels+2 points equally spaced in mels between fmin and fmax
// (fmax 0 means sr/2), evaluated at the FFT bin frequencies k·sr/nfft, and each filter is
// scaled by 2/(f[i+2]-f[i]) so that its area is constant (Slaney normalisation). librosa
// computes in float32 by default; this function computes in float64, so values agree with
// librosa to about 1e-7 relative.
func MelFilterbank(sr, nfft, nmels int, fmin, fmax float64, scale MelScale) [][]float64 {
	if fmax == 0 {
		fmax = float64(sr) / 2
	}
	nbins := nfft/2 + 1
	w := make([][]float64, nmels)
	flat := make([]float64, nmels*nbins)
	edges := melEdges(nmels, fmin, fmax, scale)
	for i := range w {
		w[i] = flat[i*nbins : (i+1)*nbins : (i+1)*nbins]
		lo, c, hi := edges[i], edges[i+1], edges[i+2]
		enorm := 2 / (hi - lo)
		for k := range w[i] {
			f := float64(k) * float64(sr) / float64(nfft)
			lower := (f - lo) / (c - lo)
			upper := (hi - f) / (hi - c)
			if v := math.Min(lower, upper); v > 0 {
				w[i][k] = v * enorm
			}
		}
	}
	return w
}

// melEdges returns n+2 frequencies equally spaced in mels from fmin to fmax, as
// librosa.mel_frequencies(n+2, fmin, fmax, htk).
func melEdges(n int, fmin, fmax float64, scale MelScale) []float64 {
	lo, hi := HzToMel(fmin, scale), HzToMel(fmax, scale)
	out := make([]float64, n+2)
	step := (hi - lo) / float64(n+1)
	for i := range out {
		// Same arithmetic as np.linspace: start + i*step, last point exactly stop.
		out[i] = MelToHz(lo+float64(i)*step, scale)
	}
	out[n+1] = MelToHz(hi, scale)
	return out
}

// sparseFilter is one mel filter restricted to its non-zero bins, so applying the
// filterbank costs about two multiplications per FFT bin instead of nmels.
type sparseFilter struct {
	start   int
	weights []float64
}

func sparseFilterbank(dense [][]float64) []sparseFilter {
	out := make([]sparseFilter, len(dense))
	for i, row := range dense {
		first, last := -1, -1
		for k, v := range row {
			if v != 0 {
				if first < 0 {
					first = k
				}
				last = k
			}
		}
		if first < 0 {
			continue // empty filter (too many mels for the resolution): output stays 0
		}
		out[i] = sparseFilter{start: first, weights: append([]float64(nil), row[first:last+1]...)}
	}
	return out
}
