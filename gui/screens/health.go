package screens

import (
	"context"
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Colours of the health pill: learning teal, healthy green, degrading red (fill, text).
var (
	healthLearning  = [2]color.Color{color.NRGBA{0x00, 0x83, 0x8f, 0xff}, color.White}
	healthHealthy   = [2]color.Color{color.NRGBA{0x2e, 0x7d, 0x32, 0xff}, color.White}
	healthDegrading = [2]color.Color{color.NRGBA{0xc6, 0x28, 0x28, 0xff}, color.White}
)

// healthCard is the machine's health in the detail screen: a coloured state and, in words,
// since when it degrades, the remaining life when the appliance is confident of it, and the
// level against its healthy baseline.
type healthCard struct {
	u     *UI
	m     *machine
	root  *fyne.Container
	pill  *canvas.Rectangle
	state *canvas.Text
	text  *widget.Label
	h     *api.MachineHealth // nil until loaded
}

func newHealthCard(u *UI, m *machine) *healthCard {
	c := &healthCard{u: u, m: m, pill: canvas.NewRectangle(healthLearning[0]), state: canvas.NewText("", color.White),
		text: widget.NewLabel(u.T("hist.loading"))}
	c.pill.CornerRadius = 6
	c.state.TextSize, c.state.TextStyle.Bold = 13, true
	c.text.Wrapping = fyne.TextWrapWord
	pill := container.NewStack(c.pill, container.New(layout.NewCustomPaddedLayout(3, 3, 8, 8), c.state))
	c.pill.Hide()
	c.state.Hide()
	c.root = container.NewVBox(container.NewHBox(pill), c.text)
	c.load()
	return c
}

// load asks for the machine's health; the last day's hours are enough for the level.
func (c *healthCard) load() {
	id, since := c.m.cfg.ID, c.u.opt.Now().Add(-24*time.Hour)
	var h api.MachineHealth
	c.u.call(func(ctx context.Context, a Appliance) error {
		var err error
		h, err = a.MachineHealth(ctx, id, api.HealthFilter{From: since})
		return err
	}, func(err error) {
		if err != nil {
			c.text.SetText(c.u.T("health.none") + " (" + c.u.errorText(err) + ")")
			return
		}
		c.h = &h
		c.show()
	})
}

func (c *healthCard) show() {
	u, h := c.u, c.h
	colours, key := healthLearning, "health.state.learning"
	var lines []string
	switch h.State {
	case api.HealthHealthy:
		colours, key = healthHealthy, "health.state.healthy"
	case api.HealthDegrading:
		colours, key = healthDegrading, "health.state.degrading"
		if h.Alarm != nil {
			lines = append(lines, u.T("health.since", u.formatTime(*h.Alarm)))
		}
		switch r := h.RUL; {
		case r != nil && r.Confident && r.HighHours != nil:
			lines = append(lines, u.T("health.rul", hoursText(r.Hours), hoursText(r.LowHours), hoursText(*r.HighHours)))
		default:
			lines = append(lines, u.T("health.rul.unsure"))
		}
	default:
		lines = append(lines, u.T("health.learning", len(h.Points)))
	}
	if n := len(h.Points); n > 0 && h.Baseline > 0 {
		lines = append(lines, u.T("health.level", h.Points[n-1].Smoothed/h.Baseline))
	}
	c.pill.FillColor, c.state.Color, c.state.Text = colours[0], colours[1], u.T(key)
	c.pill.Show()
	c.state.Show()
	c.pill.Refresh()
	c.state.Refresh()
	text := ""
	for i, l := range lines {
		if i > 0 {
			text += "\n"
		}
		text += l
	}
	c.text.SetText(text)
	if d := u.detail; d != nil && d.health == c {
		d.relayout()
	}
}

// hoursText writes hours whole from 10 up, with one decimal below.
func hoursText(h float64) string {
	if h >= 10 {
		return strconv.FormatFloat(h, 'f', 0, 64)
	}
	return strconv.FormatFloat(h, 'f', 1, 64)
}
