package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	wire "signalcraft/core/api"
)

// TestReportThroughDaemon requests a report through the daemon's API: the report job runs
// on the daemon's job queue, writes the files under data_dir/reports, and the API serves them.
func TestReportThroughDaemon(t *testing.T) {
	m, c := startWithAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := c.RequestReport(ctx, wire.ReportRequest{Lang: "ko", Machine: "pump-2"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != wire.ReportQueued || rep.Machine != "pump-2" || rep.Kind != "on_demand" {
		t.Fatalf("requested %+v", rep)
	}
	for rep.State == wire.ReportQueued {
		select {
		case <-ctx.Done():
			t.Fatalf("report %d still %s", rep.ID, rep.State)
		case <-time.After(100 * time.Millisecond):
		}
		if rep, err = c.Report(ctx, rep.ID); err != nil {
			t.Fatal(err)
		}
	}
	if rep.State != wire.ReportDone || rep.PDFBytes == 0 || rep.CSVBytes == 0 {
		t.Fatalf("report %+v", rep)
	}
	var pdf bytes.Buffer
	if n, err := c.DownloadReport(ctx, rep.ID, wire.ReportPDF, &pdf); err != nil || n != rep.PDFBytes || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("download: %d bytes (%v), want the %d-byte PDF", n, err, rep.PDFBytes)
	}
	files, _ := filepath.Glob(filepath.Join(m.cfg.DataDir, "reports", "*-on-demand-*-pump-2-ko.*"))
	if len(files) != 2 {
		t.Fatalf("files under data_dir/reports: %v", files)
	}
	onDisk, err := os.ReadFile(files[0]) // Glob sorts: ….pdf before ….zip
	if err != nil || filepath.Ext(files[0]) != ".pdf" {
		t.Fatalf("%s: %v", files[0], err)
	}
	if !bytes.Equal(onDisk, pdf.Bytes()) {
		t.Error("the API served other bytes than the PDF on disk")
	}
}
