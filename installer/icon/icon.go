// Package icon draws the SignalCraft desktop icon — a sound waveform of rounded bars, the
// middle one amber like an anomaly, on a dark rounded square — as SVG and as PNG at any size,
// from one description of the shapes, so the packages need no binary artwork in the repository.
package icon

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// ErrSize is returned for a PNG size that is not positive or is absurdly large.
var ErrSize = errors.New("icon: size must be between 1 and 4096")

// Colours.
var (
	Background = color.NRGBA{0x12, 0x39, 0x4a, 0xff}
	Wave       = color.NRGBA{0xe8, 0xf1, 0xf2, 0xff}
	Highlight  = color.NRGBA{0xf2, 0xa5, 0x41, 0xff}
)

// The shapes, in a unit square (0,0 top left to 1,1 bottom right).
const (
	bgInset  = 0.03
	bgRadius = 0.2
	barWidth = 0.055
	barLeft  = 0.2 // centre of the first bar
	barRight = 0.8 // centre of the last bar
)

// barHeights are the bars' heights from left to right; the middle one is highlighted.
var barHeights = [...]float64{0.14, 0.28, 0.46, 0.32, 0.66, 0.32, 0.46, 0.28, 0.14}

type bar struct{ cx, top, bottom float64 }

func bars() []bar {
	out := make([]bar, len(barHeights))
	step := (barRight - barLeft) / float64(len(barHeights)-1)
	for i, h := range barHeights {
		out[i] = bar{cx: barLeft + float64(i)*step, top: 0.5 - h/2, bottom: 0.5 + h/2}
	}
	return out
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// SVG returns the icon as a scalable SVG document (a 256 × 256 view box).
func SVG() []byte {
	const s = 256.0
	var b bytes.Buffer
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"256\" height=\"256\" viewBox=\"0 0 256 256\">\n")
	fmt.Fprintf(&b, "  <title>SignalCraft</title>\n")
	w := (1 - 2*bgInset) * s
	fmt.Fprintf(&b, "  <rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" rx=\"%.2f\" fill=\"%s\"/>\n",
		bgInset*s, bgInset*s, w, w, bgRadius*s, hex(Background))
	mid := len(barHeights) / 2
	for i, br := range bars() {
		fill := Wave
		if i == mid {
			fill = Highlight
		}
		fmt.Fprintf(&b, "  <rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" rx=\"%.2f\" fill=\"%s\"/>\n",
			(br.cx-barWidth/2)*s, br.top*s, barWidth*s, (br.bottom-br.top)*s, barWidth/2*s, hex(fill))
	}
	fmt.Fprintf(&b, "</svg>\n")
	return b.Bytes()
}

// inRoundRect reports whether (x, y) lies in the rectangle [x0,x1]×[y0,y1] with corner radius r.
func inRoundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}

// Image draws the icon at size × size pixels, anti-aliased by 4 × 4 supersampling.
func Image(size int) (*image.NRGBA, error) {
	if size < 1 || size > 4096 {
		return nil, fmt.Errorf("%w: %d", ErrSize, size)
	}
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	bs := bars()
	mid := len(barHeights) / 2
	for py := range size {
		for px := range size {
			var bg, wave, hi int // samples covered by each layer
			for sy := range ss {
				for sx := range ss {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					if !inRoundRect(x, y, bgInset, bgInset, 1-bgInset, 1-bgInset, bgRadius) {
						continue
					}
					bg++
					for i, br := range bs {
						if inRoundRect(x, y, br.cx-barWidth/2, br.top, br.cx+barWidth/2, br.bottom, barWidth/2) {
							if i == mid {
								hi++
							} else {
								wave++
							}
							break
						}
					}
				}
			}
			if bg == 0 {
				continue
			}
			// Bars lie inside the background, so the pixel is a mix of three opaque colours
			// over a background coverage of bg/ss².
			plain := bg - wave - hi
			mix := func(a, b, c uint8) uint8 {
				return uint8((int(a)*plain + int(b)*wave + int(c)*hi + bg/2) / bg)
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: mix(Background.R, Wave.R, Highlight.R),
				G: mix(Background.G, Wave.G, Highlight.G),
				B: mix(Background.B, Wave.B, Highlight.B),
				A: uint8((255*bg + ss*ss/2) / (ss * ss)),
			})
		}
	}
	return img, nil
}

// PNG returns the icon as a PNG file of size × size pixels.
func PNG(size int) ([]byte, error) {
	img, err := Image(size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("icon: encode png: %w", err)
	}
	return b.Bytes(), nil
}
