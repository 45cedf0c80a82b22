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
portaudio source's device. It takes no flags.
`)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("devices: unexpected argument %q", fs.Arg(0))}
	}
	devs, err := capture.Devices()
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "no capture devices found (is the microphone plugged in? see `arecord -l`)")
		return nil
	}
	return capture.WriteDeviceTable(stdout, devs)
}
