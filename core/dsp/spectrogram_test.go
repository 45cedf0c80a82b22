package dsp

import (
	"math"
	"testing"
)

func TestLogMelSpectrogram(t *testing.T) {
	const sr = 16000
	x := make([]float32, 4*sr)
	for i := range x { // a quiet 1 kHz tone
		x[i] = float32(0.01 * math.Sin(2*math.Pi*1000*float64(i)/sr))
	}
	click := 3 * sr // a loud click three seconds in
	for i := range 32 {
		x[click+i] = 0.9 * float32(1-2*(i%2))
	}
	s, err := LogMelSpectrogram(x, sr, 64, 40)
	if err != nil {
		t.Fatal(err)
	}
	if s.Columns != 40 || s.Bands != 64 || len(s.DB) != 40*64 || len(s.BandHz) != 64 {
		t.Fatalf("shape %d×%d, %d levels, %d band centres", s.Columns, s.Bands, len(s.DB), len(s.BandHz))
	}
	if math.Abs(s.ColumnSeconds*40-4) > 0.1 {
		t.Errorf("40 columns of %.3f s, want about 4 s in all", s.ColumnSeconds)
	}
	// The tone's band is the loudest of a quiet column.
	best := 0
	for b := range s.Bands {
		if s.At(5, b) > s.At(5, best) {
			best = b
		}
	}
	if lo, hi := s.BandHz[max(best-1, 0)], s.BandHz[min(best+1, 63)]; lo > 1000 || hi < 1000 {
		t.Errorf("loudest band %d (%.0f Hz, neighbours %.0f..%.0f Hz), want the one of 1 kHz", best, s.BandHz[best], lo, hi)
	}
	// The click's column is much louder in the top band than a column of tone alone.
	cc := int(float64(click) / sr / s.ColumnSeconds)
	if d := s.At(cc, 63) - s.At(5, 63); d < 30 {
		t.Errorf("click column %d top band %.1f dB, tone column %.1f dB: want the click 30 dB louder", cc, s.At(cc, 63), s.At(5, 63))
	}
	// Fewer frames than columns: one column per frame; shorter than a frame: one column.
	if s, err := LogMelSpectrogram(x[:sr/4], sr, 32, 1000); err != nil || s.Columns != 1+(sr/4-1024)/512 {
		t.Errorf("quarter second: %d columns, %v", s.Columns, err)
	}
	if s, err := LogMelSpectrogram(x[:100], sr, 32, 10); err != nil || s.Columns != 1 || math.IsInf(s.At(0, 0), 0) {
		t.Errorf("100 samples: %d columns, first %v, %v", s.Columns, s.At(0, 0), err)
	}
	for _, bad := range []struct {
		x              []float32
		bands, columns int
	}{{x, 64, 0}, {nil, 64, 10}, {x, 0, 10}} {
		if _, err := LogMelSpectrogram(bad.x, sr, bad.bands, bad.columns); err == nil {
			t.Errorf("%d samples, %d bands, %d columns: accepted", len(bad.x), bad.bands, bad.columns)
		}
	}
}

// BenchmarkLogMelSpectrogram: a 10-s clip at 16 kHz and at 48 kHz into 256 columns of 64
// bands, what GET /api/v1/clips/{id}/spectrogram computes.
func BenchmarkLogMelSpectrogram(b *testing.B) {
	for _, sr := range []int{16000, 48000} {
		x := make([]float32, 10*sr)
		for i := range x {
			x[i] = float32(math.Sin(float64(i) * 0.37))
		}
		b.Run(map[int]string{16000: "10s-16kHz", 48000: "10s-48kHz"}[sr], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LogMelSpectrogram(x, sr, 64, 256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
