package screens

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Colours of the long-range chart.
var (
	histBand = color.NRGBA{0x90, 0xca, 0xf9, 0xff} // min..max
	histGap  = color.NRGBA{0xe6, 0xe6, 0xe6, 0xff} // nothing heard
	histHot  = color.NRGBA{0xef, 0x9a, 0x9a, 0xff} // the band above the threshold
)

// HistoryRanges are the spans the detail screen's history card offers, with their labels' keys.
var HistoryRanges = []struct {
	Key  string
	Span time.Duration
}{{"hist.range.1h", time.Hour}, {"hist.range.1d", 24 * time.Hour}, {"hist.range.1w", 7 * 24 * time.Hour}}

// historyPoints is how many steps the card asks for: about one per two pixels of its width.
const historyPoints = 400

// historyCard is the detail screen's long-range score chart: a range selector, the chart
// (mean line over a min-max band, gaps shaded grey, the threshold dashed), time labels and
// a summary of where the points come from.
type historyCard struct {
	u       *UI
	m       *machine
	root    fyne.CanvasObject
	ranges  *widget.RadioGroup
	chart   *canvas.Raster
	from    *canvas.Text
	mid     *canvas.Text
	to      *canvas.Text
	summary *widget.Label
	span    time.Duration
	h       api.ScoreHistory
	loaded  bool
	// The y axis, as the live chart's (axisLayout): top is the range drawn.
	axis       *fyne.Container
	top        float64
	axisValues []float64
}

func newHistoryCard(u *UI, m *machine) *historyCard {
	c := &historyCard{u: u, m: m, span: HistoryRanges[1].Span}
	var labels []string
	for _, r := range HistoryRanges {
		labels = append(labels, u.T(r.Key))
	}
	c.ranges = widget.NewRadioGroup(labels, nil)
	c.ranges.Horizontal = true
	c.ranges.Required = true
	c.ranges.SetSelected(u.T(HistoryRanges[1].Key))
	c.ranges.OnChanged = func(s string) {
		for _, r := range HistoryRanges {
			if u.T(r.Key) == s && r.Span != c.span {
				c.span = r.Span
				c.load()
			}
		}
	}
	c.chart = canvas.NewRaster(c.draw)
	c.chart.SetMinSize(fyne.NewSize(560, 150))
	mk := func(a fyne.TextAlign) *canvas.Text {
		t := canvas.NewText("", chartAxis)
		t.TextSize, t.Alignment = 11, a
		return t
	}
	c.from, c.mid, c.to = mk(fyne.TextAlignLeading), mk(fyne.TextAlignCenter), mk(fyne.TextAlignTrailing)
	axis := container.NewGridWithColumns(3, c.from, c.mid, c.to)
	c.summary = widget.NewLabel(u.T("hist.loading"))
	c.summary.Wrapping = fyne.TextWrapWord
	legend := widget.NewLabel(u.T("hist.legend"))
	legend.Wrapping = fyne.TextWrapWord
	c.axis = container.New(&axisLayout{hi: &c.top, values: &c.axisValues})
	left := canvas.NewText("", nil) // as wide as the y axis, under it
	chart := container.NewBorder(nil, nil, c.axis, nil, c.chart)
	c.root = container.NewVBox(c.ranges, chart, container.NewBorder(nil, nil, left, nil, axis), c.summary, legend)
	c.load()
	return c
}

// Span returns the range shown.
func (c *historyCard) Span() time.Duration { return c.span }

// load asks the appliance for the machine's history over the chosen span.
func (c *historyCard) load() {
	span, id := c.span, c.m.cfg.ID
	var h api.ScoreHistory
	c.summary.SetText(c.u.T("hist.loading"))
	c.u.call(func(ctx context.Context, a Appliance) error {
		var err error
		h, err = a.History(ctx, id, api.HistoryQuery{Span: span, Points: historyPoints})
		return err
	}, func(err error) {
		if span != c.span {
			return // the selection changed meanwhile
		}
		if err != nil {
			c.summary.SetText(c.u.errorText(err))
			return
		}
		c.h, c.loaded = h, true
		c.show()
	})
}

func (c *historyCard) show() {
	h, u := c.h, c.u
	loc := u.opt.Location
	layout := "15:04"
	switch {
	case h.To.Sub(h.From) > 48*time.Hour:
		layout = "Jan 2"
	case h.To.Sub(h.From) > 12*time.Hour:
		layout = "Mon 15:04"
	}
	c.from.Text = h.From.In(loc).Format(layout)
	c.mid.Text = h.From.Add(h.To.Sub(h.From) / 2).In(loc).Format(layout)
	c.to.Text = h.To.In(loc).Format(layout)
	for _, t := range []*canvas.Text{c.from, c.mid, c.to} {
		t.Refresh()
	}
	gaps := 0
	for _, b := range h.Buckets {
		if b.N == 0 {
			gaps++
		}
	}
	text := u.T("hist.summary", u.T("hist.res."+h.Resolution), u.tr.Duration(time.Duration(h.StepMS)*time.Millisecond))
	if gaps > 0 {
		text += "\n" + u.T("hist.gaps", gaps, len(h.Buckets))
	}
	if h.Threshold <= 0 {
		text += "\n" + u.T("hist.nothreshold")
	}
	c.summary.SetText(text)
	c.top = historyTop(h)
	c.axisValues = axisTicks(c.top, 1)
	if h.Threshold <= 0 {
		c.axisValues = axisTicks(c.top, 0)
	}
	c.axis.Objects = nil
	for _, v := range c.axisValues {
		label := "0"
		if v != 0 {
			label = u.T("axis.times", strconv.FormatFloat(v, 'f', -1, 64))
		}
		t := canvas.NewText(label, chartAxis)
		t.TextSize, t.Alignment = 11, fyne.TextAlignTrailing
		if v == 1 && h.Threshold > 0 {
			t.Color, t.TextStyle.Bold = chartHot, true
		}
		c.axis.Add(t)
	}
	c.axis.Refresh()
	c.chart.Refresh()
	if d := u.detail; d != nil && d.history == c {
		d.relayout()
	}
}

// historyTop is the top of the chart's range: a quarter above the threshold, or a little
// above the highest score, in multiples of the threshold.
func historyTop(h api.ScoreHistory) float64 {
	scale, top := 1.0, 0.0
	if h.Threshold > 0 {
		scale, top = 1/h.Threshold, 1.25
	}
	for _, b := range h.Buckets {
		if b.N > 0 {
			top = math.Max(top, b.Max*scale*1.05)
		}
	}
	if top <= 0 {
		return 1
	}
	return top
}

// draw paints the history into a w×h image: per pixel column the steps it covers, a band
// from their lowest to highest score and a line through their mean, in multiples of the
// threshold; columns where nothing was heard are shaded.
func (c *historyCard) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(chartBG), image.Point{}, draw.Src)
	bs := c.h.Buckets
	if !c.loaded || len(bs) == 0 || w < 2 || h < 2 {
		return img
	}
	scale, thr := 1.0, 0.0
	if c.h.Threshold > 0 {
		scale, thr = 1/c.h.Threshold, 1
	}
	type col struct {
		has          bool
		lo, mean, hi float64
	}
	cols := make([]col, w)
	top := historyTop(c.h)
	n := len(bs)
	for x := range cols {
		i0 := x * n / w
		i1 := max((x+1)*n/w, i0+1)
		cl := &cols[x]
		var sum float64
		var cnt int64
		for _, b := range bs[i0:min(i1, n)] {
			if b.N == 0 {
				continue
			}
			lo := b.Mean
			if b.Min != nil {
				lo = *b.Min
			}
			if !cl.has {
				cl.lo, cl.hi = lo*scale, b.Max*scale
			}
			cl.has = true
			cl.lo, cl.hi = math.Min(cl.lo, lo*scale), math.Max(cl.hi, b.Max*scale)
			sum += b.Mean * scale * float64(b.N)
			cnt += b.N
		}
		if cl.has {
			cl.mean = sum / float64(cnt)
		}
	}
	y := func(v float64) int { return int(math.Round(float64(h-1) * (1 - clamp(v/top, 0, 1)))) }
	for _, g := range axisTicks(top, 0) { // grid
		if gy := y(g); g > 0 && gy > 0 {
			for x := range w {
				img.Set(x, gy, chartGrid)
			}
		}
	}
	prev := -1
	for x, cl := range cols {
		if !cl.has {
			for yy := range h {
				img.Set(x, yy, histGap)
			}
			prev = -1
			continue
		}
		for yy := y(cl.hi); yy <= y(cl.lo); yy++ {
			c := histBand
			if thr > 0 && yy < y(thr) {
				c = histHot
			}
			img.Set(x, yy, c)
		}
		my := y(cl.mean)
		line := chartLine
		if thr > 0 && cl.mean > thr {
			line = chartHot
		}
		if prev >= 0 {
			segment(img, float64(x-1), float64(prev), float64(x), float64(my), 2, line)
		} else {
			segment(img, float64(x), float64(my), float64(x), float64(my), 2, line)
		}
		prev = my
	}
	if thr > 0 {
		ty := y(thr)
		for x := range w {
			if (x/8)%2 == 0 {
				img.Set(x, ty, chartThr)
				if ty > 0 {
					img.Set(x, ty-1, chartThr)
				}
			}
		}
	}
	return img
}
