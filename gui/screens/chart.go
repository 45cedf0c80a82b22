package screens

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// plot draws a line chart of values into a w×h image: the values scaled
// between lo and hi, the newest at the right edge, and a dashed horizontal
// line at thr (if thr > 0). Values above thr are drawn in hot.
type plot struct {
	values         []float64
	n              int // x slots; values fill the right end
	lo, hi, thr    float64
	bg, line, hot  color.Color
	thrColour      color.Color
	grid           color.Color // nil: no grid
	gridAt         []float64   // values the grid lines are drawn at; nil: quarters of the height
	width, dashLen int
}

func (p plot) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if p.bg != nil {
		draw.Draw(img, img.Bounds(), image.NewUniform(p.bg), image.Point{}, draw.Src)
	}
	if w < 2 || h < 2 {
		return img
	}
	y := func(v float64) float64 {
		if p.hi <= p.lo {
			return float64(h) / 2
		}
		f := (v - p.lo) / (p.hi - p.lo)
		return float64(h-1) - f*float64(h-1)
	}
	if p.grid != nil {
		var rows []int
		for i := 1; i < 4 && p.gridAt == nil; i++ {
			rows = append(rows, i*h/4)
		}
		for _, v := range p.gridAt { // beside the y axis' values
			if v > p.lo && v < p.hi {
				rows = append(rows, int(math.Round(y(v))))
			}
		}
		for _, gy := range rows {
			for x := 0; x < w; x++ {
				img.Set(x, gy, p.grid)
			}
		}
	}
	if p.thr > 0 && p.thrColour != nil {
		ty := int(math.Round(y(p.thr)))
		dash := max(p.dashLen, 1)
		for x := 0; x < w; x++ {
			if (x/dash)%2 == 0 {
				for d := -1; d <= 0; d++ {
					if yy := ty + d; yy >= 0 && yy < h {
						img.Set(x, yy, p.thrColour)
					}
				}
			}
		}
	}
	n := max(p.n, len(p.values), 2)
	xOf := func(i int) float64 { // index into values → x
		slot := n - len(p.values) + i
		return float64(slot) * float64(w-1) / float64(n-1)
	}
	lw := max(p.width, 1)
	for i := 1; i < len(p.values); i++ {
		c := p.line
		if p.thr > 0 && p.hot != nil && (p.values[i] > p.thr || p.values[i-1] > p.thr) {
			c = p.hot
		}
		segment(img, xOf(i-1), y(clamp(p.values[i-1], p.lo, p.hi)), xOf(i), y(clamp(p.values[i], p.lo, p.hi)), lw, c)
	}
	return img
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// segment draws a line of width lw by stepping along its longer axis.
func segment(img *image.NRGBA, x0, y0, x1, y1 float64, lw int, c color.Color) {
	steps := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	for s := 0; s <= steps; s++ {
		t := float64(s) / float64(steps)
		x := int(math.Round(x0 + (x1-x0)*t))
		y := int(math.Round(y0 + (y1-y0)*t))
		for dx := 0; dx < lw; dx++ {
			for dy := 0; dy < lw; dy++ {
				img.Set(x+dx-lw/2, y+dy-lw/2, c)
			}
		}
	}
}

// scoreRange returns the chart's vertical range: zero up to a bit above
// the larger of the threshold and the highest score, so the threshold line
// always shows.
func scoreRange(values []float64, thr float64) (lo, hi float64) {
	hi = thr * 1.6
	for _, v := range values {
		hi = math.Max(hi, v*1.1)
	}
	if hi <= 0 {
		hi = 1
	}
	return 0, hi
}
