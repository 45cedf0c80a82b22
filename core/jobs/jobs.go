package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Errors returned by this package that match one of them
// wrap it with context, so use errors.Is.
var (
	// ErrInvalid reports an argument the queue refuses (empty kind, negative
	// MaxAttempts, ...).
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound reports that no job has the id.
	ErrNotFound = errors.New("job not found")
	// ErrConflict reports an operation the job's state does not allow, such as
	// cancelling a done job or retrying a queued one.
	ErrConflict = errors.New("job state does not allow this")
	// ErrRunning reports a second concurrent call of Run.
	ErrRunning = errors.New("queue already running")
)

// State is where a job is in its life.
type State string

// The states of a job.
const (
	// StateQueued: waiting for its run_at or for a free worker.
	StateQueued State = "queued"
	// StateRunning: leased by a worker until its lease expires.
	StateRunning State = "running"
	// StateFailed: an attempt failed; it is retried at run_at.
	StateFailed State = "failed"
	// StateDone: a handler succeeded.
	StateDone State = "done"
	// StateDead: out of attempts, or a permanent error; waits for an operator.
	StateDead State = "dead"
	// StateCancelled: cancelled before it succeeded; never retried.
	StateCancelled State = "cancelled"
)

// Valid reports whether s is one of the states above.
func (s State) Valid() bool {
	switch s {
	case StateQueued, StateRunning, StateFailed, StateDone, StateDead, StateCancelled:
		return true
	}
	return false
}

// Job is one unit of work. Enqueue reads Kind, Key, Priority, RunAt, Payload
// and MaxAttempts; the queue sets the other fields.
type Job struct {
	ID   int64
	Kind string // selects the Handler; required
	// Key is the idempotency key: a second enqueue of the same Kind and Key
	// returns the existing job. Empty: no deduplication.
	Key      string
	Priority int       // higher runs first
	RunAt    time.Time // not before; zero: now
	Payload  []byte
	// Attempt counts the attempts started, this one included: 1 in the
	// handler on the first try.
	Attempt int
	// MaxAttempts bounds the attempts; 0 uses the WorkerConfig's.
	MaxAttempts int
	State       State
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time // zero unless done, dead or cancelled
}

// Handler does a job's work. A nil return marks the job done. Any other
// error is retried with backoff until the attempts run out; wrap it with
// Permanent to dead-letter the job at once, or with RetryAfter to choose the
// delay. ctx is cancelled when the job is cancelled, when its lease expires,
// and when Run's context ends. Delivery is at least once: a Handler must be
// idempotent.
type Handler func(ctx context.Context, j Job) error

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a 4xx answer, a malformed
// payload): the job is dead-lettered at once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %v)", e.err, e.d)
}
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks err as temporary and asks for the next attempt after d
// (an HTTP Retry-After) instead of the backoff. The attempt still counts
// against MaxAttempts. RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, d: max(d, 0)}
}

// Backoff is an exponential backoff with jitter: the delay after attempt n
// (1, 2, ...) is Base·2^(n-1), capped at Max, then reduced by a random
// fraction of up to Jitter of itself, so it lies in ((1-Jitter)·d, d].
// Jitter spreads out the retries of jobs that failed together (a
// notification service that was down for everyone).
type Backoff struct {
	Base   time.Duration
	Max    time.Duration
	Jitter float64 // 0 (none) to 1
}

// Defaults for zero WorkerConfig and Options fields. A zero Backoff is
// {DefaultBackoffBase, DefaultBackoffMax, DefaultBackoffJitter}.
const (
	DefaultConcurrency   = 1
	DefaultLease         = 5 * time.Minute
	DefaultMaxAttempts   = 8
	DefaultBackoffBase   = time.Second
	DefaultBackoffMax    = 10 * time.Minute
	DefaultBackoffJitter = 0.2
	DefaultPoll          = time.Second
)

// Delay returns the delay after attempt (1 for the first failure), with r
// in [0, 1) the random draw for the jitter.
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := b.Base
	for i := 1; i < attempt && d > 0 && d < b.Max; i++ {
		if d > b.Max/2 {
			d = b.Max
			break
		}
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 {
		r = min(max(r, 0), 1)
		d -= time.Duration(float64(d) * b.Jitter * r)
	}
	return max(d, 0)
}

// WorkerConfig configures the workers of one kind. Zero fields take the
// Default* constants.
type WorkerConfig struct {
	// Concurrency is how many jobs of the kind run at once in this process.
	Concurrency int
	// Lease is the visibility timeout: a job claimed longer ago is claimable
	// again (as a failed attempt). Choose it well above the handler's worst
	// case; its context is cancelled when it expires.
	Lease time.Duration
	// MaxAttempts bounds the attempts of jobs whose own MaxAttempts is 0.
	MaxAttempts int
	Backoff     Backoff
}

// withDefaults fills zero fields and checks the rest.
func (c WorkerConfig) withDefaults() (WorkerConfig, error) {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff == (Backoff{}) {
		c.Backoff = Backoff{Base: DefaultBackoffBase, Max: DefaultBackoffMax, Jitter: DefaultBackoffJitter}
	}
	if c.Backoff.Max == 0 {
		c.Backoff.Max = max(DefaultBackoffMax, c.Backoff.Base)
	}
	switch {
	case c.Concurrency < 0:
		return c, fmt.Errorf("concurrency %d < 0: %w", c.Concurrency, ErrInvalid)
	case c.Lease < 0:
		return c, fmt.Errorf("lease %v < 0: %w", c.Lease, ErrInvalid)
	case c.MaxAttempts < 0:
		return c, fmt.Errorf("max attempts %d < 0: %w", c.MaxAttempts, ErrInvalid)
	case c.Backoff.Base < 0 || c.Backoff.Max < c.Backoff.Base:
		return c, fmt.Errorf("backoff base %v, max %v: want 0 <= base <= max: %w", c.Backoff.Base, c.Backoff.Max, ErrInvalid)
	case !(c.Backoff.Jitter >= 0 && c.Backoff.Jitter <= 1):
		return c, fmt.Errorf("backoff jitter %v outside [0, 1]: %w", c.Backoff.Jitter, ErrInvalid)
	}
	return c, nil
}
