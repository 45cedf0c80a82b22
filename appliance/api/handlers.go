package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/apiconv"
	"signalcraft/core/store"
)

// Limits of list routes.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func (s *Server) handlers() map[string]http.HandlerFunc {
	h := map[string]http.HandlerFunc{
		"GET " + wire.PathHealth:       s.health,
		"GET " + wire.PathMe:           s.me,
		"GET " + wire.PathMachines:     s.machines,
		"GET " + wire.PathMachine:      s.getMachine,
		"PUT " + wire.PathMachine:      s.putMachine,
		"GET " + wire.PathModels:       s.models,
		"GET " + wire.PathModel:        s.model,
		"POST " + wire.PathPromote:     s.promote,
		"POST " + wire.PathRollback:    s.rollback,
		"POST " + wire.PathRetrain:     s.retrain,
		"GET " + wire.PathDatasets:     s.datasets,
		"GET " + wire.PathDataset:      s.dataset,
		"GET " + wire.PathScores:       s.scores,
		"POST " + wire.PathRelearn:     s.relearn,
		"GET " + wire.PathSensors:      s.sensors,
		"GET " + wire.PathDevices:      s.devices,
		"GET " + wire.PathLive:         s.live,
		"GET " + wire.PathLiveNow:      s.liveSnapshot,
		"GET " + wire.PathEvents:       s.events,
		"GET " + wire.PathEvent:        s.event,
		"POST " + wire.PathAcknowledge: s.acknowledge,
		"POST " + wire.PathLabel:       s.label,
		"GET " + wire.PathTokens:       s.tokens,
		"POST " + wire.PathTokens:      s.createToken,
		"DELETE " + wire.PathToken:     s.revokeToken,
		"GET " + wire.PathAudit:        s.audit,
	}
	h["GET "+wire.PathMachineHealth] = s.machineHealth
	h["GET "+wire.PathCorrelations] = s.correlations
	maps.Copy(h, s.alertHandlers())
	maps.Copy(h, s.evidenceHandlers())
	maps.Copy(h, s.reportHandlers())
	return h
}

// actor returns the audit actor of an authenticated request.
func actor(r *http.Request) string {
	id, _ := IdentityFrom(r.Context())
	return id.Actor
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := wire.Health{Status: "ok", APIVersion: wire.Version, Build: s.o.BuildVersion, Time: s.o.Now().UTC(),
		StartedAt: s.started.UTC(), Machines: len(s.d.Machines())}
	if s.d.Health != nil {
		rep := s.d.Health(r.Context())
		h.Report, h.Status = &rep, rep.Status
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	id, _ := IdentityFrom(r.Context())
	writeJSON(w, http.StatusOK, wire.Identity{Actor: id.Actor, Role: id.Role})
}

func (s *Server) machine(id string) (wire.Machine, error) {
	for _, m := range s.d.Machines() {
		if m.ID == id {
			return m, nil
		}
	}
	return wire.Machine{}, wire.Errorf(wire.CodeNotFound, "machine %q not found", id)
}

func (s *Server) machines(w http.ResponseWriter, r *http.Request) {
	ms := s.d.Machines()
	if ms == nil {
		ms = []wire.Machine{}
	}
	writeJSON(w, http.StatusOK, ms)
}

func (s *Server) getMachine(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) putMachine(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	old, err := s.machine(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var m wire.Machine
	if err := decode(r, &m, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if m.ID == "" {
		m.ID = id
	}
	if m.Diagnosis == nil { // clients that do not know the field keep the classifier
		m.Diagnosis = old.Diagnosis
	}
	if fields := apiconv.ValidateMachine(m); m.ID != id || len(fields) > 0 {
		if m.ID != id {
			fields = append([]wire.FieldError{{Field: "id", Message: fmt.Sprintf("must be %q, the machine in the path (ids cannot change)", id)}}, fields...)
		}
		s.writeError(w, r, &wire.Error{Code: wire.CodeInvalid, Message: fmt.Sprintf("machine %q: invalid configuration", id), Fields: fields})
		return
	}
	if s.d.UpdateMachine == nil {
		s.writeError(w, r, wire.Errorf(wire.CodeConflict, "this appliance does not change configuration at run time"))
		return
	}
	applied, err := s.d.UpdateMachine(r.Context(), m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.auditAfter(r, "machine.update", "machine/"+id, apiconv.DiffMachine(old, applied))
	writeJSON(w, http.StatusOK, applied)
}

// auditAfter records a change that happened outside the store (the
// configuration, the detector); if that record fails, the change has
// happened anyway, so the failure is logged rather than reported.
func (s *Server) auditAfter(r *http.Request, action, target, detail string) {
	_, err := s.d.DB.AppendAudit(r.Context(), store.AuditEntry{Time: s.o.Now(), Actor: actor(r), Action: action, Target: target, Detail: detail})
	if err != nil {
		s.log.Error("audit", "action", action, "target", target, "err", err)
	}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	stored, err := s.d.DB.Models(r.Context(), m.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.Model, 0, len(stored)+1)
	if ls := s.hub.snapshot([]string{m.ID}); len(ls) == 1 && ls[0].State == wire.StateLearning {
		out = append(out, wire.Model{MachineID: m.ID, Task: wire.TaskDetect, Kind: m.Detection.Model, CreatedAt: ls[0].Time, State: wire.ModelLearning})
	}
	for _, sm := range stored {
		out = append(out, ModelToWire(sm))
	}
	writeJSON(w, http.StatusOK, out)
}

// maxScorePoints bounds one history answer: an hour of windows at two a second.
const maxScorePoints = 7200

func (s *Server) scores(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", maxScorePoints, maxScorePoints)
	var from, to time.Time
	if err == nil {
		if from, err = queryTime(r, "from"); err == nil {
			to, err = queryTime(r, "to")
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if to.IsZero() {
		to = s.o.Now().Add(time.Minute)
	}
	stored, err := s.d.DB.Scores(r.Context(), m.ID, from, to, int(limit))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.ScorePoint, len(stored))
	for i, p := range stored {
		out[i] = wire.ScorePoint{Time: p.Time, State: p.State, Score: p.Score, Smoothed: p.Smoothed,
			Threshold: p.Threshold, Anomalous: p.Anomalous, LevelDBFS: p.LevelDBFS}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) relearn(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wire.RelearnRequest
	if err := decode(r, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Note) > 500 {
		s.writeError(w, r, &wire.Error{Code: wire.CodeInvalid, Message: "invalid request",
			Fields: []wire.FieldError{{Field: "note", Message: "must be at most 500 characters"}}})
		return
	}
	if s.d.Relearn == nil {
		s.writeError(w, r, wire.Errorf(wire.CodeConflict, "this appliance cannot relearn at run time"))
		return
	}
	if err := s.d.Relearn(r.Context(), m.ID, req.Note); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.auditAfter(r, "machine.relearn", "machine/"+m.ID, req.Note)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) sensors(w http.ResponseWriter, r *http.Request) {
	machine := r.URL.Query().Get("machine")
	if machine != "" {
		if _, err := s.machine(machine); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	var out []wire.Sensor
	if s.d.Sensors != nil {
		all, err := s.d.Sensors(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, sn := range all {
			if machine == "" || sn.MachineID == machine {
				out = append(out, sn)
			}
		}
	} else {
		stored, err := s.d.DB.Sensors(r.Context(), machine)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, sn := range stored {
			out = append(out, wire.Sensor{ID: sn.ID, MachineID: sn.MachineID, Device: sn.Device, Channel: sn.Channel,
				SampleRate: sn.SampleRate, State: sn.State, StateSince: sn.StateSince, Detail: sn.Detail})
		}
	}
	if out == nil {
		out = []wire.Sensor{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) devices(w http.ResponseWriter, r *http.Request) {
	out := []wire.Device{}
	if s.d.Devices != nil {
		ds, err := s.d.Devices(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = append(out, ds...)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) liveSnapshot(w http.ResponseWriter, r *http.Request) {
	machine := r.URL.Query().Get("machine")
	var ids []string
	if machine != "" {
		if _, err := s.machine(machine); err != nil {
			s.writeError(w, r, err)
			return
		}
		ids = []string{machine}
	} else {
		for _, m := range s.d.Machines() {
			ids = append(ids, m.ID)
		}
	}
	writeJSON(w, http.StatusOK, s.hub.snapshot(ids))
}

// queryInt parses an optional positive integer parameter.
func queryInt(r *http.Request, name string, def, max int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > max {
		return 0, &wire.Error{Code: wire.CodeInvalid, Message: "invalid query",
			Fields: []wire.FieldError{{Field: name, Message: fmt.Sprintf("must be a whole number from 1 to %d", max)}}}
	}
	return n, nil
}

func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, &wire.Error{Code: wire.CodeInvalid, Message: "invalid query",
			Fields: []wire.FieldError{{Field: name, Message: "must be an RFC 3339 time such as 2025-03-01T12:00:00Z"}}}
	}
	return t, nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &wire.Error{Code: wire.CodeInvalid, Message: "invalid query",
			Fields: []wire.FieldError{{Field: name, Message: "must be true or false"}}}
	}
	return b, nil
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.EventFilter{MachineID: q.Get("machine"), Kind: q.Get("kind")}
	var err error
	var limit int64
	if limit, err = queryInt(r, "limit", defaultLimit, maxLimit); err == nil {
		f.Limit = int(limit)
		if f.From, err = queryTime(r, "from"); err == nil {
			if f.To, err = queryTime(r, "to"); err == nil {
				if f.OpenOnly, err = queryBool(r, "open"); err == nil {
					f.Unacknowledged, err = queryBool(r, "unacknowledged")
				}
			}
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	es, err := s.d.DB.Events(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	comments, err := s.d.DB.AckComments(r.Context(), ids...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.Event, len(es))
	for i, e := range es {
		out[i] = toEvent(e, comments[e.ID])
	}
	writeJSON(w, http.StatusOK, out)
}

func toEvent(e store.Event, comment string) wire.Event {
	out := wire.Event{ID: e.ID, MachineID: e.MachineID, Kind: e.Kind, Start: e.Start, PeakScore: e.PeakScore,
		Threshold: e.Threshold, Snapshot: json.RawMessage(e.Snapshot), AcknowledgedBy: e.AcknowledgedBy,
		AckComment: comment, Label: e.Label}
	if !e.End.IsZero() {
		end := e.End
		out.End = &end
	}
	if !e.AcknowledgedAt.IsZero() {
		at := e.AcknowledgedAt
		out.AcknowledgedAt = &at
	}
	if d := e.Diagnosis; d != nil {
		out.Diagnosis = &wire.Diagnosis{Label: d.Label, Confidence: d.Confidence, Probs: maps.Clone(d.Probs), Model: d.Model}
	}
	out.Cause, out.HeardFrom = eventExplanation(e.Snapshot)
	return out
}

func pathID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, wire.Errorf(wire.CodeNotFound, "no such id %q", v)
	}
	return n, nil
}

// loadEvent returns the event id with its acknowledgement comment.
func (s *Server) loadEvent(r *http.Request, id int64) (wire.Event, error) {
	e, err := s.d.DB.Event(r.Context(), id)
	if err != nil {
		return wire.Event{}, err
	}
	c, err := s.d.DB.AckComments(r.Context(), id)
	if err != nil {
		return wire.Event{}, err
	}
	return toEvent(e, c[id]), nil
}

func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var e wire.Event
		if e, err = s.loadEvent(r, id); err == nil {
			writeJSON(w, http.StatusOK, e)
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wire.AcknowledgeRequest
	if err := decode(r, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Comment) > 1000 {
		s.writeError(w, r, &wire.Error{Code: wire.CodeInvalid, Message: "invalid request",
			Fields: []wire.FieldError{{Field: "comment", Message: "must be at most 1000 characters"}}})
		return
	}
	target := fmt.Sprintf("event/%d", id)
	ack := s.d.DB.AcknowledgeEventComment
	if s.d.AcknowledgeEvent != nil {
		ack = s.d.AcknowledgeEvent
	}
	err = ack(r.Context(), id, actor(r), req.Comment,
		store.AuditEntry{Time: s.o.Now(), Actor: actor(r), Action: "event.acknowledge", Target: target, Detail: req.Comment})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.event(w, r)
}

// labelPattern keeps labels usable as class names for training and reports.
var labelPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

func (s *Server) label(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wire.LabelRequest
	if err := decode(r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Label != "" && !labelPattern.MatchString(req.Label) {
		s.writeError(w, r, &wire.Error{Code: wire.CodeInvalid, Message: "invalid request", Fields: []wire.FieldError{{Field: "label",
			Message: `must be 1-64 characters of a-z, 0-9, '_', '-' and '.', such as "bearing_outer" or "false_alarm"; empty clears it`}}})
		return
	}
	detail := req.Label
	if detail == "" {
		detail = "(cleared)"
	}
	err = s.d.DB.LabelEventAudited(r.Context(), id, req.Label,
		store.AuditEntry{Time: s.o.Now(), Actor: actor(r), Action: "event.label", Target: fmt.Sprintf("event/%d", id), Detail: detail})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.event(w, r)
}

func toToken(t store.Token) wire.Token {
	out := wire.Token{ID: t.ID, Name: t.Name, Role: wire.Role(t.Role), CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		u := t.LastUsedAt
		out.LastUsedAt = &u
	}
	if !t.ExpiresAt.IsZero() {
		e := t.ExpiresAt
		out.ExpiresAt = &e
	}
	return out
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.d.DB.Tokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.Token, len(ts))
	for i, t := range ts {
		out[i] = toToken(t)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateTokenRequest
	if err := decode(r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	var exp time.Time
	if req.ExpiresAt != nil {
		exp = *req.ExpiresAt
	}
	created, err := createToken(r.Context(), s.d.DB, req.Name, req.Role, exp, s.o.Now(), actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = revokeToken(r.Context(), s.d.DB, id, s.o.Now(), actor(r))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	limit, err := queryInt(r, "limit", defaultLimit, maxLimit)
	if err == nil {
		f.Limit = int(limit)
		f.Before, err = queryInt(r, "before", 0, 1<<62)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.d.DB.Audit(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.AuditEntry, len(as))
	for i, a := range as {
		out[i] = wire.AuditEntry{ID: a.ID, Time: a.Time, Actor: a.Actor, Action: a.Action, Target: a.Target, Detail: a.Detail}
	}
	writeJSON(w, http.StatusOK, out)
}
