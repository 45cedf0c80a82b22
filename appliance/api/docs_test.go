package api

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	wire "signalcraft/core/api"
)

var updateDoc = flag.Bool("update", false, "rewrite the routes table in docs/API.md")

const (
	docPath     = "../../docs/API.md"
	routesBegin = "<!-- routes:begin (generated from core/api.Routes: go test ./appliance/api -run TestAPIDoc -update) -->\n"
	routesEnd   = "<!-- routes:end -->\n"
)

// routesTable renders api.Routes as the Markdown table of docs/API.md.
func routesTable() string {
	var b strings.Builder
	b.WriteString("| Method | Path | Least role | Audited | What |\n|---|---|---|---|---|\n")
	for _, r := range wire.Routes {
		audited := ""
		if r.Audited {
			audited = "yes"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", r.Method, r.Path, r.MinRole, audited, strings.ReplaceAll(r.Summary, "|", `\|`))
	}
	return b.String()
}

// TestAPIDoc keeps the routes table in docs/API.md equal to api.Routes.
func TestAPIDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(doc, []byte(routesBegin))
	j := bytes.Index(doc, []byte(routesEnd))
	if i < 0 || j < i {
		t.Fatalf("%s: markers %q and %q not found", docPath, routesBegin, routesEnd)
	}
	want := routesTable()
	got := string(doc[i+len(routesBegin) : j])
	if got == want {
		return
	}
	if *updateDoc {
		out := append(append(append([]byte{}, doc[:i+len(routesBegin)]...), want...), doc[j:]...)
		if err := os.WriteFile(docPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: routes table differs from api.Routes; run go test ./appliance/api -run TestAPIDoc -update\n got:\n%s\nwant:\n%s", docPath, got, want)
}
