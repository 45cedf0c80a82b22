package dsp

import (
	"math/cmplx"
	"testing"

	godsp "github.com/mjibson/go-dsp/fft"
	"gonum.org/v1/gonum/dsp/fourier"
)

// TestFFTLibrariesAgree backs the FFT choice in docs/BENCHMARKS.md: gonum and go-dsp give
// the same spectrum, so the choice is about speed and allocations only.
func TestFFTLibrariesAgree(t *testing.T) {
	for _, n := range []int{1024, 2048} {
		x := noise(n, 11)
		a := fourier.NewFFT(n).Coefficients(nil, x)
		b := godsp.FFTReal(x)
		var worst, scale float64
		for k := range a {
			worst = max(worst, cmplx.Abs(a[k]-b[k]))
			scale = max(scale, cmplx.Abs(b[k]))
		}
		if worst > 1e-12*scale {
			t.Errorf("n=%d: max |gonum − go-dsp| = %g (scale %g)", n, worst, scale)
		}
		t.Logf("n=%d: max |gonum − go-dsp| / max|X| = %.2g", n, worst/scale)
	}
}
