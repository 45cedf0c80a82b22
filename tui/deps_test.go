package tui_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the terminal client a client, as gui/deps_test.go does the desktop one:
// it talks to the appliance only through core/api and may use the core packages that talk
// to nothing (core/api, core/i18n, core/apiconv and their pure-logic deps), never the
// appliance, the other client, core/store, core/jobs, SQLite or PortAudio.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "signalcraft/tui/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		for _, never := range []string{"signalcraft/appliance/", "signalcraft/gui/", "signalcraft/core/store",
			"signalcraft/core/jobs", "modernc.org/sqlite", "github.com/gordonklaus/portaudio"} {
			if strings.HasPrefix(d, never) {
				t.Errorf("signalcraft/tui/... depends on %s: the client talks to the appliance only through core/api", d)
			}
		}
	}
}
