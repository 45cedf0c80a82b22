package installer

import (
	"os"
	"strings"
	"testing"

	"signalcraft/appliance/config"
)

const shippedConfig = "deb/signalcraftd.yaml"

// TestShippedConfig checks the configuration the package installs: it must start the service
// on its own (a simulator, no microphone needed) and write where the unit allows.
func TestShippedConfig(t *testing.T) {
	c, err := config.Load(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/signalcraft" {
		t.Errorf("data_dir = %q, want the unit's StateDirectory /var/lib/signalcraft", c.DataDir)
	}
	if c.API.Socket != "/run/signalcraft/api.sock" {
		t.Errorf("api.socket = %q, want it in the unit's RuntimeDirectory", c.API.Socket)
	}
	if len(c.Sources) != 1 || c.Sources[0].Kind != config.KindSimulator || c.Sources[0].ID != "example" {
		t.Errorf("sources = %+v, want the one simulator named example", c.Sources)
	}
	if len(c.Machines) != 1 || c.Machines[0].Sensor.Source != "example" {
		t.Errorf("machines = %+v, want one on the example source", c.Machines)
	}
}

// TestShippedConfigMicrophoneExample follows the file's own instructions — uncomment the
// portaudio source and machines — and checks the result is a valid configuration, so the
// example people copy from stays correct as the configuration format evolves.
func TestShippedConfigMicrophoneExample(t *testing.T) {
	b, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		// indented commented-out YAML: "  # - id: …", "  #   kind: …"
		if rest, ok := strings.CutPrefix(line, "  # "); ok {
			line = "  " + rest
		}
		out = append(out, line)
	}
	c, err := config.Parse([]byte(strings.Join(out, "\n")))
	if err != nil {
		t.Fatalf("the commented examples do not parse once uncommented: %v", err)
	}
	var kinds []string
	for _, s := range c.Sources {
		kinds = append(kinds, s.Kind)
	}
	if strings.Join(kinds, ",") != "simulator,portaudio" || len(c.Machines) != 3 || c.API.Listen != ":8443" {
		t.Errorf("uncommented: sources %v, %d machines, listen %q; want simulator and portaudio, 3 machines, :8443",
			kinds, len(c.Machines), c.API.Listen)
	}
}
