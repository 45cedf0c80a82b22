package report

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plots are drawn by gonum/plot to PNG and placed in the PDF by fpdf: fpdf cannot embed
// another PDF's page, and a 150 dpi raster of a line chart is small and sharp enough in print.
// Their text is only numbers (ticks), so the plot font needs no Hangul; what the lines mean
// is said in the caption under each plot, in the report's language.

const plotDPI = 150

var (
	colMean      = color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
	colMax       = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	colThreshold = color.RGBA{R: 0xcc, G: 0x22, B: 0x22, A: 0xff}
)

// series is one line of a time plot.
type series struct {
	t     []time.Time
	y     []float64
	color color.Color
	width vg.Length
}

// timePlot draws series over [from, to) with a dashed horizontal line at level (when > 0),
// w×h millimetres plus serial pixels of width, as PNG. fpdf writes images in the order of
// their pixel widths, ties in map order: a width unique to each image of a report (one pixel
// more per serial number; the image is scaled to its place anyway) keeps the PDF's bytes the
// same from run to run.
func timePlot(from, to time.Time, loc *time.Location, ss []series, level float64, wMM, hMM float64, serial int) ([]byte, error) {
	p := plot.New()
	p.X.Min, p.X.Max = 0, to.Sub(from).Hours()
	p.Y.Min = 0
	p.X.Tick.Marker = timeTicks{from: from, to: to, loc: loc}
	p.Add(plotter.NewGrid())
	ymax := level * 1.1
	for _, s := range ss {
		if len(s.t) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.t))
		for i := range s.t {
			xys[i] = plotter.XY{X: s.t[i].Sub(from).Hours(), Y: s.y[i]}
			ymax = max(ymax, s.y[i])
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		l.Color, l.Width = s.color, s.width
		p.Add(l)
	}
	if level > 0 {
		l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: level}, {X: p.X.Max, Y: level}})
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		l.Color, l.Width, l.Dashes = colThreshold, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
	}
	p.Y.Max = max(ymax*1.05, 1e-9)
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(wMM)*vg.Millimeter+vg.Length(serial)*vg.Inch/plotDPI, vg.Length(hMM)*vg.Millimeter), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plot: png: %w", err)
	}
	return b.Bytes(), nil
}

// timeTicks marks hours since from at local midnights (longer periods) or every few hours.
type timeTicks struct {
	from, to time.Time
	loc      *time.Location
}

func (tt timeTicks) Ticks(lo, hi float64) []plot.Tick {
	span := tt.to.Sub(tt.from)
	step, format := 3*time.Hour, "15:04"
	switch {
	case span > 3*24*time.Hour:
		step, format = 24*time.Hour, "01-02"
	case span > 36*time.Hour:
		step, format = 12*time.Hour, "01-02 15h"
	case span <= 6*time.Hour:
		step = 30 * time.Minute
	}
	// first tick: the first step boundary in local time at or after from
	t0 := tt.from.In(tt.loc)
	start := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, tt.loc)
	for start.Before(tt.from) {
		start = start.Add(step)
	}
	var ticks []plot.Tick
	for t := start; !t.After(tt.to) && len(ticks) < 60; t = t.Add(step) {
		x := t.Sub(tt.from).Hours()
		if x < lo || x > hi {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: t.In(tt.loc).Format(format)})
	}
	return ticks
}
