// Command signalcraft-desktop is the SignalCraft desktop client for floor
// staff: machine status tiles, live spectrograms, events to acknowledge and
// label, alerts to acknowledge and silence, notification receivers, alert
// rules and maintenance windows, machine
// settings, several appliances. It is the only package of
// the client that imports fyne.io/fyne/v2/app; everything else is in
// signalcraft/gui/screens.
//
// Usage:
//
//	signalcraft-desktop [-url https://host:8443 -token sc_… [-fingerprint AB:CD:…]]
//	                    [-socket /run/signalcraft/api.sock] [-lang en|ko]
//	signalcraft-desktop -socket .demo/api.sock     the `make run` demo (from the repository)
//	                    [-machine ID] [-tab alerts|events|settings|notifications|rules|connections]
//	                    [-size 1280x800] [-config FILE]
//	signalcraft-desktop -fleet                     also the fleet view of every saved connection (View → Fleet)
//
// Without -url or -socket it connects to the connection last used (saved in
// $XDG_CONFIG_HOME/signalcraft-desktop/connections.json).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"signalcraft/gui/conn"
	"signalcraft/gui/i18n"
	"signalcraft/gui/screens"
	"signalcraft/gui/theme"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "signalcraft-desktop:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("signalcraft-desktop", flag.ContinueOnError)
	url := fs.String("url", "", "appliance URL, e.g. https://appliance:8443 (saved as connection -name)")
	socket := fs.String("socket", "", "appliance unix socket instead of -url")
	token := fs.String("token", os.Getenv("SIGNALCRAFT_TOKEN"), "API token (default $SIGNALCRAFT_TOKEN)")
	fingerprint := fs.String("fingerprint", "", "pinned SHA-256 fingerprint of the appliance's certificate")
	name := fs.String("name", "", "connection name for -url/-socket (default: the URL or socket)")
	langFlag := fs.String("lang", "", "language: en or ko (default: saved choice, else from $LANG)")
	machine := fs.String("machine", "", "open this machine's detail at start")
	tab := fs.String("tab", "", "open this tab at start: machines, alerts, events, settings, notifications, rules, connections")
	size := fs.String("size", "1280x800", "window size WxH")
	cfgPath := fs.String("config", "", "connections file (default in the user config dir)")
	fleetAtStart := fs.Bool("fleet", false, "also open the fleet view of every saved connection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if *cfgPath == "" {
		p, err := conn.DefaultPath()
		if err != nil {
			return err
		}
		*cfgPath = p
	}
	store := &conn.Store{Path: *cfgPath}
	cfg, err := store.Load()
	if err != nil {
		return err
	}
	if *url != "" || *socket != "" {
		p, err := conn.Profile{Name: *name, URL: *url, Socket: *socket, Token: *token, Fingerprint: *fingerprint}.Absolute()
		if err != nil {
			return fmt.Errorf("-socket %q: %w", *socket, err)
		}
		if p.Name == "" {
			p.Name = *url + *socket
		}
		old := ""
		if _, ok := cfg.Find(p.Name); ok {
			old = p.Name
		}
		if err := cfg.Put(old, p); err != nil {
			return fmt.Errorf("-url/-socket: %w", err)
		}
		cfg.Active = p.Name
		if err := store.Save(cfg); err != nil {
			log.Warn("cannot save connections", "err", err)
		}
	}
	lang := i18n.English
	switch {
	case *langFlag != "":
		if lang, err = i18n.Parse(*langFlag); err != nil {
			return fmt.Errorf("-lang: %w", err)
		}
	case cfg.Language != "":
		lang, _ = i18n.Parse(cfg.Language)
	default:
		lang, _ = i18n.Parse(os.Getenv("LANG"))
	}
	var w, h float32
	if _, err := fmt.Sscanf(*size, "%fx%f", &w, &h); err != nil {
		return fmt.Errorf("-size %q: want WxH, e.g. 1280x800", *size)
	}

	a := app.NewWithID("io.signalcraft.desktop")
	regular, bold, err := theme.SystemCJK()
	if err != nil {
		log.Info("no system CJK font; Korean relies on Fyne's font fallback", "err", err)
	}
	a.Settings().SetTheme(theme.New(regular, bold))
	win := a.NewWindow("SignalCraft")
	win.Resize(fyne.NewSize(w, h))

	var ui *screens.UI
	var setMenu func(i18n.Lang)
	ui = screens.New(win, screens.Options{
		Lang:   lang,
		Store:  store,
		Config: cfg,
		OnLang: func(l i18n.Lang) {
			c := ui.Config()
			c.Language = string(l)
			if err := store.Save(c); err != nil {
				log.Warn("cannot save language", "err", err)
			}
			setMenu(l)
		},
	})
	setMenu = func(l i18n.Lang) {
		tr := i18n.New(l)
		var items []*fyne.MenuItem
		for _, l := range i18n.Langs() {
			it := fyne.NewMenuItem(l.Name(), func() { ui.SetLang(l) })
			it.Checked = l == ui.Lang()
			items = append(items, it)
		}
		view := fyne.NewMenu(tr.T("menu.view"),
			fyne.NewMenuItem(tr.T("tab.overview"), ui.ShowOverview),
			fyne.NewMenuItem(tr.T("tab.alerts"), func() { ui.SelectTab(screens.TabAlerts) }),
			fyne.NewMenuItem(tr.T("tab.events"), func() { ui.SelectTab(screens.TabEvents) }),
			fyne.NewMenuItem(tr.T("tab.settings"), func() { ui.SelectTab(screens.TabSettings) }),
			fyne.NewMenuItem(tr.T("tab.notifications"), func() { ui.SelectTab(screens.TabNotifications) }),
			fyne.NewMenuItem(tr.T("tab.rules"), func() { ui.SelectTab(screens.TabRules) }),
			fyne.NewMenuItem(tr.T("tab.connections"), func() { ui.SelectTab(screens.TabConnections) }),
			fyne.NewMenuItem(tr.T("fleet.title"), func() { openFleet(a, ui.Config().Profiles, ui.Lang(), win.Canvas().Size(), log) }),
		)
		file := fyne.NewMenu(tr.T("menu.file"), fyne.NewMenuItem(tr.T("menu.reports"), ui.ShowReports),
			fyne.NewMenuItem(tr.T("menu.quit"), a.Quit))
		file.Items[1].IsQuit = true
		win.SetMainMenu(fyne.NewMainMenu(file, view, fyne.NewMenu(tr.T("menu.language"), items...)))
	}
	setMenu(lang)
	win.SetContent(ui.Content())

	if cfg.Active != "" {
		ui.ConnectProfile(cfg.Active)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ui.Run(ctx, 250*time.Millisecond)
	if *fleetAtStart {
		openFleet(a, cfg.Profiles, lang, fyne.NewSize(w, h), log)
	}
	if *machine != "" || *tab != "" {
		// Open the screen asked for once the machines have loaded.
		go func() {
			for i := 0; i < 100; i++ {
				time.Sleep(100 * time.Millisecond)
				done := false
				fyne.DoAndWait(func() {
					if *machine != "" {
						ui.ShowMachine(*machine)
						done = ui.ShownMachine() == *machine
					} else {
						done = true
					}
					if done {
						switch *tab {
						case "alerts":
							ui.SelectTab(screens.TabAlerts)
						case "events":
							ui.SelectTab(screens.TabEvents)
						case "notifications":
							ui.SelectTab(screens.TabNotifications)
						case "settings":
							ui.SelectTab(screens.TabSettings)
						case "rules":
							ui.SelectTab(screens.TabRules)
						case "connections":
							ui.SelectTab(screens.TabConnections)
						}
					}
				})
				if done {
					return
				}
			}
		}()
	}
	win.ShowAndRun()
	ui.Disconnect()
	return nil
}
