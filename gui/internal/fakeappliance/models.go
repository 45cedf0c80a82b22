package fakeappliance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"signalcraft/core/api"
)

// The pump's canned model registry: version 1 was its first champion, version 2 (a retrain
// on dataset 3f9a…) is the champion now, version 3 is a candidate the gate held back.
const (
	PumpChampion  = 2
	PumpCandidate = 3
)

// The pump's fault classifiers: version 5 is the champion, version 4 the one before it.
const (
	PumpClassifier    = 5
	PumpOldClassifier = 4
)

// Dataset ids of the canned models.
const (
	DatasetPumpMay  = "3f9a6c01d2e4b5a69788c1d0e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"
	DatasetPumpJune = "b71e0c9a5d3f2e1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a"
)

func ptr[T any](v T) *T { return &v }

// newModels returns the canned registry, newest first per machine as the appliance lists it.
func newModels(st time.Time) map[string][]api.Model {
	at := func(d time.Duration) *time.Time { return ptr(st.Add(d).UTC()) }
	pump := []api.Model{
		{MachineID: Pump, Version: PumpClassifier, Task: api.TaskDiagnose, Kind: "svm", CreatedAt: st.Add(-30 * time.Minute).UTC(), Threshold: 0.41,
			Active: true, State: api.ModelActive, Stage: api.StageChampion, Dataset: DatasetPumpJune, CodeVersion: "1.10.0",
			PromotedAt: at(-30 * time.Minute), TrainedSeconds: 6, Reason: "better: macro-F1 0.71 → 0.89, accuracy 0.75 → 0.91 on 120 held-back windows",
			Metrics: &api.ModelMetrics{TestDataset: DatasetPumpJune, Windows: 120, Accuracy: ptr(0.91), MacroF1: ptr(0.89)}},
		{MachineID: Pump, Version: PumpOldClassifier, Task: api.TaskDiagnose, Kind: "rf", CreatedAt: st.Add(-26 * time.Hour).UTC(), Threshold: 0.38,
			State: api.ModelRetired, Stage: api.StageRetired, Dataset: DatasetPumpMay, CodeVersion: "1.10.0", PromotedAt: at(-26 * time.Hour),
			TrainedSeconds: 4, Reason: "first fault classifier: macro-F1 0.71, accuracy 0.75 on 80 held-back windows",
			Metrics: &api.ModelMetrics{TestDataset: DatasetPumpMay, Windows: 80, Accuracy: ptr(0.75), MacroF1: ptr(0.71)}},
		{MachineID: Pump, Version: PumpCandidate, Kind: "gmm", CreatedAt: st.Add(-2 * time.Hour).UTC(), Threshold: 3.3,
			State: api.ModelCandidate, Stage: api.StageCandidate, Dataset: DatasetPumpJune, CodeVersion: "1.10.0",
			TrainedSeconds: 42, Reason: "gate: 0.80 false alarms/h > champion's 0.20",
			Metrics: &api.ModelMetrics{TestDataset: DatasetPumpJune, NormalHours: 5, FalseAlarms: 4, FalseAlarmsPerHour: 0.8, Faults: 6, Detected: 6, Recall: ptr(1.0)}},
		{MachineID: Pump, Version: PumpChampion, Kind: "gmm", CreatedAt: st.Add(-50 * time.Hour).UTC(), Threshold: Thresholds[Pump], Active: true,
			State: api.ModelActive, Stage: api.StageChampion, Dataset: DatasetPumpMay, CodeVersion: "1.10.0", PromotedAt: at(-49 * time.Hour),
			TrainedSeconds: 38, Reason: "gate: recall 0.83 ≥ 0.50, 0.20 false alarms/h",
			Metrics: &api.ModelMetrics{TestDataset: DatasetPumpMay, NormalHours: 5, FalseAlarms: 1, FalseAlarmsPerHour: 0.2, Faults: 6, Detected: 5, Recall: ptr(5.0 / 6)}},
		{MachineID: Pump, Version: 1, Kind: "gmm", CreatedAt: st.Add(-30 * 24 * time.Hour).UTC(), Threshold: 3.5,
			State: api.ModelRetired, Stage: api.StageRetired, Note: "learned on start", PromotedAt: at(-30 * 24 * time.Hour)},
	}
	fan := []api.Model{
		{MachineID: Fan, Version: 1, Kind: "mahalanobis", CreatedAt: st.Add(-10 * 24 * time.Hour).UTC(), Threshold: Thresholds[Fan], Active: true,
			State: api.ModelActive, Stage: api.StageChampion, Note: "learned on start", PromotedAt: at(-10 * 24 * time.Hour)},
	}
	return map[string][]api.Model{Pump: pump, Fan: fan}
}

func (s *Server) modelHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + api.PathModels:    s.listModels,
		"GET " + api.PathModel:     s.getModel,
		"POST " + api.PathPromote:  s.promote,
		"POST " + api.PathRollback: s.rollback,
	}
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if s.findMachine(id) < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", id))
		return
	}
	out := slices.Clone(s.models[id])
	if out == nil {
		out = []api.Model{}
	}
	writeJSON(w, 200, out)
}

// findModel returns the index of a model route's version in s.models, or writes the error.
// Hold s.mu.
func (s *Server) findModel(w http.ResponseWriter, r *http.Request) (string, int, bool) {
	id := r.PathValue("id")
	if s.findMachine(id) < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", id))
		return id, 0, false
	}
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	i := slices.IndexFunc(s.models[id], func(m api.Model) bool { return m.Version == v })
	if err != nil || i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "model version %q of machine %q not found", r.PathValue("version"), id))
		return id, 0, false
	}
	return id, i, true
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, i, ok := s.findModel(w, r); ok {
		writeJSON(w, 200, s.models[id][i])
	}
}

func decodeChange(r *http.Request) (api.ModelChangeRequest, *api.Error) {
	var req api.ModelChangeRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, api.Errorf(api.CodeInvalid, "decode body: %v", err)
	}
	if req.Task == "" {
		req.Task = api.TaskDetect
	}
	return req, nil
}

// taskOf is a model's task, TaskDetect when it names none.
func taskOf(m api.Model) string {
	if m.Task == "" {
		return api.TaskDetect
	}
	return m.Task
}

// crown makes model i of machine id the champion of its task, retiring the previous one.
// Hold s.mu.
func (s *Server) crown(id string, i int) {
	ms := s.models[id]
	for j := range ms {
		if ms[j].Stage == api.StageChampion && taskOf(ms[j]) == taskOf(ms[i]) {
			ms[j].Stage, ms[j].State, ms[j].Active = api.StageRetired, api.ModelRetired, false
		}
	}
	ms[i].Stage, ms[i].State, ms[i].Active = api.StageChampion, api.ModelActive, true
	ms[i].PromotedAt, ms[i].RolledBackAt = ptr(s.opt.Now().UTC()), nil
}

func (s *Server) promote(w http.ResponseWriter, r *http.Request) {
	req, e := decodeChange(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, i, ok := s.findModel(w, r)
	if !ok {
		return
	}
	if s.models[id][i].Stage == api.StageChampion {
		writeErr(w, api.Errorf(api.CodeConflict, "model %d is already the champion of %s", s.models[id][i].Version, id))
		return
	}
	s.crown(id, i)
	s.models[id][i].Reason = req.Reason
	writeJSON(w, 200, s.models[id][i])
}

// rollback re-promotes the retired model last promoted before the champion, as the
// appliance does; the champion it replaces is marked rolled back and skipped next time.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request) {
	req, e := decodeChange(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if s.findMachine(id) < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", id))
		return
	}
	ms := s.models[id]
	cur := slices.IndexFunc(ms, func(m api.Model) bool { return m.Stage == api.StageChampion && taskOf(m) == req.Task })
	to := -1
	for j, m := range ms {
		if cur < 0 || taskOf(m) != req.Task || m.Stage != api.StageRetired || m.PromotedAt == nil || m.RolledBackAt != nil || !m.PromotedAt.Before(*ms[cur].PromotedAt) {
			continue
		}
		if to < 0 || m.PromotedAt.After(*ms[to].PromotedAt) {
			to = j
		}
	}
	if to < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "machine %s has no earlier champion to roll back to", id))
		return
	}
	ms[cur].RolledBackAt, ms[cur].Reason = ptr(s.opt.Now().UTC()), fmt.Sprintf("rolled back: %s", req.Reason)
	s.crown(id, to)
	writeJSON(w, 200, ms[to])
}
