// Package sparkline draws a one-line chart of recent scores with block
// characters, red where a value is above its threshold.
package sparkline

import (
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
)

var blocks = []rune("▁▂▃▄▅▆▇█")

// Styles colours the bars.
type Styles struct {
	Normal lipgloss.Style
	Above  lipgloss.Style // values above their threshold
}

// Model is a sparkline of a fixed width.
type Model struct {
	Width  int
	Styles Styles
}

// New returns a sparkline width cells wide.
func New(width int, s Styles) Model { return Model{Width: width, Styles: s} }

// Render draws the last Width values (NaN: a gap). thresholds[i] > 0 marks values[i]
// above it in the Above style; the scale is 0 to the larger of the values'
// maximum and 1.25 × the last threshold, so a normal machine stays low.
func (m Model) Render(values, thresholds []float64) string {
	if m.Width <= 0 {
		return ""
	}
	if len(values) > m.Width {
		off := len(values) - m.Width
		values, thresholds = values[off:], thresholds[off:]
	}
	top := 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			top = max(top, v)
		}
	}
	if n := len(thresholds); n > 0 {
		top = max(top, 1.25*thresholds[n-1])
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", m.Width-len(values)))
	for i, v := range values {
		if math.IsNaN(v) { // no data in this slot
			b.WriteByte(' ')
			continue
		}
		k := 0
		if top > 0 {
			k = int(v / top * float64(len(blocks)-1))
		}
		k = min(max(k, 0), len(blocks)-1)
		st := m.Styles.Normal
		if thresholds[i] > 0 && v > thresholds[i] {
			st = m.Styles.Above
		}
		b.WriteString(st.Render(string(blocks[k])))
	}
	return b.String()
}

// Bucket spreads points (times t, values v, thresholds thr) over n slots
// covering span up to end, keeping each slot's largest value; empty slots
// are NaN.
func Bucket(n int, end time.Time, span time.Duration, t []time.Time, v, thr []float64) (values, thresholds []float64) {
	values, thresholds = make([]float64, n), make([]float64, n)
	for i := range values {
		values[i] = math.NaN()
	}
	start := end.Add(-span)
	for i, ti := range t {
		if !ti.After(start) || ti.After(end) {
			continue
		}
		k := min(int(float64(ti.Sub(start))/float64(span)*float64(n)), n-1)
		if math.IsNaN(values[k]) || v[i] > values[k] {
			values[k] = v[i]
		}
		thresholds[k] = thr[i]
	}
	return values, thresholds
}
