// Package spectrogram draws a clip's spectrogram (api.Spectrogram) in a terminal with
// coloured half blocks: each cell is one time column and two mel bands, the upper band as
// the foreground of "▀" and the lower as its background, so a 10-row picture shows 20 bands.
// Levels are coloured on a fixed ramp of the 256-colour palette (dark blue, magenta, red,
// yellow, white), the same on every terminal whatever its 16-colour theme.
package spectrogram

import (
	"strings"

	"charm.land/lipgloss/v2"

	"signalcraft/core/api"
)

// Ramp is the colour ramp from the quietest to the loudest level (xterm-256 indices).
var Ramp = []int{16, 17, 18, 19, 20, 56, 92, 128, 164, 163, 162, 161, 160, 196, 202, 208, 214, 220, 226, 227, 228, 229, 230, 231}

// colour returns the ramp index of a 0..255 level.
func colour(level byte) int { return Ramp[int(level)*len(Ramp)/256] }

// Render draws s in width columns and rows text rows (2·rows bands, lowest at the bottom),
// each cell the loudest level of the time columns and bands it covers. It returns "" when
// the area or the spectrogram is empty.
func Render(s api.Spectrogram, width, rows int) string {
	if width < 1 || rows < 1 || s.Columns < 1 || s.Bands < 1 || len(s.Levels) < s.Columns*s.Bands {
		return ""
	}
	px := 2 * rows // pixel rows, from the top
	cells := make([][]byte, px)
	for y := range cells {
		cells[y] = make([]byte, width)
		// Pixel row y (0 = top) covers bands [b0, b1).
		b0 := (px - 1 - y) * s.Bands / px
		b1 := max((px-y)*s.Bands/px, b0+1)
		for x := range width {
			c0 := x * s.Columns / width
			c1 := max((x+1)*s.Columns/width, c0+1)
			var v byte
			for c := c0; c < min(c1, s.Columns); c++ {
				for b := b0; b < min(b1, s.Bands); b++ {
					v = max(v, s.At(c, b))
				}
			}
			cells[y][x] = v
		}
	}
	lines := make([]string, rows)
	for r := range rows {
		var b strings.Builder
		var run strings.Builder
		fg, bg := -1, -1
		flush := func() {
			if run.Len() > 0 {
				b.WriteString(lipgloss.NewStyle().Foreground(lipgloss.ANSIColor(fg)).Background(lipgloss.ANSIColor(bg)).Render(run.String()))
				run.Reset()
			}
		}
		for x := range width {
			f, g := colour(cells[2*r][x]), colour(cells[2*r+1][x])
			if f != fg || g != bg {
				flush()
				fg, bg = f, g
			}
			run.WriteString("▀")
		}
		flush()
		lines[r] = b.String()
	}
	return strings.Join(lines, "\n")
}

// Legend is the ramp as one line of len(Ramp) cells, quietest first.
func Legend() string {
	var b strings.Builder
	for _, c := range Ramp {
		b.WriteString(lipgloss.NewStyle().Foreground(lipgloss.ANSIColor(c)).Render("█"))
	}
	return b.String()
}
