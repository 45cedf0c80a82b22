package screens

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
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
			ctx := context.Background()
			admin := rig.Admin(t)
			if rs, err := admin.Reports(ctx, 0); err != nil || len(rs) != 1 || rs[0].Lang != string(lang) || rs[0].RequestedBy != "floor-tablet" {
				t.Fatalf("the appliance has the reports %+v (%v), want one in %s by floor-tablet", rs, err, lang)
			}
			if r.status.Text != rig.ui.T("reports.requested", 1) {
				t.Errorf("status %q", r.status.Text)
			}
			want := "#1 · " + rig.ui.T("reports.kind.on_demand") + " · " + strings.ToUpper(string(lang)) + " · " + rig.ui.T("reports.all")
			if got := reportLines(r); len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.HasSuffix(got[0], rig.ui.T("reports.state.queued")) {
				t.Fatalf("queued report shown as %v, want %q… %s", got, want, rig.ui.T("reports.state.queued"))
			}
			rig.Wait(t, "the report", func() bool {
				rep, err := admin.Report(ctx, r.list[0].ID)
				return err == nil && rep.State == api.ReportDone
			})
			r.reload()
			got := reportLines(r)
			if len(got) != 1 || !strings.Contains(got[0], rig.ui.T("reports.state.done")+" | ["+rig.ui.T("reports.savepdf")+"] | ["+rig.ui.T("reports.savecsv")+"]") {
				t.Fatalf("done report shown as %v", got)
			}
			var pdf, zip closingBuffer
			r.save(r.list[0], api.ReportPDF, &pdf, "r.pdf")
			r.save(r.list[0], api.ReportCSV, &zip, "r.zip")
			var wantPDF, wantZip bytes.Buffer
			if _, err := admin.DownloadReport(ctx, r.list[0].ID, api.ReportPDF, &wantPDF); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.DownloadReport(ctx, r.list[0].ID, api.ReportCSV, &wantZip); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) || !bytes.Equal(pdf.Bytes(), wantPDF.Bytes()) || !bytes.Equal(zip.Bytes(), wantZip.Bytes()) || !pdf.closed || !zip.closed {
				t.Errorf("saved %d and %d bytes (closed %v %v), want the appliance's %d and %d", pdf.Len(), zip.Len(), pdf.closed, zip.closed, wantPDF.Len(), wantZip.Len())
			}
			if r.status.Text != rig.ui.T("reports.saved", "r.zip", wantZip.Len()) {
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
