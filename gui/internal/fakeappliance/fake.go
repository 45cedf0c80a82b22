// Package fakeappliance provides an in-process stand-in for the SignalCraft
// appliance's HTTP API, for the desktop client's tests and screenshots: the
// routes the client uses, with canned machines and events, a deterministic
// live stream (Server-Sent Events) where one machine goes anomalous, role
// checks, 422 field errors (a machine's window, hop, pooling and persistence
// with the appliance's messages, machine.go), a model registry with promote
// and rollback (models.go), and a log of the requests it received.
package fakeappliance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"signalcraft/core/api"
)

// Options configures a Server.
type Options struct {
	Role     api.Role         // role of every caller; default admin
	Token    string           // if set, requests must carry it as a bearer token
	Start    time.Time        // the appliance's start: tick 0 of the live data
	Now      func() time.Time // clock for snapshots and acknowledgements; default time.Now
	Interval time.Duration    // time between live updates of a machine; default 100ms
	// Backfill is how many past ticks a fresh stream (no Last-Event-ID)
	// sends first, so charts are full at once. The real appliance sends
	// none; this is a convenience for screenshots.
	Backfill int
}

// Request is one request the server received.
type Request struct {
	Method, Path string
	Body         []byte
}

// Server is the fake appliance. Serve it with Handler.
type Server struct {
	opt Options

	mu       sync.Mutex
	machines []api.Machine
	events   []api.Event
	requests []Request
	al       alerting
	models   map[string][]api.Model // newest first
	rep      reportsFake            // the report routes (reports.go)
}

// Machine ids of the canned data.
const (
	Fan       = "fan-1"
	Pump      = "pump-2"
	Comp      = "compressor-3"
	Conveyor  = "conveyor-4"
	Valve     = "valve-5"
	OpenEvent = 7 // the pump's open anomaly event
)

// Thresholds are the machines' decision thresholds, in the raw units of their models (the
// compressor is still learning: none). Scores are these times the multiples scoreAt draws.
var Thresholds = map[string]float64{Fan: 3.1, Pump: 3.4, Conveyor: 2.2, Valve: 2.8}

// AnomalyTick is the tick from which the pump sounds wrong.
const AnomalyTick = 150

// New returns a server with the canned data.
func New(opt Options) *Server {
	if opt.Role == "" {
		opt.Role = api.RoleAdmin
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Start.IsZero() {
		opt.Start = opt.Now()
	}
	if opt.Interval <= 0 {
		opt.Interval = 100 * time.Millisecond
	}
	// As the appliance answers them: smoothing 1 (none; persistence took its place) and
	// window, hop, pooling and persistence the defaults of the kind, but for the fan,
	// which is listened to with a profile of its own.
	det := func(model, learn string, q float64) api.Detection {
		return api.Detection{Model: model, Learning: learn, Quantile: q, Smoothing: 1}
	}
	s := &Server{opt: opt, machines: []api.Machine{
		{ID: Fan, Name: "Cooling fan 1", Kind: "fan", Line: "Line A", Sensor: api.SensorBinding{Source: "mic-a", Channel: 0}, Detection: det("mahalanobis", "10m0s", 0.99)},
		{ID: Pump, Name: "Feed pump 2", Kind: "pump", Line: "Line A", Sensor: api.SensorBinding{Source: "mic-a", Channel: 1}, Detection: det("gmm", "15m0s", 0.995)},
		{ID: Comp, Name: "Compressor 3", Kind: "compressor", Line: "Line B", Sensor: api.SensorBinding{Source: "mic-b", Channel: 0}, Detection: det("mahalanobis", "30m0s", 0.99)},
		{ID: Conveyor, Name: "Conveyor motor 4", Kind: "motor", Line: "Line B", Sensor: api.SensorBinding{Source: "mic-b", Channel: 1}, Detection: det("knn", "10m0s", 0.98)},
		{ID: Valve, Name: "Steam valve 5", Kind: "valve", Line: "Line C", Sensor: api.SensorBinding{Source: "mic-c", Channel: 0}, Detection: det("mahalanobis", "10m0s", 0.99)},
	}}
	s.machines[0].Detection.Window, s.machines[0].Detection.Hop = "4s", "1s"
	s.machines[0].Detection.Pooling, s.machines[0].Detection.Persistence = []string{"max", "mean"}, "3s"
	for i, m := range s.machines {
		s.machines[i], _ = check(m)
	}
	st := opt.Start
	s.al = newAlerting(st, opt.Interval)
	s.models = newModels(st)
	at := func(d time.Duration) *time.Time { t := st.Add(d); return &t }
	s.events = []api.Event{
		// Raw peaks against raw thresholds, as the appliance stores them: 2.05×, 1.31×, …
		{ID: OpenEvent, MachineID: Pump, Kind: "anomaly", Start: st.Add(AnomalyTick * opt.Interval), PeakScore: 2.05 * Thresholds[Pump], Threshold: Thresholds[Pump],
			Diagnosis: &api.Diagnosis{Label: "bearing_outer_race", Confidence: 0.87, Model: "rf+svm v2",
				Probs: map[string]float64{"bearing_outer_race": 0.87, "bearing_inner_race": 0.09, "normal": 0.04}}},
		{ID: 6, MachineID: Fan, Kind: "anomaly", Start: st.Add(-26 * time.Hour), End: at(-26*time.Hour + 95*time.Second), PeakScore: 1.31 * Thresholds[Fan], Threshold: Thresholds[Fan],
			AcknowledgedBy: "kim", AcknowledgedAt: at(-25 * time.Hour), AckComment: "door left open", Label: api.LabelFalseAlarm},
		{ID: 5, MachineID: Conveyor, Kind: "anomaly", Start: st.Add(-50 * time.Hour), End: at(-50*time.Hour + 12*time.Minute), PeakScore: 1.62 * Thresholds[Conveyor], Threshold: Thresholds[Conveyor],
			HeardFrom: Pump},
		{ID: 4, MachineID: Pump, Kind: "anomaly", Start: st.Add(-75 * time.Hour), End: at(-75*time.Hour + 40*time.Minute), PeakScore: 2.4 * Thresholds[Pump], Threshold: Thresholds[Pump],
			AcknowledgedBy: "lee", AcknowledgedAt: at(-74 * time.Hour), Label: "bearing"},
	}
	return s
}

// SetRole changes the role every caller gets.
func (s *Server) SetRole(r api.Role) { s.mu.Lock(); s.opt.Role = r; s.mu.Unlock() }

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Handler returns the HTTP handler serving every route of api.Routes and
// api.AlertRoutes the fake implements; the others answer 404 like an unknown
// path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	impl := map[string]http.HandlerFunc{
		"GET " + api.PathHealth:       s.health,
		"GET " + api.PathMe:           s.me,
		"GET " + api.PathMachines:     s.listMachines,
		"GET " + api.PathMachine:      s.getMachine,
		"PUT " + api.PathMachine:      s.putMachine,
		"POST " + api.PathRelearn:     s.relearn,
		"GET " + api.PathLive:         s.live,
		"GET " + api.PathLiveNow:      s.snapshot,
		"GET " + api.PathEvents:       s.listEvents,
		"GET " + api.PathEvent:        s.getEvent,
		"POST " + api.PathAcknowledge: s.acknowledge,
		"POST " + api.PathLabel:       s.label,
	}
	for p, h := range s.alertHandlers() {
		impl[p] = h
	}
	for p, h := range s.modelHandlers() {
		impl[p] = h
	}
	for p, h := range s.evidenceHandlers() {
		impl[p] = h
	}
	for p, h := range s.reportHandlers() {
		impl[p] = h
	}
	for p, h := range s.healthHandlers() {
		impl[p] = h
	}
	done := map[string]bool{} // AlertRoutes join Routes once the appliance serves them
	for _, r := range slices.Concat(api.Routes, api.AlertRoutes) {
		h, ok := impl[r.Pattern()]
		if !ok || done[r.Pattern()] {
			continue
		}
		done[r.Pattern()] = true
		mux.Handle(r.Pattern(), s.guard(r, h))
	}
	return mux
}

func (s *Server) guard(r api.Route, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(req.Body, 1<<20))
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: req.Method, Path: req.URL.Path, Body: body})
		role, token := s.opt.Role, s.opt.Token
		s.mu.Unlock()
		if token != "" && req.Header.Get("Authorization") != "Bearer "+token {
			writeErr(w, api.Errorf(api.CodeUnauthorized, "missing or unknown token"))
			return
		}
		if !role.Allows(r.MinRole) {
			writeErr(w, api.Errorf(api.CodeForbidden, "role %s may not %s %s (needs %s)", role, r.Method, r.Path, r.MinRole))
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		h(w, req)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *api.Error) { writeJSON(w, e.Status(), e) }

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, api.Health{Status: "ok", APIVersion: api.Version, Time: s.opt.Now().UTC(), StartedAt: s.opt.Start.UTC(), Machines: len(s.machines)})
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, 200, api.Identity{Actor: "floor-tablet", Role: s.opt.Role})
}

func (s *Server) listMachines(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, 200, s.machines)
}

func (s *Server) findMachine(id string) int {
	return slices.IndexFunc(s.machines, func(m api.Machine) bool { return m.ID == id })
}

func (s *Server) getMachine(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findMachine(r.PathValue("id"))
	if i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", r.PathValue("id")))
		return
	}
	writeJSON(w, 200, s.machines[i])
}

// Validate checks a machine configuration the way the appliance does,
// returning the field errors.
func Validate(m api.Machine) []api.FieldError {
	_, fe := check(m)
	return fe
}

// check checks a machine and returns it as the appliance stores and answers it, with
// window, hop, pooling and persistence filled in (machine.go).
func check(m api.Machine) (api.Machine, []api.FieldError) {
	var fe []api.FieldError
	add := func(f, msg string) { fe = append(fe, api.FieldError{Field: f, Message: msg}) }
	if strings.TrimSpace(m.Name) == "" {
		add("name", "must not be empty")
	}
	if m.Sensor.Source == "" {
		add("sensor.source", "must name a configured source")
	}
	if m.Sensor.Channel < 0 || m.Sensor.Channel > 31 {
		add("sensor.channel", fmt.Sprintf("%d is not a channel of the source (0..31)", m.Sensor.Channel))
	}
	if d, err := time.ParseDuration(m.Detection.Learning); err != nil || d < time.Minute {
		add("detection.learning", fmt.Sprintf("%q: want a duration of at least 1m, e.g. 10m", m.Detection.Learning))
	}
	if !slices.Contains([]string{"mahalanobis", "gmm", "knn"}, m.Detection.Model) {
		add("detection.model", fmt.Sprintf("%q: want mahalanobis, gmm or knn", m.Detection.Model))
	}
	if q := m.Detection.Quantile; !(q >= 0.5 && q < 1) {
		add("detection.quantile", fmt.Sprintf("%g is out of range: want at least 0.5 and below 1", q))
	}
	if m.Detection.Smoothing < 1 || m.Detection.Smoothing > 100 {
		add("detection.smoothing", fmt.Sprintf("%d: want 1..100 windows", m.Detection.Smoothing))
	}
	d, pe := checkProfile(m.Detection, m.Kind, len(fe) > 0)
	m.Detection = d
	if d, err := time.ParseDuration(m.Detection.Learning); err == nil {
		m.Detection.Learning = d.String()
	}
	return m, append(fe, pe...)
}

func (s *Server) putMachine(w http.ResponseWriter, r *http.Request) {
	var m api.Machine
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findMachine(r.PathValue("id"))
	if i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", r.PathValue("id")))
		return
	}
	if m.ID != r.PathValue("id") {
		writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid machine", Fields: []api.FieldError{{Field: "id", Message: "must match the path"}}})
		return
	}
	m, fe := check(m)
	if len(fe) > 0 {
		writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid machine configuration", Fields: fe})
		return
	}
	s.machines[i] = m
	writeJSON(w, 200, m)
}

func (s *Server) relearn(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findMachine(r.PathValue("id")) < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []api.Event{}
	for _, e := range s.events {
		switch {
		case q.Get("machine") != "" && e.MachineID != q.Get("machine"),
			q.Get("kind") != "" && e.Kind != q.Get("kind"),
			q.Get("open") == "true" && !e.Open(),
			q.Get("unacknowledged") == "true" && e.AcknowledgedAt != nil:
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b api.Event) int { return b.Start.Compare(a.Start) })
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n < len(out) {
		out = out[:n]
	}
	writeJSON(w, 200, out)
}

func (s *Server) eventIndex(w http.ResponseWriter, r *http.Request) int {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	i := slices.IndexFunc(s.events, func(e api.Event) bool { return e.ID == id })
	if i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no event %s", r.PathValue("id")))
	}
	return i
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.eventIndex(w, r); i >= 0 {
		writeJSON(w, 200, s.events[i])
	}
}

func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request) {
	var req api.AcknowledgeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.eventIndex(w, r)
	if i < 0 {
		return
	}
	e := &s.events[i]
	if e.AcknowledgedAt != nil {
		writeErr(w, api.Errorf(api.CodeConflict, "event %d was acknowledged by %s", e.ID, e.AcknowledgedBy))
		return
	}
	now := s.opt.Now().UTC()
	e.AcknowledgedAt, e.AcknowledgedBy, e.AckComment = &now, "floor-tablet", req.Comment
	for j, a := range s.al.alerts { // its anomaly alerts with it, as the appliance does
		if linked(s.al.rules, a, *e) {
			s.al.alerts[j].AcknowledgedAt, s.al.alerts[j].AcknowledgedBy, s.al.alerts[j].AckComment = &now, e.AcknowledgedBy, e.AckComment
		}
	}
	writeJSON(w, 200, *e)
}

// Labels the fake accepts besides api.LabelFalseAlarm and "".
var Labels = api.FaultLabels

func (s *Server) label(w http.ResponseWriter, r *http.Request) {
	var req api.LabelRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "decode body: %v", err))
		return
	}
	if req.Label != "" && req.Label != api.LabelFalseAlarm && !slices.Contains(Labels, req.Label) {
		writeErr(w, &api.Error{Code: api.CodeInvalid, Message: "invalid label", Fields: []api.FieldError{{Field: "label", Message: "unknown fault type"}}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.eventIndex(w, r); i >= 0 {
		s.events[i].Label = req.Label
		writeJSON(w, 200, s.events[i])
	}
}

// tick returns the live tick at time t.
func (s *Server) tick(t time.Time) uint64 {
	d := t.Sub(s.opt.Start)
	if d < 0 {
		return 0
	}
	return uint64(d / s.opt.Interval)
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	k := s.tick(s.opt.Now())
	out := []api.Live{}
	s.mu.Lock()
	ms := slices.Clone(s.machines)
	s.mu.Unlock()
	for i, m := range ms {
		if q := r.URL.Query().Get("machine"); q != "" && q != m.ID {
			continue
		}
		out = append(out, s.Live(i, k))
	}
	writeJSON(w, 200, out)
}

func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeErr(w, api.Errorf(api.CodeInternal, "streaming unsupported"))
		return
	}
	machine := r.URL.Query().Get("machine")
	s.mu.Lock()
	n := len(s.machines)
	if machine != "" && s.findMachine(machine) < 0 {
		s.mu.Unlock()
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", machine))
		return
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(200)
	fl.Flush()

	now := s.tick(s.opt.Now())
	next := uint64(0) // next tick to send
	if last, err := strconv.ParseUint(r.Header.Get(api.HeaderLastEventID), 10, 64); err == nil && last > 0 {
		next = (last-1)/uint64(n) + 1
	} else if uint64(s.opt.Backfill) < now {
		next = now - uint64(s.opt.Backfill)
	}
	t := time.NewTicker(s.opt.Interval)
	defer t.Stop()
	for {
		cur := s.tick(s.opt.Now())
		for ; next <= cur; next++ {
			for i := 0; i < n; i++ {
				l := s.Live(i, next)
				if machine != "" && l.MachineID != machine {
					continue
				}
				b, _ := json.Marshal(l)
				if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", l.Seq, api.EventLive, b); err != nil {
					return
				}
			}
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}

// noise returns a deterministic pseudo-random number in [0, 1).
func noise(a, b, c uint64) float64 {
	x := a*0x9e3779b97f4a7c15 ^ b*0xbf58476d1ce4e5b9 ^ c*0x94d049bb133111eb
	x ^= x >> 31
	x *= 0xd6e8feb86d2d4b1b
	x ^= x >> 29
	return float64(x>>11) / (1 << 53)
}

// Bands is the number of spectrum bands of the live updates.
const Bands = 64

// Live returns the update of machine index i (in configuration order) at
// tick k: a pure function of (i, k), so tests and screenshots are
// reproducible.
func (s *Server) Live(i int, k uint64) api.Live {
	s.mu.Lock()
	m := s.machines[i]
	n := len(s.machines)
	s.mu.Unlock()
	l := api.Live{
		MachineID: m.ID, Time: s.opt.Start.Add(time.Duration(k) * s.opt.Interval).UTC(),
		State: api.StateMonitoring, Progress: 1, Sensor: api.SensorOK, Threshold: Thresholds[m.ID],
		SpectrumFMinHz: 50, SpectrumFMaxHz: 8000, Seq: k*uint64(n) + uint64(i) + 1,
	}
	r := func(salt uint64) float64 { return noise(uint64(i), k, salt) }
	spec := make([]float32, Bands)
	tones := map[int]float64{}
	base := -62.0
	switch m.ID {
	case Fan:
		tones[14], tones[28] = 22, 12 // blade-pass and its harmonic
	case Pump:
		tones[10], tones[20] = 18, 10
		over := float64(k) - AnomalyTick
		if over >= 0 {
			ramp := math.Min(1, over/60)
			tones[44] = 26 * ramp // a bearing tone that was not there
			tones[51] = 14 * ramp
			base += 4 * ramp
			l.OpenEvent = OpenEvent
		}
	case Comp:
		l.State, l.Progress, l.Threshold = api.StateLearning, 0.42, 0
		tones[8], tones[16], tones[24] = 20, 14, 8
	case Conveyor:
		l.Sensor = api.SensorSilent
		base = -95
	case Valve:
		l.Sensor = api.SensorLost
		base = -120
	}
	l.Score = s.scoreAt(i, k)
	var sum float64
	for b := range spec {
		v := base - 0.25*float64(b) + 6*r(uint64(100+b))
		for c, a := range tones {
			d := float64(b - c)
			v += a * math.Exp(-d*d/1.5)
		}
		spec[b] = float32(v)
		sum += math.Pow(10, v/10)
	}
	l.Spectrum = spec
	l.LevelDBFS = math.Round(10*math.Log10(sum)*10) / 10
	// Smoothed: mean of the last 8 scores, from the same pure function.
	var acc float64
	for j := uint64(0); j < 8; j++ {
		if k >= j {
			acc += s.scoreAt(i, k-j)
		}
	}
	l.Smoothed = acc / 8
	if m.ID == Pump && l.Smoothed > l.Threshold {
		l.State = api.StateAnomaly
	}
	return l
}

// scoreAt recomputes the raw score of machine i at tick k (Live without the
// spectrum), for the smoother: a multiple of its threshold times the threshold.
func (s *Server) scoreAt(i int, k uint64) float64 {
	s.mu.Lock()
	id := s.machines[i].ID
	s.mu.Unlock()
	if thr := Thresholds[id]; thr > 0 {
		return thr * s.multipleAt(id, i, k)
	}
	return s.multipleAt(id, i, k)
}

// multipleAt is the score of machine id (index i) at tick k in multiples of its threshold.
func (s *Server) multipleAt(id string, i int, k uint64) float64 {
	r := noise(uint64(i), k, 1)
	switch id {
	case Fan:
		return 0.45 + 0.12*math.Sin(float64(k)/40) + 0.1*r
	case Pump:
		over := float64(k) - AnomalyTick
		if over < 0 {
			return 0.5 + 0.1*r
		}
		ramp := math.Min(1, over/60)
		return 0.55 + 1.3*ramp + 0.2*math.Sin(float64(k)/9) + 0.15*r
	case Comp:
		return 0.3 + 0.1*r
	case Conveyor:
		return 0.05 * r
	}
	return 0
}
