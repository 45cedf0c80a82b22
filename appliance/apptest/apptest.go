// Package apptest runs the real appliance in-process, for the clients' tests and their
// screenshot tools: the daemon of appliance/daemon with its API, SQLite store, alert engine,
// job queue and report service, on a temporary data directory, listening on a unix socket
// and on TLS at 127.0.0.1. Its sources are the configuration's simulators, paced by a
// manual Clock, so nothing is heard until the test advances the clock, and every answer a
// client gets is the appliance's own: there is no second implementation of the API to keep
// in step with the first.
//
// It links SQLite and PortAudio, so only tests and tools import it, never a client's binary
// (the clients' deps tests check that).
package apptest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/daemon"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// T is what the appliance needs of its caller: a *testing.T or *testing.B, or a command's
// own (see cmd/demo-appliance).
type T interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Epoch is where the clock starts unless Options.Start says otherwise.
var Epoch = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

// Options configure Start. The zero value runs the demo plant at Epoch.
type Options struct {
	// Start is the clock's time when the appliance starts; zero: Epoch.
	Start time.Time
	// Config is the appliance's configuration file; nil: the demo's (config.DemoYAML: three
	// simulated machines, fan-1, pump-2 and motor-3, where the pump develops a bearing fault
	// 50 s into its recording). Start sets data_dir, database, api and metrics itself.
	Config []byte
	// Edit, if set, changes the parsed configuration before the appliance starts.
	Edit func(*config.Config)
}

// Appliance is a running appliance. Start stops it when the test ends.
type Appliance struct {
	Clock *Clock
	Main  *daemon.Main
	// Dir is the data directory; Socket the API's unix socket (whoever connects is admin);
	// Addr the TLS listener's host:port, whose certificate has Fingerprint.
	Dir, Socket, Addr, Fingerprint string

	paced int // sources the clock paces (real-time simulators and recordings)

	mu     sync.Mutex
	tokens map[wire.Role]string
	admin  *wire.Client
}

// Start runs an appliance for the test and waits until its API answers.
func Start(t T, o Options) *Appliance {
	t.Helper()
	a, err := start(t, o)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	return a
}

func start(t T, o Options) (*Appliance, error) {
	if o.Start.IsZero() {
		o.Start = Epoch
	}
	if o.Config == nil {
		o.Config = config.DemoYAML()
	}
	cfg, err := config.Parse(o.Config)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	dir := t.TempDir()
	// A unix socket's path is limited to 108 bytes: t.TempDir's can be longer.
	sockDir, err := shortTempDir(t)
	if err != nil {
		return nil, err
	}
	cfg.DataDir, cfg.Database = dir, "signalcraft.db"
	cfg.API.Socket, cfg.API.Listen = filepath.Join(sockDir, "api.sock"), "127.0.0.1:0"
	cfg.Metrics.Listen = "127.0.0.1:0"
	if o.Edit != nil {
		o.Edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	a := &Appliance{Clock: NewClock(o.Start), Dir: dir, Socket: cfg.API.Socket, tokens: map[wire.Role]string{}}
	for _, s := range cfg.Sources {
		if s.Kind == config.KindPortAudio {
			return nil, fmt.Errorf("configuration: source %q is a microphone; the test appliance takes simulators and recordings", s.ID)
		}
		if s.Realtime != nil && *s.Realtime {
			a.paced++
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := daemon.New(ctx, cfg, daemon.Options{Now: a.Clock.Now, Clock: a.Clock, Version: "apptest"})
	if err != nil {
		cancel()
		return nil, err
	}
	a.Main = m
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("apptest: the appliance stopped with: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for a.Addr = m.APIAddr(); a.Addr == ""; a.Addr = m.APIAddr() {
		select {
		case err := <-done:
			done <- err
			return nil, fmt.Errorf("the appliance stopped before its API listened: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the API did not listen within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Every paced source takes the clock's time as its start when it first waits on it.
	for a.Clock.Sleepers() < a.paced {
		if time.Now().After(deadline) {
			return nil, errors.New("the sources did not start within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer fcancel()
	if a.Fingerprint, err = wire.FetchFingerprint(fctx, a.Addr); err != nil {
		return nil, fmt.Errorf("the API's certificate: %w", err)
	}
	return a, nil
}

// URL is the API's base URL over TLS (pin Fingerprint).
func (a *Appliance) URL() string { return "https://" + a.Addr }

// DB is the appliance's database: tests write a plant's past through it (events, clips,
// health records) as the appliance itself would have.
func (a *Appliance) DB() *store.DB { return a.Main.DB() }

// Observe hands an observation to the appliance's alert engine, as a machine's analysis
// does; its time is usually a.Clock.Now().
func (a *Appliance) Observe(o alert.Observation) { a.Main.Observe(o) }

// Step is how far Advance moves the clock at a time before the appliance catches up.
const Step = 250 * time.Millisecond

// Advance moves the clock by d in steps of Step. After each step it waits until every paced
// source has delivered its sound up to the clock and every machine has analysed it, so no
// sound is lost to a slow test machine and stream time never runs ahead of the analysis:
// what the appliance learns, scores, stores and alerts on is the same run after run
// (TestRunsAreRepeatable). Only what follows wall time differs: which window the latest
// live update shows, and when the job queue runs a job.
func (a *Appliance) Advance(t T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for d > 0 {
		s := min(d, Step)
		a.Clock.Advance(s)
		d -= s
		for a.Clock.Sleepers() < a.paced {
			if ctx.Err() != nil {
				t.Fatalf("apptest: the sources did not catch up with the clock within 60 s")
			}
			time.Sleep(100 * time.Microsecond)
		}
		if err := a.Main.Settle(ctx); err != nil {
			t.Fatalf("apptest: the machines did not catch up with the clock: %v", err)
		}
	}
}

// Admin returns the client on the unix socket, where every caller is admin. It is made
// once: a client per call would leave its idle connections open until the appliance's
// per-address limit refused new ones.
func (a *Appliance) Admin(t T) *wire.Client {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.admin == nil {
		c, err := wire.NewClient("", wire.WithUnixSocket(a.Socket))
		if err != nil {
			t.Fatalf("apptest: %v", err)
		}
		a.admin = c
	}
	return a.admin
}

// Token returns the secret of a token with the role, created through the API the first
// time a role is asked for (named apptest-<role>).
func (a *Appliance) Token(t T, role wire.Role) string {
	t.Helper()
	admin := a.Admin(t)
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.tokens[role]; ok {
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ct, err := admin.CreateToken(ctx, wire.CreateTokenRequest{Name: "apptest-" + string(role), Role: role})
	if err != nil {
		t.Fatalf("apptest: creating a %s token: %v", role, err)
	}
	a.tokens[role] = ct.Secret
	return ct.Secret
}

// Client returns a client over TLS (the certificate pinned) with a token of the role.
func (a *Appliance) Client(t T, role wire.Role, opts ...wire.ClientOption) *wire.Client {
	t.Helper()
	opts = append([]wire.ClientOption{wire.WithToken(a.Token(t, role)), wire.WithTLSFingerprint(a.Fingerprint)}, opts...)
	c, err := wire.NewClient(a.URL(), opts...)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	return c
}

// Wait polls cond every 10 ms until it holds, failing the test after 30 s with what.
func (a *Appliance) Wait(t T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("apptest: waited 30 s for %s", what)
		}
	}
}

// shortTempDir is a temporary directory under /tmp removed when the test ends.
func shortTempDir(t T) (string, error) {
	d, err := os.MkdirTemp("", "apptest")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d, nil
}
