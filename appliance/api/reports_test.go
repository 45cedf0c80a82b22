package api

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/reports"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// newEnvReports is the real report service on the test's database; its job queue is not
// run, so requested reports stay queued.
func newEnvReports(t testing.TB, db *store.DB, now func() time.Time) *reports.Service {
	t.Helper()
	q, err := jobs.New(db, jobs.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := reports.New(reports.Options{DB: db, Queue: q, Dir: reportsDir(db), Appliance: "test", Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func reportsDir(db *store.DB) string { return filepath.Join(filepath.Dir(db.Path()), "reports") }

// pdfBytes stand for a rendered report: the API serves the files as they are.
var pdfBytes = append([]byte("%PDF-1.3\n"), bytes.Repeat([]byte{0, 0xff, '\n', 0x80}, 300)...)

// doneReport records a finished report with its files, as a report job leaves it.
func (e *env) doneReport(t testing.TB) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := e.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, _, err = e.db.CreateReportTx(ctx, tx, store.Report{Kind: "on_demand", Lang: "ko", From: t0.Add(-time.Hour), To: t0, RequestedBy: "test"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := reportsDir(e.db)
	if err := os.WriteFile(filepath.Join(dir, "r.pdf"), pdfBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "r.zip"), []byte("PK\x05\x06"+string(make([]byte, 18))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.db.FinishReport(ctx, id, "r.pdf", int64(len(pdfBytes)), "r.zip", 22); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestReportRoutes(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	op := e.client(wire.RoleOperator)
	rep, err := op.RequestReport(ctx, wire.ReportRequest{Lang: "ko", Machine: "pump-1"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != wire.ReportQueued || rep.Kind != "on_demand" || rep.Machine != "pump-1" || rep.RequestedBy != "operator-token" ||
		!rep.To.Equal(t0) || !rep.From.Equal(t0.Add(-24*time.Hour)) || rep.JobID == 0 {
		t.Errorf("requested %+v", rep)
	}
	var apiErr *wire.Error
	_, err = op.DownloadReport(ctx, rep.ID, wire.ReportPDF, new(bytes.Buffer))
	if !errors.As(err, &apiErr) || apiErr.Code != wire.CodeConflict {
		t.Errorf("download of a queued report: %v, want conflict", err)
	}
	for _, bad := range []wire.ReportRequest{{Lang: "fr"}, {Machine: "nope"}, {From: t0, To: t0.Add(-time.Hour)}} {
		if _, err := op.RequestReport(ctx, bad); !errors.As(err, &apiErr) || (apiErr.Code != wire.CodeInvalid && apiErr.Code != wire.CodeNotFound) {
			t.Errorf("request %+v: %v, want invalid or not found", bad, err)
		}
	}
	id := e.doneReport(t)
	viewer := e.client(wire.RoleViewer)
	list, err := viewer.Reports(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != id || list[0].State != wire.ReportDone || list[1].ID != rep.ID || list[0].FinishedAt == nil {
		t.Errorf("list %+v", list)
	}
	var b bytes.Buffer
	n, err := viewer.DownloadReport(ctx, id, wire.ReportPDF, &b)
	if err != nil || n != int64(len(pdfBytes)) || !bytes.Equal(b.Bytes(), pdfBytes) {
		t.Errorf("download: %d bytes (%v), not the PDF's %d", n, err, len(pdfBytes))
	}
	b.Reset()
	if _, err := viewer.DownloadReport(ctx, id, wire.ReportCSV, &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("PK")) {
		t.Errorf("csv download: %v %q", err, b.Bytes())
	}
	got, err := viewer.Report(ctx, id)
	if err != nil || got.PDFBytes != int64(len(pdfBytes)) {
		t.Errorf("report %+v (%v)", got, err)
	}
	if _, err := viewer.Report(ctx, 999); !errors.As(err, &apiErr) || apiErr.Code != wire.CodeNotFound {
		t.Errorf("missing report: %v", err)
	}
	entries, err := e.db.Audit(ctx, store.AuditFilter{Action: "report.request"})
	if err != nil || len(entries) != 1 || entries[0].Actor != "operator-token" {
		t.Errorf("audit %+v (%v)", entries, err)
	}
}
