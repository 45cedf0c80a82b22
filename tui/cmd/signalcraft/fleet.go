package main

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/connect"
	"signalcraft/tui/i18n"
	"signalcraft/tui/pages/fleetview"
)

// applianceFlags collects repeated --appliance flags as given; they are parsed after the
// command line, since the flag package would echo a bad value — token included — in its error.
type applianceFlags []string

func (f *applianceFlags) String() string { return fmt.Sprint(len(*f), " appliances") }

func (f *applianceFlags) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// runFleet shows the fleet view of the fleet file's appliances and those of --appliance;
// the shared flags (--token, --known-file) apply to appliances that set none of their own.
func runFleet(flags applianceFlags, file string, shared connect.Config, ask connect.Prompter, lang i18n.Lang) error {
	var given []connect.Appliance
	for _, v := range flags {
		a, err := connect.ParseAppliance(v)
		if err != nil {
			return fmt.Errorf("--appliance: %w", err)
		}
		given = append(given, a)
	}
	if file == "" {
		var err error
		if file, err = connect.DefaultFleetFile(); err != nil {
			return err
		}
	}
	saved, err := connect.LoadFleet(file)
	if err != nil {
		return err
	}
	apps := connect.MergeFleet(saved, given)
	if len(apps) == 0 {
		return errors.New("the fleet view needs appliances: give --appliance name=… or list them in " + file)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var members []api.FleetMember
	for _, a := range apps {
		c := a.Config
		if c.Token == "" {
			c.Token = shared.Token
		}
		c.KnownFile, c.UserAgent = shared.KnownFile, shared.UserAgent
		client, err := connect.Client(ctx, c, ask, api.FetchFingerprint)
		if err != nil {
			return errors.New("appliance " + a.Name + ": " + err.Error())
		}
		members = append(members, api.FleetMember{Name: a.Name, Client: client})
	}
	w, err := api.NewFleetWatcher(members, api.FleetOptions{})
	if err != nil {
		return err
	}
	go w.Run(ctx)
	_, err = tea.NewProgram(fleetview.New(fleetview.Options{Watcher: w, Ctx: ctx, Lang: lang})).Run()
	return err
}
