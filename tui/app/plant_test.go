package app_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"signalcraft/appliance/apptest"
	"signalcraft/core/alert"
	"signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
	"signalcraft/core/wav"
	"signalcraft/tui/app"
)

// The client's tests that talk to an appliance talk to the real one (appliance/apptest): the
// demo plant (fan-1, pump-2, motor-3, still learning: its clock stands at Now) holding the
// fixture's past, written as the appliance itself would have: its events, alert rules,
// receivers, maintenance windows and silences, and the alerts its engine raised from
// observations of the last minutes.

// clipWAV is the WAV file of event 7's clip: 2 s of a hum with a knock every 0.1 s.
var clipWAV = func() []byte {
	s := make([]float32, 32000)
	for i := range s {
		s[i] = float32(0.05 * math.Sin(2*math.Pi*120*float64(i)/16000))
		if i%1600 < 40 {
			s[i] += 0.4 * float32(1-float64(i%1600)/40)
		}
	}
	var b bytes.Buffer
	if err := wav.Encode(&b, 16000, [][]float32{s}); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// plant starts the appliance at Now holding the fixture's past.
func plant(t *testing.T) *apptest.Appliance {
	t.Helper()
	a := apptest.Start(t, apptest.Options{Start: Now})
	ctx := context.Background()
	fx, db, admin := NewFixture(), a.DB(), a.Admin(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seeding the appliance: %v", err)
		}
	}
	for _, e := range fx.Events {
		se := store.Event{ID: e.ID, MachineID: e.MachineID, Kind: e.Kind, Start: e.Start, PeakScore: e.PeakScore, Threshold: e.Threshold}
		if e.End != nil {
			se.End = *e.End
		}
		if d := e.Diagnosis; d != nil {
			se.Diagnosis = &store.Diagnosis{Label: d.Label, Confidence: d.Confidence, Probs: d.Probs, Model: d.Model}
		}
		must(db.SaveEvent(ctx, se))
		if e.AcknowledgedBy != "" {
			must(db.AcknowledgeEventComment(ctx, e.ID, e.AcknowledgedBy, e.AckComment))
		}
		if e.Label != "" {
			must(db.LabelEventAudited(ctx, e.ID, e.Label))
		}
	}
	// Event 7's clip, and event 5's whose file was pruned.
	a.AddClip(t, store.Clip{EventID: 7, MachineID: "pump-2", Path: "pump-2/7.wav", Start: Now.Add(-38 * time.Second), Duration: 2 * time.Second,
		Frames: 32000, SampleRate: 16000, Channels: 1}, clipWAV)
	a.AddClip(t, store.Clip{EventID: 5, MachineID: "pump-2", Path: "pump-2/5.wav", Start: Now.Add(-3*time.Hour - 10*time.Second), Duration: 20 * time.Second,
		Frames: 320000, SampleRate: 16000, Channels: 1, Size: 640044, SHA256: fmt.Sprintf("%064x", 5)}, nil)

	// The rules as the fixture's, SensorSilent a sensor rule and LevelLow an anomaly rule, so
	// that the default inhibition (a sensor alert holds back its machine's anomaly alerts) acts.
	rules := fx.Rules
	rules[1].Labels, rules[2].Labels = map[string]string{"category": "sensor"}, map[string]string{"category": "anomaly"}
	_, err := admin.SetRules(ctx, rules)
	must(err)
	// Test notifications: the webhook reaches a receiver that answers 200, the Kakao one is
	// refused at once.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(sink.Close)
	rs := fx.Receivers
	rs[1].Settings["base_url"] = "http://127.0.0.1:1"
	rs[2].Settings["url"] = sink.URL + "/hook"
	_, err = admin.SetReceivers(ctx, rs)
	must(err)
	_, err = admin.SetMaintenance(ctx, fx.Maintenance)
	must(err)
	// Silences 1 (active), 2 (pending) and 3 (expired).
	for _, s := range fx.Silences {
		s.ID, s.CreatedBy, s.State = "", "", ""
		if !s.StartsAt.After(Now) {
			s.StartsAt = time.Time{}
		}
		if s.EndsAt.Before(Now) {
			s.EndsAt = Now.Add(time.Hour)
		}
		s, err := admin.CreateSilence(ctx, s)
		must(err)
		if s.ID == "3" {
			must(admin.ExpireSilence(ctx, s.ID))
		}
	}
	// The alerts: the pump's score above 1.4× its threshold for over 10 s (critical, firing),
	// motor-3's sensor silent for 3 minutes (firing, silenced by silence 1) and its level low
	// (firing, inhibited), fan-1's score above 1.4× just now (pending).
	observe := func(ago time.Duration, machine, line, sensor, state string, values map[string]float64) {
		a.Observe(alert.Observation{Time: Now.Add(-ago), Machine: machine, Line: line, Sensor: sensor, SensorState: state, Values: values})
	}
	for _, ago := range []time.Duration{28 * time.Second, 18 * time.Second, 0} {
		observe(ago, "pump-2", "line-a", "sim/1", "ok", map[string]float64{alert.MetricAnomalyScore: 1.43, alert.MetricLevelDBFS: -18.2})
	}
	for _, ago := range []time.Duration{4 * time.Minute, 3 * time.Minute, 2 * time.Minute, 0} {
		observe(ago, "motor-3", "line-b", "sim/2", "silent", map[string]float64{alert.MetricLevelDBFS: -71})
	}
	observe(0, "fan-1", "line-a", "sim/0", "ok", map[string]float64{alert.MetricAnomalyScore: 1.45, alert.MetricLevelDBFS: -31})
	a.Wait(t, "the seeded alerts", func() bool {
		as, err := admin.Alerts(ctx, api.AlertFilter{})
		return err == nil && len(as) == 4
	})
	return a
}

// connect returns a client model of the appliance sized w×h: it connects as the client
// does (identity, health, machines, events, alerts from the appliance), then shows the
// fixture's two minutes of live updates (the plant's machines are still learning).
func connect(t *testing.T, c app.Client, target string, o app.Options, w, h int) app.Model {
	t.Helper()
	o.Client, o.Target, o.Now, o.Tick = c, target, func() time.Time { return Now }, -1
	m := app.New(o)
	m = feed(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	var connected *app.ConnectedMsg
	for _, msg := range exec(m.Init(), 5*time.Second) {
		if cm, ok := msg.(app.ConnectedMsg); ok {
			connected = &cm
		}
	}
	if connected == nil || connected.Err != nil {
		t.Fatalf("connecting to the appliance: %+v", connected)
	}
	fx := NewFixture()
	var live []api.Live
	for _, l := range append(fx.History, fx.Live...) {
		if slices.ContainsFunc(connected.Machines, func(mc api.Machine) bool { return mc.ID == l.MachineID }) {
			live = append(live, l)
		}
	}
	m = feed(t, m, *connected, app.LiveMsg{Updates: live})
	t.Cleanup(m.Close)
	return m
}

// serve starts the plant and returns a connected client model of it, as tech-anna (an
// operator) or, with role admin, local:root on the unix socket.
func serve(t *testing.T, role api.Role, w, h int) (app.Model, *apptest.Appliance) {
	t.Helper()
	a := plant(t)
	return as(t, a, role, w, h), a
}

// The targets the status bar shows.
const socketTarget, tlsTarget = "unix:/run/signalcraft/api.sock", "https://appliance:8443"

// as returns a client model of a as a caller of the role: tech-anna (operator), wall-display
// (viewer), or local:root on the unix socket (admin). The status bar names the appliance
// as the client's user would (the test appliance's port and socket path change every run).
func as(t *testing.T, a *apptest.Appliance, role api.Role, w, h int) app.Model {
	t.Helper()
	switch role {
	case api.RoleAdmin:
		return connect(t, a.Admin(t), socketTarget, app.Options{}, w, h)
	case api.RoleViewer:
		return connect(t, a.ClientAs(t, "wall-display", role), tlsTarget, app.Options{}, w, h)
	}
	return connect(t, a.ClientAs(t, "tech-anna", role), tlsTarget, app.Options{}, w, h)
}

// stored reads what the appliance has now through get (an admin's client) and fails the
// test when it cannot.
func stored[T any](t *testing.T, a *apptest.Appliance, get func(*api.Client, context.Context) (T, error)) T {
	t.Helper()
	v, err := get(a.Admin(t), context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// event reads an event back from the appliance.
func event(t *testing.T, a *apptest.Appliance, id int64) api.Event {
	t.Helper()
	return stored(t, a, func(c *api.Client, ctx context.Context) (api.Event, error) { return c.Event(ctx, id) })
}

// machine reads a machine's configuration back from the appliance.
func machine(t *testing.T, a *apptest.Appliance, id string) api.Machine {
	t.Helper()
	return stored(t, a, func(c *api.Client, ctx context.Context) (api.Machine, error) { return c.Machine(ctx, id) })
}

// audits returns the appliance's audit entries of the action, newest first.
func audits(t *testing.T, a *apptest.Appliance, action string) []api.AuditEntry {
	t.Helper()
	return stored(t, a, func(c *api.Client, ctx context.Context) ([]api.AuditEntry, error) {
		return c.Audit(ctx, api.AuditFilter{Action: action})
	})
}

// alertOf reads the alert of the rule on the machine back from the appliance.
func alertOf(t *testing.T, a *apptest.Appliance, rule, machine string) api.Alert {
	t.Helper()
	as := stored(t, a, func(c *api.Client, ctx context.Context) ([]api.Alert, error) {
		return c.Alerts(ctx, api.AlertFilter{Machine: machine})
	})
	for _, al := range as {
		if al.Rule == rule {
			return al
		}
	}
	t.Fatalf("the appliance has no %s alert on %s: %+v", rule, machine, as)
	return api.Alert{}
}

// silences reads the silences back from the appliance.
func silences(t *testing.T, a *apptest.Appliance) []api.Silence {
	t.Helper()
	return stored(t, a, (*api.Client).Silences)
}

// silence reads a silence back from the appliance.
func silence(t *testing.T, a *apptest.Appliance, id string) api.Silence {
	t.Helper()
	ss := silences(t, a)
	i := slices.IndexFunc(ss, func(s api.Silence) bool { return s.ID == id })
	if i < 0 {
		t.Fatalf("the appliance has no silence %s: %+v", id, ss)
	}
	return ss[i]
}

// deadJob gives the appliance a dead job (a training job for a machine it does not have)
// and returns its id.
func deadJob(t *testing.T, a *apptest.Appliance) int64 {
	t.Helper()
	ctx := context.Background()
	q, err := jobs.New(a.DB(), jobs.Options{Now: a.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := q.Enqueue(ctx, jobs.Job{Kind: "train", Payload: []byte(`{"machine":"press-9"}`)})
	if err != nil {
		t.Fatal(err)
	}
	a.Wait(t, "the dead job", func() bool {
		// Not every 10 ms: reading the queue that often keeps its dispatcher from the job.
		time.Sleep(100 * time.Millisecond)
		js, err := a.Admin(t).Jobs(ctx, "train", "")
		return err == nil && len(js.Recent) == 1 && js.Recent[0].State == "dead"
	})
	return id
}
