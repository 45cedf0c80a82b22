package fakeappliance

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"signalcraft/core/api"
)

// ReportPDF and ReportZip are the bytes of every fake report's files.
var (
	ReportPDF = []byte("%PDF-1.3\nfake report\n%%EOF\n")
	ReportZip = []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
)

// reportsFake keeps the requested reports, newest last; a report is queued when requested
// and done from its second read on, as a report job would leave it. Guarded by Server.mu.
type reportsFake struct {
	list  []api.Report
	reads map[int64]int
}

func (s *Server) reportHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + api.PathReports:   s.listReports,
		"POST " + api.PathReports:  s.requestReport,
		"GET " + api.PathReport:    s.getReport,
		"GET " + api.PathReportPDF: s.reportFile(api.ReportPDF),
		"GET " + api.PathReportCSV: s.reportFile(api.ReportCSV),
	}
}

func (s *Server) listReports(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]api.Report, 0, len(s.rep.list))
	for i := len(s.rep.list) - 1; i >= 0; i-- {
		out = append(out, s.rep.list[i])
	}
	writeJSON(w, 200, out)
}

func (s *Server) requestReport(w http.ResponseWriter, r *http.Request) {
	var req api.ReportRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	lang := req.Lang
	if lang == "" {
		lang = "en"
	}
	rep := api.Report{ID: int64(len(s.rep.list) + 1), Kind: "on_demand", Lang: lang, Machine: req.Machine,
		From: now.Add(-24 * time.Hour), To: now, State: api.ReportQueued, RequestedBy: "test", CreatedAt: now}
	s.rep.list = append(s.rep.list, rep)
	writeJSON(w, http.StatusAccepted, rep)
}

// report returns the report of the path's id, or writes the error. Hold s.mu.
func (s *Server) report(w http.ResponseWriter, r *http.Request) (*api.Report, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if id < 1 || int(id) > len(s.rep.list) {
		writeErr(w, api.Errorf(api.CodeNotFound, "report %q not found", r.PathValue("id")))
		return nil, false
	}
	return &s.rep.list[id-1], true
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep, ok := s.report(w, r)
	if !ok {
		return
	}
	if s.rep.reads == nil {
		s.rep.reads = map[int64]int{}
	}
	if s.rep.reads[rep.ID]++; s.rep.reads[rep.ID] >= 2 && rep.State == api.ReportQueued {
		rep.State, rep.PDFBytes, rep.CSVBytes = api.ReportDone, int64(len(ReportPDF)), int64(len(ReportZip))
	}
	writeJSON(w, 200, *rep)
}

func (s *Server) reportFile(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		rep, ok := s.report(w, r)
		if !ok {
			return
		}
		if rep.State != api.ReportDone {
			writeErr(w, api.Errorf(api.CodeConflict, "report %d is %s", rep.ID, rep.State))
			return
		}
		if format == api.ReportCSV {
			w.Header().Set("Content-Type", "application/zip")
			_, _ = w.Write(ReportZip)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(ReportPDF)
	}
}

// CompleteReports marks every queued report done, as the report jobs would.
func (s *Server) CompleteReports() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rep.list {
		if r := &s.rep.list[i]; r.State == api.ReportQueued {
			r.State, r.PDFBytes, r.CSVBytes = api.ReportDone, int64(len(ReportPDF)), int64(len(ReportZip))
		}
	}
}
