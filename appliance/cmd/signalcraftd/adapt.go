package main

import (
	"context"
	"fmt"
	"io"

	"signalcraft/appliance/daemon"
)

// runAdapt teaches a machine a new operating condition from a few normal recordings.
func runAdapt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd adapt", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: signalcraftd adapt [--config FILE] --machine ID RECORDING.wav...

Teach a machine's model a new normal operating condition (after maintenance, or with a new
product) from a few recordings of it running normally in that condition, e.g. ten 10-second
clips. The model keeps what it knew; a running daemon picks up the new model within seconds.

`)
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", DefaultConfigPath, "configuration file")
	machine := fs.String("machine", "", "machine id from the configuration")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *machine == "" || fs.NArg() == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("adapt: --machine and at least one recording are needed")}
	}
	cfg, err := loadConfig(*cfgPath, false)
	if err != nil {
		return err
	}
	res, err := daemon.Adapt(ctx, cfg, *machine, fs.Args())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "machine %s: model version %d now knows %d operating condition(s) (learned %d windows from %d recording(s))\n",
		*machine, res.Version, res.Conditions, res.Windows, fs.NArg())
	return nil
}
