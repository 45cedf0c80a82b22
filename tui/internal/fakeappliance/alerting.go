package fakeappliance

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"signalcraft/core/api"
)

// Fingerprints of the fixture's alerts.
const (
	FPPumpScore   = "a1f0c2d4e5b6a7c8" // pump-2, critical, firing
	FPMotorSilent = "b2e1d3c5f4a6b8c9" // motor-3, warning, firing, silenced by s-1
	FPMotorLevel  = "c3d2e4f6a5b7c9d0" // motor-3, warning, firing, inhibited by motor-3's sensor alert
	FPPumpLevel   = "d4c3f5a7b6c8d0e1" // pump-2, warning, pending
	FPFanScore    = "e5f4a6b8c7d9e1f2" // fan-1, warning, resolved and acknowledged
)

// secretKeys are the receiver settings the fake masks for non-admins.
var secretKeys = map[string]bool{"password": true, "secret": true, "app_key": true, "secret_key": true, "sender_key": true, "token": true}

// addAlerting fills f's alerting part: five alerts (one critical firing, one silenced, one
// inhibited, one pending, one resolved), three silences, two maintenance windows, three
// rules, three receivers, the first alert's deliveries and a job queue with a dead job.
func addAlerting(f *Fixture) {
	labels := func(rule, machine, line, sev string) map[string]string {
		return map[string]string{"alertname": rule, "machine": machine, "line": line, "severity": sev}
	}
	f.Alerts = []api.Alert{
		{Fingerprint: FPPumpScore, Rule: "pump-high-score", MachineID: "pump-2", Severity: api.SeverityCritical, State: api.AlertFiring,
			Value: 4.87, Labels: labels("pump-high-score", "pump-2", "line-a", api.SeverityCritical),
			Summary: "Coolant pump 2: anomaly score 4.87 above 3.40", ActiveAt: Now.Add(-28 * time.Second), FiredAt: tp(Now.Add(-18 * time.Second))},
		{Fingerprint: FPMotorSilent, Rule: "sensor-silent", MachineID: "motor-3", Severity: api.SeverityWarning, State: api.AlertFiring,
			Value: 0, Labels: labels("sensor-silent", "motor-3", "line-b", api.SeverityWarning), Silenced: true,
			Summary: "Conveyor motor 3: sensor silent", ActiveAt: Now.Add(-4 * time.Minute), FiredAt: tp(Now.Add(-3 * time.Minute))},
		{Fingerprint: FPMotorLevel, Rule: "level-low", MachineID: "motor-3", Severity: api.SeverityWarning, State: api.AlertFiring,
			Value: -71.0, Labels: labels("level-low", "motor-3", "line-b", api.SeverityWarning), Inhibited: true,
			Summary: "Conveyor motor 3: level -71.0 dBFS below -60", ActiveAt: Now.Add(-4 * time.Minute), FiredAt: tp(Now.Add(-2 * time.Minute))},
		{Fingerprint: FPPumpLevel, Rule: "level-high", MachineID: "pump-2", Severity: api.SeverityWarning, State: api.AlertPending,
			Value: -17.6, Labels: labels("level-high", "pump-2", "line-a", api.SeverityWarning),
			Summary: "Coolant pump 2: level -17.6 dBFS above -20", ActiveAt: Now.Add(-10 * time.Second)},
		{Fingerprint: FPFanScore, Rule: "fan-high-score", MachineID: "fan-1", Severity: api.SeverityWarning, State: api.AlertResolved,
			Value: 2.1, Labels: labels("fan-high-score", "fan-1", "line-a", api.SeverityWarning),
			Summary: "Supply fan 1: anomaly score 3.90 above 3.10", ActiveAt: Now.Add(-47 * time.Minute), FiredAt: tp(Now.Add(-46 * time.Minute)),
			ResolvedAt: tp(Now.Add(-45 * time.Minute)), AcknowledgedBy: "ben", AcknowledgedAt: tp(Now.Add(-44 * time.Minute)), AckComment: "filter swapped"},
	}
	f.Silences = []api.Silence{
		{ID: "s-1", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "motor-3"}, {Label: "alertname", Op: "=~", Value: "sensor-.*"}},
			StartsAt: Now.Add(-time.Hour), EndsAt: Now.Add(2 * time.Hour), CreatedBy: "tech-anna", Comment: "microphone being rewired", State: "active"},
		{ID: "s-2", Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-b"}},
			StartsAt: Now.Add(20 * time.Hour), EndsAt: Now.Add(22 * time.Hour), CreatedBy: "ben", Comment: "line B shutdown", State: "pending"},
		{ID: "s-3", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "fan-1"}},
			StartsAt: Now.Add(-26 * time.Hour), EndsAt: Now.Add(-24 * time.Hour), CreatedBy: "ben", Comment: "fan belt change", State: "expired"},
	}
	f.Maintenance = []api.MaintenanceWindow{
		{Name: "weekly-cleaning", Days: []string{"sat"}, Start: "06:00", End: "08:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-a"}}},
		{Name: "night-fan-off", Start: "22:00", End: "06:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "fan-1"}, {Label: "severity", Op: "=", Value: "warning"}}},
	}
	f.Rules = []api.AlertRule{
		{Name: "pump-high-score", Metric: "anomaly_score", Op: ">", Enter: 3.4, Exit: 3.0, For: "10s", Severity: api.SeverityCritical},
		{Name: "sensor-silent", SensorStates: []string{api.SensorSilent, api.SensorLost}, For: "1m", Severity: api.SeverityWarning},
		{Name: "level-low", Metric: "level_dbfs", Op: "<", Enter: -60, Exit: -55, For: "1m", Severity: api.SeverityWarning},
	}
	f.Receivers = []api.Receiver{
		{Name: "ops-mail", Type: "shoutrrr", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "smtp://alerts@mail.plant.local:587/?to=ops@plant.local", "password": "m41l-s3cret"}},
		{Name: "night-kakao", Type: "kakao_alimtalk", Lang: "ko", SendResolved: false,
			Settings: map[string]any{"app_key": "ak-9f8e7d", "sender_key": "sk-1a2b3c", "template": "SC_ALERT_01", "to": []any{"010-1234-5678"}}},
		{Name: "scada-hook", Type: "webhook", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "https://scada.plant.local/hook", "secret": "hmac-77aa"}},
	}
	f.Deliveries = map[string][]api.Delivery{
		FPPumpScore: {
			{JobID: 43, Receiver: "scada-hook", Kind: "firing", State: "dead", Attempts: 5, CreatedAt: Now.Add(-18 * time.Second),
				LastError: "webhook: dial tcp 10.0.0.9:443: connect: connection refused"},
			{JobID: 42, Receiver: "night-kakao", Kind: "firing", State: "failed", Attempts: 2, CreatedAt: Now.Add(-18 * time.Second),
				LastError: "alimtalk: 401 invalid app key"},
			{JobID: 41, Receiver: "ops-mail", Kind: "firing", State: "done", Attempts: 1, CreatedAt: Now.Add(-18 * time.Second), DoneAt: tp(Now.Add(-17 * time.Second))},
		},
		FPFanScore: {
			{JobID: 31, Receiver: "ops-mail", Kind: "resolved", State: "done", Attempts: 1, CreatedAt: Now.Add(-45 * time.Minute), DoneAt: tp(Now.Add(-45 * time.Minute))},
			{JobID: 30, Receiver: "ops-mail", Kind: "firing", State: "done", Attempts: 1, CreatedAt: Now.Add(-46 * time.Minute), DoneAt: tp(Now.Add(-46 * time.Minute))},
		},
	}
	f.Jobs = api.Jobs{
		Stats: []api.JobStats{
			{Kind: "notify", Queued: 1, Failed: 1, Dead: 1, Done: 37, LastError: "alimtalk: 401 invalid app key", LastErrorAt: tp(Now.Add(-9 * time.Second)), OldestQueue: 12},
			{Kind: "retention", Running: 1, Done: 5},
			{Kind: "report", Done: 2},
		},
		Recent: []api.Job{
			{ID: 44, Kind: "notify", State: "queued", RunAt: Now.Add(3 * time.Second), CreatedAt: Now.Add(-12 * time.Second)},
			{ID: 43, Kind: "notify", State: "dead", Attempts: 5, LastError: "webhook: dial tcp 10.0.0.9:443: connect: connection refused",
				RunAt: Now.Add(-2 * time.Second), CreatedAt: Now.Add(-18 * time.Second)},
			{ID: 42, Kind: "notify", State: "failed", Attempts: 2, LastError: "alimtalk: 401 invalid app key", RunAt: Now.Add(21 * time.Second), CreatedAt: Now.Add(-18 * time.Second)},
			{ID: 41, Kind: "notify", State: "done", Attempts: 1, RunAt: Now.Add(-18 * time.Second), CreatedAt: Now.Add(-18 * time.Second)},
			{ID: 40, Kind: "retention", State: "running", Attempts: 1, RunAt: Now.Add(-5 * time.Second), CreatedAt: Now.Add(-5 * time.Second)},
			{ID: 31, Kind: "notify", State: "done", Attempts: 1, RunAt: Now.Add(-45 * time.Minute), CreatedAt: Now.Add(-45 * time.Minute)},
		},
	}
}

// Alert returns the stored alert with the fingerprint.
func (s *Server) Alert(fp string) (api.Alert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.data.Alerts {
		if a.Fingerprint == fp {
			return a, true
		}
	}
	return api.Alert{}, false
}

// Silences returns the stored silences.
func (s *Server) Silences() []api.Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.data.Silences)
}

// Job returns the stored job with id.
func (s *Server) Job(id int64) (api.Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.data.Jobs.Recent {
		if j.ID == id {
			return j, true
		}
	}
	return api.Job{}, false
}

// matchPath reports whether path fits the route pattern, whose {name} parts match one segment.
func matchPath(pattern, path string) (params []string, ok bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	for i, p := range ps {
		switch {
		case strings.HasPrefix(p, "{"):
			v, err := url.PathUnescape(xs[i])
			if err != nil {
				return nil, false
			}
			params = append(params, v)
		case p != xs[i]:
			return nil, false
		}
	}
	return params, true
}

// alerting answers the alerting routes; it reports false for any other request.
func (s *Server) alerting(w http.ResponseWriter, method, path string, q url.Values, body []byte) bool {
	var route api.Route
	var params []string
	found := false
	for _, r := range api.AlertRoutes {
		if p, ok := matchPath(r.Path, path); ok && r.Method == method {
			route, params, found = r, p, true
			break
		}
	}
	if !found {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &s.data
	if d.NoAlerting {
		writeErr(w, api.Errorf(api.CodeNotFound, "no route %s %s", method, path))
		return true
	}
	if !d.Me.Role.Allows(route.MinRole) {
		writeErr(w, api.Errorf(api.CodeForbidden, "%s needs role %s", route.Pattern(), route.MinRole))
		return true
	}
	switch route.Pattern() {
	case "GET " + api.PathAlerts:
		out := []api.Alert{}
		for _, a := range d.Alerts {
			if v := q.Get("state"); v != "" && a.State != v ||
				q.Get("machine") != "" && a.MachineID != q.Get("machine") ||
				q.Get("severity") != "" && a.Severity != q.Get("severity") {
				continue
			}
			out = append(out, a)
		}
		writeJSON(w, 200, out)
	case "POST " + api.PathAlertAck:
		var req api.AcknowledgeRequest
		_ = json.Unmarshal(body, &req)
		for i, a := range d.Alerts {
			if a.Fingerprint == params[0] {
				a.AcknowledgedBy, a.AcknowledgedAt, a.AckComment = d.Me.Actor, tp(Now), req.Comment
				d.Alerts[i] = a
				writeJSON(w, 200, a)
				return true
			}
		}
		writeErr(w, api.Errorf(api.CodeNotFound, "no alert %s", params[0]))
	case "GET " + api.PathAlertDeliveries:
		out := d.Deliveries[params[0]]
		if out == nil {
			out = []api.Delivery{}
		}
		writeJSON(w, 200, out)
	case "GET " + api.PathSilences:
		writeJSON(w, 200, nonNil(d.Silences))
	case "POST " + api.PathSilences:
		var sl api.Silence
		if err := json.Unmarshal(body, &sl); err != nil {
			writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
			return true
		}
		var fields []api.FieldError
		if len(sl.Matchers) == 0 {
			fields = append(fields, api.FieldError{Field: "matchers", Message: "at least one matcher is needed"})
		}
		if !sl.EndsAt.After(sl.StartsAt) {
			fields = append(fields, api.FieldError{Field: "ends_at", Message: "must be after starts_at"})
		}
		if strings.TrimSpace(sl.Comment) == "" {
			fields = append(fields, api.FieldError{Field: "comment", Message: "say why"})
		}
		if len(fields) > 0 {
			writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid silence", Fields: fields})
			return true
		}
		sl.ID = fmt.Sprintf("s-%d", len(d.Silences)+1)
		sl.CreatedBy, sl.State = d.Me.Actor, "active"
		if sl.StartsAt.After(Now) {
			sl.State = "pending"
		}
		d.Silences = append([]api.Silence{sl}, d.Silences...)
		writeJSON(w, http.StatusCreated, sl)
	case "DELETE " + api.PathSilence:
		for i, sl := range d.Silences {
			if sl.ID == params[0] {
				if sl.State == "expired" {
					writeErr(w, api.Errorf(api.CodeConflict, "silence %s has expired", sl.ID))
					return true
				}
				sl.State, sl.EndsAt = "expired", Now
				d.Silences[i] = sl
				w.WriteHeader(http.StatusNoContent)
				return true
			}
		}
		writeErr(w, api.Errorf(api.CodeNotFound, "no silence %s", params[0]))
	case "GET " + api.PathMaintenance:
		writeJSON(w, 200, nonNil(d.Maintenance))
	case "GET " + api.PathRules:
		writeJSON(w, 200, nonNil(d.Rules))
	case "GET " + api.PathReceivers:
		out := []api.Receiver{}
		for _, r := range d.Receivers {
			r.Settings = maps.Clone(r.Settings)
			if !d.Me.Role.Allows(api.RoleAdmin) {
				for k := range r.Settings {
					if secretKeys[k] {
						r.Settings[k] = "****"
					}
				}
			}
			out = append(out, r)
		}
		writeJSON(w, 200, out)
	case "POST " + api.PathReceiverTest:
		for _, r := range d.Receivers {
			if r.Name == params[0] {
				var id int64 = 1
				for _, j := range d.Jobs.Recent {
					id = max(id, j.ID+1)
				}
				dl := api.Delivery{JobID: id, Receiver: r.Name, Kind: "test", State: "queued", CreatedAt: Now}
				d.Jobs.Recent = append([]api.Job{{ID: id, Kind: "notify", State: "queued", RunAt: Now, CreatedAt: Now}}, d.Jobs.Recent...)
				writeJSON(w, 200, dl)
				return true
			}
		}
		writeErr(w, api.Errorf(api.CodeNotFound, "no receiver %s", params[0]))
	case "GET " + api.PathJobs:
		out := api.Jobs{Stats: nonNil(d.Jobs.Stats), Recent: []api.Job{}}
		for _, j := range d.Jobs.Recent {
			if q.Get("kind") != "" && j.Kind != q.Get("kind") || q.Get("state") != "" && j.State != q.Get("state") {
				continue
			}
			out.Recent = append(out.Recent, j)
		}
		writeJSON(w, 200, out)
	case "POST " + api.PathJobRetry:
		id, _ := strconv.ParseInt(params[0], 10, 64)
		for i, j := range d.Jobs.Recent {
			if j.ID == id {
				if j.State != "dead" {
					writeErr(w, api.Errorf(api.CodeConflict, "job %d is %s, not dead", id, j.State))
					return true
				}
				j.State, j.Attempts, j.RunAt = "queued", 0, Now
				d.Jobs.Recent[i] = j
				w.WriteHeader(http.StatusNoContent)
				return true
			}
		}
		writeErr(w, api.Errorf(api.CodeNotFound, "no job %d", id))
	default:
		writeErr(w, api.Errorf(api.CodeNotFound, "fake appliance: %s not implemented", route.Pattern()))
	}
	return true
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
