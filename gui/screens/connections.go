package screens

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/gui/conn"
)

type connectionsScreen struct {
	u    *UI
	root fyne.CanvasObject
	list *fyne.Container
	msg  *widget.Label
}

func newConnectionsScreen(u *UI) *connectionsScreen {
	s := &connectionsScreen{u: u, list: container.NewVBox(), msg: widget.NewLabel("")}
	s.msg.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon(u.T("conn.add"), fynetheme.ContentAddIcon(), func() { u.editProfile("") })
	add.Importance = widget.HighImportance
	intro := widget.NewLabel(u.T("conn.intro"))
	intro.Wrapping = fyne.TextWrapWord
	s.root = container.NewBorder(container.NewVBox(intro, container.NewHBox(add)), s.msg, nil, nil,
		container.NewVScroll(container.NewPadded(s.list)))
	s.show()
	return s
}

func (s *connectionsScreen) show() {
	u := s.u
	s.list.Objects = nil
	if len(u.opt.Config.Profiles) == 0 {
		s.list.Add(widget.NewLabel(u.T("conn.none")))
	}
	for _, p := range u.opt.Config.Profiles {
		p := p
		where := p.URL
		if p.Socket != "" {
			where = u.T("conn.socket") + " " + p.Socket
		}
		title := p.Name
		if u.app != nil && p.Name == u.profile.Name {
			title = "● " + title + " — " + u.T("conn.current")
		}
		details := []string{where}
		if p.Fingerprint != "" {
			details = append(details, u.T("conn.pinned", conn.FormatFingerprint(p.Fingerprint)[:23]+"…"))
		}
		connect := widget.NewButtonWithIcon(u.T("conn.connect"), fynetheme.LoginIcon(), func() { u.ConnectProfile(p.Name) })
		connect.Importance = widget.HighImportance
		edit := widget.NewButtonWithIcon(u.T("conn.edit"), fynetheme.DocumentCreateIcon(), func() { u.editProfile(p.Name) })
		del := widget.NewButtonWithIcon(u.T("conn.remove"), fynetheme.DeleteIcon(), func() {
			dialog.ShowConfirm(u.T("conn.remove"), u.T("conn.remove.q", p.Name), func(ok bool) {
				if ok {
					_ = u.opt.Config.Remove(p.Name)
					u.saveConfig()
					s.show()
				}
			}, u.win)
		})
		card := widget.NewCard(title, strings.Join(details, "\n"), container.NewHBox(connect, edit, del))
		s.list.Add(card)
	}
	s.list.Refresh()
}

func (u *UI) saveConfig() {
	if u.opt.Store == nil {
		return
	}
	if err := u.opt.Store.Save(u.opt.Config); err != nil {
		u.connUI.msg.SetText(err.Error())
	}
}

// Config returns the connection profiles as edited.
func (u *UI) Config() conn.Config { return u.opt.Config }

// ConnectProfile connects to the saved profile name, asking first to trust
// an https appliance's certificate if it is not pinned yet.
func (u *UI) ConnectProfile(name string) {
	p, ok := u.opt.Config.Find(name)
	if !ok {
		return
	}
	if p.NeedsTrust() {
		u.trustThenConnect(p)
		return
	}
	a, err := u.opt.Dial(p)
	if err != nil {
		u.connUI.msg.SetText(err.Error())
		return
	}
	u.opt.Config.Active = p.Name
	u.saveConfig()
	u.Connect(p, a, true)
	u.SelectTab(TabOverview)
}

// trustThenConnect shows the certificate fingerprint the appliance
// presents and pins it if the user confirms it matches the one the
// appliance logged: trust on first use.
func (u *UI) trustThenConnect(p conn.Profile) {
	u.connUI.msg.SetText(u.T("conn.fetching", p.URL))
	var fp string
	u.opt.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), u.opt.Timeout)
		defer cancel()
		var err error
		fp, err = u.opt.FetchFingerprint(ctx, p.URL)
		fyne.Do(func() {
			if err != nil {
				u.connUI.msg.SetText(u.errorText(err))
				return
			}
			u.connUI.msg.SetText("")
			text := widget.NewLabel(u.T("trust.text", p.Name, p.URL))
			text.Wrapping = fyne.TextWrapWord
			fpl := widget.NewLabelWithStyle(conn.FormatFingerprint(fp), fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
			fpl.Wrapping = fyne.TextWrapWord
			d := dialog.NewCustomConfirm(u.T("trust.title"), u.T("trust.yes"), u.T("dialog.cancel"),
				container.NewVBox(text, fpl, widget.NewLabel(u.T("trust.check"))), func(ok bool) {
					if !ok {
						return
					}
					p.Fingerprint = fp
					_ = u.opt.Config.Put(p.Name, p)
					u.saveConfig()
					u.connUI.show()
					u.ConnectProfile(p.Name)
				}, u.win)
			d.Resize(fyne.NewSize(560, 0))
			d.Show()
		})
	})
}

// editProfile opens the form for a new (old == "") or saved profile.
func (u *UI) editProfile(old string) {
	p, _ := u.opt.Config.Find(old)
	name, url, sock, fp := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	token := widget.NewPasswordEntry()
	name.SetText(p.Name)
	url.SetText(p.URL)
	url.SetPlaceHolder("https://appliance.local:8443")
	sock.SetText(p.Socket)
	sock.SetPlaceHolder("/run/signalcraft/api.sock")
	token.SetText(p.Token)
	token.SetPlaceHolder("sc_…")
	fp.SetText(p.Fingerprint)
	fp.SetPlaceHolder(u.T("conn.fp.placeholder"))
	errs := map[string]*widget.Label{}
	item := func(key, label string, e *widget.Entry, hint string) *widget.FormItem {
		l := widget.NewLabel("")
		l.Importance = widget.DangerImportance
		l.Hide()
		errs[key] = l
		it := widget.NewFormItem(label, container.NewVBox(e, l))
		it.HintText = hint
		return it
	}
	items := []*widget.FormItem{
		item("name", u.T("conn.name"), name, ""),
		item("url", u.T("conn.url"), url, u.T("conn.url.hint")),
		item("socket", u.T("conn.socketpath"), sock, u.T("conn.socket.hint")),
		item("token", u.T("conn.token"), token, u.T("conn.token.hint")),
		item("fingerprint", u.T("conn.fingerprint"), fp, u.T("conn.fp.hint")),
	}
	title := u.T("conn.add")
	if old != "" {
		title = u.T("conn.edit")
	}
	var d *dialog.CustomDialog
	form := widget.NewForm(items...)
	save := widget.NewButtonWithIcon(u.T("conn.save"), fynetheme.DocumentSaveIcon(), func() {
		np := conn.Profile{Name: strings.TrimSpace(name.Text), URL: strings.TrimSpace(url.Text),
			Socket: strings.TrimSpace(sock.Text), Token: strings.TrimSpace(token.Text), Fingerprint: strings.TrimSpace(fp.Text)}
		for _, l := range errs {
			l.Hide()
		}
		err := u.opt.Config.Put(old, np)
		var fe *conn.FieldError
		if errors.As(err, &fe) {
			errs[fe.Field].SetText(fe.Msg)
			errs[fe.Field].Show()
			return
		}
		if err != nil {
			u.connUI.msg.SetText(err.Error())
			return
		}
		u.saveConfig()
		d.Hide()
		u.connUI.show()
	})
	save.Importance = widget.HighImportance
	d = dialog.NewCustomWithoutButtons(title, form, u.win)
	d.SetButtons([]fyne.CanvasObject{widget.NewButton(u.T("dialog.cancel"), func() { d.Hide() }), save})
	d.Resize(fyne.NewSize(620, 0))
	d.Show()
}
