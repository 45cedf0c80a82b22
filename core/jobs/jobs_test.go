package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Minute}
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		r       float64
		want    time.Duration
	}{
		{"first", b, 1, 0.7, time.Second},
		{"second", b, 2, 0.7, 2 * time.Second},
		{"sixth", b, 6, 0, 32 * time.Second},
		{"capped", b, 7, 0, time.Minute},
		{"far past the cap", b, 500, 0, time.Minute},
		{"attempt 0 is the first", b, 0, 0, time.Second},
		{"jitter 0 draw", Backoff{time.Second, time.Minute, 0.5}, 3, 0, 4 * time.Second},
		{"jitter half draw", Backoff{time.Second, time.Minute, 0.5}, 3, 0.5, 3 * time.Second},
		{"jitter on the cap", Backoff{time.Second, time.Minute, 0.2}, 9, 0.5, 54 * time.Second},
		{"full jitter", Backoff{time.Second, time.Minute, 1}, 2, 0.25, 1500 * time.Millisecond},
		{"draw above 1 clamped", Backoff{time.Second, time.Minute, 0.5}, 1, 7, 500 * time.Millisecond},
		{"zero base", Backoff{0, time.Minute, 0.5}, 1000, 0.3, 0},
		{"huge max does not overflow", Backoff{time.Second, math.MaxInt64, 0}, 200, 0, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Delay(tt.attempt, tt.r); got != tt.want {
				t.Errorf("%+v.Delay(%d, %v) = %v, want %v", tt.b, tt.attempt, tt.r, got, tt.want)
			}
		})
	}
}

// TestBackoffJitterBounds checks that every draw lands in ((1-J)·d, d] and
// that the draws spread over that range.
func TestBackoffJitterBounds(t *testing.T) {
	for _, jitter := range []float64{0, 0.1, 0.5, 1} {
		b := Backoff{Base: 100 * time.Millisecond, Max: 30 * time.Second, Jitter: jitter}
		for attempt := 1; attempt <= 12; attempt++ {
			d := min(b.Base<<(attempt-1), b.Max)
			lo, hi := time.Duration(float64(d)*(1-jitter)), d
			minSeen, maxSeen := time.Duration(math.MaxInt64), time.Duration(0)
			for i := range 1000 {
				r := float64(i) / 1000 // [0, 1)
				got := b.Delay(attempt, r)
				if got > hi || got < lo || (jitter > 0 && got == lo && lo > 0) {
					t.Fatalf("jitter %v attempt %d r %v: delay %v outside (%v, %v]", jitter, attempt, r, got, lo, hi)
				}
				minSeen, maxSeen = min(minSeen, got), max(maxSeen, got)
			}
			if spread := maxSeen - minSeen; float64(spread) < 0.99*float64(hi-lo) {
				t.Errorf("jitter %v attempt %d: draws span %v, want about %v", jitter, attempt, spread, hi-lo)
			}
		}
	}
}

func TestWorkerConfigDefaults(t *testing.T) {
	c, err := WorkerConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := WorkerConfig{Concurrency: DefaultConcurrency, Lease: DefaultLease, MaxAttempts: DefaultMaxAttempts,
		Backoff: Backoff{Base: DefaultBackoffBase, Max: DefaultBackoffMax, Jitter: DefaultBackoffJitter}}
	if c != want {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
	bad := []WorkerConfig{
		{Concurrency: -1},
		{Lease: -time.Second},
		{MaxAttempts: -2},
		{Backoff: Backoff{Base: time.Minute, Max: time.Second}},
		{Backoff: Backoff{Base: time.Second, Max: time.Minute, Jitter: 1.5}},
		{Backoff: Backoff{Base: time.Second, Max: time.Minute, Jitter: math.NaN()}},
	}
	for _, c := range bad {
		if _, err := c.withDefaults(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", c, err)
		}
	}
}

func TestEnqueueIdempotent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id1, created, err := h.q.Enqueue(ctx, Job{Kind: "notify", Key: "event-7/slack", Payload: []byte("a")})
	if err != nil || !created {
		t.Fatalf("first enqueue: %d %v %v", id1, created, err)
	}
	// Same kind and key: the existing job, unchanged.
	id2, created, err := h.q.Enqueue(ctx, Job{Kind: "notify", Key: "event-7/slack", Payload: []byte("b"), Priority: 9})
	if err != nil || created || id2 != id1 {
		t.Fatalf("second enqueue = %d %v %v, want %d false nil", id2, created, err, id1)
	}
	if j := h.job(id1); string(j.Payload) != "a" || j.Priority != 0 {
		t.Errorf("existing job changed: %+v", j)
	}
	// Other kind, same key; and no key: new jobs every time.
	for i, j := range []Job{{Kind: "upload", Key: "event-7/slack"}, {Kind: "notify"}, {Kind: "notify"}} {
		id, created, err := h.q.Enqueue(ctx, j)
		if err != nil || !created || id == id1 {
			t.Errorf("enqueue %d (%+v) = %d %v %v, want a new job", i, j, id, created, err)
		}
	}
	// Still unique once the job is finished.
	if err := h.q.Cancel(ctx, id1); err != nil {
		t.Fatal(err)
	}
	if id, created, err := h.q.Enqueue(ctx, Job{Kind: "notify", Key: "event-7/slack"}); id != id1 || created || err != nil {
		t.Errorf("enqueue after cancel = %d %v %v, want %d false nil", id, created, err, id1)
	}
	for _, j := range []Job{{}, {Kind: "notify", MaxAttempts: -1}} {
		if _, _, err := h.q.Enqueue(ctx, j); !errors.Is(err, ErrInvalid) {
			t.Errorf("Enqueue(%+v) err = %v, want ErrInvalid", j, err)
		}
	}
}

func TestEnqueueFields(t *testing.T) {
	h := newHarness(t)
	runAt := t0.Add(90 * time.Second)
	id := h.enqueue(Job{Kind: "k", Key: "x", Priority: -3, RunAt: runAt, Payload: []byte{0, 1, 2}, MaxAttempts: 4})
	j := h.job(id)
	want := Job{ID: id, Kind: "k", Key: "x", Priority: -3, RunAt: runAt, Payload: []byte{0, 1, 2}, MaxAttempts: 4,
		State: StateQueued, CreatedAt: t0, UpdatedAt: t0}
	if fmt.Sprint(j) != fmt.Sprint(want) {
		t.Errorf("Get = %+v\nwant  %+v", j, want)
	}
	if j := h.job(h.enqueue(Job{Kind: "k"})); !j.RunAt.Equal(t0) || j.Payload != nil {
		t.Errorf("zero RunAt/Payload: %+v", j)
	}
	if _, err := h.q.Get(context.Background(), 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(999) err = %v, want ErrNotFound", err)
	}
}

func TestEnqueueTx(t *testing.T) {
	h := newHarness(t)
	g := h.gate(false)
	h.q.Handle("k", g.handle, WorkerConfig{})
	h.run()
	ctx := context.Background()
	errRollback := errors.New("caller's change failed")
	var rolledBack int64
	err := h.db.Write(ctx, func(tx *sql.Tx) error {
		id, _, err := h.q.EnqueueTx(ctx, tx, Job{Kind: "k", Key: "rolled-back"})
		rolledBack = id
		if err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Write = %v", err)
	}
	if _, err := h.q.Get(ctx, rolledBack); !errors.Is(err, ErrNotFound) {
		t.Errorf("job of a rolled back transaction: err = %v, want ErrNotFound", err)
	}
	var id int64
	if err := h.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, _, err = h.q.EnqueueTx(ctx, tx, Job{Kind: "k", Key: "committed"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// No poll (an hour) and no Wake: the enqueue itself woke the worker.
	c := g.next(t)
	if c.ID != id || c.Attempt != 1 || c.State != StateRunning {
		t.Fatalf("handler got %+v, want job %d attempt 1 running", c.Job, id)
	}
	c.release <- nil
	h.waitState(id, StateDone)
	g.none(t)
}

// TestOutcome runs one attempt with each kind of handler result and checks
// the state, due time and error the job is left with.
func TestOutcome(t *testing.T) {
	backoff := Backoff{Base: 10 * time.Second, Max: time.Hour, Jitter: 0.5}
	firstDelay := backoff.Delay(1, jitterDraw) // 7.5 s
	tests := []struct {
		name        string
		result      error
		panics      bool
		maxAttempts int
		wantState   State
		wantDelay   time.Duration // run_at after the failure, from now
		wantErr     string
	}{
		{name: "success", result: nil, wantState: StateDone},
		{name: "error retried with backoff", result: errBoom, wantState: StateFailed, wantDelay: firstDelay, wantErr: "boom"},
		{name: "retry after", result: RetryAfter(errBoom, 42*time.Second), wantState: StateFailed, wantDelay: 42 * time.Second, wantErr: "boom (retry after 42s)"},
		{name: "wrapped retry after", result: fmt.Errorf("post: %w", RetryAfter(errBoom, time.Minute)), wantState: StateFailed, wantDelay: time.Minute, wantErr: "post: boom"},
		{name: "permanent", result: Permanent(errBoom), wantState: StateDead, wantErr: "permanent: boom"},
		{name: "wrapped permanent", result: fmt.Errorf("post: %w", Permanent(errBoom)), wantState: StateDead, wantErr: "post: permanent: boom"},
		{name: "last attempt", result: errBoom, maxAttempts: 1, wantState: StateDead, wantErr: "boom"},
		{name: "retry after on the last attempt", result: RetryAfter(errBoom, time.Second), maxAttempts: 1, wantState: StateDead, wantErr: "boom"},
		{name: "panic", panics: true, wantState: StateFailed, wantDelay: firstDelay, wantErr: "handler panicked: kaboom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.clk.Advance(5 * time.Second) // enqueued at t0, run at t0+5s
			var calls atomic.Int32
			h.q.Handle("k", func(ctx context.Context, j Job) error {
				calls.Add(1)
				if tt.panics {
					panic("kaboom")
				}
				return tt.result
			}, WorkerConfig{MaxAttempts: 3, Backoff: backoff})
			id, _, err := h.q.Enqueue(context.Background(), Job{Kind: "k", RunAt: t0, MaxAttempts: tt.maxAttempts})
			if err != nil {
				t.Fatal(err)
			}
			h.run()
			waitFor(t, "the job to leave running", func() bool {
				st := h.job(id).State
				return st != StateQueued && st != StateRunning
			})
			j := h.job(id)
			now := t0.Add(5 * time.Second)
			if j.State != tt.wantState || j.Attempt != 1 || calls.Load() != 1 {
				t.Fatalf("state %s attempt %d calls %d, want %s 1 1", j.State, j.Attempt, calls.Load(), tt.wantState)
			}
			if !strings.Contains(j.LastError, tt.wantErr) || (tt.wantErr == "") != (j.LastError == "") {
				t.Errorf("LastError = %q, want %q", j.LastError, tt.wantErr)
			}
			switch tt.wantState {
			case StateFailed:
				if got := j.RunAt.Sub(now); got != tt.wantDelay {
					t.Errorf("due %v after the failure, want %v", got, tt.wantDelay)
				}
				if !j.FinishedAt.IsZero() {
					t.Errorf("FinishedAt = %v for a failed job", j.FinishedAt)
				}
			case StateDone, StateDead:
				if !j.FinishedAt.Equal(now) || !j.RunAt.Equal(t0) {
					t.Errorf("FinishedAt %v RunAt %v, want %v and %v", j.FinishedAt, j.RunAt, now, t0)
				}
			}
		})
	}
}

// TestDeadLetterAfterMaxAttempts follows a job that always fails through its
// backoff to the dead letter, then retries it as an operator would.
func TestDeadLetterAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	backoff := Backoff{Base: 10 * time.Second, Max: time.Hour, Jitter: 0.5}
	var fail atomic.Bool
	fail.Store(true)
	var calls atomic.Int32
	h.q.Handle("k", func(ctx context.Context, j Job) error {
		calls.Add(1)
		if fail.Load() {
			return fmt.Errorf("attempt %d: %w", j.Attempt, errBoom)
		}
		return nil
	}, WorkerConfig{MaxAttempts: 4, Backoff: backoff})
	id := h.enqueue(Job{Kind: "k"})
	h.run()
	for attempt := 1; attempt <= 4; attempt++ {
		want := StateFailed
		if attempt == 4 {
			want = StateDead
		}
		j := h.waitJob(id, func(j Job) bool { return j.State == want && j.Attempt == attempt })
		if int(calls.Load()) != attempt {
			t.Fatalf("attempt %d: job attempt %d, %d calls", attempt, j.Attempt, calls.Load())
		}
		if want == StateDead {
			break
		}
		delay := backoff.Delay(attempt, jitterDraw)
		if got := j.RunAt.Sub(h.clk.Now()); got != delay {
			t.Fatalf("attempt %d: retry in %v, want %v", attempt, got, delay)
		}
		// One millisecond early: not claimed.
		h.clk.Advance(delay - time.Millisecond)
		h.settle()
		if j := h.job(id); j.State != StateFailed || int(calls.Load()) != attempt {
			t.Fatalf("attempt %d: claimed before its backoff ended: %+v", attempt, j)
		}
		h.clk.Advance(time.Millisecond)
		h.settle()
	}
	st := kindStats(t, h.q, "k")
	if st.Dead != 1 || st.LastError != "attempt 4: boom" || !st.LastErrorAt.Equal(h.clk.Now()) {
		t.Errorf("stats = %+v", st)
	}
	// Nothing more happens to a dead job.
	h.clk.Advance(24 * time.Hour)
	h.settle()
	if calls.Load() != 4 {
		t.Fatalf("dead job ran again: %d calls", calls.Load())
	}
	// The operator fixes the cause and retries it: a fresh set of attempts.
	fail.Store(false)
	if err := h.q.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if j := h.waitState(id, StateDone); j.Attempt != 1 || calls.Load() != 5 {
		t.Errorf("after Retry: attempt %d, %d calls", j.Attempt, calls.Load())
	}
	if err := h.q.Retry(context.Background(), id); !errors.Is(err, ErrConflict) {
		t.Errorf("Retry of a done job: %v, want ErrConflict", err)
	}
	if err := h.q.Retry(context.Background(), 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Retry(999): %v, want ErrNotFound", err)
	}
}

func TestCancelQueued(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var calls atomic.Int32
	h.q.Handle("k", func(context.Context, Job) error { calls.Add(1); return nil }, WorkerConfig{})
	cancelled := h.enqueue(Job{Kind: "k", Key: "a", RunAt: t0.Add(time.Minute)})
	kept := h.enqueue(Job{Kind: "k", Key: "b", RunAt: t0.Add(time.Minute)})
	if err := h.q.Cancel(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	if err := h.q.Cancel(ctx, cancelled); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
	h.run()
	h.clk.Advance(time.Minute)
	h.settle()
	h.waitState(kept, StateDone)
	if j := h.job(cancelled); j.State != StateCancelled || j.Attempt != 0 || !j.FinishedAt.Equal(t0) {
		t.Errorf("cancelled job: %+v", j)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
	if err := h.q.Cancel(ctx, kept); !errors.Is(err, ErrConflict) {
		t.Errorf("Cancel of a done job: %v, want ErrConflict", err)
	}
	if err := h.q.Cancel(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Cancel(999): %v, want ErrNotFound", err)
	}
	// A cancelled job can be brought back.
	if err := h.q.Retry(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	h.waitState(cancelled, StateDone)
}

// TestCancelRunning cancels jobs while their handlers run: one that honours
// its context and fails, one that ignores it and succeeds. Neither outcome
// is recorded and neither job runs again.
func TestCancelRunning(t *testing.T) {
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprintf("honours ctx %v", honour), func(t *testing.T) {
			h := newHarness(t)
			g := h.gate(honour)
			var sawCancel atomic.Bool
			h.q.Handle("k", func(ctx context.Context, j Job) error {
				err := g.handle(ctx, j)
				sawCancel.Store(ctx.Err() != nil)
				return err
			}, WorkerConfig{Backoff: Backoff{Base: time.Second, Max: time.Second}})
			id := h.enqueue(Job{Kind: "k"})
			h.run()
			c := g.next(t)
			if err := h.q.Cancel(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			if !honour {
				c.release <- nil // succeeds anyway
			}
			h.waitOutcomes("k", 1)
			if !sawCancel.Load() {
				t.Error("the handler's context was not cancelled")
			}
			h.clk.Advance(time.Hour)
			h.settle()
			g.none(t)
			if j := h.job(id); j.State != StateCancelled || j.Attempt != 1 {
				t.Errorf("job after cancel: %+v", j)
			}
		})
	}
}

func TestPriorityOrder(t *testing.T) {
	h := newHarness(t)
	var (
		mu    sync.Mutex
		order []string
	)
	h.q.Handle("k", func(_ context.Context, j Job) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, j.Key)
		return nil
	}, WorkerConfig{Concurrency: 1})
	sec := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// Enqueued in this order (ids ascending); the clock is at t0+10s.
	for _, j := range []Job{
		{Key: "low-old", Priority: 0, RunAt: sec(1)},
		{Key: "high-new", Priority: 5, RunAt: sec(9)},
		{Key: "low-older", Priority: 0, RunAt: sec(0)},
		{Key: "high-old", Priority: 5, RunAt: sec(2)},
		{Key: "future-top", Priority: 100, RunAt: sec(11)},
		{Key: "negative", Priority: -1, RunAt: sec(0)},
		{Key: "low-old-twin", Priority: 0, RunAt: sec(1)},
	} {
		j.Kind = "k"
		h.enqueue(j)
	}
	h.clk.Advance(10 * time.Second)
	h.run()
	want := []string{"high-old", "high-new", "low-older", "low-old", "low-old-twin", "negative"}
	waitFor(t, "six jobs", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == len(want) })
	h.settle()
	mu.Lock()
	got := strings.Join(order, " ")
	mu.Unlock()
	if got != strings.Join(want, " ") {
		t.Errorf("order %s\nwant  %s", got, strings.Join(want, " "))
	}
	// The future job runs once due, ahead of anything else.
	h.clk.Advance(time.Second)
	h.settle()
	waitFor(t, "the future job", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == len(want)+1 })
	mu.Lock()
	defer mu.Unlock()
	if order[len(order)-1] != "future-top" {
		t.Errorf("last = %s", order[len(order)-1])
	}
}

// TestConcurrencyLimit runs two kinds with limits 3 and 1 and counts the
// handler calls in flight.
func TestConcurrencyLimit(t *testing.T) {
	h := newHarness(t)
	limits := map[string]int{"wide": 3, "narrow": 1}
	const perKind = 10
	type kindState struct {
		cur, peak atomic.Int32
		g         *gate
	}
	ks := map[string]*kindState{}
	for kind, limit := range limits {
		s := &kindState{g: h.gate(false)}
		ks[kind] = s
		h.q.Handle(kind, func(ctx context.Context, j Job) error {
			n := s.cur.Add(1)
			for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
			}
			defer s.cur.Add(-1)
			return s.g.handle(ctx, j)
		}, WorkerConfig{Concurrency: limit})
		for i := range perKind {
			h.enqueue(Job{Kind: kind, Key: fmt.Sprint(i)})
		}
	}
	h.run()
	for kind, limit := range limits {
		s := ks[kind]
		for done := 0; done < perKind; {
			batch := min(limit, perKind-done)
			var calls []call
			for range batch {
				calls = append(calls, s.g.next(t))
			}
			// The previous round has been recorded.
			waitFor(t, "a round", func() bool { return kindStats(t, h.q, kind).Done == int64(done) })
			// With every slot busy, a further pass claims nothing.
			h.settle()
			s.g.none(t)
			if st := kindStats(t, h.q, kind); st.Running != int64(batch) {
				t.Fatalf("%s: %d running, want %d", kind, st.Running, batch)
			}
			for _, c := range calls {
				c.release <- nil
			}
			done += batch
		}
		waitFor(t, kind+" done", func() bool { return kindStats(t, h.q, kind).Done == perKind })
		if p := s.peak.Load(); p != int32(limit) {
			t.Errorf("%s: peak concurrency %d, want %d", kind, p, limit)
		}
	}
}

// TestLeaseExpiryRedelivers: a handler that blocks past its lease loses the
// job to another worker (at-least-once delivery); its late result is ignored.
func TestLeaseExpiryRedelivers(t *testing.T) {
	h := newHarness(t)
	g := h.gate(false) // ignores its context, like a hung handler
	var (
		mu   sync.Mutex
		ctxs []context.Context
	)
	lease := time.Minute
	backoff := Backoff{Base: time.Second, Max: time.Second}
	h.q.Handle("k", func(ctx context.Context, j Job) error {
		mu.Lock()
		ctxs = append(ctxs, ctx)
		mu.Unlock()
		return g.handle(ctx, j)
	}, WorkerConfig{Concurrency: 2, Lease: lease, MaxAttempts: 5, Backoff: backoff})
	id := h.enqueue(Job{Kind: "k"})
	h.run()
	first := g.next(t)
	if first.Attempt != 1 {
		t.Fatalf("first delivery attempt %d", first.Attempt)
	}
	// Within the lease: nobody else takes it.
	h.clk.Advance(lease - time.Millisecond)
	h.settle()
	g.none(t)
	// Lease gone: a failed attempt, retried after the backoff by the free worker.
	h.clk.Advance(time.Millisecond)
	h.settle()
	j := h.job(id)
	if j.State != StateFailed || !strings.Contains(j.LastError, "lease expired") || !j.RunAt.Equal(h.clk.Now().Add(time.Second)) {
		t.Fatalf("after the lease expired: %+v", j)
	}
	mu.Lock()
	firstCtx := ctxs[0]
	mu.Unlock()
	if firstCtx.Err() == nil {
		t.Error("the expired handler's context was not cancelled")
	}
	h.clk.Advance(time.Second)
	h.settle()
	second := g.next(t)
	if second.Attempt != 2 {
		t.Fatalf("second delivery attempt %d", second.Attempt)
	}
	// The second delivery succeeds; then the first one returns an error late.
	second.release <- nil
	h.waitState(id, StateDone)
	first.release <- errBoom
	h.waitOutcomes("k", 2)
	if j := h.job(id); j.State != StateDone || j.Attempt != 2 || j.LastError != "lease expired (worker hung, or its process died)" {
		t.Errorf("the stale result changed the job: %+v", j)
	}
}

// TestLateSuccessCounts: a handler that finishes after its lease expired,
// before anyone else claimed the job, completes it.
func TestLateSuccessCounts(t *testing.T) {
	h := newHarness(t)
	g := h.gate(false)
	h.q.Handle("k", g.handle, WorkerConfig{Concurrency: 1, Lease: time.Minute, MaxAttempts: 1})
	id := h.enqueue(Job{Kind: "k"})
	h.run()
	c := g.next(t)
	h.clk.Advance(time.Minute)
	// The only slot is busy, so no pass reaps; Stats still shows it running.
	h.settle()
	c.release <- nil
	if j := h.waitState(id, StateDone); j.Attempt != 1 {
		t.Errorf("job: %+v", j)
	}
}

// TestNewExpiresPreviousLeases: a second Queue (the next process) takes over
// the jobs the first one was running without waiting for their leases.
func TestNewExpiresPreviousLeases(t *testing.T) {
	db := openDB(t)
	clk := &fakeClock{t: t0}
	a := newHarnessOn(t, db, clk)
	ga := a.gate(false)
	a.q.Handle("k", ga.handle, WorkerConfig{Lease: time.Hour})
	id := a.enqueue(Job{Kind: "k"})
	a.run()
	stale := ga.next(t)
	// The first process is "dead" (its handler never returns in time); the
	// next one starts.
	b := newHarnessOn(t, db, clk)
	gb := b.gate(false)
	b.q.Handle("k", gb.handle, WorkerConfig{Lease: time.Hour, Backoff: Backoff{Base: time.Second, Max: time.Second}})
	b.run()
	b.settle()
	if j := b.job(id); j.State != StateFailed || j.Attempt != 1 || !strings.Contains(j.LastError, "lease expired") {
		t.Fatalf("job after restart: %+v", j)
	}
	clk.Advance(time.Second)
	b.settle()
	c := gb.next(t)
	if c.ID != id || c.Attempt != 2 {
		t.Fatalf("redelivered %+v", c.Job)
	}
	c.release <- nil
	b.waitState(id, StateDone)
	stale.release <- errBoom // the old process's result arrives late: ignored
	a.stop()
	if j := b.job(id); j.State != StateDone || j.LastError != "lease expired (worker hung, or its process died)" {
		t.Errorf("stale result recorded: %+v", j)
	}
}

// TestShutdown: when Run's context ends, running handlers are cancelled; a
// job that fails because of it goes back to queued without using an
// attempt, one that completes is done.
func TestShutdown(t *testing.T) {
	h := newHarness(t)
	stuck := h.gate(true)
	stuckReturned := make(chan struct{})
	quick := h.gate(false)
	h.q.Handle("stuck", func(ctx context.Context, j Job) error {
		defer close(stuckReturned)
		return stuck.handle(ctx, j)
	}, WorkerConfig{})
	h.q.Handle("quick", func(ctx context.Context, j Job) error {
		err := quick.handle(ctx, j)
		if ctx.Err() == nil {
			return errors.New("context not cancelled at shutdown")
		}
		return err
	}, WorkerConfig{})
	s := h.enqueue(Job{Kind: "stuck", MaxAttempts: 1})
	q := h.enqueue(Job{Kind: "quick"})
	h.run()
	stuck.next(t)
	qc := quick.next(t)
	h.cancel()
	select {
	case <-stuckReturned:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck handler's context was not cancelled")
	}
	qc.release <- nil
	h.stop()
	if j := h.job(s); j.State != StateQueued || j.Attempt != 0 {
		t.Errorf("stuck job after shutdown: %+v", j)
	}
	if j := h.job(q); j.State != StateDone {
		t.Errorf("quick job after shutdown: %+v", j)
	}
}

func TestRunAndHandleMisuse(t *testing.T) {
	h := newHarness(t)
	if err := h.q.Run(context.Background()); !errors.Is(err, ErrInvalid) {
		t.Errorf("Run without handlers: %v, want ErrInvalid", err)
	}
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	ok := func(context.Context, Job) error { return nil }
	mustPanic("empty kind", func() { h.q.Handle("", ok, WorkerConfig{}) })
	mustPanic("nil handler", func() { h.q.Handle("k", nil, WorkerConfig{}) })
	mustPanic("bad config", func() { h.q.Handle("k", ok, WorkerConfig{Concurrency: -1}) })
	h.q.Handle("k", ok, WorkerConfig{})
	mustPanic("duplicate", func() { h.q.Handle("k", ok, WorkerConfig{}) })
	h.run()
	h.settle()
	if err := h.q.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	mustPanic("Handle while running", func() { h.q.Handle("other", ok, WorkerConfig{}) })
	if _, err := New(nil, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("New(nil): %v", err)
	}
}

func kindStats(t testing.TB, q *Queue, kind string) KindStats {
	t.Helper()
	all, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Kind == kind {
			return s
		}
	}
	return KindStats{Kind: kind}
}

func TestStatsListPrune(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.q.Handle("a", func(_ context.Context, j Job) error {
		switch string(j.Payload) {
		case "fail":
			return errBoom
		case "dead":
			return Permanent(errors.New("bad address"))
		}
		return nil
	}, WorkerConfig{Backoff: Backoff{Base: time.Hour, Max: time.Hour}})
	h.q.Handle("idle", func(context.Context, Job) error { return nil }, WorkerConfig{})
	done := h.enqueue(Job{Kind: "a", Payload: []byte("ok")})
	failed := h.enqueue(Job{Kind: "a", Payload: []byte("fail")})
	dead := h.enqueue(Job{Kind: "a", Payload: []byte("dead"), RunAt: t0.Add(time.Second)})
	cancelled := h.enqueue(Job{Kind: "a", Key: "c", RunAt: t0.Add(time.Hour)})
	if err := h.q.Cancel(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	h.run()
	h.waitState(done, StateDone)
	h.waitState(failed, StateFailed)
	h.clk.Advance(time.Second)
	h.settle()
	h.waitState(dead, StateDead)
	// Jobs of a kind nobody handles here: due 30 s and 10 s ago, and future.
	h.clk.Advance(59 * time.Second)
	h.enqueue(Job{Kind: "b", RunAt: t0.Add(30 * time.Second)})
	h.enqueue(Job{Kind: "b", RunAt: t0.Add(50 * time.Second)})
	h.enqueue(Job{Kind: "b", RunAt: t0.Add(time.Hour)})

	all, err := h.q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []KindStats{
		// The dead job failed last.
		{Kind: "a", Failed: 1, Dead: 1, Done: 1, Cancelled: 1, LastError: "permanent: bad address", LastErrorAt: t0.Add(time.Second)},
		{Kind: "b", Queued: 3, OldestReady: 30 * time.Second},
		{Kind: "idle"},
	}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("Stats =\n%+v\nwant\n%+v", all, want)
	}

	list := func(f Filter) []int64 {
		t.Helper()
		js, err := h.q.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, j := range js {
			ids = append(ids, j.ID)
		}
		return ids
	}
	if got := list(Filter{Kind: "a"}); fmt.Sprint(got) != fmt.Sprint([]int64{cancelled, dead, failed, done}) {
		t.Errorf("List(a) = %v", got)
	}
	if got := list(Filter{State: StateDead}); fmt.Sprint(got) != fmt.Sprint([]int64{dead}) {
		t.Errorf("List(dead) = %v", got)
	}
	if got := list(Filter{Limit: 2}); len(got) != 2 || got[0] <= got[1] {
		t.Errorf("List(limit 2) = %v", got)
	}
	for _, f := range []Filter{{State: "bogus"}, {Limit: -1}} {
		if _, err := h.q.List(ctx, f); !errors.Is(err, ErrInvalid) {
			t.Errorf("List(%+v): %v, want ErrInvalid", f, err)
		}
	}

	// Done and cancelled jobs finished at t0; dead ones stay.
	if n, err := h.q.Prune(ctx, t0); err != nil || n != 0 {
		t.Fatalf("Prune(t0) = %d, %v; nothing finished before t0", n, err)
	}
	if n, err := h.q.Prune(ctx, t0.Add(time.Millisecond)); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v, want 2", n, err)
	}
	if got := list(Filter{Kind: "a"}); fmt.Sprint(got) != fmt.Sprint([]int64{dead, failed}) {
		t.Errorf("after Prune: %v", got)
	}
	// The pruned key is free again.
	if _, created, err := h.q.Enqueue(ctx, Job{Kind: "a", Key: "c", RunAt: t0.Add(time.Hour)}); err != nil || !created {
		t.Errorf("enqueue of a pruned key: created %v, %v", created, err)
	}
}
