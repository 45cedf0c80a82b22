package dsp

import "math"

// Band is one fractional-octave band and its level.
type Band struct {
	Center float64 // exact mid-band frequency in Hz (nominal labels such as 31.5, 63, 125 round it)
	Low    float64 // lower band edge in Hz (inclusive)
	High   float64 // upper band edge in Hz (exclusive)
	Level  float64 // 10·log10(max(1e-10, Σ power in band)), dB re one power unit
}

// octaveRatio is the IEC 61260-1 base-ten octave frequency ratio G = 10^(3/10) (checked by
// TestConstants).
const octaveRatio = 1.9952623149688797

// BandLevels sums a one-sided power spectrum (len(power) == nfft/2+1, bin k at k·sr/nfft Hz)
// into 1/fraction-octave bands (fraction 1 = octave, 3 = third-octave) laid out as in
// IEC 61260-1 with base ten: G = 10^(3/10), reference 1000 Hz, mid-band frequencies
// fm = 1000·G^(x/b) for odd b and 1000·G^((2x+1)/(2b)) for even b (x integer), band edges
// fm·G^(∓1/(2b)), i.e. fm·10^(∓0.15/b).
//
// A bin belongs to a band if its centre frequency lies in [Low, High). Bands are returned in
// increasing frequency and are included only when they are at least one bin wide
// (High−Low >= sr/nfft, so no band is empty and none is misleadingly thin) and lie entirely
// below the Nyquist frequency (High <= sr/2). The level is uncalibrated: dB relative to one
// unit of the input power. fraction < 1 or a spectrum of the wrong length returns nil.
func BandLevels(power []float64, sr, nfft int, fraction int) []Band {
	if fraction < 1 || sr <= 0 || nfft <= 0 || len(power) != nfft/2+1 {
		return nil
	}
	b := float64(fraction)
	df := float64(sr) / float64(nfft)
	nyq := float64(sr) / 2
	half := math.Pow(octaveRatio, 1/(2*b))
	var out []Band
	// x runs from well below 1 Hz up to the first band that crosses the Nyquist frequency.
	for x := -20 * fraction; ; x++ {
		e := float64(x) / b
		if fraction%2 == 0 {
			e = float64(2*x+1) / (2 * b)
		}
		fm := 1000 * math.Pow(octaveRatio, e)
		lo, hi := fm/half, fm*half
		if hi > nyq {
			break
		}
		if hi-lo < df {
			continue
		}
		var sum float64
		k0 := int(math.Ceil(lo / df))
		for k := k0; k < len(power) && float64(k)*df < hi; k++ {
			if float64(k)*df >= lo {
				sum += power[k]
			}
		}
		out = append(out, Band{Center: fm, Low: lo, High: hi, Level: 10 * math.Log10(math.Max(DefaultAmin, sum))})
	}
	return out
}
