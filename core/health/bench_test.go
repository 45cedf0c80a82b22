package health

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMeasure: the indicators of one FEMTO-sized record (2560 samples at 25.6 kHz) and of
// a 1-s window at 16 kHz, with and without the envelope at the defect frequencies.
func BenchmarkMeasure(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	d := &Defects{ShaftHz: 30, Orders: BearingOrdersFromGeometry(13, 3.5, 25.6, 0)}
	for _, c := range []struct {
		name string
		n    int
		rate int
		d    *Defects
	}{
		{"2560@25.6kHz", 2560, 25600, nil},
		{"2560@25.6kHz+envelope", 2560, 25600, d},
		{"16000@16kHz+envelope", 16000, 16000, d},
	} {
		x := make([]float64, c.n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Measure(x, c.rate, c.d)
			}
		})
	}
}

// BenchmarkMonitorAdd: one point into a monitor past its baseline (the CUSUM update).
func BenchmarkMonitorAdd(b *testing.B) {
	times, levels := degradation(1, 600)
	m, _ := NewMonitor(DefaultConfig())
	for i := range 100 {
		m.Add(times[i], levels[i])
	}
	t, level := times[100], levels[100]
	b.ResetTimer()
	for b.Loop() {
		m.Add(t, level)
	}
}

// BenchmarkEstimate: a RUL estimate (fit, 2000 posterior draws, the PHM-optimal point) after
// 500 hourly points, 300 of them degrading.
func BenchmarkEstimate(b *testing.B) {
	times, levels := degradation(1, 600)
	m, _ := NewMonitor(DefaultConfig())
	for i := range 500 {
		m.Add(times[i], levels[i])
	}
	if _, err := m.Estimate(times[499]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Estimate(times[499]); err != nil {
			b.Fatal(err)
		}
	}
}
