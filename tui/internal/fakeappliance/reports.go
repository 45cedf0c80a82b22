package fakeappliance

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"signalcraft/core/api"
)

// ReportPDF and ReportZip are the bytes of every fake report's files.
var (
	ReportPDF = []byte("%PDF-1.3\nfake report\n%%EOF\n")
	ReportZip = []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
)

// reportsFake keeps the requested reports: each is queued when requested and done from
// its second read on, as a report job would leave it.
type reportsFake struct {
	mu    sync.Mutex
	list  []api.Report
	reads map[int64]int
}

// reports answers the report routes; it reports false for any other path.
func (s *Server) reports(w http.ResponseWriter, method string, parts []string, body []byte) bool {
	if len(parts) == 0 || parts[0] != "reports" {
		return false
	}
	rf := &s.rep
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.reads == nil {
		rf.reads = map[int64]int{}
	}
	s.mu.Lock()
	me, now := s.data.Me, Now
	s.mu.Unlock()
	switch {
	case method == "POST" && len(parts) == 1:
		if !me.Role.Allows(api.RoleOperator) {
			writeErr(w, api.Errorf(api.CodeForbidden, "POST %s needs role %s", api.PathReports, api.RoleOperator))
			return true
		}
		var req api.ReportRequest
		if len(body) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
				return true
			}
		}
		lang := req.Lang
		if lang == "" {
			lang = "en"
		}
		r := api.Report{ID: int64(len(rf.list) + 1), Kind: "on_demand", Lang: lang, Machine: req.Machine, From: now.Add(-24 * 3600e9),
			To: now, State: api.ReportQueued, RequestedBy: me.Actor, CreatedAt: now}
		rf.list = append(rf.list, r)
		writeJSON(w, http.StatusAccepted, r)
	case method == "GET" && len(parts) == 1:
		writeJSON(w, 200, rf.list)
	case method == "GET" && len(parts) >= 2:
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		if id < 1 || int(id) > len(rf.list) {
			writeErr(w, api.Errorf(api.CodeNotFound, "report %s not found", parts[1]))
			return true
		}
		r := &rf.list[id-1]
		if len(parts) == 2 {
			if rf.reads[id]++; rf.reads[id] >= 2 && r.State == api.ReportQueued {
				r.State, r.PDFBytes, r.CSVBytes = api.ReportDone, int64(len(ReportPDF)), int64(len(ReportZip))
			}
			writeJSON(w, 200, *r)
			return true
		}
		if r.State != api.ReportDone {
			writeErr(w, api.Errorf(api.CodeConflict, "report %d is %s", id, r.State))
			return true
		}
		switch parts[2] {
		case "pdf":
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write(ReportPDF)
		case "csv":
			w.Header().Set("Content-Type", "application/zip")
			_, _ = w.Write(ReportZip)
		default:
			writeErr(w, api.Errorf(api.CodeNotFound, "no route"))
		}
	default:
		writeErr(w, api.Errorf(api.CodeNotFound, "no route %s reports", method))
	}
	return true
}
