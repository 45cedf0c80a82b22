package api

import (
	"fmt"
	"net/http"
	"strconv"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// maxReason bounds the reason given for a promotion or rollback, as a relearn's note.
const maxReason = 500

// ModelToWire is a stored model as the API shows it (without its blob).
func ModelToWire(sm store.Model) wire.Model {
	state := wire.ModelRetired
	switch {
	case sm.Active:
		state = wire.ModelActive
	case sm.Stage == store.StageCandidate:
		state = wire.ModelCandidate
	}
	out := wire.Model{MachineID: sm.MachineID, Version: sm.Version, Task: sm.Task, Kind: sm.Kind, CreatedAt: sm.CreatedAt,
		Threshold: sm.Threshold, Active: sm.Active, Note: sm.Note, State: state,
		Stage: sm.Stage, Dataset: sm.Dataset, CodeVersion: sm.CodeVersion, Params: sm.Params, Reason: sm.Reason,
		TrainedSeconds: sm.TrainedFor.Seconds(), PromotedAt: sm.PromotedAt, RolledBackAt: sm.RolledBackAt}
	if m := sm.Metrics; m != nil {
		out.Metrics = &wire.ModelMetrics{TestDataset: m.TestDataset, NormalHours: m.NormalHours, FalseAlarms: m.FalseAlarms,
			FalseAlarmsPerHour: m.FalseAlarmsPerHour, Faults: m.Faults, Detected: m.Detected, Recall: m.Recall,
			Windows: m.Windows, Accuracy: m.Accuracy, MacroF1: m.MacroF1, Unknown: m.Unknown, Classes: m.Classes, Confusion: m.Confusion}
	}
	return out
}

// modelPath returns the machine and model version a model route names.
func (s *Server) modelPath(r *http.Request) (wire.Machine, int64, error) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		return m, 0, err
	}
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || v < 1 {
		return m, 0, wire.Errorf(wire.CodeNotFound, "model version %q of machine %q not found (versions are 1, 2, ...)", r.PathValue("version"), m.ID)
	}
	return m, v, nil
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	m, v, err := s.modelPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeModel(w, r, m.ID, v)
}

func (s *Server) writeModel(w http.ResponseWriter, r *http.Request, machine string, version int64) {
	sm, err := s.d.DB.Model(r.Context(), machine, version)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sm.Blob = nil
	writeJSON(w, http.StatusOK, ModelToWire(sm))
}

// decodeChange reads the optional ModelChangeRequest body.
func decodeChange(r *http.Request) (wire.ModelChangeRequest, error) {
	var req wire.ModelChangeRequest
	if err := decode(r, &req, true); err != nil {
		return req, err
	}
	var fs []wire.FieldError
	if len(req.Reason) > maxReason {
		fs = append(fs, wire.FieldError{Field: "reason", Message: fmt.Sprintf("must be at most %d characters", maxReason)})
	}
	switch req.Task {
	case "":
		req.Task = wire.TaskDetect
	case wire.TaskDetect, wire.TaskDiagnose:
	default:
		fs = append(fs, wire.FieldError{Field: "task", Message: fmt.Sprintf("%q: must be %s or %s", req.Task, wire.TaskDetect, wire.TaskDiagnose)})
	}
	if len(fs) > 0 {
		return req, invalid("invalid request", fs)
	}
	return req, nil
}

// promote makes a model the champion. The running machine swaps it in on its next model
// check (within seconds); promoting the champion is a conflict, not a silent no-op, so an
// administrator who raced another learns that nothing changed.
func (s *Server) promote(w http.ResponseWriter, r *http.Request) {
	m, v, err := s.modelPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeChange(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	err = s.d.DB.Promote(r.Context(), m.ID, v, req.Reason, s.auditEntry(r, "model.promote", fmt.Sprintf("model/%s/%d", m.ID, v), req.Reason))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeModel(w, r, m.ID, v)
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeChange(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	target := "machine/" + m.ID
	if req.Task != wire.TaskDetect {
		target += "/" + req.Task
	}
	v, err := s.d.DB.Rollback(r.Context(), m.ID, req.Task, req.Reason, s.auditEntry(r, "model.rollback", target, req.Reason))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeModel(w, r, m.ID, v)
}
