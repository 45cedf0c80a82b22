package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreImports keeps imports flowing one way: nothing under core/ may depend on the
// appliance, the clients, their UI toolkits or PortAudio. core/api must stay standard
// library only, and core/apiconv and core/machine, which the clients may also import, must
// talk to nothing, so clients never link SQLite or PortAudio.
func TestCoreImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"signalcraft/appliance", "signalcraft/gui", "signalcraft/tui",
		"fyne.io/", "github.com/charmbracelet/", "charm.land/", "github.com/gordonklaus/portaudio",
	}
	pkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "signalcraft/core") {
			continue
		}
		pkgs++
		for _, dep := range fields[1:] {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s imports %s", fields[0], dep)
				}
			}
			if (fields[0] == "signalcraft/core/apiconv" || fields[0] == "signalcraft/core/machine") &&
				(strings.HasPrefix(dep, "signalcraft/core/store") || strings.HasPrefix(dep, "signalcraft/core/jobs") || strings.HasPrefix(dep, "modernc.org/")) {
				t.Errorf("%s is for the clients too and must talk to nothing, but imports %s", fields[0], dep)
			}
			if (fields[0] == "signalcraft/core/api" || strings.HasPrefix(fields[0], "signalcraft/core/api/")) && !standard(dep) {
				t.Errorf("%s must use the standard library only, but imports %s", fields[0], dep)
			}
		}
	}
	if pkgs < 3 {
		t.Fatalf("found only %d core packages; is the test running from core/?", pkgs)
	}
}

// standard reports whether an import path belongs to the standard library (including the
// packages it vendors): its first element has no dot and it is not one of ours.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && first != "signalcraft"
}
