// Package spectrum draws band levels (dB) as vertical bars.
package spectrum

import (
	"strings"

	"charm.land/lipgloss/v2"
)

var eighths = []rune(" ▁▂▃▄▅▆▇█")

// Model draws Width bars, Height rows tall, for levels between Floor and
// Top dB.
type Model struct {
	Width, Height int
	Floor, Top    float64
	Style         lipgloss.Style
}

// New returns a spectrum display. The default range suits band levels in
// dBFS of a microphone: -100 to -20 dB.
func New(width, height int, st lipgloss.Style) Model {
	return Model{Width: width, Height: height, Floor: -100, Top: -20, Style: st}
}

// Render draws bands resampled to Width columns (each column the largest of
// the bands it covers).
func (m Model) Render(bands []float32) string {
	if m.Width <= 0 || m.Height <= 0 {
		return ""
	}
	cols := make([]float64, m.Width)
	for i := range cols {
		cols[i] = m.Floor
		if len(bands) == 0 {
			continue
		}
		lo := i * len(bands) / m.Width
		hi := max((i+1)*len(bands)/m.Width, lo+1)
		for _, v := range bands[lo:min(hi, len(bands))] {
			cols[i] = max(cols[i], float64(v))
		}
	}
	rows := make([]string, m.Height)
	for r := range rows {
		var b strings.Builder
		base := float64(m.Height-1-r) * 8 // eighths below this row
		for _, v := range cols {
			h := (v - m.Floor) / (m.Top - m.Floor) * float64(m.Height*8)
			k := int(h - base)
			k = min(max(k, 0), 8)
			b.WriteRune(eighths[k])
		}
		rows[r] = m.Style.Render(b.String())
	}
	return strings.Join(rows, "\n")
}
