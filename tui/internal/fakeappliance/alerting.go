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

// addAlerting fills f's alerting part: five alerts (one critical firing, one silenced, one
// inhibited, one pending, one resolved), three silences, two maintenance windows, three
// rules, three receivers, the first alert's deliveries and a job queue with a dead job.
func addAlerting(f *Fixture) {
	labels := func(rule, machine, line, sev string) map[string]string {
		return map[string]string{"alertname": rule, "machine": machine, "line": line, "severity": sev}
	}
	f.Alerts = []api.Alert{
		{Fingerprint: FPPumpScore, Rule: "PumpHighScore", MachineID: "pump-2", Severity: api.SeverityCritical, State: api.AlertFiring,
			Value: 1.43, Labels: labels("PumpHighScore", "pump-2", "line-a", api.SeverityCritical),
			Summary: "pump-2: anomaly score 1.43× the threshold", ActiveAt: Now.Add(-28 * time.Second), FiredAt: tp(Now.Add(-18 * time.Second))},
		{Fingerprint: FPMotorSilent, Rule: "SensorSilent", MachineID: "motor-3", Severity: api.SeverityWarning, State: api.AlertFiring,
			Value: 0, Labels: labels("SensorSilent", "motor-3", "line-b", api.SeverityWarning), Silenced: true, MutedBy: []string{"silence:s-1"},
			Summary: "Conveyor motor 3: sensor silent", ActiveAt: Now.Add(-4 * time.Minute), FiredAt: tp(Now.Add(-3 * time.Minute))},
		{Fingerprint: FPMotorLevel, Rule: "LevelLow", MachineID: "motor-3", Severity: api.SeverityWarning, State: api.AlertFiring,
			Value: -71.0, Labels: labels("LevelLow", "motor-3", "line-b", api.SeverityWarning), Inhibited: true, MutedBy: []string{"inhibited"},
			Summary: "Conveyor motor 3: level -71.0 dBFS below -60", ActiveAt: Now.Add(-4 * time.Minute), FiredAt: tp(Now.Add(-2 * time.Minute))},
		{Fingerprint: FPPumpLevel, Rule: "LevelHigh", MachineID: "pump-2", Severity: api.SeverityWarning, State: api.AlertPending,
			Value: -17.6, Labels: labels("LevelHigh", "pump-2", "line-a", api.SeverityWarning),
			Summary: "Coolant pump 2: level -17.6 dBFS above -20", ActiveAt: Now.Add(-10 * time.Second)},
		{Fingerprint: FPFanScore, Rule: "FanHighScore", MachineID: "fan-1", Severity: api.SeverityWarning, State: api.AlertResolved,
			Value: 1.26, Labels: labels("FanHighScore", "fan-1", "line-a", api.SeverityWarning),
			Summary: "fan-1: anomaly score 1.26× the threshold", ActiveAt: Now.Add(-47 * time.Minute), FiredAt: tp(Now.Add(-46 * time.Minute)),
			ResolvedAt: tp(Now.Add(-45 * time.Minute)), AcknowledgedBy: "ben", AcknowledgedAt: tp(Now.Add(-44 * time.Minute)), AckComment: "filter swapped"},
	}
	f.Silences = []api.Silence{
		{ID: "s-1", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "motor-3"}, {Label: "alertname", Op: "=~", Value: "Sensor.*"}},
			StartsAt: Now.Add(-time.Hour), EndsAt: Now.Add(2 * time.Hour), CreatedBy: "tech-anna", Comment: "microphone being rewired", State: "active"},
		{ID: "s-2", Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-b"}},
			StartsAt: Now.Add(20 * time.Hour), EndsAt: Now.Add(22 * time.Hour), CreatedBy: "ben", Comment: "line B shutdown", State: "pending"},
		{ID: "s-3", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "fan-1"}},
			StartsAt: Now.Add(-26 * time.Hour), EndsAt: Now.Add(-24 * time.Hour), CreatedBy: "ben", Comment: "fan belt change", State: "expired"},
	}
	f.Maintenance = []api.MaintenanceWindow{
		{Name: "weekly-cleaning", Days: []string{"sat"}, Start: "06:00", End: "08:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-a"}}},
		{Name: "night-fan-off", Days: []string{}, Start: "22:00", End: "06:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "fan-1"}, {Label: "severity", Op: "=", Value: "warning"}}},
	}
	f.Rules = []api.AlertRule{
		{Name: "PumpHighScore", Metric: "anomaly_score", Op: ">", Enter: 1.4, Exit: 1.2, For: "10s", KeepFiringFor: "1m", Severity: api.SeverityCritical,
			Labels:  map[string]string{"team": "maintenance"},
			Summary: map[string]string{"en": "{{.Machine}}: anomaly score {{printf \"%.2f\" .Value}}× the threshold", "ko": "{{.Machine}} 이상음 감지"}},
		{Name: "SensorSilent", SensorStates: []string{api.SensorSilent, api.SensorLost}, For: "1m", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "Sensor {{.Sensor}} of {{.Machine}} is silent", "ko": "{{.Machine}} 센서 {{.Sensor}} 무음"}},
		{Name: "LevelLow", Metric: "level_dbfs", Op: "<", Enter: -60, Exit: -55, For: "1m", Severity: api.SeverityWarning},
	}
	f.Receivers = []api.Receiver{
		{Name: "ops-mail", Type: "shoutrrr", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "smtp://alerts:m41l-s3cret@mail.plant.local:587/?to=ops@plant.local"}},
		{Name: "night-kakao", Type: "kakao_alimtalk", Lang: "ko", SendResolved: false,
			Settings: map[string]any{"service_id": "ncp:kkobizmsg:kr:2931", "access_key": "AKIA9F8E7D", "secret_key": "sk-1a2b3c",
				"plus_friend_id": "@plant-ops", "template_code": "SC_ALERT_01", "to": []any{"010-1234-5678"}, "rate_limit": float64(6)}},
		{Name: "scada-hook", Type: "webhook", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "https://scada.plant.local/hook", "secret": "hmac-77aa"}},
	}
	f.TestErrors = map[string]string{"scada-hook": "webhook: dial tcp 10.0.0.9:443: connect: connection refused"}
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

// Acknowledge acknowledges the alert with the fingerprint as who, as if another client had.
func (s *Server) Acknowledge(fp, who string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.data.Alerts {
		if a.Fingerprint == fp {
			s.data.Alerts[i].AcknowledgedBy, s.data.Alerts[i].AcknowledgedAt = who, tp(Now)
		}
	}
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
			out = append(out, d.muted(a))
		}
		writeJSON(w, 200, out)
	case "POST " + api.PathAlertAck:
		var req api.AcknowledgeRequest
		_ = json.Unmarshal(body, &req)
		for i, a := range d.Alerts {
			if a.Fingerprint == params[0] {
				switch {
				case a.State == api.AlertResolved:
					writeErr(w, api.Errorf(api.CodeConflict, "alert %s has resolved", a.Fingerprint))
					return true
				case a.AcknowledgedAt != nil:
					writeErr(w, api.Errorf(api.CodeConflict, "alert %s was acknowledged by %s", a.Fingerprint, a.AcknowledgedBy))
					return true
				}
				for j, e := range d.Events { // and its events, as the appliance does
					if e.AcknowledgedAt == nil && linked(d.Rules, a, e) {
						d.Events[j].AcknowledgedBy, d.Events[j].AcknowledgedAt, d.Events[j].AckComment = d.Me.Actor, tp(Now), req.Comment
					}
				}
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
		if fields := checkSilence(sl, Now); len(fields) > 0 {
			writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid silence", Fields: fields})
			return true
		}
		if sl.StartsAt.IsZero() {
			sl.StartsAt = Now
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
		writeJSON(w, 200, d.windows())
	case "PUT " + api.PathMaintenance:
		var in []api.MaintenanceWindow
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
			return true
		}
		ws, fields := checkWindows(in)
		if len(fields) > 0 {
			writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid maintenance windows", Fields: fields})
			return true
		}
		d.Maintenance = ws
		writeJSON(w, 200, d.windows())
	case "GET " + api.PathRules:
		writeJSON(w, 200, nonNil(d.Rules))
	case "PUT " + api.PathRules:
		var in []api.AlertRule
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
			return true
		}
		if fields := checkRules(in); len(fields) > 0 {
			writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid alert rules", Fields: fields})
			return true
		}
		d.Rules = nonNil(in)
		writeJSON(w, 200, d.Rules)
	case "GET " + api.PathReceivers:
		writeJSON(w, 200, d.receivers())
	case "PUT " + api.PathReceivers:
		var in []api.Receiver
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
			return true
		}
		rs, fields := checkReceivers(in, d.Receivers)
		if len(fields) > 0 {
			writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid receivers", Fields: fields})
			return true
		}
		for i := range rs {
			if rs[i].Lang == "" {
				rs[i].Lang = "en"
			}
		}
		d.Receivers = rs
		writeJSON(w, 200, d.receivers())
	case "POST " + api.PathReceiverTest:
		for _, r := range d.Receivers {
			if r.Name == params[0] {
				// Sent now, not queued: done, or failed with the error (as the appliance answers).
				dl := api.Delivery{Receiver: r.Name, Kind: "test", State: "done", Attempts: 1, CreatedAt: Now, DoneAt: tp(Now)}
				if e, ok := d.TestErrors[r.Name]; ok {
					dl.State, dl.LastError, dl.DoneAt = "failed", e, nil
				}
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

// muted returns a with MutedBy as the appliance sets it: the active silences matching it,
// then the fixture's other reasons (maintenance windows, inhibition).
func (f *Fixture) muted(a api.Alert) api.Alert {
	if a.State == api.AlertResolved {
		return a
	}
	var by []string
	labels := maps.Clone(a.Labels)
	for _, sl := range f.Silences {
		if sl.State == "active" && len(sl.Matchers) > 0 && api.MatchLabels(sl.Matchers, labels) {
			by = append(by, "silence:"+sl.ID)
		}
	}
	for _, r := range a.MutedBy {
		if !strings.HasPrefix(r, "silence:") {
			by = append(by, r)
		}
	}
	a.MutedBy, a.Silenced, a.Inhibited = by, false, false
	for _, r := range by {
		if r == "inhibited" {
			a.Inhibited = true
		} else {
			a.Silenced = true
		}
	}
	return a
}

// windows returns the maintenance windows, open or not at Now.
func (f *Fixture) windows() []api.MaintenanceWindow {
	out := make([]api.MaintenanceWindow, len(f.Maintenance))
	for i, w := range f.Maintenance {
		w.Open = windowOpen(w, Now)
		out[i] = w
	}
	return out
}

// receivers returns the receivers as the caller reads them: secrets masked for non-admins.
func (f *Fixture) receivers() []api.Receiver {
	out := []api.Receiver{}
	for _, r := range f.Receivers {
		r.Settings = maps.Clone(r.Settings)
		if !f.Me.Role.Allows(api.RoleAdmin) {
			r.Settings = maskSettings(r.Settings)
		}
		out = append(out, r)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
