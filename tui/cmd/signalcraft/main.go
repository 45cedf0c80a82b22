// Command signalcraft is the technicians' terminal client of a SignalCraft
// appliance.
//
//	signalcraft [--socket PATH]                                  local appliance (admin)
//	signalcraft --url https://host:8443 [--token T] [--fingerprint SHA256]
//	            [--download-dir DIR]                             where d saves clips
//	signalcraft --appliance name=unix:/path|name=https://host:8443[,token=T][,fingerprint=F] ...
//	            [--fleet-file FILE]                              the fleet view of several appliances
//	signalcraft ... --lang en|ko                                 screen language (default: the locale)
//
// The token may also come from SIGNALCRAFT_TOKEN. Without --fingerprint an
// unknown appliance's certificate fingerprint is shown once for confirmation
// and kept in ~/.config/signalcraft/known_appliances. Without --lang the
// screens are Korean when the locale (LC_ALL, LC_MESSAGES, LANG) is Korean.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/app"
	"signalcraft/tui/connect"
	"signalcraft/tui/i18n"
)

var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "signalcraft:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalcraft", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c connect.Config
	fs.StringVar(&c.Socket, "socket", connect.DefaultSocket, "the appliance's API unix socket")
	fs.StringVar(&c.URL, "url", "", "the appliance's HTTPS address, e.g. https://appliance:8443 (instead of --socket)")
	fs.StringVar(&c.Token, "token", "", "API token secret (default $SIGNALCRAFT_TOKEN)")
	fs.StringVar(&c.Fingerprint, "fingerprint", "", "SHA-256 fingerprint of the appliance's certificate (default: known_appliances, or ask)")
	fs.StringVar(&c.KnownFile, "known-file", "", "known appliances file (default ~/.config/signalcraft/known_appliances)")
	downloads := fs.String("download-dir", "", "where d saves an event's clips (default: the current directory)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	var fleetFlags applianceFlags
	fs.Var(&fleetFlags, "appliance", "watch this appliance in the fleet view: name=unix:/path or name=https://host:port[,token=T][,fingerprint=F] (repeatable)")
	fleetFile := fs.String("fleet-file", "", "saved appliances of the fleet view, one per line like --appliance (default ~/.config/signalcraft/fleet)")
	fleetMode := fs.Bool("fleet", false, "show the fleet view of the appliances in --fleet-file")
	langFlag := fs.String("lang", "", "screen language: en or ko (default: from LC_ALL, LC_MESSAGES or LANG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println("signalcraft", version)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	lang, err := language(*langFlag, os.Getenv)
	if err != nil {
		return err
	}
	if c.Token == "" {
		c.Token = os.Getenv("SIGNALCRAFT_TOKEN")
	}
	c.UserAgent = "signalcraft-tui/" + version
	ask := connect.AskOnTerminal(bufio.NewReader(os.Stdin), os.Stdout)
	if *fleetMode || len(fleetFlags) > 0 {
		return runFleet(fleetFlags, *fleetFile, c, ask, lang)
	}
	client, err := connect.Client(context.Background(), c, ask, api.FetchFingerprint)
	if err != nil {
		return err
	}
	m := app.New(app.Options{Client: client, Target: c.Target(), DownloadDir: *downloads, Lang: lang})
	final, err := tea.NewProgram(m).Run()
	if fm, ok := final.(app.Model); ok {
		fm.Close()
	}
	return err
}

// language is the screens' language: --lang when given, else the locale's.
func language(flag string, getenv func(string) string) (i18n.Lang, error) {
	if flag == "" {
		return i18n.FromEnv(getenv), nil
	}
	l, err := i18n.Parse(flag)
	if err != nil {
		return i18n.English, fmt.Errorf("--lang: %w", err)
	}
	return l, nil
}
