package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// t0 is the epoch of the fake clock.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeDaemon is an in-memory stand-in for the daemon behind Deps.
type fakeDaemon struct {
	mu        sync.Mutex
	machines  []wire.Machine
	live      map[string]wire.Live
	subs      map[int]func(wire.Live)
	next      int
	relearned []string
	retrained []string
	devices   []wire.Device
	// devicesPanic, when set, makes Devices panic with it (error tracking tests).
	devicesPanic any
}

func newFakeDaemon() *fakeDaemon {
	det := wire.Detection{Model: "mahalanobis", Learning: "10m0s", Quantile: 0.99, Smoothing: 3}
	f := &fakeDaemon{
		machines: []wire.Machine{
			{ID: "pump-1", Name: "Coolant pump", Kind: "pump", Line: "A", Sensor: wire.SensorBinding{Source: "mic", Channel: 0}, Detection: det},
			{ID: "fan-2", Name: "Exhaust fan", Kind: "fan", Line: "A", Sensor: wire.SensorBinding{Source: "mic", Channel: 1}, Detection: det},
		},
		live:    map[string]wire.Live{},
		subs:    map[int]func(wire.Live){},
		devices: []wire.Device{{Name: "USB Mic: Audio (hw:1,0)", HostAPI: "ALSA", MaxInputChannels: 2, DefaultSampleRate: 48000, SupportedRates: []int{16000, 48000}}},
	}
	f.live["pump-1"] = wire.Live{MachineID: "pump-1", Time: t0, State: wire.StateMonitoring, Progress: 1, Sensor: wire.SensorOK, Threshold: 8}
	f.live["fan-2"] = wire.Live{MachineID: "fan-2", Time: t0, State: wire.StateLearning, Progress: 0.25, Sensor: wire.SensorOK}
	return f
}

func (f *fakeDaemon) deps(db *store.DB) Deps {
	return Deps{
		DB: db,
		Live: func() []wire.Live {
			f.mu.Lock()
			defer f.mu.Unlock()
			var out []wire.Live
			for _, m := range f.machines {
				out = append(out, f.live[m.ID])
			}
			return out
		},
		Subscribe: func(fn func(wire.Live)) func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			id := f.next
			f.next++
			f.subs[id] = fn
			return func() {
				f.mu.Lock()
				defer f.mu.Unlock()
				delete(f.subs, id)
			}
		},
		Machines: func() []wire.Machine {
			f.mu.Lock()
			defer f.mu.Unlock()
			return append([]wire.Machine(nil), f.machines...)
		},
		UpdateMachine: func(_ context.Context, m wire.Machine) (wire.Machine, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			for i := range f.machines {
				if f.machines[i].ID == m.ID {
					if m.Sensor.Source != "mic" {
						return wire.Machine{}, &wire.Error{Code: wire.CodeInvalid, Message: "invalid configuration",
							Fields: []wire.FieldError{{Field: "sensor.source", Message: "no source has this id"}}}
					}
					f.machines[i] = m
					return m, nil
				}
			}
			return wire.Machine{}, store.ErrNotFound
		},
		Relearn: func(_ context.Context, machine, note string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.relearned = append(f.relearned, machine+":"+note)
			return nil
		},
		Retrain: func(_ context.Context, machine, reason string) (int64, bool, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.retrained = append(f.retrained, machine+":"+reason)
			return int64(len(f.retrained)), len(f.retrained) == 1, nil
		},
		Devices: func(context.Context) ([]wire.Device, error) {
			if f.devicesPanic != nil {
				panic(f.devicesPanic)
			}
			return f.devices, nil
		},
	}
}

// publish sends an update to the server like the daemon's analysis loop.
func (f *fakeDaemon) publish(l wire.Live) {
	f.mu.Lock()
	f.live[l.MachineID] = l
	subs := make([]func(wire.Live), 0, len(f.subs))
	for _, s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		s(l)
	}
}

// env is a server on a loopback httptest server with one token per role.
type env struct {
	t    testing.TB
	db   *store.DB
	clk  *fakeClock
	fake *fakeDaemon
	// alerting serves the alerting routes.
	alerting *fakeAlerting
	srv      *Server
	ts       *httptest.Server
	tokens   map[wire.Role]string // role → secret
	event    int64                // an open event of pump-1
	clip     int64                // the clip of event, a WAV file under clipsDir
	clipsDir string
	// streams counts requests for the live stream.
	streams atomic.Int64
}

func newEnv(t testing.TB, o Options) *env {
	t.Helper()
	ctx := context.Background()
	clk := &fakeClock{t: t0}
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "signalcraft.db"), store.WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fake := newFakeDaemon()
	for _, m := range fake.machines {
		if err := db.UpsertMachine(ctx, store.Machine{ID: m.ID, Name: m.Name, Kind: m.Kind}); err != nil {
			t.Fatal(err)
		}
		if err := db.UpsertSensor(ctx, store.Sensor{ID: "mic/" + m.ID, MachineID: m.ID, Device: "USB Mic", Channel: m.Sensor.Channel, SampleRate: 16000, State: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := db.OpenEvent(ctx, store.Event{MachineID: "pump-1", Start: t0.Add(-time.Minute), PeakScore: 12, Threshold: 8, Snapshot: []byte(`{"level_dbfs":-20}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveModel(ctx, "pump-1", "mahalanobis", 8, []byte{1, 2, 3}, "first"); err != nil {
		t.Fatal(err)
	}
	if o.Now == nil {
		o.Now = clk.Now
	}
	alerting := newFakeAlerting(db, clk.Now)
	deps := fake.deps(db)
	deps.Alerting = alerting
	deps.ClipsDir = t.TempDir()
	clip := addTestClip(t, db, deps.ClipsDir, ev, "pump-1", t0.Add(-time.Minute))
	deps.Reports = newEnvReports(t, db, clk.Now)
	srv, err := NewServer(deps, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &env{t: t, db: db, clk: clk, fake: fake, alerting: alerting, srv: srv, tokens: map[wire.Role]string{}, event: ev,
		clip: clip, clipsDir: deps.ClipsDir}
	for _, r := range wire.Roles {
		c, err := createToken(ctx, db, string(r)+"-token", r, time.Time{}, clk.Now(), "local:test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = c.Secret
	}
	h := srv.Handler()
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wire.PathLive {
			e.streams.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.ts.Close)
	return e
}

func (e *env) client(role wire.Role, opts ...wire.ClientOption) *wire.Client {
	e.t.Helper()
	if role != "" {
		opts = append(opts, wire.WithToken(e.tokens[role]))
	}
	c, err := wire.NewClient(e.ts.URL, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}
