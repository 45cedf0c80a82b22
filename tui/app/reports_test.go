package app_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
	"signalcraft/tui/internal/fakeappliance"
	"signalcraft/tui/pages/detail"
)

// settleReport runs cmd and feeds back the report messages (a poll tick included) until
// the report key's work is over.
func settleReport(t *testing.T, m app.Model, cmd tea.Cmd) (app.Model, []string) {
	t.Helper()
	var seen []string
	for range 10 {
		msgs := exec(cmd, detail.ReportPoll*3)
		cmd = nil
		for _, msg := range msgs {
			switch msg.(type) {
			case detail.ReportMsg, detail.ReportPollMsg:
				var next tea.Cmd
				m, next = step(t, m, msg)
				seen = append(seen, ansi.Strip(m.Render()))
				cmd = next
			}
		}
		if cmd == nil {
			break
		}
	}
	return m, seen
}

// TestReportDownload: d on the machine page requests a report on the machine, shows its
// progress while the job runs and saves the PDF and the CSV zip; a viewer is told the role
// needed and sends nothing.
func TestReportDownload(t *testing.T) {
	fx := fakeappliance.NewFixture()
	fx.Me = api.Identity{Actor: "operator-kim", Role: api.RoleOperator}
	srv := fakeappliance.New(fx)
	defer srv.Close()
	c, err := api.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := model(t, fx, c, 120, 40)
	m = keys(t, m, "2")
	dir := t.TempDir()
	t.Chdir(dir) // reports are saved in the working directory
	m, cmd := step(t, m, press("d"))
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Report: requesting…") {
		t.Fatalf("no progress after d:\n%s", s)
	}
	m, seen := settleReport(t, m, cmd)
	joined := strings.Join(seen, "\n")
	if !strings.Contains(joined, "Report #1: queued, rendering…") {
		t.Errorf("the job's progress was not shown:\n%s", joined)
	}
	pdf, zip := "signalcraft-report-1-en.pdf", "signalcraft-report-1-en.zip"
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Report #1 saved: "+pdf+", "+zip) {
		t.Fatalf("not saved:\n%s", s)
	}
	for path, want := range map[string][]byte{pdf: fakeappliance.ReportPDF, zip: fakeappliance.ReportZip} {
		got, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q (%v), want the served bytes", path, got, err)
		}
	}
	var posted string
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == api.PathReports {
			posted = string(r.Body)
		}
	}
	if !strings.HasPrefix(posted, `{"machine":"`) {
		t.Errorf("posted %q", posted)
	}

	fx.Me = api.Identity{Actor: "viewer", Role: api.RoleViewer}
	srv2 := fakeappliance.New(fx)
	defer srv2.Close()
	c2, _ := api.NewClient(srv2.URL)
	v := keys(t, model(t, fx, c2, 120, 40), "2", "d")
	if s := ansi.Strip(v.Render()); !strings.Contains(s, "request reports") {
		t.Errorf("viewer not told the role needed:\n%s", s)
	}
	for _, r := range srv2.Requests() {
		if r.Path == api.PathReports {
			t.Errorf("viewer's d sent %s %s", r.Method, r.Path)
		}
	}
}
