package screens

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
	"signalcraft/gui/internal/fakeappliance"
)

// reportLines returns the dialog's rows: the label and its buttons, joined by " | ".
func reportLines(r *reportsDialog) []string {
	var out []string
	for _, row := range r.rows.Objects {
		var cells []string
		walk(row, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Label:
				cells = append(cells, x.Text)
			case *widget.Button:
				cells = append(cells, "["+x.Text+"]")
			}
		})
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

type closingBuffer struct {
	bytes.Buffer
	closed bool
}

func (b *closingBuffer) Close() error { b.closed = true; return nil }

// TestReportsDialog: an operator requests a report in the UI's language, the dialog shows it
// being made, then done with Save buttons, and saving writes the appliance's bytes; a viewer
// cannot request one.
func TestReportsDialog(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.English, i18n.Korean} {
		t.Run(string(lang), func(t *testing.T) {
			rig := newRig(t, api.RoleOperator, lang)
			r := rig.ui.showReports()
			r.poll = 0
			if got := reportLines(r); len(got) != 1 || got[0] != rig.ui.T("reports.none") {
				t.Fatalf("empty list: %v", got)
			}
			test.Tap(r.request)
			var req api.ReportRequest
			if err := json.Unmarshal(lastPost(rig.fake).Body, &req); err != nil || req.Lang != string(lang) {
				t.Fatalf("posted %s (%v), want lang %s", lastPost(rig.fake).Body, err, lang)
			}
			if r.status.Text != rig.ui.T("reports.requested", 1) {
				t.Errorf("status %q", r.status.Text)
			}
			want := "#1 · " + rig.ui.T("reports.kind.on_demand") + " · " + strings.ToUpper(string(lang)) + " · " + rig.ui.T("reports.all")
			if got := reportLines(r); len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.HasSuffix(got[0], rig.ui.T("reports.state.queued")) {
				t.Fatalf("queued report shown as %v, want %q… %s", got, want, rig.ui.T("reports.state.queued"))
			}
			rig.fake.CompleteReports()
			r.reload()
			got := reportLines(r)
			if len(got) != 1 || !strings.Contains(got[0], rig.ui.T("reports.state.done")+" | ["+rig.ui.T("reports.savepdf")+"] | ["+rig.ui.T("reports.savecsv")+"]") {
				t.Fatalf("done report shown as %v", got)
			}
			var pdf, zip closingBuffer
			r.save(r.list[0], api.ReportPDF, &pdf, "r.pdf")
			r.save(r.list[0], api.ReportCSV, &zip, "r.zip")
			if !bytes.Equal(pdf.Bytes(), fakeappliance.ReportPDF) || !bytes.Equal(zip.Bytes(), fakeappliance.ReportZip) || !pdf.closed || !zip.closed {
				t.Errorf("saved %q and %q (closed %v %v)", pdf.Bytes(), zip.Bytes(), pdf.closed, zip.closed)
			}
			if r.status.Text != rig.ui.T("reports.saved", "r.zip", len(fakeappliance.ReportZip)) {
				t.Errorf("status %q", r.status.Text)
			}
			if fileName(r.list[0], api.ReportCSV) != "signalcraft-report-1-"+string(lang)+".zip" {
				t.Errorf("proposed name %q", fileName(r.list[0], api.ReportCSV))
			}
		})
	}
	t.Run("viewer", func(t *testing.T) {
		rig := newRig(t, api.RoleViewer, i18n.English)
		r := rig.ui.showReports()
		if !r.request.Disabled() {
			t.Error("a viewer may request a report")
		}
	})
}
