package screens

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Banner colours: amber while reconnecting, red when refused, blue-grey
// for "not connected yet".
var (
	bannerWarn  = color.NRGBA{0xff, 0xe0, 0x82, 0xff}
	bannerError = color.NRGBA{0xef, 0x9a, 0x9a, 0xff}
	bannerInfo  = color.NRGBA{0xcf, 0xd8, 0xdc, 0xff}
)

// BannerText returns the banner's message, "" when it is hidden.
func (u *UI) BannerText() string {
	if len(u.banner.Objects) == 0 {
		return ""
	}
	return u.bannerMsg
}

func (u *UI) updateBanner() {
	var msg string
	var bg color.Color
	var action *widget.Button
	switch u.link() {
	case linkOK:
		msg = ""
	case linkNone:
		msg, bg = u.T("banner.none"), bannerInfo
		action = widget.NewButton(u.T("tab.connections"), func() { u.SelectTab(TabConnections) })
	case linkConnecting:
		msg, bg = u.T("banner.connecting", u.profile.Name), bannerInfo
	case linkReconnecting:
		msg, bg = u.T("banner.reconnecting", u.profile.Name), bannerWarn
		if u.connErr != nil {
			msg += " " + u.errorText(u.connErr)
			p, a, stream := u.profile, u.app, u.streaming
			action = widget.NewButton(u.T("banner.retry"), func() { u.Connect(p, a, stream) })
		}
	case linkRefused:
		msg, bg = u.T("banner.refused", u.profile.Name, u.errorText(u.connErr)), bannerError
		action = widget.NewButton(u.T("tab.connections"), func() { u.SelectTab(TabConnections) })
	}
	if msg == u.bannerMsg && (msg == "") == (len(u.banner.Objects) == 0) {
		return
	}
	u.bannerMsg = msg
	if msg == "" {
		u.banner.Objects = nil
		u.banner.Refresh()
		return
	}
	text := widget.NewLabelWithStyle(msg, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	text.Wrapping = fyne.TextWrapWord
	rect := canvas.NewRectangle(bg)
	var right fyne.CanvasObject = layout.NewSpacer()
	if action != nil {
		right = action
	}
	u.banner.Objects = []fyne.CanvasObject{rect, container.NewPadded(container.NewBorder(nil, nil, nil, right, text))}
	u.banner.Refresh()
}
