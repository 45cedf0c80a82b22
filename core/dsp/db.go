package dsp

import "math"

// LogMelEps is the offset added to mel power before the logarithm in the log-mel feature,
// 10·log10(mel + LogMelEps). It is float32 machine epsilon (np.finfo(np.float32).eps), so
// the log-mel floor is about -69.2 dB and digital silence does not produce extreme outliers.
// Note: the DCASE 2020/2022 autoencoder baselines (common.py) add sys.float_info.epsilon
// (float64 epsilon, 2.2e-16) instead; the two forms differ by less than 0.01 dB wherever
// the mel power is above 1e-4.
const LogMelEps = 0x1p-23 // 1.1920929e-07

// Defaults of librosa.power_to_db.
const (
	DefaultAmin  = 1e-10
	DefaultTopDB = 80.0
)

// PowerToDB converts power values to decibels exactly as librosa.power_to_db with a scalar
// ref: out[i] = 10·log10(max(amin, s[i])) − 10·log10(max(amin, |ref|)), then, if topDB > 0,
// every value is raised to at least max(out) − topDB. topDB <= 0 disables the clipping
// (librosa's top_db=None). The maximum is taken over s, so for a single frame the clipping
// is per frame, whereas librosa applied to a whole spectrogram clips against the loudest bin
// of the spectrogram. out must have len(s) elements and may alias s. amin must be positive.
func PowerToDB(s []float64, ref, amin, topDB float64, out []float64) {
	if len(out) != len(s) {
		panic("dsp: PowerToDB: len(out) != len(s)")
	}
	offset := 10 * math.Log10(math.Max(amin, math.Abs(ref)))
	peak := math.Inf(-1)
	for i, v := range s {
		d := 10*math.Log10(math.Max(amin, v)) - offset
		out[i] = d
		if d > peak {
			peak = d
		}
	}
	if topDB > 0 {
		floor := peak - topDB
		for i, d := range out {
			if d < floor {
				out[i] = floor
			}
		}
	}
}

// DCTOrtho writes the first len(out) coefficients of the orthonormal DCT-II of in to out,
// as scipy.fft.dct(in, type=2, norm='ortho')[:len(out)]:
//
//	out[k] = s(k) · Σ_n in[n]·cos(π·k·(2n+1)/(2N)),  s(0) = √(1/N), s(k>0) = √(2/N).
//
// len(out) must not exceed len(in). It does not allocate; the [Extractor] uses a precomputed
// table instead of calling cos.
func DCTOrtho(in, out []float64) {
	n := len(in)
	if len(out) > n {
		panic("dsp: DCTOrtho: len(out) > len(in)")
	}
	for k := range out {
		var sum float64
		for i, v := range in {
			sum += v * math.Cos(math.Pi*float64(k)*float64(2*i+1)/float64(2*n))
		}
		out[k] = sum * dctScale(k, n)
	}
}

func dctScale(k, n int) float64 {
	if k == 0 {
		return math.Sqrt(1 / float64(n))
	}
	return math.Sqrt(2 / float64(n))
}

// dctMatrix returns the m×n orthonormal DCT-II matrix, row-major.
func dctMatrix(m, n int) []float64 {
	t := make([]float64, m*n)
	for k := 0; k < m; k++ {
		s := dctScale(k, n)
		for i := 0; i < n; i++ {
			t[k*n+i] = s * math.Cos(math.Pi*float64(k)*float64(2*i+1)/float64(2*n))
		}
	}
	return t
}
