// Package chart draws a score-over-time chart with the threshold as a
// horizontal line: each column is a slice of time holding the largest score
// seen in it, drawn as a bar, red above the threshold. The line is drawn
// across the bars too, so it shows when every score is above it.
package chart

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
)

// Sample is one score at one time.
type Sample struct {
	Time      time.Time
	Score     float64
	Threshold float64
}

// Styles colours the chart.
type Styles struct {
	Bar, Above, Threshold, Axis lipgloss.Style
}

// Model is a chart Width cells wide (axis labels included) and Height rows
// tall, covering Span of time up to the end given to Render.
type Model struct {
	Width, Height int
	Span          time.Duration
	Styles        Styles
}

// New returns a chart.
func New(width, height int, span time.Duration, s Styles) Model {
	return Model{Width: width, Height: height, Span: span, Styles: s}
}

const axisWidth = 7 // "12.34 ┤"

// Crossing is the threshold line where a bar crosses it: in the threshold's style, so the
// line stays visible when every score is above it.
const Crossing = "▓"

// Render draws samples in (end-Span, end]. The threshold drawn is the last
// sample's (0: none, while learning).
func (m Model) Render(samples []Sample, end time.Time) string {
	w := m.Width - axisWidth
	if w < 4 || m.Height < 2 {
		return ""
	}
	cols := make([]float64, w)
	has := make([]bool, w)
	thr := 0.0
	top := 0.0
	start := end.Add(-m.Span)
	for _, s := range samples {
		if !s.Time.After(start) || s.Time.After(end) {
			continue
		}
		i := int(float64(s.Time.Sub(start)) / float64(m.Span) * float64(w))
		i = min(max(i, 0), w-1)
		if !has[i] || s.Score > cols[i] {
			cols[i] = s.Score
		}
		has[i] = true
		thr = s.Threshold
		top = max(top, s.Score)
	}
	top = max(top, 1.25*thr)
	if top <= 0 {
		top = 1
	}
	thrRow := -1 // row (from the top) the threshold line is drawn on
	if thr > 0 {
		thrRow = m.Height - 1 - int(thr/top*float64(m.Height-1)+0.5)
	}
	lines := make([]string, m.Height)
	for r := 0; r < m.Height; r++ {
		level := top * float64(m.Height-1-r) / float64(m.Height-1)
		label := "      "
		switch {
		case r == 0:
			label = fmt.Sprintf("%6.2f", top)
		case r == thrRow:
			label = fmt.Sprintf("%6.2f", thr)
		case r == m.Height-1:
			label = fmt.Sprintf("%6.2f", 0.0)
		}
		var b strings.Builder
		b.WriteString(m.Styles.Axis.Render(label + "┤"))
		// Runs of the same style are rendered together.
		var run strings.Builder
		runStyle := -1
		flush := func() {
			if run.Len() == 0 {
				return
			}
			st := []lipgloss.Style{m.Styles.Bar, m.Styles.Above, m.Styles.Threshold, m.Styles.Axis}[runStyle]
			b.WriteString(st.Render(run.String()))
			run.Reset()
		}
		put := func(style int, s string) {
			if style != runStyle {
				flush()
				runStyle = style
			}
			run.WriteString(s)
		}
		for i := 0; i < w; i++ {
			filled := has[i] && cols[i] >= level && (cols[i] > 0 || r == m.Height-1)
			switch {
			case filled && r == thrRow:
				put(2, Crossing)
			case filled && thr > 0 && cols[i] > thr:
				put(1, "█")
			case filled:
				put(0, "█")
			case r == thrRow:
				put(2, "─")
			default:
				put(3, " ")
			}
		}
		flush()
		lines[r] = b.String()
	}
	return strings.Join(lines, "\n")
}
