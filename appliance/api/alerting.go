package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/apiconv"
	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/store"
)

// Alerting is what the alerting routes need from the daemon's alert manager. Views the
// daemon renders (alerts in its notification language, deliveries, jobs) are in the API's
// types; configuration is in the core packages' types, which the server converts, checks
// field by field and masks.
//
// The mutating methods take the audit entries of the change; an implementation writes them
// in the same transaction as what it stores (CreateSilence appends the new silence's id to
// each entry's Target). Errors may be *wire.Error, or wrap alert.ErrNotFound, ErrExpired
// or ErrInvalid (with *alert.FieldError, named by the configuration's paths), or
// jobs.ErrNotFound and ErrConflict.
type Alerting interface {
	// Alerts returns the pending, firing and recently resolved alerts, firing first.
	Alerts(ctx context.Context) ([]wire.Alert, error)
	// AcknowledgeAlert acknowledges the pending or firing alert with the fingerprint and
	// returns it.
	AcknowledgeAlert(ctx context.Context, fingerprint, who, comment string, audit ...store.AuditEntry) (wire.Alert, error)
	// Deliveries returns the notifications about an alert, newest first.
	Deliveries(ctx context.Context, fingerprint string) ([]wire.Delivery, error)
	Silences(ctx context.Context) ([]alert.Silence, error)
	// CreateSilence stores a new silence (s.ID is empty) and returns it with its ID.
	CreateSilence(ctx context.Context, s alert.Silence, audit ...store.AuditEntry) (alert.Silence, error)
	ExpireSilence(ctx context.Context, id string, audit ...store.AuditEntry) error
	Maintenance(ctx context.Context) ([]alert.MaintenanceWindow, error)
	SetMaintenance(ctx context.Context, ws []alert.MaintenanceWindow, audit ...store.AuditEntry) error
	Rules(ctx context.Context) ([]alert.Rule, error)
	SetRules(ctx context.Context, rs []alert.Rule, audit ...store.AuditEntry) error
	// Receivers returns the receivers with their secrets (the server masks them).
	Receivers(ctx context.Context) ([]notify.Receiver, error)
	SetReceivers(ctx context.Context, rs []notify.Receiver, audit ...store.AuditEntry) error
	// TestReceiver sends a test notification through a receiver now; a failed delivery is
	// a Delivery with its error, not an error.
	TestReceiver(ctx context.Context, name, lang string) (wire.Delivery, error)
	// Jobs returns the queue's counts per kind and its recent jobs (kind and state filter
	// them; "" matches all).
	Jobs(ctx context.Context, kind, state string) (wire.Jobs, error)
	// RetryJob queues a dead or cancelled job again.
	RetryJob(ctx context.Context, id int64) error
}

func (s *Server) alertHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + wire.PathAlerts:          s.withAlerting(s.alerts),
		"POST " + wire.PathAlertAck:       s.withAlerting(s.acknowledgeAlert),
		"GET " + wire.PathAlertDeliveries: s.withAlerting(s.deliveries),
		"GET " + wire.PathSilences:        s.withAlerting(s.silences),
		"POST " + wire.PathSilences:       s.withAlerting(s.createSilence),
		"DELETE " + wire.PathSilence:      s.withAlerting(s.expireSilence),
		"GET " + wire.PathMaintenance:     s.withAlerting(s.maintenance),
		"PUT " + wire.PathMaintenance:     s.withAlerting(s.setMaintenance),
		"GET " + wire.PathRules:           s.withAlerting(s.rules),
		"PUT " + wire.PathRules:           s.withAlerting(s.setRules),
		"GET " + wire.PathReceivers:       s.withAlerting(s.receivers),
		"PUT " + wire.PathReceivers:       s.withAlerting(s.setReceivers),
		"POST " + wire.PathReceiverTest:   s.withAlerting(s.testReceiver),
		"GET " + wire.PathJobs:            s.withAlerting(s.jobs),
		"POST " + wire.PathJobRetry:       s.withAlerting(s.retryJob),
	}
}

type alertingHandler func(w http.ResponseWriter, r *http.Request, al Alerting)

// withAlerting answers 404 while the appliance has no alert manager.
func (s *Server) withAlerting(h alertingHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.d.Alerting == nil {
			s.writeError(w, r, wire.Errorf(wire.CodeNotFound, "alerting is not configured"))
			return
		}
		h(w, r, s.d.Alerting)
	}
}

// audit is an audit entry of the request's actor, now.
func (s *Server) auditEntry(r *http.Request, action, target, detail string) store.AuditEntry {
	return store.AuditEntry{Time: s.o.Now(), Actor: actor(r), Action: action, Target: target, Detail: detail}
}

func invalid(msg string, fs []wire.FieldError) error {
	return &wire.Error{Code: wire.CodeInvalid, Message: msg, Fields: fs}
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request, al Alerting) {
	q := r.URL.Query()
	f := wire.AlertFilter{State: q.Get("state"), Machine: q.Get("machine"), Severity: q.Get("severity")}
	var fs []wire.FieldError
	if f.State != "" && !slices.Contains([]string{wire.AlertPending, wire.AlertFiring, wire.AlertResolved}, f.State) {
		fs = append(fs, wire.FieldError{Field: "state", Message: "must be pending, firing or resolved"})
	}
	if f.Severity != "" && f.Severity != wire.SeverityWarning && f.Severity != wire.SeverityCritical {
		fs = append(fs, wire.FieldError{Field: "severity", Message: "must be warning or critical"})
	}
	if len(fs) > 0 {
		s.writeError(w, r, invalid("invalid query", fs))
		return
	}
	as, err := al.Alerts(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []wire.Alert{}
	for _, a := range as {
		if (f.State == "" || a.State == f.State) && (f.Machine == "" || a.MachineID == f.Machine) &&
			(f.Severity == "" || a.Severity == f.Severity) {
			out = append(out, a)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) acknowledgeAlert(w http.ResponseWriter, r *http.Request, al Alerting) {
	fp := r.PathValue("id")
	var req wire.AcknowledgeRequest
	if err := decode(r, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Comment) > 1000 {
		s.writeError(w, r, invalid("invalid request", []wire.FieldError{{Field: "comment", Message: "must be at most 1000 characters"}}))
		return
	}
	a, err := al.AcknowledgeAlert(r.Context(), fp, actor(r), req.Comment,
		s.auditEntry(r, "alert.acknowledge", "alert/"+fp, req.Comment))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request, al Alerting) {
	ds, err := al.Deliveries(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ds == nil {
		ds = []wire.Delivery{}
	}
	writeJSON(w, http.StatusOK, ds)
}

func (s *Server) silences(w http.ResponseWriter, r *http.Request, al Alerting) {
	ss, err := al.Silences(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.o.Now()
	out := make([]wire.Silence, len(ss))
	for i, sl := range ss {
		out[i] = apiconv.SilenceToWire(sl, now)
	}
	rank := map[string]int{string(alert.SilenceActive): 0, string(alert.SilencePending): 1}
	slices.SortStableFunc(out, func(a, b wire.Silence) int {
		ra, ok := rank[a.State]
		if !ok {
			ra = 2
		}
		rb, ok := rank[b.State]
		if !ok {
			rb = 2
		}
		return cmp.Compare(ra, rb)
	})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createSilence(w http.ResponseWriter, r *http.Request, al Alerting) {
	var in wire.Silence
	if err := decode(r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.o.Now()
	sl, fs := apiconv.SilenceFromWire(in, now)
	if len(fs) > 0 {
		s.writeError(w, r, invalid("invalid silence", fs))
		return
	}
	sl.CreatedBy = actor(r)
	detail := fmt.Sprintf("%s until %s", sl.Matchers, sl.EndsAt.UTC().Format("2006-01-02T15:04:05Z"))
	if sl.Comment != "" {
		detail += ": " + sl.Comment
	}
	created, err := al.CreateSilence(r.Context(), sl, s.auditEntry(r, "silence.create", "silence/", detail))
	if err != nil {
		s.writeError(w, r, apiconv.FieldsFromAlert(err, "invalid silence", nil))
		return
	}
	writeJSON(w, http.StatusCreated, apiconv.SilenceToWire(created, now))
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request, al Alerting) {
	id := r.PathValue("id")
	if err := al.ExpireSilence(r.Context(), id, s.auditEntry(r, "silence.expire", "silence/"+id, "")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) maintenance(w http.ResponseWriter, r *http.Request, al Alerting) {
	ws, err := al.Maintenance(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.o.Now()
	out := make([]wire.MaintenanceWindow, len(ws))
	for i, mw := range ws {
		out[i] = apiconv.WindowToWire(mw, now)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setMaintenance(w http.ResponseWriter, r *http.Request, al Alerting) {
	var in []wire.MaintenanceWindow
	if err := decode(r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	ws, fs := apiconv.WindowsFromWire(in)
	if len(fs) > 0 {
		s.writeError(w, r, invalid("invalid maintenance windows", fs))
		return
	}
	names := make([]string, len(ws))
	for i, mw := range ws {
		names[i] = mw.Name
	}
	err := al.SetMaintenance(r.Context(), ws, s.auditEntry(r, "maintenance.update", "maintenance",
		fmt.Sprintf("%d window(s): %s", len(ws), strings.Join(names, ", "))))
	if err != nil {
		s.writeError(w, r, apiconv.FieldsFromAlert(err, "invalid maintenance windows", apiconv.WindowField))
		return
	}
	s.maintenance(w, r, al)
}

func (s *Server) rules(w http.ResponseWriter, r *http.Request, al Alerting) {
	rs, err := al.Rules(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.AlertRule, len(rs))
	for i, rule := range rs {
		out[i] = apiconv.RuleToWire(rule)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setRules(w http.ResponseWriter, r *http.Request, al Alerting) {
	var in []wire.AlertRule
	if err := decode(r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	old, err := al.Rules(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, fs := apiconv.RulesFromWire(in, old)
	if len(fs) > 0 {
		s.writeError(w, r, invalid("invalid alert rules", fs))
		return
	}
	names := make([]string, len(rs))
	for i, rule := range rs {
		names[i] = rule.Name
	}
	err = al.SetRules(r.Context(), rs, s.auditEntry(r, "rules.update", "rules",
		fmt.Sprintf("%d rule(s): %s", len(rs), strings.Join(names, ", "))))
	if err != nil {
		s.writeError(w, r, apiconv.FieldsFromAlert(err, "invalid alert rules", apiconv.RuleField))
		return
	}
	s.rules(w, r, al)
}

func (s *Server) receivers(w http.ResponseWriter, r *http.Request, al Alerting) {
	rs, err := al.Receivers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, _ := IdentityFrom(r.Context())
	out := make([]wire.Receiver, len(rs))
	for i, rc := range rs {
		if !id.Role.Allows(wire.RoleAdmin) {
			rc = rc.Redacted()
		}
		out[i] = apiconv.ReceiverToWire(rc)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setReceivers(w http.ResponseWriter, r *http.Request, al Alerting) {
	var in []wire.Receiver
	if err := decode(r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	old, err := al.Receivers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, fs := apiconv.ReceiversFromWire(in, old)
	if len(fs) > 0 {
		s.writeError(w, r, invalid("invalid receivers", fs))
		return
	}
	names := make([]string, len(rs))
	for i, rc := range rs {
		names[i] = rc.Name + " (" + string(rc.Type) + ")"
	}
	err = al.SetReceivers(r.Context(), rs, s.auditEntry(r, "receivers.update", "receivers",
		fmt.Sprintf("%d receiver(s): %s", len(rs), strings.Join(names, ", "))))
	if err != nil {
		s.writeError(w, r, apiconv.FieldsFromAlert(err, "invalid receivers", nil))
		return
	}
	s.receivers(w, r, al)
}

func (s *Server) testReceiver(w http.ResponseWriter, r *http.Request, al Alerting) {
	name := r.PathValue("id")
	var req wire.TestRequest
	if err := decode(r, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch req.Lang {
	case "", notify.LangEnglish, notify.LangKorean:
	default:
		s.writeError(w, r, invalid("invalid request", []wire.FieldError{{Field: "lang", Message: "must be en or ko (or empty: the receiver's)"}}))
		return
	}
	d, err := al.TestReceiver(r.Context(), name, req.Lang)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	detail := d.State
	if d.LastError != "" {
		detail += ": " + d.LastError
	}
	s.auditAfter(r, "receiver.test", "receiver/"+name, detail)
	writeJSON(w, http.StatusOK, d)
}

// maxJobs bounds the recent jobs of GET /api/v1/jobs.
const maxJobs = 100

func (s *Server) jobs(w http.ResponseWriter, r *http.Request, al Alerting) {
	q := r.URL.Query()
	kind, state := q.Get("kind"), q.Get("state")
	if state != "" && !jobs.State(state).Valid() {
		s.writeError(w, r, invalid("invalid query", []wire.FieldError{{Field: "state",
			Message: "must be queued, running, failed, done, dead or cancelled"}}))
		return
	}
	j, err := al.Jobs(r.Context(), kind, state)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if j.Stats == nil {
		j.Stats = []wire.JobStats{}
	}
	if j.Recent == nil {
		j.Recent = []wire.Job{}
	}
	if len(j.Recent) > maxJobs {
		j.Recent = j.Recent[:maxJobs]
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request, al Alerting) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.writeError(w, r, wire.Errorf(wire.CodeNotFound, "no such job %q", r.PathValue("id")))
		return
	}
	if err := al.RetryJob(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.auditAfter(r, "job.retry", fmt.Sprintf("job/%d", id), "")
	w.WriteHeader(http.StatusNoContent)
}
