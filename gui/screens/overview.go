package screens

import (
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/gui/status"
	"signalcraft/gui/theme"
)

// TileSize is a machine tile's size on the overview.
var TileSize = fyne.NewSize(300, 200)

type overviewScreen struct {
	u       *UI
	root    fyne.CanvasObject
	summary *canvas.Text
	grid    *fyne.Container
	tiles   map[string]*Tile
	empty   *widget.Label
	hint    *widget.Label
	alarm   *fyne.Container // red banner while a critical alert fires
	alarmAt string          // its text, "" when hidden
}

func newOverview(u *UI) *overviewScreen {
	o := &overviewScreen{u: u, tiles: map[string]*Tile{}}
	o.summary = canvas.NewText("", nil)
	o.summary.TextSize = 20
	o.summary.TextStyle.Bold = true
	o.grid = container.NewGridWrap(TileSize)
	for _, m := range u.machines {
		t := NewTile(func() { u.ShowMachine(m.cfg.ID) })
		o.tiles[m.cfg.ID] = t
		o.grid.Add(t)
	}
	o.empty = widget.NewLabel("")
	o.empty.Wrapping = fyne.TextWrapWord
	o.hint = widget.NewLabel(u.T("overview.hint"))
	o.alarm = container.NewStack()
	o.root = container.NewBorder(container.NewVBox(o.alarm, container.NewPadded(container.NewVBox(o.summary, o.hint))), nil, nil, nil,
		container.NewVScroll(container.NewVBox(o.empty, container.NewPadded(o.grid))))
	o.refresh()
	return o
}

// Tile returns the tile of machine id.
func (u *UI) Tile(id string) *Tile { return u.overview.tiles[id] }

func (o *overviewScreen) refresh() {
	u := o.u
	now := u.opt.Now()
	attention := 0
	for _, m := range u.machines {
		k := status.Of(m.live, m.have, now)
		if k == status.Anomaly || k == status.CheckMic || k == status.NoSignal {
			attention++
		}
		word := u.T(k.Key())
		if k == status.Learning {
			word = u.T(k.Key(), status.Percent(m.live))
		}
		sub := m.cfg.Line
		if m.cfg.Kind != "" {
			if sub != "" {
				sub += " · "
			}
			sub += u.T("kind." + m.cfg.Kind)
		}
		if t := o.tiles[m.cfg.ID]; t != nil {
			t.Set(m.name(), sub, word, k, m.scores, m.alarmLine())
		}
	}
	switch {
	case u.app == nil:
		o.summary.Text = u.T("overview.noconn")
	case len(u.machines) == 0 && u.loading:
		o.summary.Text = u.T("overview.loading")
	case len(u.machines) == 0:
		o.summary.Text = u.T("overview.nomachines")
	case attention == 0:
		o.summary.Text = u.tr.N("overview.allgood", len(u.machines), len(u.machines))
	default:
		o.summary.Text = u.tr.N("overview.attention", len(u.machines), len(u.machines), attention)
	}
	o.summary.Refresh()
	o.empty.Hidden = u.app != nil
	o.hint.Hidden = len(u.machines) == 0
	o.empty.SetText(u.T("overview.howto"))
	o.refreshAlarm()
}

// CriticalBanner returns the text of the overview's red banner, "" when no
// critical alert is firing.
func (u *UI) CriticalBanner() string { return u.overview.alarmAt }

func (o *overviewScreen) refreshAlarm() {
	u := o.u
	crit := u.criticalFiring()
	msg := ""
	switch {
	case len(crit) == 1:
		a := crit[0]
		msg = u.T("alarm.one", u.machineName(alertMachine(a)), u.summary(a))
		if a.AcknowledgedBy != "" {
			msg += " " + u.T("alarm.acked", a.AcknowledgedBy)
		}
	case len(crit) > 1:
		var names []string
		for _, a := range crit {
			names = append(names, u.machineName(alertMachine(a)))
		}
		msg = u.T("alarm.many", len(crit), strings.Join(names, ", "))
	}
	if msg == o.alarmAt {
		return
	}
	o.alarmAt = msg
	if msg == "" {
		o.alarm.Objects = nil
		o.alarm.Refresh()
		u.root.Refresh()
		return
	}
	icon := widget.NewIcon(fynetheme.NewColoredResource(fynetheme.WarningIcon(), fynetheme.ColorNameForegroundOnError))
	text := widget.NewRichText(&widget.TextSegment{Text: msg, Style: widget.RichTextStyle{
		ColorName: fynetheme.ColorNameForegroundOnError, SizeName: fynetheme.SizeNameSubHeadingText,
		TextStyle: fyne.TextStyle{Bold: true}}})
	text.Wrapping = fyne.TextWrapWord
	show := widget.NewButtonWithIcon(u.T("alarm.show"), fynetheme.NavigateNextIcon(), func() { u.SelectTab(TabAlerts) })
	rect := canvas.NewRectangle(sevCritical)
	o.alarm.Objects = []fyne.CanvasObject{rect, container.NewPadded(container.NewBorder(nil, nil, icon, show, text))}
	o.alarm.Refresh()
	u.root.Refresh() // the banner's height changes the layout above it
}

// Tile is a machine's tile on the overview: its status as a big colour and
// word, its name and a small score trend. Tapping it opens the machine.
type Tile struct {
	widget.BaseWidget
	onTap func()

	bg          *canvas.Rectangle
	name, sub   *canvas.Text
	word        *canvas.Text
	spark       *canvas.Raster
	kind        status.Kind
	scores      []float64 // multiples of the threshold
	thr         float64   // where the alarm line is: 1, or 0 for none
	wordDefault string
}

// NewTile returns an empty tile calling onTap when tapped.
func NewTile(onTap func()) *Tile {
	t := &Tile{onTap: onTap}
	t.bg = canvas.NewRectangle(theme.StatusColour(status.NoSignal))
	t.bg.CornerRadius = 10
	t.name = canvas.NewText("", color.White)
	t.name.TextSize = 20
	t.name.TextStyle.Bold = true
	t.sub = canvas.NewText("", color.White)
	t.sub.TextSize = 13
	t.word = canvas.NewText("", color.White)
	t.word.TextSize = 28
	t.word.TextStyle.Bold = true
	t.word.Alignment = fyne.TextAlignCenter
	t.spark = canvas.NewRaster(t.drawSpark)
	t.spark.SetMinSize(fyne.NewSize(100, 40))
	t.ExtendBaseWidget(t)
	return t
}

// Set shows a machine's state on the tile.
func (t *Tile) Set(name, sub, word string, k status.Kind, scores []float64, thr float64) {
	t.kind, t.scores, t.thr = k, scores, thr
	fg := theme.StatusTextColour(k)
	t.bg.FillColor = theme.StatusColour(k)
	t.name.Text, t.sub.Text, t.word.Text = name, sub, word
	t.name.Color, t.sub.Color, t.word.Color = fg, fg, fg
	t.Refresh()
}

// Word returns the status word shown.
func (t *Tile) Word() string { return t.word.Text }

// Kind returns the status shown.
func (t *Tile) Kind() status.Kind { return t.kind }

// Tapped implements fyne.Tappable.
func (t *Tile) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

// Cursor shows a hand over the tile: it is a button.
func (t *Tile) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (t *Tile) drawSpark(w, h int) image.Image {
	fg := theme.StatusTextColour(t.kind)
	r, g, b, _ := fg.RGBA()
	line := color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xe0}
	lo, hi := scoreRange(t.scores, t.thr)
	return plot{values: t.scores, n: HistoryLen, lo: lo, hi: hi, thr: t.thr, line: line,
		thrColour: color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0x70}, width: 2, dashLen: 6}.draw(w, h)
}

// CreateRenderer implements fyne.Widget.
func (t *Tile) CreateRenderer() fyne.WidgetRenderer {
	top := container.NewVBox(t.name, t.sub)
	body := container.NewBorder(top, t.spark, nil, nil, container.NewCenter(t.word))
	return widget.NewSimpleRenderer(container.NewStack(t.bg, container.New(layout.NewCustomPaddedLayout(12, 12, 16, 16), body)))
}
