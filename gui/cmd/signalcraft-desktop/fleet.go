package main

import (
	"context"
	"log/slog"

	"fyne.io/fyne/v2"

	"signalcraft/core/api"
	"signalcraft/gui/conn"
	"signalcraft/gui/i18n"
	"signalcraft/gui/screens"
)

// openFleet opens a window with the fleet view of every saved connection; the watcher stops
// when the window closes. Connections that cannot make a client (an https one whose
// certificate is not trusted yet) are left out with a log line.
func openFleet(a fyne.App, profiles []conn.Profile, lang i18n.Lang, size fyne.Size, log *slog.Logger) {
	var members []api.FleetMember
	for _, p := range profiles {
		c, err := p.Client()
		if err != nil {
			log.Warn("fleet view: connection left out", "connection", p.Name, "err", err)
			continue
		}
		members = append(members, api.FleetMember{Name: p.Name, Client: c})
	}
	w, err := api.NewFleetWatcher(members, api.FleetOptions{})
	if err != nil {
		log.Error("fleet view", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := screens.NewFleet(screens.FleetOptions{Source: w, Lang: lang})
	win := a.NewWindow(i18n.New(lang).T("fleet.title") + " — SignalCraft")
	win.Resize(size)
	win.SetContent(f.Content())
	win.SetOnClosed(cancel)
	go w.Run(ctx)
	go f.Watch(ctx)
	win.Show()
}
