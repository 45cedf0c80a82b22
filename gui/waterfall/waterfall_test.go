package waterfall

import (
	"image/color"
	"math"
	"testing"
)

func TestPushScrollsLeftNewestRight(t *testing.T) {
	w := New(4, 2, -100, 0)
	w.Push([]float32{0, -100}) // low band loud, high band quiet
	img := w.Image()
	bright, dark := Colour(1), Colour(0)
	// Row 1 is the bottom: the low band.
	if got := img.RGBAAt(3, 1); got != bright {
		t.Errorf("newest low band = %v, want %v", got, bright)
	}
	if got := img.RGBAAt(3, 0); got != dark {
		t.Errorf("newest high band = %v, want %v", got, dark)
	}
	w.Push([]float32{-100, -100})
	if got := img.RGBAAt(2, 1); got != bright {
		t.Errorf("after a second push the first column moved to x=2: %v, want %v", got, bright)
	}
	if got := img.RGBAAt(3, 1); got != dark {
		t.Errorf("newest column = %v, want %v", got, dark)
	}
}

func TestPushResamplesAndClamps(t *testing.T) {
	w := New(1, 4, -100, 0)
	w.Push([]float32{50, float32(math.NaN())}) // 2 bands onto 4 rows; above and NaN clamp
	img := w.Image()
	want := []color.RGBA{Colour(0), Colour(0), Colour(1), Colour(1)} // top to bottom
	for y, c := range want {
		if got := img.RGBAAt(0, y); got != c {
			t.Errorf("row %d = %v, want %v", y, got, c)
		}
	}
	w.Push(nil)
	if got := img.RGBAAt(0, 3); got != Colour(0) {
		t.Errorf("empty spectrum painted %v", got)
	}
}

func TestColourEnds(t *testing.T) {
	tests := []struct {
		v    float64
		want color.RGBA
	}{
		{0, color.RGBA{0, 0, 4, 255}},
		{-1, color.RGBA{0, 0, 4, 255}},
		{math.NaN(), color.RGBA{0, 0, 4, 255}},
		{1, color.RGBA{252, 255, 164, 255}},
		{2, color.RGBA{252, 255, 164, 255}},
	}
	for _, tt := range tests {
		if got := Colour(tt.v); got != tt.want {
			t.Errorf("Colour(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
	// Brightness rises monotonically so louder always looks brighter.
	prev := -1.0
	for i := 0; i <= 100; i++ {
		c := Colour(float64(i) / 100)
		l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
		if l < prev-0.5 {
			t.Fatalf("luminance falls at %d%%: %.1f < %.1f", i, l, prev)
		}
		prev = l
	}
}

func BenchmarkPush(b *testing.B) {
	w := New(300, 64, -100, 0)
	s := make([]float32, 64)
	for i := range s {
		s[i] = -float32(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Push(s)
	}
}
