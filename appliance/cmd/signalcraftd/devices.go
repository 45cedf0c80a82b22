package main

import (
	"flag"
	"fmt"
	"io"

	"signalcraft/appliance/capture"
)

// runDevices lists the capture devices PortAudio sees, with their exact names to copy into
// the configuration.
func runDevices(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalcraftd devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
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
