package main

import (
	"fmt"
	"io"

	"signalcraft/appliance/capture"
)

// runDevices lists the capture devices PortAudio sees, with their exact names to copy into
// the configuration.
func runDevices(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd devices", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: signalcraftd devices

Lists the capture devices PortAudio sees: the NAME column is the exact string to put in a
portaudio source's device.

Flags:
`)
		fs.PrintDefaults()
	}
	verbose := fs.Bool("verbose", false, "show the audio libraries' diagnostics (alsa-lib, JACK) on stderr, e.g. why a card does not open")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("devices: unexpected argument %q", fs.Arg(0))}
	}
	h := capture.Host{Verbose: *verbose}
	devs, err := h.ListDevices()
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "no capture devices found (is the microphone plugged in? see `arecord -l`)")
		return nil
	}
	return capture.WriteDeviceTable(stdout, devs)
}
