package fakeappliance

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"signalcraft/core/api"
)

// Fingerprints of the canned alerts.
const (
	PumpAlert     = "a1f3c0d5e7b2a419" // Pump: critical, firing, not acknowledged
	ConveyorAlert = "b27e94c1d03f5a62" // Conveyor: warning, firing, muted by SilenceConveyor
	ValveLost     = "c3d8a5f2e1b04c73" // Valve: warning, firing, muted by the open maintenance window
	ConveyorLevel = "d4e9b6a3f2c15d84" // Conveyor: warning, firing, inhibited by ConveyorAlert
	FanAlert      = "e5fac7b4a3d26e95" // Fan: warning, resolved, acknowledged
)

// SilenceConveyor is the id of the canned active silence; the canned expired one is "s-1".
const SilenceConveyor = "s-2"

// DeadJob is the id of a canned dead notification job (the CMMS webhook gave up).
const DeadJob = 212

// Receiver names of the canned receivers.
const (
	ReceiverKakao   = "floor-kakao"
	ReceiverWebhook = "cmms-webhook"
	ReceiverSMS     = "night-shift-sms"
	ReceiverMQTT    = "scada-mqtt"
)

// Actor is who the fake says the caller is.
const Actor = "floor-tablet"

// alerting is the fake's alerting state, guarded by Server.mu.
type alerting struct {
	alerts      []api.Alert
	silences    []api.Silence
	maintenance []api.MaintenanceWindow
	rules       []api.AlertRule
	receivers   []api.Receiver
	deliveries  map[string][]api.Delivery
	jobs        []api.Job
	stats       api.JobStats
	nextSilence int
}

func newAlerting(st time.Time, iv time.Duration) alerting {
	at := func(d time.Duration) *time.Time { t := st.Add(d); return &t }
	anomaly := st.Add(AnomalyTick * iv)
	lbl := func(rule, machine, sev string) map[string]string {
		return map[string]string{"alertname": rule, "machine": machine, "severity": sev}
	}
	a := alerting{nextSilence: 3, deliveries: map[string][]api.Delivery{}}
	a.rules = []api.AlertRule{
		// Summaries are templates, as the appliance's rules are (core/alert's defaults);
		// alerts carry them rendered (render).
		{Name: "anomaly_critical", Metric: "anomaly_score", Op: ">", Enter: 1.5, Exit: 1.1, For: "10s", KeepFiringFor: "1m", Severity: api.SeverityCritical,
			Summary: map[string]string{"en": `{{.Machine}} sounds very different from normal ({{printf "%.2f" .Value}}× threshold) — check the machine now`,
				"ko": `{{.Machine}} 소리가 평소와 크게 다릅니다 (임계값의 {{printf "%.2f" .Value}}배) — 지금 설비를 점검하세요`}},
		{Name: "anomaly_warning", Metric: "anomaly_score", Op: ">", Enter: 1, Exit: 0.8, For: "30s", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "{{.Machine}} sounds different from normal", "ko": "{{.Machine}} 소리가 평소와 다릅니다"}},
		{Name: "microphone_silent", SensorStates: []string{api.SensorSilent}, For: "1m", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "The microphone hears nothing — unplugged or muted?", "ko": "마이크에 소리가 없습니다 — 빠졌거나 음소거되었나요?"}},
		{Name: "sensor_lost", SensorStates: []string{api.SensorLost}, For: "30s", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "The microphone is disconnected", "ko": "마이크 연결이 끊겼습니다"}},
		{Name: "level_low", Metric: "level_dbfs", Op: "<", Enter: -80, Exit: -75, For: "1m", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "Much quieter than usual — is the machine stopped?", "ko": "평소보다 훨씬 조용합니다 — 설비가 멈췄나요?"}},
	}
	a.alerts = []api.Alert{
		{Fingerprint: PumpAlert, Rule: "anomaly_critical", MachineID: Pump, Severity: api.SeverityCritical, State: api.AlertFiring, Value: 2.05,
			Labels:   lbl("anomaly_critical", Pump, api.SeverityCritical),
			ActiveAt: anomaly, FiredAt: at(AnomalyTick*iv + 10*time.Second)},
		{Fingerprint: ConveyorAlert, Rule: "microphone_silent", MachineID: Conveyor, Severity: api.SeverityWarning, State: api.AlertFiring,
			Labels: lbl("microphone_silent", Conveyor, api.SeverityWarning), Summary: "The microphone hears nothing — unplugged or muted?",
			ActiveAt: st.Add(-3 * time.Hour), FiredAt: at(-3*time.Hour + time.Minute), Silenced: true},
		{Fingerprint: ValveLost, Rule: "sensor_lost", MachineID: Valve, Severity: api.SeverityWarning, State: api.AlertFiring,
			Labels: lbl("sensor_lost", Valve, api.SeverityWarning), Summary: "The microphone is disconnected",
			ActiveAt: st.Add(-50 * time.Minute), FiredAt: at(-50*time.Minute + 30*time.Second), Silenced: true},
		{Fingerprint: ConveyorLevel, Rule: "level_low", MachineID: Conveyor, Severity: api.SeverityWarning, State: api.AlertFiring, Value: -95,
			Labels: lbl("level_low", Conveyor, api.SeverityWarning), Summary: "Much quieter than usual — is the machine stopped?",
			ActiveAt: st.Add(-3 * time.Hour), FiredAt: at(-3*time.Hour + time.Minute), Inhibited: true},
		{Fingerprint: FanAlert, Rule: "anomaly_warning", MachineID: Fan, Severity: api.SeverityWarning, State: api.AlertResolved, Value: 1.31,
			Labels:   lbl("anomaly_warning", Fan, api.SeverityWarning),
			ActiveAt: st.Add(-26 * time.Hour), FiredAt: at(-26*time.Hour + 30*time.Second), ResolvedAt: at(-26*time.Hour + 2*time.Minute),
			AcknowledgedBy: "kim", AcknowledgedAt: at(-26*time.Hour + time.Minute), AckComment: "door left open"},
	}
	a.silences = []api.Silence{
		{ID: SilenceConveyor, Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: Conveyor}, {Label: "alertname", Op: "=", Value: "microphone_silent"}},
			StartsAt: st.Add(-2 * time.Hour), EndsAt: st.Add(22 * time.Hour), CreatedBy: "lee", Comment: "microphone on order, arrives tomorrow", State: "active"},
		{ID: "s-1", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: Fan}},
			StartsAt: st.Add(-30 * time.Hour), EndsAt: st.Add(-28 * time.Hour), CreatedBy: "kim", Comment: "fan cleaning", State: "expired"},
	}
	a.maintenance = []api.MaintenanceWindow{
		{Name: "Line C overhaul", Days: []string{}, Start: "00:00", End: "23:59", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: Valve}}},
		{Name: "Weekly cleaning", Days: []string{"sat"}, Start: "06:00", End: "10:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=~", Value: "fan-.*|pump-.*"}}},
	}
	a.receivers = []api.Receiver{
		{Name: ReceiverKakao, Type: "kakao_alimtalk", Lang: "ko", SendResolved: true,
			Settings: map[string]any{"service_id": "ncp:kkobizmsg:kr:2719381:signalcraft", "access_key": "Gk3mT9xQ2wLpR7", "secret_key": "sk3Jx9Qa7Lm2Vb8N",
				"plus_friend_id": "@signalcraft_plant", "template_code": "SC_ALERT_01", "to": []string{"01012345678", "01087654321"}}},
		{Name: ReceiverWebhook, Type: "webhook", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "http://cmms.plant.local/api/hooks/signalcraft", "secret": "whsec_81ab4f",
				"headers": map[string]string{"X-Plant": "A", "Authorization": "Bearer cmms_7f3e"}}},
		{Name: ReceiverSMS, Type: "sens_sms", Lang: "ko", SendResolved: false,
			Settings: map[string]any{"service_id": "ncp:sms:kr:1234:signalcraft", "access_key": "Hq8vN2cXe4TzK1", "secret_key": "sk_9f2Lw8Pq",
				"from": "0215881234", "to": []string{"01022223333"}}},
		{Name: ReceiverMQTT, Type: "mqtt", Lang: "en", SendResolved: true,
			Settings: map[string]any{"broker": "tcp://scada.plant.local:1883", "topic_prefix": "signalcraft", "username": "signalcraft",
				"password": "mq_77", "home_assistant": true}},
	}
	for i := range a.receivers { // as they come back from JSON
		a.receivers[i].Settings, _ = jsonTree(a.receivers[i].Settings).(map[string]any)
	}
	fired := *a.alerts[0].FiredAt
	done := func(d time.Duration) *time.Time { t := fired.Add(d); return &t }
	a.deliveries[PumpAlert] = []api.Delivery{
		{JobID: 227, Receiver: ReceiverWebhook, Kind: "firing", State: "failed", Attempts: 2,
			LastError: "POST http://cmms.plant.local/api/hooks/signalcraft: 503 Service Unavailable", CreatedAt: fired},
		{JobID: 226, Receiver: ReceiverSMS, Kind: "firing", State: "done", Attempts: 1, CreatedAt: fired, DoneAt: done(2 * time.Second)},
		{JobID: 225, Receiver: ReceiverMQTT, Kind: "firing", State: "done", Attempts: 1, CreatedAt: fired, DoneAt: done(80 * time.Millisecond)},
		{JobID: 224, Receiver: ReceiverKakao, Kind: "firing", State: "done", Attempts: 1, CreatedAt: fired, DoneAt: done(time.Second)},
	}
	ff := *a.alerts[4].FiredAt
	rf := *a.alerts[4].ResolvedAt
	at2 := func(t time.Time, d time.Duration) *time.Time { t = t.Add(d); return &t }
	a.deliveries[FanAlert] = []api.Delivery{
		{JobID: 150, Receiver: ReceiverKakao, Kind: "resolved", State: "done", Attempts: 1, CreatedAt: rf, DoneAt: at2(rf, time.Second)},
		{JobID: 149, Receiver: ReceiverWebhook, Kind: "resolved", State: "done", Attempts: 1, CreatedAt: rf, DoneAt: at2(rf, time.Second)},
		{JobID: 148, Receiver: ReceiverWebhook, Kind: "firing", State: "done", Attempts: 3, CreatedAt: ff, DoneAt: at2(ff, 45*time.Second)},
		{JobID: 147, Receiver: ReceiverKakao, Kind: "firing", State: "done", Attempts: 1, CreatedAt: ff, DoneAt: at2(ff, time.Second)},
	}
	a.jobs = []api.Job{
		{ID: 227, Kind: "notify", State: "failed", Attempts: 2, LastError: a.deliveries[PumpAlert][0].LastError, RunAt: fired.Add(time.Minute), CreatedAt: fired},
		{ID: 228, Kind: "notify", State: "queued", RunAt: fired.Add(5 * time.Minute), CreatedAt: fired},
		{ID: DeadJob, Kind: "notify", State: "dead", Attempts: 8, LastError: "POST http://cmms.plant.local/api/hooks/signalcraft: dial tcp cmms.plant.local:80: connect: connection refused",
			RunAt: st.Add(-5 * time.Hour), CreatedAt: st.Add(-7 * time.Hour)},
		{ID: 205, Kind: "notify", State: "dead", Attempts: 8, LastError: "kakao alimtalk: template SC_ALERT_01 not approved",
			RunAt: st.Add(-20 * time.Hour), CreatedAt: st.Add(-22 * time.Hour)},
	}
	a.stats = api.JobStats{Kind: "notify", Done: 143}
	return a
}

// recount sets the job counts from the jobs.
func (a *alerting) recount(now time.Time) []api.JobStats {
	st := a.stats
	st.Queued, st.Running, st.Failed, st.Dead, st.OldestQueue = 0, 0, 0, 0, 0
	for _, j := range a.jobs {
		switch j.State {
		case "queued":
			st.Queued++
			st.OldestQueue = max(st.OldestQueue, now.Sub(j.CreatedAt).Seconds())
		case "running":
			st.Running++
		case "failed":
			st.Failed++
		case "dead":
			st.Dead++
		}
		t := j.RunAt // when it last ran, or (waiting to retry) when it was created
		if t.After(now) {
			t = j.CreatedAt
		}
		if j.LastError != "" && (st.LastErrorAt == nil || t.After(*st.LastErrorAt)) && j.State != "done" {
			st.LastError, st.LastErrorAt = j.LastError, &t
		}
	}
	return []api.JobStats{st}
}

// templateData is what an annotation template sees, as core/alert.TemplateData.
type templateData struct {
	Rule, Machine, Line, Sensor string
	Severity                    string
	Metric                      string
	Value                       float64
	Threshold                   float64
	SensorState                 string
	NoData                      bool
	Labels                      map[string]string
}

// render returns alert a as the appliance answers it: its rule's summaries rendered in
// every language (Annotations), and Summary in the notification language (English). A
// template that fails stays as written, as in the appliance.
func (al *alerting) render(a api.Alert) api.Alert {
	i := slices.IndexFunc(al.rules, func(r api.AlertRule) bool { return r.Name == a.Rule })
	if i < 0 {
		return a
	}
	r := al.rules[i]
	d := templateData{Rule: a.Rule, Machine: a.MachineID, Severity: a.Severity, Metric: r.Metric, Value: a.Value,
		Threshold: r.Enter, Labels: a.Labels}
	a.Annotations = map[string]map[string]string{}
	for lang, src := range r.Summary {
		text := src
		var b strings.Builder
		if t, err := template.New("summary").Option("missingkey=zero").Parse(src); err == nil && t.Execute(&b, d) == nil {
			text = b.String()
		}
		a.Annotations[lang] = map[string]string{"summary": text}
	}
	if s := a.Annotations["en"]["summary"]; s != "" {
		a.Summary = s
	}
	return a
}

// Match reports whether every matcher matches the labels (api.MatchLabels).
func Match(ms []api.Matcher, labels map[string]string) bool { return api.MatchLabels(ms, labels) }

// remute recomputes the silences' states, which windows are open and which
// alerts are muted, and why (api.Alert.MutedBy), as the appliance does.
func (a *alerting) remute(now time.Time) {
	for i := range a.silences {
		s := &a.silences[i]
		switch {
		case !now.Before(s.EndsAt):
			s.State = "expired"
		case now.Before(s.StartsAt):
			s.State = "pending"
		default:
			s.State = "active"
		}
	}
	for i := range a.maintenance {
		a.maintenance[i].Open = WindowOpen(a.maintenance[i], now)
	}
	for i := range a.alerts {
		al := &a.alerts[i]
		al.Silenced, al.MutedBy = false, nil
		if al.State == api.AlertResolved {
			continue
		}
		for _, s := range a.silences {
			if s.State == "active" && Match(s.Matchers, al.Labels) {
				al.Silenced, al.MutedBy = true, append(al.MutedBy, "silence:"+s.ID)
			}
		}
		for _, w := range a.maintenance {
			if w.Open && Match(w.Matchers, al.Labels) {
				al.Silenced, al.MutedBy = true, append(al.MutedBy, "maintenance:"+w.Name)
			}
		}
		if al.Inhibited {
			al.MutedBy = append(al.MutedBy, "inhibited")
		}
	}
}

func (s *Server) alertHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + api.PathAlerts:          s.listAlerts,
		"POST " + api.PathAlertAck:       s.ackAlert,
		"GET " + api.PathAlertDeliveries: s.alertDeliveries,
		"GET " + api.PathSilences:        s.listSilences,
		"POST " + api.PathSilences:       s.createSilence,
		"DELETE " + api.PathSilence:      s.expireSilence,
		"GET " + api.PathMaintenance:     s.listMaintenance,
		"GET " + api.PathRules:           s.listRules,
		"GET " + api.PathReceivers:       s.listReceivers,
		"POST " + api.PathReceiverTest:   s.testReceiver,
		"GET " + api.PathJobs:            s.listJobs,
		"POST " + api.PathJobRetry:       s.retryJob,
		"PUT " + api.PathMaintenance:     s.putMaintenance,
		"PUT " + api.PathRules:           s.putRules,
		"PUT " + api.PathReceivers:       s.putReceivers,
	}
}

func stateRank(st string) int {
	switch st {
	case api.AlertFiring:
		return 0
	case api.AlertPending:
		return 1
	}
	return 2
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.al.remute(s.opt.Now())
	out := []api.Alert{}
	for _, a := range s.al.alerts {
		switch {
		case q.Get("state") != "" && a.State != q.Get("state"),
			q.Get("machine") != "" && a.MachineID != q.Get("machine"),
			q.Get("severity") != "" && a.Severity != q.Get("severity"):
			continue
		}
		out = append(out, s.al.render(a))
	}
	slices.SortStableFunc(out, func(a, b api.Alert) int { return stateRank(a.State) - stateRank(b.State) })
	writeJSON(w, 200, out)
}

func (s *Server) alertIndex(w http.ResponseWriter, r *http.Request) int {
	fp := r.PathValue("id")
	i := slices.IndexFunc(s.al.alerts, func(a api.Alert) bool { return a.Fingerprint == fp })
	if i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no alert %q", fp))
	}
	return i
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) {
	var req api.AcknowledgeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.alertIndex(w, r)
	if i < 0 {
		return
	}
	a := &s.al.alerts[i]
	if a.State == api.AlertResolved {
		writeErr(w, api.Errorf(api.CodeConflict, "alert %s has resolved", a.Fingerprint))
		return
	}
	if a.AcknowledgedAt != nil {
		writeErr(w, api.Errorf(api.CodeConflict, "alert %s was acknowledged by %s", a.Fingerprint, a.AcknowledgedBy))
		return
	}
	now := s.opt.Now().UTC()
	for j, e := range s.events { // and its events, as the appliance does
		if e.AcknowledgedAt == nil && linked(s.al.rules, *a, e) {
			s.events[j].AcknowledgedAt, s.events[j].AcknowledgedBy, s.events[j].AckComment = &now, Actor, req.Comment
		}
	}
	a.AcknowledgedAt, a.AcknowledgedBy, a.AckComment = &now, Actor, req.Comment
	writeJSON(w, 200, s.al.render(*a))
}

func (s *Server) alertDeliveries(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.alertIndex(w, r); i >= 0 {
		ds := s.al.deliveries[s.al.alerts[i].Fingerprint]
		if ds == nil {
			ds = []api.Delivery{}
		}
		writeJSON(w, 200, ds)
	}
}

func (s *Server) listSilences(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.al.remute(s.opt.Now())
	out := slices.Clone(s.al.silences)
	rank := map[string]int{"active": 0, "pending": 1, "expired": 2}
	slices.SortStableFunc(out, func(a, b api.Silence) int { return rank[a.State] - rank[b.State] })
	writeJSON(w, 200, out)
}

func (s *Server) createSilence(w http.ResponseWriter, r *http.Request) {
	var sl api.Silence
	if err := json.NewDecoder(r.Body).Decode(&sl); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return
	}
	now := s.opt.Now()
	if sl.StartsAt.IsZero() {
		sl.StartsAt = now
	}
	if fe := ValidateSilence(sl, now); len(fe) > 0 {
		writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid silence", Fields: fe})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.ID = "s-" + strconv.Itoa(s.al.nextSilence)
	s.al.nextSilence++
	sl.CreatedBy = Actor
	s.al.silences = append(s.al.silences, sl)
	s.al.remute(now)
	writeJSON(w, http.StatusCreated, s.al.silences[len(s.al.silences)-1])
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.al.silences, func(x api.Silence) bool { return x.ID == r.PathValue("id") })
	if i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no silence %q", r.PathValue("id")))
		return
	}
	now := s.opt.Now()
	if s.al.silences[i].State == "expired" {
		writeErr(w, api.Errorf(api.CodeConflict, "silence %s has already expired", s.al.silences[i].ID))
		return
	}
	s.al.silences[i].EndsAt = now
	s.al.remute(now)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listMaintenance(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.al.remute(s.opt.Now())
	writeJSON(w, 200, s.al.maintenance)
}

// decodeList decodes a JSON array body, refusing unknown fields as the appliance does.
func decodeList[T any](w http.ResponseWriter, r *http.Request) ([]T, bool) {
	var out []T
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return nil, false
	}
	return out, true
}

func invalid(msg string, fs []api.FieldError) *api.Error {
	return &api.Error{Code: api.CodeInvalid, Message: msg, Fields: fs}
}

func (s *Server) putMaintenance(w http.ResponseWriter, r *http.Request) {
	in, ok := decodeList[api.MaintenanceWindow](w, r)
	if !ok {
		return
	}
	ws, fs := ValidateWindows(in)
	if len(fs) > 0 {
		writeErr(w, invalid("invalid maintenance windows", fs))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.al.maintenance = ws
	s.al.remute(s.opt.Now())
	writeJSON(w, 200, s.al.maintenance)
}

func (s *Server) listRules(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, 200, s.al.rules)
}

func (s *Server) putRules(w http.ResponseWriter, r *http.Request) {
	rs, ok := decodeList[api.AlertRule](w, r)
	if !ok {
		return
	}
	if fs := ValidateRules(rs); len(fs) > 0 {
		writeErr(w, invalid("invalid alert rules", fs))
		return
	}
	for i := range rs { // durations come back as the appliance prints them
		if v, err := time.ParseDuration(rs[i].For); err == nil || rs[i].For == "" {
			rs[i].For = v.String()
		}
		if v, err := time.ParseDuration(rs[i].KeepFiringFor); err == nil {
			rs[i].KeepFiringFor = ""
			if v != 0 {
				rs[i].KeepFiringFor = v.String()
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.al.rules = rs
	writeJSON(w, 200, rs)
}

// receiversFor returns the receivers as role reads them: secrets masked for non-admins.
func (a *alerting) receiversFor(role api.Role) []api.Receiver {
	out := make([]api.Receiver, len(a.receivers))
	for i, rc := range a.receivers {
		if role.Allows(api.RoleAdmin) {
			rc.Settings, _ = jsonTree(rc.Settings).(map[string]any)
		} else {
			rc.Settings = MaskSettings(rc.Type, rc.Settings)
		}
		out[i] = rc
	}
	return out
}

func (s *Server) listReceivers(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, 200, s.al.receiversFor(s.opt.Role))
}

func (s *Server) putReceivers(w http.ResponseWriter, r *http.Request) {
	rs, ok := decodeList[api.Receiver](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rc := range rs {
		rs[i].Settings, _ = jsonTree(rc.Settings).(map[string]any)
		if rs[i].Settings == nil {
			rs[i].Settings = map[string]any{}
		}
		if rs[i].Lang == "" {
			rs[i].Lang = "en"
		}
		j := slices.IndexFunc(s.al.receivers, func(o api.Receiver) bool { return o.Name == rc.Name && o.Type == rc.Type })
		if j >= 0 {
			old := s.al.receivers[j]
			unmask(rs[i].Settings, old.Settings, MaskSettings(old.Type, old.Settings))
		}
	}
	if fs := ValidateReceivers(rs); len(fs) > 0 {
		writeErr(w, invalid("invalid receivers", fs))
		return
	}
	s.al.receivers = rs
	writeJSON(w, 200, s.al.receiversFor(s.opt.Role))
}

// TestFailure is the error the canned webhook receiver's test notification gets.
const TestFailure = "POST http://cmms.plant.local/api/hooks/signalcraft: 503 Service Unavailable"

func (s *Server) testReceiver(w http.ResponseWriter, r *http.Request) {
	var req api.TestRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := r.PathValue("id")
	if !slices.ContainsFunc(s.al.receivers, func(rc api.Receiver) bool { return rc.Name == name }) {
		writeErr(w, api.Errorf(api.CodeNotFound, "no receiver %q", name))
		return
	}
	now := s.opt.Now().UTC()
	// Like the appliance: sent at once, not queued; a failure is a delivery with its error.
	d := api.Delivery{Receiver: name, Kind: "test", State: "done", Attempts: 1, CreatedAt: now, DoneAt: &now}
	if name == ReceiverWebhook {
		d.State, d.LastError, d.DoneAt = "failed", TestFailure, nil
	}
	writeJSON(w, 200, d)
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := api.Jobs{Stats: s.al.recount(s.opt.Now()), Recent: []api.Job{}}
	for _, j := range s.al.jobs {
		if (q.Get("kind") == "" || j.Kind == q.Get("kind")) && (q.Get("state") == "" || j.State == q.Get("state")) {
			out.Recent = append(out.Recent, j)
		}
	}
	slices.SortFunc(out.Recent, func(a, b api.Job) int { return b.CreatedAt.Compare(a.CreatedAt) })
	writeJSON(w, 200, out)
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.al.jobs, func(j api.Job) bool { return j.ID == id })
	switch {
	case i < 0:
		writeErr(w, api.Errorf(api.CodeNotFound, "no job %s", r.PathValue("id")))
		return
	case s.al.jobs[i].State != "dead":
		writeErr(w, api.Errorf(api.CodeConflict, "job %d is %s, not dead", id, s.al.jobs[i].State))
		return
	}
	j := &s.al.jobs[i]
	j.State, j.Attempts, j.RunAt = "queued", 0, s.opt.Now().UTC()
	w.WriteHeader(http.StatusNoContent)
}
