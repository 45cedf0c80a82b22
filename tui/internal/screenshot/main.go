// Command screenshot renders a terminal screen captured as text with ANSI
// colours (a golden file of the client's View, or tmux capture-pane -e) to a
// PNG with a monospace font, for the documentation:
//
//	go run ./tui/internal/screenshot -o docs/screenshots/tui-overview.png tui/app/testdata/overview_120x40.ansi.golden
//
// It understands the SGR attributes the client uses: the 16 basic colours,
// 256-colour and true-colour foregrounds and backgrounds, bold, underline
// and reverse.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// xterm's default palette for the 16 basic colours.
var palette = []color.RGBA{
	{0x00, 0x00, 0x00, 0xff}, {0xcd, 0x31, 0x31, 0xff}, {0x0d, 0xbc, 0x79, 0xff}, {0xe5, 0xe5, 0x10, 0xff},
	{0x24, 0x72, 0xc8, 0xff}, {0xbc, 0x3f, 0xbc, 0xff}, {0x11, 0xa8, 0xcd, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
	{0x76, 0x76, 0x76, 0xff}, {0xf1, 0x4c, 0x4c, 0xff}, {0x23, 0xd1, 0x8b, 0xff}, {0xf5, 0xf5, 0x43, 0xff},
	{0x3b, 0x8e, 0xea, 0xff}, {0xd6, 0x70, 0xd6, 0xff}, {0x29, 0xb8, 0xdb, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

var (
	defaultFG = color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
	defaultBG = color.RGBA{0x1e, 0x1e, 0x1e, 0xff}
)

type attr struct {
	fg, bg           color.RGBA
	bold, under, rev bool
}

type cell struct {
	r rune
	a attr
}

func main() {
	out := flag.String("o", "screen.png", "output PNG")
	fontPath := flag.String("font", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "monospace TrueType font")
	boldPath := flag.String("bold", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", "bold font (optional)")
	size := flag.Float64("size", 15, "font size in points (at 72 dpi: pixels)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: screenshot [-o out.png] [-font F.ttf] SCREEN.ansi")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out, *fontPath, *boldPath, *size); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

func loadFace(path string, size float64) (font.Face, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := opentype.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

func run(in, out, fontPath, boldPath string, size float64) error {
	text, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	face, err := loadFace(fontPath, size)
	if err != nil {
		return err
	}
	bold := face
	if boldPath != "" {
		if b, err := loadFace(boldPath, size); err == nil {
			bold = b
		}
	}
	grid := parse(string(text))
	cols := 0
	for _, row := range grid {
		cols = max(cols, len(row))
	}
	adv, _ := face.GlyphAdvance('M')
	cw := adv.Ceil()
	m := face.Metrics()
	ch := (m.Ascent + m.Descent).Ceil() + 2
	const pad = 12
	img := image.NewRGBA(image.Rect(0, 0, cols*cw+2*pad, len(grid)*ch+2*pad))
	draw.Draw(img, img.Bounds(), image.NewUniform(defaultBG), image.Point{}, draw.Src)
	for y, row := range grid {
		for x, c := range row {
			fg, bg := c.a.fg, c.a.bg
			if c.a.rev {
				fg, bg = bg, fg
			}
			r := image.Rect(pad+x*cw, pad+y*ch, pad+(x+1)*cw, pad+(y+1)*ch)
			if bg != defaultBG {
				draw.Draw(img, r, image.NewUniform(bg), image.Point{}, draw.Src)
			}
			if c.r == 0 || c.r == ' ' {
				if c.a.under {
					draw.Draw(img, image.Rect(r.Min.X, r.Max.Y-2, r.Max.X, r.Max.Y-1), image.NewUniform(fg), image.Point{}, draw.Src)
				}
				continue
			}
			if blockGlyph(img, r, c.r, fg) {
				continue
			}
			f := face
			if c.a.bold {
				f = bold
			}
			d := font.Drawer{Dst: img, Src: image.NewUniform(fg), Face: f,
				Dot: fixed.P(r.Min.X, r.Min.Y+m.Ascent.Ceil()+1)}
			d.DrawString(string(c.r))
			if c.a.under {
				draw.Draw(img, image.Rect(r.Min.X, r.Max.Y-2, r.Max.X, r.Max.Y-1), image.NewUniform(fg), image.Point{}, draw.Src)
			}
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// blockGlyph fills the block elements (▁…█) and box lines as rectangles, so
// bars join up without the font's gaps.
func blockGlyph(img *image.RGBA, r image.Rectangle, ch rune, fg color.RGBA) bool {
	u := image.NewUniform(fg)
	switch {
	case ch >= '▁' && ch <= '█':
		n := int(ch-'▁') + 1 // eighths
		h := r.Dy() * n / 8
		draw.Draw(img, image.Rect(r.Min.X, r.Max.Y-h, r.Max.X, r.Max.Y), u, image.Point{}, draw.Src)
		return true
	case ch == '─':
		y := (r.Min.Y + r.Max.Y) / 2
		draw.Draw(img, image.Rect(r.Min.X, y, r.Max.X, y+1), u, image.Point{}, draw.Src)
		return true
	case ch == '┤':
		x := (r.Min.X + r.Max.X) / 2
		y := (r.Min.Y + r.Max.Y) / 2
		draw.Draw(img, image.Rect(x, r.Min.Y, x+1, r.Max.Y), u, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(r.Min.X, y, x+1, y+1), u, image.Point{}, draw.Src)
		return true
	}
	return false
}

// parse splits text into rows of cells, applying SGR sequences and
// skipping any other escape sequence.
func parse(s string) [][]cell {
	def := attr{fg: defaultFG, bg: defaultBG}
	a := def
	var grid [][]cell
	var row []cell
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\x1b' && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
				j++
			}
			if j < len(rs) && rs[j] == 'm' {
				a = sgr(a, def, string(rs[i+2:j]))
			}
			i = j
		case c == '\x1b':
			i++ // a two-character escape
		case c == '\n':
			grid = append(grid, row)
			row = nil
		case c == '\r':
		default:
			row = append(row, cell{r: c, a: a})
		}
	}
	if len(row) > 0 {
		grid = append(grid, row)
	}
	return grid
}

func sgr(a, def attr, params string) attr {
	if params == "" {
		return def
	}
	ps := strings.Split(params, ";")
	num := func(k int) int {
		if k >= len(ps) {
			return 0
		}
		n, _ := strconv.Atoi(ps[k])
		return n
	}
	for k := 0; k < len(ps); k++ {
		n := num(k)
		switch {
		case n == 0:
			a = def
		case n == 1:
			a.bold = true
		case n == 4:
			a.under = true
		case n == 7:
			a.rev = true
		case n == 22:
			a.bold = false
		case n == 24:
			a.under = false
		case n == 27:
			a.rev = false
		case n >= 30 && n <= 37:
			a.fg = palette[n-30]
		case n == 39:
			a.fg = def.fg
		case n >= 40 && n <= 47:
			a.bg = palette[n-40]
		case n == 49:
			a.bg = def.bg
		case n >= 90 && n <= 97:
			a.fg = palette[n-90+8]
		case n >= 100 && n <= 107:
			a.bg = palette[n-100+8]
		case n == 38 || n == 48:
			var c color.RGBA
			switch num(k + 1) {
			case 5:
				c = color256(num(k + 2))
				k += 2
			case 2:
				c = color.RGBA{uint8(num(k + 2)), uint8(num(k + 3)), uint8(num(k + 4)), 0xff}
				k += 4
			}
			if n == 38 {
				a.fg = c
			} else {
				a.bg = c
			}
		}
	}
	return a
}

func color256(n int) color.RGBA {
	switch {
	case n < 16:
		return palette[n]
	case n < 232:
		n -= 16
		lv := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + 40*v)
		}
		return color.RGBA{lv(n / 36), lv(n / 6 % 6), lv(n % 6), 0xff}
	}
	g := uint8(8 + 10*(n-232))
	return color.RGBA{g, g, g, 0xff}
}
