package screens

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/status"
	"signalcraft/gui/theme"
)

// Chart colours of the detail screen.
var (
	chartBG   = color.NRGBA{0xfa, 0xfa, 0xfa, 0xff}
	chartGrid = color.NRGBA{0xe0, 0xe0, 0xe0, 0xff}
	chartLine = color.NRGBA{0x15, 0x65, 0xc0, 0xff}
	chartHot  = color.NRGBA{0xc6, 0x28, 0x28, 0xff}
	chartThr  = color.NRGBA{0xc6, 0x28, 0x28, 0xb0}
	chartAxis = color.NRGBA{0x61, 0x61, 0x61, 0xff}
	meterBG   = color.NRGBA{0xe0, 0xe0, 0xe0, 0xff}
	meterFG   = color.NRGBA{0x2e, 0x7d, 0x32, 0xff}
	meterHot  = color.NRGBA{0xef, 0x6c, 0x00, 0xff}
)

type detailScreen struct {
	u *UI
	m *machine

	root       fyne.CanvasObject
	badge      *canvas.Rectangle
	badgeText  *canvas.Text
	spectro    *canvas.Image
	freqTop    *canvas.Text
	freqBot    *canvas.Text
	chart      *canvas.Raster
	axis       *fyne.Container // the chart's y axis values (axisLayout)
	axisHi     float64         // the range the axis shows
	axisValues []float64       // the value of each label in axis
	scoreText  *widget.Label
	meter      *levelMeter
	sensor     *widget.Label
	events     *fyne.Container
	models     *modelsCard
	history    *historyCard
	health     *healthCard
	scroll     *container.Scroll
}

func newDetailScreen(u *UI, m *machine) *detailScreen {
	d := &detailScreen{u: u, m: m}
	back := widget.NewButtonWithIcon(u.T("detail.back"), fynetheme.NavigateBackIcon(), u.ShowOverview)
	name := canvas.NewText(m.name(), nil)
	name.TextSize = 26
	name.TextStyle.Bold = true
	d.badge = canvas.NewRectangle(color.Black)
	d.badge.CornerRadius = 8
	d.badgeText = canvas.NewText("", color.White)
	d.badgeText.TextSize = 22
	d.badgeText.TextStyle.Bold = true
	badge := container.NewStack(d.badge, container.NewPadded(container.NewPadded(d.badgeText)))
	head := container.NewHBox(back, container.NewPadded(name), container.NewPadded(badge))

	d.spectro = canvas.NewImageFromImage(m.wf.Image())
	d.spectro.FillMode = canvas.ImageFillStretch
	d.spectro.ScaleMode = canvas.ImageScaleSmooth
	d.spectro.SetMinSize(fyne.NewSize(560, 230))
	d.freqTop = canvas.NewText("", nil)
	d.freqBot = canvas.NewText("", nil)
	d.freqTop.TextSize, d.freqBot.TextSize = 12, 12
	axis := container.NewBorder(d.freqTop, d.freqBot, nil, nil)
	spectro := container.NewBorder(nil, widget.NewLabel(u.T("detail.spectrum.hint")), axis, nil, d.spectro)

	d.chart = canvas.NewRaster(d.drawChart)
	d.chart.SetMinSize(fyne.NewSize(560, 160))
	d.scoreText = widget.NewLabel("")
	d.axis = container.New(&axisLayout{hi: &d.axisHi, values: &d.axisValues})
	chart := container.NewBorder(nil, d.scoreText, nil, nil, container.NewBorder(nil, nil, d.axis, nil, d.chart))

	d.models = newModelsCard(u, m)
	d.history = newHistoryCard(u, m)
	d.health = newHealthCard(u, m)
	left := container.NewVBox(
		widget.NewCard(u.T("detail.spectrum"), "", spectro),
		widget.NewCard(u.T("detail.score"), "", chart),
	)

	d.meter = newLevelMeter()
	d.sensor = widget.NewLabel("")
	d.sensor.Wrapping = fyne.TextWrapWord
	d.events = container.NewVBox()
	right := container.NewVBox(
		widget.NewCard(u.T("detail.level"), "", container.NewVBox(d.meter, d.sensor)),
		widget.NewCard(u.T("health.title"), "", d.health.root),
		widget.NewCard(u.T("detail.events"), "", d.events),
	)
	body := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.New(fixedWidth(380), right), left),
		widget.NewCard(u.T("models.title"), "", d.models.root), // full width: the reasons are sentences
		widget.NewCard(u.T("hist.title"), "", d.history.root),  // full width: a week has many points
	)
	d.scroll = container.NewVScroll(body)
	d.root = container.NewBorder(container.NewPadded(head), nil, nil, nil, d.scroll)
	d.refresh()
	d.showEvents()
	return d
}

func (d *detailScreen) refresh() {
	u, m := d.u, d.m
	k := status.Of(m.live, m.have, u.opt.Now())
	word := u.T(k.Key())
	if k == status.Learning {
		word = u.T(k.Key(), status.Percent(m.live))
	}
	d.badge.FillColor = theme.StatusColour(k)
	d.badgeText.Text, d.badgeText.Color = word, theme.StatusTextColour(k)
	d.badge.Refresh()
	d.badgeText.Refresh()
	if m.live.SpectrumFMaxHz > 0 {
		d.freqTop.Text = fmtHz(m.live.SpectrumFMaxHz)
		d.freqBot.Text = fmtHz(m.live.SpectrumFMinHz)
		d.freqTop.Refresh()
		d.freqBot.Refresh()
	}
	if m.dirty {
		m.dirty = false
		d.spectro.Refresh()
		d.chart.Refresh()
	}
	d.refreshAxis()
	switch {
	case !m.have:
		d.scoreText.SetText(u.T("detail.nodata"))
	case m.live.State == api.StateLearning:
		d.scoreText.SetText(u.T("detail.learning", status.Percent(m.live)))
	default:
		r, _ := ratio(m.live.Smoothed, m.live.Threshold)
		d.scoreText.SetText(u.T("detail.scoreline", u.T("score.times", r)))
	}
	d.meter.set(m.live.LevelDBFS, m.have)
	sensor := m.live.Sensor
	if sensor == "" {
		sensor = "unknown"
	}
	d.sensor.SetText(u.T("detail.sensor", m.cfg.Sensor.Source, m.cfg.Sensor.Channel, u.T("sensor."+sensor)))
}

func fmtHz(hz float64) string {
	if hz >= 1000 {
		return fmt.Sprintf("%.0f kHz", hz/1000)
	}
	return fmt.Sprintf("%.0f Hz", hz)
}

func (d *detailScreen) drawChart(w, h int) image.Image {
	lo, hi := scoreRange(d.m.scores, d.m.alarmLine())
	return plot{values: d.m.scores, n: HistoryLen, lo: lo, hi: hi, thr: d.m.alarmLine(), bg: chartBG, grid: chartGrid,
		gridAt: axisTicks(hi, 0),
		line:   chartLine, hot: chartHot, thrColour: chartThr, width: 2, dashLen: 8}.draw(w, h)
}

// refreshAxis labels the chart's y axis for its current range: round values
// in the unit of the scores (multiples of the threshold), the threshold among them.
func (d *detailScreen) refreshAxis() {
	_, hi := scoreRange(d.m.scores, d.m.alarmLine())
	if hi == d.axisHi && len(d.axis.Objects) > 0 {
		return
	}
	d.axisHi = hi
	d.axis.Objects = nil
	d.axisValues = axisTicks(hi, d.m.alarmLine())
	for _, v := range d.axisValues {
		label := "0"
		if v != 0 {
			label = d.u.T("axis.times", strconv.FormatFloat(v, 'f', -1, 64))
		}
		t := canvas.NewText(label, chartAxis)
		t.TextSize = 11
		t.Alignment = fyne.TextAlignTrailing
		if v > 0 && v == d.m.alarmLine() {
			t.Color, t.TextStyle.Bold = chartHot, true
		}
		d.axis.Add(t)
	}
	d.axis.Refresh()
}

// AxisLabels returns the values written on the score chart's y axis, bottom up.
func (d *detailScreen) AxisLabels() []string {
	var out []string
	for _, o := range d.axis.Objects {
		out = append(out, o.(*canvas.Text).Text)
	}
	return out
}

// axisTicks returns the values to label on a 0…hi axis: multiples of a round
// step (1, 2, 2.5 or 5 × 10ⁿ) giving at most five intervals, and thr (if in
// range and not 0) so the threshold is always labelled.
func axisTicks(hi, thr float64) []float64 {
	if hi <= 0 {
		return []float64{0}
	}
	step := math.Pow(10, math.Floor(math.Log10(hi/5)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if hi/(step*f) <= 5+1e-9 {
			step *= f
			break
		}
	}
	var out []float64
	for i := 0; ; i++ {
		v := math.Round(float64(i)*step*1e9) / 1e9
		if v > hi+1e-9 {
			break
		}
		out = append(out, v)
	}
	if thr > 0 && thr <= hi && !slices.Contains(out, thr) {
		out = append(out, thr)
		slices.Sort(out)
	}
	return out
}

// axisLayout puts each label of the chart's y axis beside the height of the
// chart where its value (values, in order) is drawn (plot.draw's scale, 0…hi),
// clamped inside the chart.
type axisLayout struct {
	hi     *float64
	values *[]float64
}

func (l *axisLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	hi := *l.hi
	for i, o := range objs {
		if i >= len(*l.values) {
			break
		}
		ts := o.MinSize()
		y := size.Height / 2
		if hi > 0 {
			y = (size.Height - 1) * float32(1-(*l.values)[i]/hi)
		}
		y = min(max(y-ts.Height/2, 0), size.Height-ts.Height)
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width-4, ts.Height))
	}
}

func (l *axisLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w := float32(0)
	for _, o := range objs {
		w = max(w, o.MinSize().Width)
	}
	return fyne.NewSize(w+6, 0)
}

// showEvents lists the machine's recent events with their buttons.
func (d *detailScreen) showEvents() {
	d.events.Objects = nil
	if len(d.m.events) == 0 {
		d.events.Add(widget.NewLabel(d.u.T("events.none")))
	}
	for i, e := range d.m.events {
		if i == 5 {
			break
		}
		d.events.Add(d.u.eventCard(e, false))
	}
	d.events.Refresh()
	d.relayout()
}

// relayout lays the screen out again after a card's content changed size (events, history
// and models arrive after the screen is built): containers do not grow by themselves, and
// a stale layout draws cards over each other.
func (d *detailScreen) relayout() {
	if d.scroll != nil {
		d.scroll.Content.Refresh()
		d.scroll.Refresh()
	}
}

// levelMeter is a horizontal bar for a level in dBFS (-90 … 0).
type levelMeter struct {
	widget.BaseWidget
	bg, bar *canvas.Rectangle
	text    *canvas.Text
	frac    float32
}

func newLevelMeter() *levelMeter {
	l := &levelMeter{bg: canvas.NewRectangle(meterBG), bar: canvas.NewRectangle(meterFG), text: canvas.NewText("", color.Black)}
	l.bg.CornerRadius, l.bar.CornerRadius = 4, 4
	l.text.TextStyle.Bold = true
	l.text.TextSize = 16
	l.ExtendBaseWidget(l)
	return l
}

func (l *levelMeter) set(dbfs float64, ok bool) {
	if !ok {
		l.frac, l.text.Text = 0, "—"
	} else {
		l.frac = float32(clamp((dbfs+90)/90, 0, 1))
		l.text.Text = fmt.Sprintf("%.1f dBFS", dbfs)
	}
	l.bar.FillColor = meterFG
	if dbfs > -6 {
		l.bar.FillColor = meterHot
	}
	l.Refresh()
}

func (l *levelMeter) CreateRenderer() fyne.WidgetRenderer { return &meterRenderer{l} }

type meterRenderer struct{ l *levelMeter }

func (r *meterRenderer) Layout(s fyne.Size) {
	r.l.bg.Resize(s)
	r.l.bar.Resize(fyne.NewSize(s.Width*r.l.frac, s.Height))
	ts := r.l.text.MinSize()
	r.l.text.Move(fyne.NewPos(8, (s.Height-ts.Height)/2))
	r.l.text.Resize(ts)
}
func (r *meterRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 34) }
func (r *meterRenderer) Refresh() {
	r.Layout(r.l.Size())
	r.l.bg.Refresh()
	r.l.bar.Refresh()
	r.l.text.Refresh()
}
func (r *meterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.l.bg, r.l.bar, r.l.text}
}
func (r *meterRenderer) Destroy() {}

// fixedWidth lays its objects out one over the other, fixedWidth wide and as tall as the
// tallest needs: the detail's right column, whose event cards (each with its buttons) must
// push the cards below it down rather than draw over them.
type fixedWidth float32

func (f fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(f), h)
}
