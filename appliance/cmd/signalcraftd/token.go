package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"signalcraft/appliance/api"
	"signalcraft/core/store"
)

// runToken manages API tokens: signalcraftd token [--config FILE] create|list|revoke ...
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalcraftd token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: signalcraftd token [--config FILE] create|list|revoke ...")
		fmt.Fprint(stderr, api.TokenUsage)
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", DefaultConfigPath, "configuration file (for the database path)")
	demo := fs.Bool("demo", false, "use the demo's database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := *cfgPath
	if *demo {
		path = ""
	}
	cfg, err := loadConfig(path, *demo)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := api.TokenCommand(ctx, db, fs.Args(), stdout); err != nil {
		if errors.Is(err, api.ErrUsage) {
			return usageError{err}
		}
		return err
	}
	return nil
}
