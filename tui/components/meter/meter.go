// Package meter draws a horizontal level meter in dBFS.
package meter

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

// Range of the meter in dBFS.
const (
	Floor = -90.0
	Top   = 0.0
)

// Styles colours the meter: green up to -20 dBFS, yellow to -6, red above.
type Styles struct {
	Low, Mid, High, Empty lipgloss.Style
}

// Model is a level meter of a fixed width (bar plus the value).
type Model struct {
	Width  int
	Styles Styles
}

// New returns a meter width cells wide.
func New(width int, s Styles) Model { return Model{Width: width, Styles: s} }

// Render draws level (dBFS) as a bar followed by its value.
func (m Model) Render(level float64) string {
	label := fmt.Sprintf(" %6.1f dBFS", level)
	w := m.Width - len(label)
	if w < 4 {
		return strings.TrimSpace(label)
	}
	frac := (level - Floor) / (Top - Floor)
	frac = min(max(frac, 0), 1)
	n := int(frac*float64(w) + 0.5)
	// Cells from index mid on are at or above -20 dBFS, from high on at or above -6.
	cell := func(db float64) int { return int((db - Floor) / (Top - Floor) * float64(w)) }
	mid, high := cell(-20), cell(-6)
	var b strings.Builder
	seg := func(from, to int, st lipgloss.Style, r string) {
		if to > from {
			b.WriteString(st.Render(strings.Repeat(r, to-from)))
		}
	}
	seg(0, min(n, mid), m.Styles.Low, "█")
	seg(mid, min(n, high), m.Styles.Mid, "█")
	seg(high, n, m.Styles.High, "█")
	seg(n, w, m.Styles.Empty, "·")
	b.WriteString(label)
	return b.String()
}
