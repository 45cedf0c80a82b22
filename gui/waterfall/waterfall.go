// Package waterfall provides a scrolling spectrogram image built from the
// band levels of successive live updates, and the colour map it paints with.
// It is plain image code: the desktop client shows the image with Fyne.
package waterfall

import (
	"image"
	"image/color"
	"math"
)

// Waterfall is a spectrogram image: time runs left to right with the newest
// column at the right edge, frequency bottom (low) to top (high).
type Waterfall struct {
	img          *image.RGBA
	cols, bands  int
	minDB, maxDB float32
	lut          [256]color.RGBA
}

// New returns a waterfall of cols columns (updates kept) and bands rows,
// colouring levels from minDB (darkest) to maxDB (brightest). It starts
// black.
func New(cols, bands int, minDB, maxDB float32) *Waterfall {
	w := &Waterfall{img: image.NewRGBA(image.Rect(0, 0, cols, bands)), cols: cols, bands: bands, minDB: minDB, maxDB: maxDB}
	for i := range w.lut {
		w.lut[i] = Colour(float64(i) / 255)
	}
	w.Clear()
	return w
}

// Clear paints the whole image with the colour of the lowest level.
func (w *Waterfall) Clear() {
	c := w.lut[0]
	for i := 0; i < len(w.img.Pix); i += 4 {
		w.img.Pix[i], w.img.Pix[i+1], w.img.Pix[i+2], w.img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
}

// Push scrolls the image one column left and paints spectrum (levels in dB,
// lowest band first) in the rightmost column. A spectrum with another
// number of bands than the image is resampled (nearest band).
func (w *Waterfall) Push(spectrum []float32) {
	stride := w.img.Stride
	last := (w.cols - 1) * 4
	scale := 255 / (w.maxDB - w.minDB)
	for y := 0; y < w.bands; y++ {
		row := w.img.Pix[y*stride : y*stride+w.cols*4]
		copy(row, row[4:])
		var v float32
		if n := len(spectrum); n > 0 {
			band := (w.bands - 1 - y) * n / w.bands
			v = spectrum[band]
		} else {
			v = w.minDB
		}
		i := (v - w.minDB) * scale
		if i != i || i < 0 { // NaN or below range
			i = 0
		}
		c := w.lut[min(int(i), 255)]
		row[last], row[last+1], row[last+2], row[last+3] = c.R, c.G, c.B, c.A
	}
}

// Image returns the image, which Push changes in place.
func (w *Waterfall) Image() *image.RGBA { return w.img }

// stops of the "inferno" colour map (matplotlib, CC0), at equal steps.
var stops = [...][3]float64{
	{0, 0, 4}, {40, 11, 84}, {101, 21, 110}, {159, 42, 99}, {212, 72, 66},
	{245, 125, 21}, {250, 193, 39}, {245, 251, 163}, {252, 255, 164},
}

// Colour maps v in [0, 1] to the inferno colour map: black through purple
// and orange to pale yellow, readable for colour-blind viewers and in
// greyscale print.
func Colour(v float64) color.RGBA {
	if v != v || v < 0 {
		v = 0
	}
	v = math.Min(v, 1) * float64(len(stops)-1)
	i := min(int(v), len(stops)-2)
	f := v - float64(i)
	a, b := stops[i], stops[i+1]
	lerp := func(k int) uint8 { return uint8(a[k] + (b[k]-a[k])*f + 0.5) }
	return color.RGBA{lerp(0), lerp(1), lerp(2), 255}
}
