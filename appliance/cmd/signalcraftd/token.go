package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"

	"signalcraft/appliance/api"
	"signalcraft/appliance/datadir"
	"signalcraft/core/store"
)

// runToken manages API tokens: signalcraftd token create|list|revoke ... [--config FILE]
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd token", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: signalcraftd token [--config FILE | --demo] create|list|revoke ...")
		fmt.Fprint(fs.Output(), api.TokenUsage)
		fmt.Fprintln(fs.Output(), "\nFlags of every token command (before or after it):")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", DefaultConfigPath, "configuration file (for the database path)")
	demo := fs.Bool("demo", false, "use the demo's database")
	if helpRequested(args) {
		fs.Usage() // the subcommands' own flags are in api.TokenUsage
		return flag.ErrHelp
	}
	// --config and --demo may come anywhere; the rest is create's, list's or revoke's
	own, rest := takeFlags(fs, args)
	if err := fs.Parse(own); err != nil {
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
	// before the daemon's first start there may be no data_dir yet: make it as the daemon
	// would, or say why it cannot be made and what to do
	_, statErr := os.Stat(cfg.DataDir)
	if err := datadir.Prepare(cfg.DataDir); err != nil {
		return err
	}
	if errors.Is(statErr, iofs.ErrNotExist) {
		fmt.Fprintf(stderr, "created data_dir %s (mode %v)\n", cfg.DataDir, datadir.Perm)
	}
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return datadir.Explain(cfg.DataDir, cfg.DatabasePath(), err)
	}
	defer db.Close()
	if err := api.TokenCommand(ctx, db, rest, stdout); err != nil {
		if errors.Is(err, api.ErrUsage) {
			return usageError{err}
		}
		return err
	}
	return nil
}
