// Command signalcraftd is the SignalCraft appliance daemon and its admin commands.
//
//	signalcraftd [run] [--config FILE | --demo] [--status]   capture, analyse, store
//	signalcraftd --check-config [--no-devices] --config FILE validate a configuration
//	signalcraftd devices                                     list capture devices
//	signalcraftd eval [--json] DIR...                        AUC/pAUC on labelled recordings
//	signalcraftd eval --stream F.wav --truth F.csv [--kind K] a recording through the live daemon
//	signalcraftd eval streams --out DIR                      test streams from ../shared/data
//	signalcraftd adapt --machine ID RECORDING.wav...         learn a new operating condition
//	signalcraftd token create|list|revoke ...                API tokens
//	signalcraftd restore --config FILE --to PATH [--timestamp T]  database from the S3 replica
//	signalcraftd --version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

// DefaultConfigPath is where packaged installs keep the configuration.
const DefaultConfigPath = "/etc/signalcraft/signalcraftd.yaml"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "signalcraftd:", err)
		}
		os.Exit(exitCode(err))
	}
}

type usageError struct{ error }

// exitCode is 0 for help the user asked for, 2 for a usage error and 1 for any other error.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd, args := splitCommand(args)
	switch cmd {
	case "run":
		return runDaemon(ctx, args, stdout, stderr)
	case "devices":
		return runDevices(args, stdout, stderr)
	case "eval":
		return runEval(ctx, args, stdout, stderr)
	case "adapt":
		return runAdapt(ctx, args, stdout, stderr)
	case "token":
		return runToken(ctx, args, stdout, stderr)
	case "restore":
		return runRestore(ctx, args, stdout, stderr)
	case "dataset":
		return runDataset(ctx, args, stdout, stderr)
	case "model":
		return runModel(ctx, args, stdout, stderr)
	case "version":
		fs := newFlagSet("signalcraftd version", args, stdout, stderr)
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), "Usage: signalcraftd version\nPrints the version. It takes no flags.")
		}
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "signalcraftd", version)
		return nil
	case "help":
		return runDaemon(ctx, []string{"--help"}, stdout, stderr)
	}
	return usageError{fmt.Errorf("unknown command %q (commands: run, devices, eval, adapt, token, dataset, model, restore, version, help)", cmd)}
}

const usage = `Usage:
  signalcraftd [run] [--config FILE | --demo] [--status]   capture, analyse and store
  signalcraftd --check-config [--no-devices] [--config FILE]
                                                           check a configuration (devices, data_dir,
                                                           recordings) and exit
  signalcraftd devices                                     list capture devices
  signalcraftd eval [--json] DIR...                        AUC/pAUC on labelled recordings
  signalcraftd eval --stream F.wav --truth F.csv [--kind K] a recording through the live daemon
  signalcraftd eval streams --out DIR                      test streams from ../shared/data
  signalcraftd adapt --machine ID RECORDING.wav...         learn a new operating condition
  signalcraftd token create|list|revoke ...                API tokens (viewer, operator, admin)
  signalcraftd model ls|show|promote|rollback --machine ID [--version N] [--reason TEXT]
                                                           the model registry: stages, metrics, rollback
  signalcraftd restore [--config FILE] --to PATH [--timestamp T]
                                                           rebuild the database from the S3 replica
  signalcraftd dataset import|ls|show|diff|snapshot|export ...  dataset versions (dataset --help)
  signalcraftd --version

Flags may come before or after the command: signalcraftd token list --config FILE.
Each command's flags: signalcraftd COMMAND --help.
`
