// Package fakeappliance is an in-process stand-in for the appliance's API,
// for the terminal client's tests and screenshots: an httptest server on
// loopback serving canned data (Fixture) for the routes the client uses,
// recording every request, with a live stream fed by Push. It also serves the
// alerting routes (api.AlertRoutes: alerts, silences, maintenance windows,
// rules, receivers, deliveries and the job queue) from the fixture, checking
// the caller's role against each route's MinRole and each change as the
// appliance does: 422s name the same fields (rules[i].severity,
// receivers[i].settings.url, maintenance[i].days[j], matchers[i].op …),
// secrets read "****" for non-admins and sent back so keep their values, a
// second acknowledgement is 409, a receiver test answers done or failed. A
// machine's PUT is checked like the appliance's (machine.go: every field,
// window, hop, pooling and persistence included, with its messages) and
// stored with the defaults of its kind filled in.
package fakeappliance

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"signalcraft/core/api"
)

// Request is one request the server received.
type Request struct {
	Method, Path, Query, Auth string
	Body                      []byte
}

// Server is the fake appliance.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	data     Fixture
	requests []Request
	subs     map[chan api.Live]bool
	done     chan struct{}
	seq      uint64
	// UpdateMachine, when set, answers PUT machines/{id} instead of storing.
	UpdateMachine func(m api.Machine) (api.Machine, *api.Error)
	rep           reportsFake // the report routes (reports.go)
}

// Fixture is the canned appliance state.
type Fixture struct {
	Me       api.Identity
	Health   api.Health
	Machines []api.Machine
	Live     []api.Live // latest per machine
	History  []api.Live // older updates, oldest first (for charts)
	Events   []api.Event
	Sensors  []api.Sensor
	Devices  []api.Device
	// Models are the machines' model histories, newest first, by machine id; promote and
	// rollback change them as the appliance's registry does (models.go).
	Models map[string][]api.Model

	// Alerting (api.AlertRoutes).
	Alerts      []api.Alert // firing first
	Silences    []api.Silence
	Maintenance []api.MaintenanceWindow
	Rules       []api.AlertRule
	Receivers   []api.Receiver            // with their secrets; non-admins get them as "****"
	Deliveries  map[string][]api.Delivery // by alert fingerprint, newest first
	Jobs        api.Jobs
	// TestErrors makes a receiver's test notification fail with the error, by receiver name.
	TestErrors map[string]string
	// NoAlerting makes the alerting routes answer 404, as an appliance that does not serve
	// them yet does.
	NoAlerting bool

	// Evidence (evidence.go): clips by event id, their WAV bytes and spectrograms by clip id.
	Clips        map[int64][]api.ClipInfo
	ClipAudio    map[int64][]byte
	Spectrograms map[int64]api.Spectrogram
}

// Rules returns the stored alert rules.
func (s *Server) Rules() []api.AlertRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.AlertRule(nil), s.data.Rules...)
}

// Receivers returns the stored receivers, with their secrets.
func (s *Server) Receivers() []api.Receiver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.Receiver(nil), s.data.Receivers...)
}

// Maintenance returns the stored maintenance windows.
func (s *Server) Maintenance() []api.MaintenanceWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.MaintenanceWindow(nil), s.data.Maintenance...)
}

// Now is the fixed time of the fixture.
var Now = time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC)

func tp(t time.Time) *time.Time { return &t }

// NewFixture returns three machines — one monitoring, one in anomaly, one
// learning — with two minutes of score history, events, sensors (one
// silent) and two capture devices, all relative to Now.
func NewFixture() Fixture {
	// As the appliance answers them: smoothing 1 (none; persistence took its place) and
	// window, hop, pooling and persistence the defaults of the kind.
	det := func(model, kind string) api.Detection {
		return withProfile(api.Detection{Model: model, Learning: "10m0s", Quantile: 0.99, Smoothing: 1}, kind)
	}
	ms := []api.Machine{
		{ID: "fan-1", Name: "Supply fan 1", Kind: "fan", Line: "line-a", Sensor: api.SensorBinding{Source: "mic", Channel: 0}, Detection: det("mahalanobis", "fan")},
		{ID: "pump-2", Name: "Coolant pump 2", Kind: "pump", Line: "line-a", Sensor: api.SensorBinding{Source: "mic", Channel: 1}, Detection: det("mahalanobis", "pump")},
		{ID: "motor-3", Name: "Conveyor motor 3", Kind: "motor", Line: "line-b", Sensor: api.SensorBinding{Source: "sim", Channel: 0}, Detection: det("gmm", "motor")},
	}
	spectrum := func(seed float64) []float32 {
		s := make([]float32, 64)
		for i := range s {
			x := float64(i)
			s[i] = float32(-85 + 30*math.Exp(-math.Pow((x-10-seed)/6, 2)) + 18*math.Exp(-math.Pow((x-38)/3, 2)) + 4*math.Sin(x*0.9+seed))
		}
		return s
	}
	var hist []api.Live
	var latest []api.Live
	for k := 0; k <= 120; k++ { // one update per second for two minutes
		t := Now.Add(time.Duration(k-120) * time.Second)
		x := float64(k)
		fan := 1.2 + 0.4*math.Sin(x/7) + 0.15*math.Sin(x*1.3)
		pump := 1.5 + 0.3*math.Sin(x/5)
		if k > 80 {
			pump = 2 + 2.8*(1-math.Exp(-(x-80)/12)) + 0.3*math.Sin(x)
		}
		motor := 0.8 + 0.5*math.Abs(math.Sin(x/9))
		ls := []api.Live{
			{MachineID: "fan-1", Time: t, State: api.StateMonitoring, Progress: 1, Sensor: api.SensorOK, LevelDBFS: -31.4 + math.Sin(x), Score: fan + 0.2, Smoothed: fan, Threshold: 3.1, Spectrum: spectrum(0), SpectrumFMinHz: 40, SpectrumFMaxHz: 8000},
			{MachineID: "pump-2", Time: t, State: api.StateMonitoring, Progress: 1, Sensor: api.SensorOK, LevelDBFS: -18.2 + math.Sin(x), Score: pump + 0.3, Smoothed: pump, Threshold: 3.4, Spectrum: spectrum(8), SpectrumFMinHz: 40, SpectrumFMaxHz: 8000},
			{MachineID: "motor-3", Time: t, State: api.StateLearning, Progress: 0.45, Sensor: api.SensorSilent, LevelDBFS: -71.0, Score: motor, Smoothed: motor, Threshold: 0, Spectrum: spectrum(20), SpectrumFMinHz: 40, SpectrumFMaxHz: 8000},
		}
		if k > 92 {
			ls[1].State = api.StateAnomaly
			ls[1].OpenEvent = 7
		}
		if k == 120 {
			latest = ls
		} else {
			hist = append(hist, ls...)
		}
	}
	events := []api.Event{
		{ID: 7, MachineID: "pump-2", Kind: "anomaly", Start: Now.Add(-28 * time.Second), PeakScore: 4.82, Threshold: 3.4,
			Diagnosis: &api.Diagnosis{Label: "bearing_outer_race", Confidence: 0.87, Model: "rf+svm v2",
				Probs: map[string]float64{"bearing_outer_race": 0.87, "bearing_inner_race": 0.09, "normal": 0.04}}},
		{ID: 6, MachineID: "fan-1", Kind: "anomaly", Start: Now.Add(-47 * time.Minute), End: tp(Now.Add(-45 * time.Minute)), PeakScore: 3.9, Threshold: 3.1,
			HeardFrom: "pump-2"},
		{ID: 5, MachineID: "pump-2", Kind: "anomaly", Start: Now.Add(-3 * time.Hour), End: tp(Now.Add(-3*time.Hour + 90*time.Second)), PeakScore: 4.1, Threshold: 3.4,
			AcknowledgedBy: "anna", AcknowledgedAt: tp(Now.Add(-2 * time.Hour)), AckComment: "bearing noise, greased", Label: "bearing"},
		{ID: 4, MachineID: "fan-1", Kind: "anomaly", Start: Now.Add(-26 * time.Hour), End: tp(Now.Add(-26*time.Hour + 40*time.Second)), PeakScore: 3.3, Threshold: 3.1,
			AcknowledgedBy: "ben", AcknowledgedAt: tp(Now.Add(-25 * time.Hour)), Label: api.LabelFalseAlarm},
	}
	sensors := []api.Sensor{
		{ID: "mic/0", MachineID: "fan-1", Device: "USB Audio CODEC: Audio (hw:1,0)", Channel: 0, SampleRate: 16000, State: api.SensorOK, StateSince: Now.Add(-5 * time.Hour), Reconnects: 1},
		{ID: "mic/1", MachineID: "pump-2", Device: "USB Audio CODEC: Audio (hw:1,0)", Channel: 1, SampleRate: 16000, State: api.SensorOK, StateSince: Now.Add(-5 * time.Hour), Reconnects: 1, Overruns: 3},
		{ID: "sim/0", MachineID: "motor-3", Device: "simulator", Channel: 0, SampleRate: 16000, State: api.SensorSilent, StateSince: Now.Add(-4 * time.Minute), Detail: "level below -70 dBFS"},
	}
	devices := []api.Device{
		{Name: "USB Audio CODEC: Audio (hw:1,0)", HostAPI: "ALSA", MaxInputChannels: 2, DefaultSampleRate: 48000, SupportedRates: []int{16000, 44100, 48000}},
		{Name: "pulse", HostAPI: "ALSA", MaxInputChannels: 32, DefaultSampleRate: 44100, SupportedRates: []int{16000, 44100, 48000}},
	}
	f := Fixture{
		Me:       api.Identity{Actor: "tech-anna", Role: api.RoleOperator},
		Health:   api.Health{Status: "ok", APIVersion: api.Version, Time: Now, StartedAt: Now.Add(-5 * time.Hour), Machines: 3},
		Machines: ms, Live: latest, History: hist, Events: events, Sensors: sensors, Devices: devices,
		Models: fixtureModels(),
	}
	addAlerting(&f)
	addEvidence(&f)
	return f
}

// New starts a fake appliance serving f on loopback; Close it when done.
func New(f Fixture) *Server {
	s := &Server{data: f, subs: map[chan api.Live]bool{}, done: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close ends live streams and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.Server.Close()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Event returns the stored event with id.
func (s *Server) Event(id int64) (api.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.data.Events {
		if e.ID == id {
			return e, true
		}
	}
	return api.Event{}, false
}

// Push sends a live update to every stream client.
func (s *Server) Push(l api.Live) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- l:
		default:
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *api.Error) { writeJSON(w, e.Status(), e) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body})
	s.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, api.Prefix)
	parts := strings.Split(path, "/")
	s.mu.Lock()
	d := s.data
	s.mu.Unlock()
	switch {
	case r.Method == "GET" && path == "me":
		writeJSON(w, 200, d.Me)
	case r.Method == "GET" && path == "health":
		writeJSON(w, 200, d.Health)
	case r.Method == "GET" && path == "machines":
		writeJSON(w, 200, d.Machines)
	case r.Method == "GET" && path == "live/snapshot":
		writeJSON(w, 200, d.Live)
	case r.Method == "GET" && path == "sensors":
		writeJSON(w, 200, d.Sensors)
	case r.Method == "GET" && path == "devices":
		writeJSON(w, 200, d.Devices)
	case r.Method == "GET" && path == "events":
		q := r.URL.Query()
		out := []api.Event{}
		for _, e := range d.Events {
			if m := q.Get("machine"); m != "" && e.MachineID != m ||
				q.Get("open") == "true" && !e.Open() ||
				q.Get("unacknowledged") == "true" && e.AcknowledgedAt != nil {
				continue
			}
			out = append(out, e)
		}
		writeJSON(w, 200, out)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "events" && (parts[2] == "acknowledge" || parts[2] == "label"):
		s.eventAction(w, parts[1], parts[2], body)
	case r.Method == "PUT" && len(parts) == 2 && parts[0] == "machines":
		s.putMachine(w, parts[1], body)
	case len(parts) >= 3 && parts[0] == "machines" && parts[2] == "models":
		s.models(w, r.Method, parts[1], parts[3:], body)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "machines" && parts[2] == "relearn":
		w.WriteHeader(http.StatusAccepted)
	case r.Method == "GET" && path == "live":
		s.stream(w, r)
	case s.alerting(w, r.Method, r.URL.Path, r.URL.Query(), body):
	case s.evidence(w, r, parts, d):
	case s.reports(w, r.Method, parts, body):
	default:
		writeErr(w, api.Errorf(api.CodeNotFound, "no route %s %s", r.Method, r.URL.Path))
	}
}

// putMachine checks a machine as the appliance does (role admin, the id of the path, every
// field) and stores it with the defaults of its kind filled in, or hands it to
// UpdateMachine when that is set.
func (s *Server) putMachine(w http.ResponseWriter, id string, body []byte) {
	s.mu.Lock()
	role, i := s.data.Me.Role, slices.IndexFunc(s.data.Machines, func(m api.Machine) bool { return m.ID == id })
	s.mu.Unlock()
	if !role.Allows(api.RoleAdmin) {
		writeErr(w, api.Errorf(api.CodeForbidden, "PUT %s needs role %s", api.PathMachine, api.RoleAdmin))
		return
	}
	if i < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "no machine %q", id))
		return
	}
	var m api.Machine
	if err := json.Unmarshal(body, &m); err != nil {
		writeErr(w, api.Errorf(api.CodeInvalid, "bad JSON: %v", err))
		return
	}
	if m.ID == "" {
		m.ID = id
	}
	out, fs := checkMachine(m)
	if m.ID != id {
		fs = append(fieldErrs{{Field: "id", Message: fmt.Sprintf("must be %q, the machine in the path (ids cannot change)", id)}}, fs...)
	}
	if len(fs) > 0 {
		writeErr(w, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("machine %q: invalid configuration", id), Fields: fs})
		return
	}
	if s.UpdateMachine != nil {
		res, e := s.UpdateMachine(out)
		if e != nil {
			writeErr(w, e)
			return
		}
		out = res
	} else {
		s.mu.Lock()
		s.data.Machines[i] = out
		s.mu.Unlock()
	}
	writeJSON(w, 200, out)
}

// Machines returns the stored machines.
func (s *Server) Machines() []api.Machine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.Machine(nil), s.data.Machines...)
}

func (s *Server) eventAction(w http.ResponseWriter, idText, action string, body []byte) {
	id, _ := strconv.ParseInt(idText, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.data.Me.Role.Allows(api.RoleOperator) {
		writeErr(w, api.Errorf(api.CodeForbidden, "POST %s needs role operator", api.PathAcknowledge))
		return
	}
	for i, e := range s.data.Events {
		if e.ID != id {
			continue
		}
		switch action {
		case "acknowledge":
			if e.AcknowledgedAt != nil {
				writeErr(w, api.Errorf(api.CodeConflict, "event %d was acknowledged by %s", id, e.AcknowledgedBy))
				return
			}
			var req api.AcknowledgeRequest
			_ = json.Unmarshal(body, &req)
			e.AcknowledgedBy, e.AcknowledgedAt, e.AckComment = s.data.Me.Actor, tp(Now), req.Comment
			for j, a := range s.data.Alerts { // its anomaly alerts with it, as the appliance does
				if linked(s.data.Rules, a, e) {
					s.data.Alerts[j].AcknowledgedBy, s.data.Alerts[j].AcknowledgedAt, s.data.Alerts[j].AckComment = e.AcknowledgedBy, e.AcknowledgedAt, e.AckComment
				}
			}
		case "label":
			var req api.LabelRequest
			_ = json.Unmarshal(body, &req)
			e.Label = req.Label
		}
		s.data.Events[i] = e
		writeJSON(w, 200, e)
		return
	}
	writeErr(w, api.Errorf(api.CodeNotFound, "no event %d", id))
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	ch := make(chan api.Live, 64)
	s.mu.Lock()
	s.subs[ch] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl, _ := w.(http.Flusher)
	fmt.Fprint(w, ": hello\n\n")
	if fl != nil {
		fl.Flush()
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case l := <-ch:
			s.mu.Lock()
			s.seq++
			l.Seq = s.seq
			s.mu.Unlock()
			b, _ := json.Marshal(l)
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", l.Seq, b)
			if fl != nil {
				fl.Flush()
			}
		}
	}
}
