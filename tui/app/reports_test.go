package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
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
	a := plant(t)
	ctx := context.Background()
	m := connect(t, a.ClientAs(t, "operator-kim", api.RoleOperator), tlsTarget, app.Options{}, 120, 40)
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
	// The files are the appliance's report, requested on the machine by the operator.
	for path, format := range map[string]string{pdf: "pdf", zip: "csv"} {
		var want bytes.Buffer
		if _, err := a.Admin(t).DownloadReport(ctx, 1, format, &want); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil || !bytes.Equal(got, want.Bytes()) || want.Len() == 0 {
			t.Errorf("%s: %d bytes (%v), want the appliance's %d", path, len(got), err, want.Len())
		}
	}
	if r, err := a.Admin(t).Report(ctx, 1); err != nil || r.RequestedBy != "operator-kim" || r.Machine != "fan-1" || r.State != api.ReportDone {
		t.Errorf("the appliance has report %+v (%v)", r, err)
	}

	v := keys(t, as(t, a, api.RoleViewer, 120, 40), "2")
	v, cmd = step(t, v, press("d"))
	if s := ansi.Strip(v.Render()); cmd != nil || !strings.Contains(s, "request reports") {
		t.Errorf("viewer not told the role needed (command %v):\n%s", cmd != nil, s)
	}
	if _, err := a.ClientAs(t, "wall-2", api.RoleViewer).RequestReport(ctx, api.ReportRequest{}); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("a viewer's report request: %v, want forbidden", err)
	}
}
