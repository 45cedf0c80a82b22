package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"time"

	"signalcraft/appliance/reports"
	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// ReportService makes and opens reports (appliance/reports.Service).
type ReportService interface {
	Request(ctx context.Context, r reports.Request) (store.Report, error)
	Open(ctx context.Context, id int64, format string) (*os.File, store.Report, error)
}

func (s *Server) reportHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + wire.PathReports:   s.listReports,
		"POST " + wire.PathReports:  s.requestReport,
		"GET " + wire.PathReport:    s.getReport,
		"GET " + wire.PathReportPDF: s.reportFile(wire.ReportPDF),
		"GET " + wire.PathReportCSV: s.reportFile(wire.ReportCSV),
	}
}

// reportError maps the report service's errors to API errors; the rest go to apiError.
func reportError(err error) error {
	switch {
	case errors.Is(err, reports.ErrInvalid):
		return &wire.Error{Code: wire.CodeInvalid, Message: err.Error()}
	case errors.Is(err, reports.ErrNotReady):
		return &wire.Error{Code: wire.CodeConflict, Message: err.Error()}
	case errors.Is(err, fs.ErrNotExist):
		return &wire.Error{Code: wire.CodeNotFound, Message: "the report's file is gone"}
	}
	return err
}

func wireReport(r store.Report) wire.Report {
	out := wire.Report{ID: r.ID, Kind: r.Kind, Lang: r.Lang, Machine: r.MachineID, From: r.From, To: r.To, State: r.State,
		RequestedBy: r.RequestedBy, JobID: r.JobID, PDFBytes: r.PDFBytes, CSVBytes: r.CSVBytes, EmailedTo: r.EmailedTo,
		Error: r.Error, CreatedAt: r.CreatedAt}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		out.FinishedAt = &t
	}
	return out
}

func (s *Server) listReports(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.writeError(w, r, wire.Errorf(wire.CodeInvalid, "limit %q: must be between 1 and 1000", v))
			return
		}
		limit = n
	}
	list, err := s.d.DB.Reports(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.Report, len(list))
	for i, rep := range list {
		out[i] = wireReport(rep)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) requestReport(w http.ResponseWriter, r *http.Request) {
	var req wire.ReportRequest
	if err := decode(r, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.d.Reports == nil {
		s.writeError(w, r, wire.Errorf(wire.CodeNotFound, "reports are not available on this appliance"))
		return
	}
	if req.Machine != "" {
		if _, err := s.machine(req.Machine); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	rep, err := s.d.Reports.Request(r.Context(), reports.Request{Lang: req.Lang, Machine: req.Machine, From: req.From, To: req.To,
		Email: req.Email, By: actor(r)})
	if err != nil {
		s.writeError(w, r, reportError(err))
		return
	}
	s.auditAfter(r, "report.request", fmt.Sprintf("report/%d", rep.ID), fmt.Sprintf("%s %s – %s", rep.Lang,
		rep.From.UTC().Format(time.RFC3339), rep.To.UTC().Format(time.RFC3339)))
	writeJSON(w, http.StatusAccepted, wireReport(rep))
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.d.DB.Report(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireReport(rep))
}

func (s *Server) reportFile(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if s.d.Reports == nil {
			s.writeError(w, r, wire.Errorf(wire.CodeNotFound, "reports are not available on this appliance"))
			return
		}
		f, rep, err := s.d.Reports.Open(r.Context(), id, format)
		if err != nil {
			s.writeError(w, r, reportError(err))
			return
		}
		defer f.Close()
		name, ct := rep.PDFFile, "application/pdf"
		if format == wire.ReportCSV {
			name, ct = rep.CSVFile, "application/zip"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		// ServeContent answers ranges, so a client can resume a large download.
		http.ServeContent(w, r, name, rep.FinishedAt, f)
	}
}
