// Package history draws a long-range score chart (api.ScoreHistory): each column is one
// or more of the history's steps, a solid bar up to their mean and a light one from there to
// their maximum, red above the threshold; the threshold is a horizontal line; steps where
// nothing was heard are left empty with a "·" on the baseline, so a gap never looks like a
// quiet machine. Below, a time axis labels the start, middle and end.
package history

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"signalcraft/core/api"
	"signalcraft/tui/i18n"
)

// Styles colours the chart.
type Styles struct {
	Bar, Spread, Above, Threshold, Axis, Gap lipgloss.Style
}

// Crossing is the threshold line where a column reaches it, as in the live chart.
const Crossing = "▓"

// AxisWidth is the width of the value labels at the left ("12.34 ┤").
const AxisWidth = 7

type column struct {
	has       bool
	mean, max float64
}

// Render draws h in width cells (labels included) and height rows, the last of which is the
// time axis. Scores are divided by the history's threshold when it has one (the chart is then
// in multiples of it, threshold at 1); loc formats the axis times.
func Render(h api.ScoreHistory, width, height int, st Styles, loc *time.Location) string {
	w := width - AxisWidth
	rows := height - 1
	if w < 4 || rows < 2 || len(h.Buckets) == 0 {
		return ""
	}
	scale, thr := 1.0, 0.0
	if h.Threshold > 0 {
		scale, thr = 1/h.Threshold, 1
	}
	cols := make([]column, w)
	n := len(h.Buckets)
	top := 1.25 * thr
	for i := range cols {
		lo := i * n / w
		hi := max((i+1)*n/w, lo+1)
		c := &cols[i]
		var sum float64
		var cnt int64
		for _, b := range h.Buckets[lo:min(hi, n)] {
			if b.N == 0 {
				continue
			}
			if !c.has || b.Max*scale > c.max {
				c.max = b.Max * scale
			}
			c.has = true
			sum += b.Mean * scale * float64(b.N)
			cnt += b.N
		}
		if c.has {
			c.mean = sum / float64(cnt)
			top = max(top, c.max)
		}
	}
	if top <= 0 {
		top = 1
	}
	thrRow := -1
	if thr > 0 {
		thrRow = rows - 1 - int(thr/top*float64(rows-1)+0.5)
	}
	styles := []lipgloss.Style{st.Bar, st.Spread, st.Above, st.Threshold, st.Axis, st.Gap}
	lines := make([]string, 0, height)
	for r := range rows {
		level := top * float64(rows-1-r) / float64(rows-1)
		label := "      "
		switch {
		case r == 0:
			label = fmt.Sprintf("%6.2f", top)
		case r == thrRow:
			label = fmt.Sprintf("%6.2f", thr)
		case r == rows-1:
			label = fmt.Sprintf("%6.2f", 0.0)
		}
		var b, run strings.Builder
		b.WriteString(st.Axis.Render(label + "┤"))
		cur := -1
		put := func(style int, s string) {
			if style != cur && run.Len() > 0 {
				b.WriteString(styles[cur].Render(run.String()))
				run.Reset()
			}
			cur = style
			run.WriteString(s)
		}
		bottom := r == rows-1
		for _, c := range cols {
			switch {
			case !c.has && bottom:
				put(5, "·")
			case !c.has && r == thrRow:
				put(3, "─")
			case !c.has:
				put(4, " ")
			case r == thrRow && c.max >= level:
				put(3, Crossing)
			case c.mean >= level && (c.mean > 0 || bottom):
				if thr > 0 && c.mean > thr {
					put(2, "█")
				} else {
					put(0, "█")
				}
			case c.max >= level:
				if thr > 0 && c.max > thr {
					put(2, "░")
				} else {
					put(1, "░")
				}
			case r == thrRow:
				put(3, "─")
			default:
				put(4, " ")
			}
		}
		if run.Len() > 0 {
			b.WriteString(styles[cur].Render(run.String()))
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, st.Axis.Render(timeAxis(h, w, loc)))
	return strings.Join(lines, "\n")
}

// timeAxis labels the chart's start, middle and end under the columns.
func timeAxis(h api.ScoreHistory, w int, loc *time.Location) string {
	span := h.To.Sub(h.From)
	layout := "15:04"
	switch {
	case span > 48*time.Hour:
		layout = "Jan 02"
	case span > 12*time.Hour:
		layout = "Mon 15:04"
	case span <= 10*time.Minute:
		layout = "15:04:05"
	}
	if loc == nil {
		loc = time.UTC
	}
	first := h.From.In(loc).Format(layout)
	mid := h.From.Add(span / 2).In(loc).Format(layout)
	last := h.To.In(loc).Format(layout)
	line := []rune(strings.Repeat(" ", AxisWidth+w))
	place := func(at int, s string) {
		at = max(0, min(at, len(line)-len([]rune(s))))
		copy(line[at:], []rune(s))
	}
	place(AxisWidth, first)
	if w >= 3*len(layout)+6 {
		place(AxisWidth+w/2-len([]rune(mid))/2, mid)
	}
	if w > 2*len([]rune(last)) {
		place(AxisWidth+w-len([]rune(last)), last)
	}
	return string(line)
}

// Summary is one line about the history: its resolution and step, and the gaps.
func Summary(h api.ScoreHistory) string { return SummaryIn(i18n.Translator{}, h) }

// SummaryIn is Summary in tr's language.
func SummaryIn(tr i18n.Translator, h api.ScoreHistory) string {
	gaps := 0
	var heard int64
	for _, b := range h.Buckets {
		if b.N == 0 {
			gaps++
		}
		heard += b.N
	}
	res := ""
	if k := "history.res." + h.Resolution; tr.Has(k) {
		res = tr.T(k)
	}
	step := time.Duration(h.StepMS) * time.Millisecond
	s := tr.T("history.summary", res, shortDur(step), heard)
	if gaps > 0 {
		s += tr.T("history.gaps", gaps, len(h.Buckets))
	}
	return s
}

func shortDur(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%gs", math.Round(d.Seconds()*10)/10)
}
