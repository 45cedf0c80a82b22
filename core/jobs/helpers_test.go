package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"signalcraft/core/store"
)

// t0 is the epoch of the fake clocks in these tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a manually advanced clock, safe for concurrent use.
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

// openDB opens a fresh database in t.TempDir and closes it when the test ends.
func openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// harness is a Queue on a fresh database with a fake clock, a fixed jitter
// draw and no polling: workers move only on enqueues, finished handlers and
// settle, so every step of a test is deterministic.
type harness struct {
	t   *testing.T
	db  *store.DB
	clk *fakeClock
	q   *Queue

	mu       sync.Mutex
	passed   map[string]uint64 // kind → highest wakes count seen at the start of a finished pass
	outcomes map[string]int    // kind → handler outcomes written

	cancel context.CancelFunc
	done   chan error
	gates  []*gate
}

// jitterDraw is the fixed Rand of the harness.
const jitterDraw = 0.5

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, openDB(t), &fakeClock{t: t0})
}

func newHarnessOn(t *testing.T, db *store.DB, clk *fakeClock) *harness {
	t.Helper()
	q, err := New(db, Options{Now: clk.Now, Rand: func() float64 { return jitterDraw }, Poll: time.Hour})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h := &harness{t: t, db: db, clk: clk, q: q, passed: map[string]uint64{}, outcomes: map[string]int{}}
	q.onPass = func(kind string, wakes uint64, outcomes int) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if wakes >= h.passed[kind] {
			h.passed[kind] = wakes
		}
		h.outcomes[kind] += outcomes
	}
	return h
}

// run starts Run; the test's cleanup stops it and checks it returned nil.
func (h *harness) run() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.q.Run(ctx) }()
	h.t.Cleanup(func() { h.stop() })
}

// stop ends Run and waits for it (idempotent).
func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	for _, g := range h.gates {
		close(g.quit)
	}
	h.gates = nil
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return within 10 s of its context ending")
	}
	h.cancel = nil
}

// settle wakes the workers and waits until every kind's dispatcher has
// finished a pass that began after the wake-up, so anything due at the fake
// clock's time has been claimed (its handler may still be running).
func (h *harness) settle() {
	h.t.Helper()
	h.q.Wake()
	want := h.q.wakes.Load()
	h.q.mu.Lock()
	var kinds []string
	for k := range h.q.workers {
		kinds = append(kinds, k)
	}
	h.q.mu.Unlock()
	waitFor(h.t, "a dispatcher pass after Wake", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, k := range kinds {
			if h.passed[k] < want {
				return false
			}
		}
		return true
	})
}

// waitOutcomes waits until n handler outcomes of kind have been written.
func (h *harness) waitOutcomes(kind string, n int) {
	h.t.Helper()
	waitFor(h.t, fmt.Sprintf("%d outcomes of %s", n, kind), func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.outcomes[kind] >= n
	})
}

func (h *harness) enqueue(j Job) int64 {
	h.t.Helper()
	id, created, err := h.q.Enqueue(context.Background(), j)
	if err != nil || !created {
		h.t.Fatalf("Enqueue(%+v) = %d, %v, %v", j, id, created, err)
	}
	return id
}

func (h *harness) job(id int64) Job {
	h.t.Helper()
	j, err := h.q.Get(context.Background(), id)
	if err != nil {
		h.t.Fatalf("Get(%d): %v", id, err)
	}
	return j
}

// waitState waits until job id is in state st and returns it.
func (h *harness) waitState(id int64, st State) Job {
	h.t.Helper()
	return h.waitJob(id, func(j Job) bool { return j.State == st })
}

// waitJob waits until job id satisfies cond and returns it.
func (h *harness) waitJob(id int64, cond func(Job) bool) Job {
	h.t.Helper()
	var j Job
	waitFor(h.t, fmt.Sprintf("job %d to change", id), func() bool {
		j = h.job(id)
		return cond(j)
	})
	return j
}

// waitFor polls cond until it holds, failing the test after 10 s. It bounds
// waits for goroutines; no assertion depends on how long they took.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// gate is a handler that reports each call and blocks until the test
// releases that call (or its context ends, if honour is set) and returns
// the result it is given. Stopping the harness releases every call.
type gate struct {
	calls  chan call
	quit   chan struct{}
	honour bool
}

// call is one blocked handler call.
type call struct {
	Job
	release chan error
}

var errQuit = errors.New("test over")

func (h *harness) gate(honour bool) *gate {
	g := &gate{calls: make(chan call, 100), quit: make(chan struct{}), honour: honour}
	h.gates = append(h.gates, g)
	return g
}

func (g *gate) handle(ctx context.Context, j Job) error {
	c := call{Job: j, release: make(chan error, 1)}
	g.calls <- c
	var done <-chan struct{}
	if g.honour {
		done = ctx.Done()
	}
	select {
	case err := <-c.release:
		return err
	case <-done:
		return ctx.Err()
	case <-g.quit:
		return errQuit
	}
}

func (g *gate) next(t testing.TB) call {
	t.Helper()
	select {
	case c := <-g.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a handler call")
	}
	return call{}
}

func (g *gate) none(t testing.TB) {
	t.Helper()
	select {
	case c := <-g.calls:
		t.Fatalf("unexpected handler call for job %d (attempt %d)", c.ID, c.Attempt)
	default:
	}
}

var errBoom = errors.New("boom")
