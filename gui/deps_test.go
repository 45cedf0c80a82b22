// Package gui_test checks the desktop client's import rules: only the main
// package may import fyne.io/fyne/v2/app (everything else is tested
// headless), and the client talks to the appliance only through core/api: of
// the rest of the repository it may use the core packages that talk to nothing
// (core/api, core/i18n, core/apiconv and their pure-logic deps), never the
// appliance, core/store, core/jobs, SQLite or PortAudio. (Its tests run against the real
// appliance, appliance/apptest, which links all of those: go list -deps leaves test imports
// out, so only the test binaries do.)
package gui_test

import (
	"os/exec"
	"strings"
	"testing"
)

func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "signalcraft/gui/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		for _, d := range strings.Fields(deps) {
			switch {
			case d == "fyne.io/fyne/v2/app" && pkg != "signalcraft/gui/cmd/signalcraft-desktop":
				t.Errorf("%s imports fyne.io/fyne/v2/app: keep it headless-testable", pkg)
			case strings.HasPrefix(d, "signalcraft/") && !strings.HasPrefix(d, "signalcraft/gui/") && !strings.HasPrefix(d, "signalcraft/core/"),
				strings.HasPrefix(d, "signalcraft/core/store"), strings.HasPrefix(d, "signalcraft/core/jobs"),
				strings.HasPrefix(d, "modernc.org/sqlite"), d == "github.com/gordonklaus/portaudio":
				t.Errorf("%s depends on %s: the client talks to the appliance only through core/api", pkg, d)
			}
		}
	}
}
