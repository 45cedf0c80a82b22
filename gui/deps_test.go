// Package gui_test checks the desktop client's import rules: only the main
// package may import fyne.io/fyne/v2/app (everything else is tested
// headless), and the client reaches the appliance only through core/api (core/i18n, the
// languages and catalog lookup the terminal client shares, talks to nothing). The fake appliance
// used by the tests (gui/internal/fakeappliance, never linked into the app) may also use
// core/notify, to mask receiver secrets exactly as the appliance does.
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
			case strings.HasPrefix(pkg, "signalcraft/gui/internal/fakeappliance") && d == "signalcraft/core/notify":
			case pkg == "signalcraft/gui/cmd/signalcraft-desktop" && strings.HasPrefix(d, "signalcraft/gui/internal/fakeappliance"):
				t.Errorf("the desktop app links the fake appliance (%s)", d)
			case strings.HasPrefix(d, "signalcraft/") && !strings.HasPrefix(d, "signalcraft/gui/") && d != "signalcraft/core/api" &&
				d != "signalcraft/core/i18n":
				t.Errorf("%s depends on %s: the client talks to the appliance only through core/api", pkg, d)
			}
		}
	}
}
