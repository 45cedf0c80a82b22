package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Paths of the report routes (ReportRoutes).
const (
	PathReports   = Prefix + "reports"
	PathReport    = Prefix + "reports/{id}"
	PathReportPDF = Prefix + "reports/{id}/pdf"
	PathReportCSV = Prefix + "reports/{id}/csv"
)

// ReportRoutes are the routes of the reports (core/report, the report job); Routes ends
// with them.
var ReportRoutes = []Route{
	{"GET", PathReports, RoleViewer, false, "Reports, newest first ([]Report); ?limit (default 100)."},
	{"POST", PathReports, RoleOperator, true, "Request a report (ReportRequest → 202 Report, state queued); it is rendered by a report job; poll GET reports/{id}."},
	{"GET", PathReport, RoleViewer, false, "One report (Report): queued, done or failed (Error)."},
	{"GET", PathReportPDF, RoleViewer, false, "The report's PDF (application/pdf); 409 until it is done."},
	{"GET", PathReportCSV, RoleViewer, false, "The report's CSV files in a zip (application/zip); 409 until it is done."},
}

// Report states.
const (
	ReportQueued = "queued"
	ReportDone   = "done"
	ReportFailed = "failed"
)

// Report is a report's record: what it covers and where it stands.
type Report struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"` // daily, weekly, on_demand
	Lang        string     `json:"lang"` // en, ko
	Machine     string     `json:"machine,omitempty"`
	From        time.Time  `json:"from"`
	To          time.Time  `json:"to"`
	State       string     `json:"state"`
	RequestedBy string     `json:"requested_by"`
	JobID       int64      `json:"job_id,omitempty"`
	PDFBytes    int64      `json:"pdf_bytes,omitempty"`
	CSVBytes    int64      `json:"csv_bytes,omitempty"`
	EmailedTo   []string   `json:"emailed_to,omitempty"`
	Error       string     `json:"error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
}

// ReportRequest asks for a report. Zero From and To are the 24 hours before now; Lang ""
// is the appliance's report language; Machine "" covers every machine. Email also mails it
// to the receivers of the configuration's reports.email.
type ReportRequest struct {
	Lang    string    `json:"lang,omitempty"`
	Machine string    `json:"machine,omitempty"`
	From    time.Time `json:"from,omitzero"`
	To      time.Time `json:"to,omitzero"`
	Email   bool      `json:"email,omitempty"`
}

// Report formats for DownloadReport.
const (
	ReportPDF = "pdf"
	ReportCSV = "csv"
)

// Reports returns the latest reports, newest first (limit 0: the server's default).
func (c *Client) Reports(ctx context.Context, limit int) ([]Report, error) {
	var q url.Values
	if limit > 0 {
		q = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	var out []Report
	return out, c.do(ctx, "GET", PathReports, q, nil, &out)
}

// Report returns one report's record.
func (c *Client) Report(ctx context.Context, id int64) (Report, error) {
	var out Report
	return out, c.do(ctx, "GET", Expand(PathReport, strconv.FormatInt(id, 10)), nil, nil, &out)
}

// RequestReport asks for a report (operator); it is queued.
func (c *Client) RequestReport(ctx context.Context, r ReportRequest) (Report, error) {
	var out Report
	return out, c.do(ctx, "POST", PathReports, nil, r, &out)
}

// maxReportDownload bounds a downloaded report file.
const maxReportDownload = 64 << 20

// DownloadReport writes report id's file in format (ReportPDF or ReportCSV) to w and
// returns its size.
func (c *Client) DownloadReport(ctx context.Context, id int64, format string, w io.Writer) (int64, error) {
	path := PathReportPDF
	switch format {
	case ReportPDF:
	case ReportCSV:
		path = PathReportCSV
	default:
		return 0, fmt.Errorf("api: report format %q (want pdf or csv)", format)
	}
	path = Expand(path, strconv.FormatInt(id, 10))
	req, err := c.newRequest(ctx, "GET", path, nil, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "*/*")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("api: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, readError(resp)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, maxReportDownload))
	if err != nil {
		return n, fmt.Errorf("api: GET %s: %w", path, err)
	}
	return n, nil
}
