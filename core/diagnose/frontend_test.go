package diagnose

import (
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"signalcraft/core/dsp"
)

// TestBandEnvelopeMatchesDSP checks the shortcut in FrontEnd.spectral: the envelope spectrum
// of each band, built from the band's analytic signal, equals dsp.EnvelopeSpectrum of the
// band-passed signal.
func TestBandEnvelopeMatchesDSP(t *testing.T) {
	const n, rate = 3000, 12000
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64() + math.Sin(2*math.Pi*3000*float64(i)/rate)*(1+math.Sin(2*math.Pi*100*float64(i)/rate))
	}
	fe := FrontEnd{Rate: rate, ShaftHz: 30}
	_, bandEnv, _ := fe.spectral(v)
	half := fourier.NewFFT(n).Coefficients(nil, v)
	nb := len(half)
	for bi, b := range kurtBands {
		z := make([]complex128, n)
		lo, hi := int(b[0]*float64(nb-1)), int(b[1]*float64(nb-1))
		for k := max(lo, 1); k <= hi; k++ {
			z[k] = half[k]
			if n-k != k {
				z[n-k] = cmplx.Conj(half[k])
			}
		}
		band := make([]float64, n)
		for i, c := range fourier.NewCmplxFFT(n).Sequence(nil, z) {
			band[i] = real(c) / n
		}
		_, want := dsp.EnvelopeSpectrum(band, rate)
		var maxDiff, peak float64
		for k := range want {
			maxDiff = max(maxDiff, math.Abs(want[k]-bandEnv[bi][k]))
			peak = max(peak, want[k])
		}
		if maxDiff > 1e-9*peak {
			t.Errorf("band %d: envelope spectra differ by %g (peak %g)", bi, maxDiff, peak)
		}
	}
}

func TestFrontEndValidate(t *testing.T) {
	tests := []struct {
		name string
		fe   FrontEnd
		n    int
	}{
		{"no shaft speed", FrontEnd{Rate: 12000}, 12000},
		{"low rate", FrontEnd{Rate: 500, ShaftHz: 30}, 500},
		{"short window", FrontEnd{Rate: 12000, ShaftHz: 30}, 1000},
	}
	for _, tt := range tests {
		if _, err := tt.fe.Features(make([]float32, tt.n)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", tt.name, err)
		}
	}
	fe := FrontEnd{Rate: 12000, ShaftHz: 30}
	v, err := fe.Features(make([]float32, 12000))
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != len(fe.Names()) {
		t.Fatalf("%d features, %d names", len(v), len(fe.Names()))
	}
}
