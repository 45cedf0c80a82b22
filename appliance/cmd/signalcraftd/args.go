package main

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
)

// globalValueFlags are the flags written before a subcommand that take a value, so that
// splitCommand does not take the value for the subcommand's name.
var globalValueFlags = []string{"config", "data-dir"}

// splitCommand returns the subcommand the command line names ("run" when none) and its
// arguments. Flags may come before the subcommand as well as after it: those before it are
// handed to it first, so `signalcraftd --config F token list` and
// `signalcraftd token list --config F` mean the same.
func splitCommand(args []string) (cmd string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if name, ok := flagName(a); ok {
			if !strings.Contains(a, "=") && slices.Contains(globalValueFlags, name) {
				i++ // its value
			}
			continue
		}
		return a, append(slices.Clone(args[:i]), args[i+1:]...)
	}
	return "run", args
}

// flagName returns the name of a flag argument ("--config=F" → "config").
func flagName(a string) (string, bool) {
	if len(a) < 2 || a[0] != '-' || a == "--" {
		return "", false
	}
	name := strings.TrimLeft(a, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	return name, name != ""
}

// helpRequested reports whether args ask for help (-h, -help or --help before any "--").
func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if name, ok := flagName(a); ok && (name == "h" || name == "help") && !strings.Contains(a, "=") {
			return true
		}
	}
	return false
}

// newFlagSet returns a flag set whose usage and errors go to stderr, or to stdout when
// args ask for help: help is output the user asked for, and exits 0 (see exitCode).
// Usage functions must write to fs.Output().
func newFlagSet(name string, args []string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if helpRequested(args) {
		fs.SetOutput(stdout)
	}
	return fs
}

// parseFlags parses args with fs, taking flags after positional arguments as well as before
// them (`adapt --machine m a.wav --config F`); "--" ends the flags. Afterwards fs.Args()
// holds the positional arguments in order.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err} // a bad flag is a usage error (exit 2), like a missing one
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// takeFlags moves the flags fs defines out of args, wherever they are (before any "--"),
// and returns them apart from the other arguments. It serves commands whose further
// arguments are parsed by someone else (`token create --name N --config F`).
func takeFlags(fs *flag.FlagSet, args []string) (own, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, ok := flagName(a)
		f := fs.Lookup(name)
		if !ok || f == nil {
			rest = append(rest, a)
			continue
		}
		own = append(own, a)
		if b, isBool := f.Value.(interface{ IsBoolFlag() bool }); (!isBool || !b.IsBoolFlag()) &&
			!strings.Contains(a, "=") && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	return own, rest
}
