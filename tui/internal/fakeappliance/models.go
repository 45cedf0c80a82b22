package fakeappliance

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"signalcraft/core/api"
)

func fp(v float64) *float64 { return &v }

// fixtureModels is pump-2's registry: a rejected candidate, the champion and two retired
// models (one rolled back), and fan-1's single learned model.
func fixtureModels() map[string][]api.Model {
	ds1, ds2 := "3f1c9a7be2d45810c6a7f0e9b2d4c18a", "a9e2c4f07d1b3e5a8c6f9d2b4e7a1c3f"
	return map[string][]api.Model{
		"pump-2": {
			{MachineID: "pump-2", Version: 5, Task: api.TaskDiagnose, Kind: "svm", CreatedAt: Now.Add(-20 * time.Minute), Threshold: 0.41,
				Active: true, State: api.ModelActive, Stage: api.StageChampion, Dataset: ds2, CodeVersion: "1.5.0", TrainedSeconds: 6,
				PromotedAt: tp(Now.Add(-20 * time.Minute)), Metrics: &api.ModelMetrics{TestDataset: ds2, Windows: 120, Accuracy: fp(0.91), MacroF1: fp(0.89)},
				Reason: "first fault classifier: macro-F1 0.890, accuracy 0.910 on 120 held-back windows"},
			{MachineID: "pump-2", Version: 4, Kind: "mahalanobis", CreatedAt: Now.Add(-40 * time.Minute), Threshold: 3.3, State: api.ModelCandidate,
				Stage: api.StageCandidate, Dataset: ds2, CodeVersion: "1.5.0", TrainedSeconds: 41,
				Metrics: &api.ModelMetrics{TestDataset: ds2, NormalHours: 2.5, FalseAlarms: 1, FalseAlarmsPerHour: 0.4, Faults: 6, Detected: 3, Recall: fp(0.5)},
				Reason:  "recall 0.50 < champion's 0.83"},
			{MachineID: "pump-2", Version: 3, Kind: "mahalanobis", CreatedAt: Now.Add(-26 * time.Hour), Threshold: 3.4, Active: true, State: api.ModelActive,
				Stage: api.StageChampion, Dataset: ds1, CodeVersion: "1.5.0", TrainedSeconds: 38, PromotedAt: tp(Now.Add(-26 * time.Hour)),
				Metrics: &api.ModelMetrics{TestDataset: ds1, NormalHours: 2, FalseAlarms: 1, FalseAlarmsPerHour: 0.5, Faults: 6, Detected: 5, Recall: fp(0.83)},
				Reason:  "false alarms 0.50/h < 2.00/h, recall equal"},
			{MachineID: "pump-2", Version: 2, Kind: "mahalanobis", CreatedAt: Now.Add(-72 * time.Hour), Threshold: 3.1, State: api.ModelRetired,
				Stage: api.StageRetired, Dataset: ds1, PromotedAt: tp(Now.Add(-72 * time.Hour)), RolledBackAt: tp(Now.Add(-50 * time.Hour)),
				Metrics: &api.ModelMetrics{NormalHours: 2, FalseAlarms: 4, FalseAlarmsPerHour: 2},
				Reason:  "rolled back: alarms every shift change"},
			{MachineID: "pump-2", Version: 1, Kind: "mahalanobis", CreatedAt: Now.Add(-9 * 24 * time.Hour), Threshold: 3.6, State: api.ModelRetired,
				Stage: api.StageRetired, PromotedAt: tp(Now.Add(-9 * 24 * time.Hour)), Note: "learned after installation"},
		},
		"fan-1": {
			{MachineID: "fan-1", Version: 1, Kind: "mahalanobis", CreatedAt: Now.Add(-5 * time.Hour), Threshold: 3.1, Active: true, State: api.ModelActive,
				Stage: api.StageChampion, PromotedAt: tp(Now.Add(-5 * time.Hour)), Note: "learned"},
		},
	}
}

// ModelsOf returns a machine's stored model history.
func (s *Server) ModelsOf(machine string) []api.Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.Model(nil), s.data.Models[machine]...)
}

// models serves GET machines/{id}/models[/{version}], POST …/models/{version}/promote and
// POST …/models/rollback, admins only for the changes; promoting the champion is 409, a
// rollback with no earlier champion 404, as on the appliance.
func (s *Server) models(w http.ResponseWriter, method, machine string, rest []string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.data.Models[machine]
	find := func(v string) int {
		for i, m := range list {
			if strconv.FormatInt(m.Version, 10) == v {
				return i
			}
		}
		return -1
	}
	set := func(i int, stage string) {
		list[i].Stage, list[i].Active = stage, stage == api.StageChampion
		list[i].State = map[string]string{api.StageChampion: api.ModelActive, api.StageCandidate: api.ModelCandidate, api.StageRetired: api.ModelRetired}[stage]
	}
	task := func(m api.Model) string {
		if m.Task == "" {
			return api.TaskDetect
		}
		return m.Task
	}
	champion := func(t string) int {
		for i, m := range list {
			if m.Stage == api.StageChampion && task(m) == t {
				return i
			}
		}
		return -1
	}
	var req api.ModelChangeRequest
	_ = json.Unmarshal(body, &req)
	switch {
	case method == "GET" && len(rest) == 0:
		out := list
		if out == nil {
			out = []api.Model{}
		}
		writeJSON(w, 200, out)
	case method == "GET" && len(rest) == 1:
		if i := find(rest[0]); i >= 0 {
			writeJSON(w, 200, list[i])
			return
		}
		writeErr(w, api.Errorf(api.CodeNotFound, "model %s of machine %q not found", rest[0], machine))
	case method == "POST" && !s.data.Me.Role.Allows(api.RoleAdmin):
		writeErr(w, api.Errorf(api.CodeForbidden, "needs role admin"))
	case method == "POST" && len(rest) == 2 && rest[1] == "promote":
		i := find(rest[0])
		switch {
		case i < 0:
			writeErr(w, api.Errorf(api.CodeNotFound, "model %s of machine %q not found", rest[0], machine))
		case list[i].Stage == api.StageChampion:
			writeErr(w, api.Errorf(api.CodeConflict, "model %s is already the champion", rest[0]))
		default:
			if c := champion(task(list[i])); c >= 0 {
				set(c, api.StageRetired)
			}
			set(i, api.StageChampion)
			list[i].PromotedAt, list[i].RolledBackAt, list[i].Reason = tp(Now), nil, req.Reason
			writeJSON(w, 200, list[i])
		}
	case method == "POST" && len(rest) == 1 && rest[0] == "rollback":
		t := req.Task
		if t == "" {
			t = api.TaskDetect
		}
		c := champion(t)
		to := -1
		for i, m := range list { // the latest promoted before the champion, not rolled back
			if c < 0 || task(m) != t || m.Stage != api.StageRetired || m.PromotedAt == nil || m.RolledBackAt != nil ||
				list[c].PromotedAt == nil || !m.PromotedAt.Before(*list[c].PromotedAt) {
				continue
			}
			if to < 0 || m.PromotedAt.After(*list[to].PromotedAt) {
				to = i
			}
		}
		if to < 0 {
			writeErr(w, api.Errorf(api.CodeNotFound, "no earlier champion of machine %q", machine))
			return
		}
		set(c, api.StageRetired)
		list[c].RolledBackAt, list[c].Reason = tp(Now), "rolled back: "+req.Reason
		set(to, api.StageChampion)
		list[to].PromotedAt = tp(Now)
		writeJSON(w, 200, list[to])
	default:
		writeErr(w, api.Errorf(api.CodeNotFound, "no route %s models/%v", method, rest))
	}
}
