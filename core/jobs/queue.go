package jobs

import (
	"context"
	cryptorand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"signalcraft/core/store"
)

// Log attribute keys.
const (
	logKind    = "kind"
	logJob     = "job"
	logAttempt = "attempt"
	logErr     = "err"
	logState   = "state"
	logRetryIn = "retry_in"
)

// Options configures a Queue. Zero fields take defaults.
type Options struct {
	// Now is the clock for run_at, leases, backoff and timestamps. Default time.Now.
	Now func() time.Time
	// Logger receives failures, dead letters and recoveries. Default: discard.
	Logger *slog.Logger
	// Rand returns the jitter draws, in [0, 1). Default math/rand/v2.Float64.
	Rand func() float64
	// Poll is how often idle workers look for jobs that became due. Default
	// DefaultPoll.
	Poll time.Duration
}

// Queue is a durable job queue in a store.DB. It is safe for concurrent use.
type Queue struct {
	db    *store.DB
	now   func() time.Time
	log   *slog.Logger
	rand  func() float64
	poll  time.Duration
	owner string       // this Queue's lease owner id
	token atomic.Int64 // last claim token issued

	// wakes counts Wake calls; onPass, if set (tests), is called after every
	// pass of a dispatcher with the wakes count read before the pass and the
	// number of handler outcomes the pass wrote (or failed to).
	wakes  atomic.Uint64
	onPass func(kind string, wakes uint64, outcomes int)

	mu       sync.Mutex
	workers  map[string]*worker
	running  bool
	inflight map[claim]context.CancelFunc
}

// claim identifies one lease: a job claimed by an owner with a token.
type claim struct {
	id    int64
	token int64
}

// New returns a Queue on db. It expires at once every lease held by an
// earlier Queue (a previous process that crashed or was stopped): this is a
// single node, so their jobs can be claimed again by this Queue's workers.
// Use one Queue per database at a time.
func New(db *store.DB, opts Options) (*Queue, error) {
	if db == nil {
		return nil, fmt.Errorf("jobs: new: nil db: %w", ErrInvalid)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Poll == 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Poll < 0 {
		return nil, fmt.Errorf("jobs: new: poll %v < 0: %w", opts.Poll, ErrInvalid)
	}
	var id [8]byte
	if _, err := cryptorand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("jobs: new: owner id: %w", err)
	}
	q := &Queue{
		db: db, now: opts.Now, log: opts.Logger, rand: opts.Rand, poll: opts.Poll,
		owner:    hex.EncodeToString(id[:]),
		workers:  map[string]*worker{},
		inflight: map[claim]context.CancelFunc{},
	}
	now := q.nowMS()
	var expired int64
	err := db.Write(context.Background(), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE jobs SET lease_until_ms = ?
			WHERE state = 'running' AND lease_until_ms > ? AND lease_owner IS NOT ?`, now, now, q.owner)
		if err != nil {
			return err
		}
		expired, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: new: expire old leases: %w", err)
	}
	if expired > 0 {
		q.log.Warn("jobs: expired the leases of a previous run; their jobs will be retried", "jobs", expired)
	}
	return q, nil
}

func (q *Queue) nowMS() int64 { return q.now().UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// Enqueue adds j in its own transaction and returns its id. When j.Key is
// set and a job of the same kind and key exists, it returns that job's id
// and created = false and changes nothing. It returns once the job has
// committed.
func (q *Queue) Enqueue(ctx context.Context, j Job) (id int64, created bool, err error) {
	err = q.db.Write(ctx, func(tx *sql.Tx) error {
		id, created, err = q.insert(ctx, tx, j)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	if created {
		q.wake(j.Kind)
	}
	return id, created, nil
}

// EnqueueTx adds j inside tx, which must be a write transaction of the same
// store.DB (from DB.Write), so the job commits or rolls back with the
// caller's own changes. Workers are woken at once: their claim waits for the
// single writer connection, so it sees the job as soon as tx commits.
func (q *Queue) EnqueueTx(ctx context.Context, tx *sql.Tx, j Job) (id int64, created bool, err error) {
	id, created, err = q.insert(ctx, tx, j)
	if err != nil {
		return 0, false, err
	}
	if created {
		q.wake(j.Kind)
	}
	return id, created, nil
}

func (q *Queue) insert(ctx context.Context, tx *sql.Tx, j Job) (int64, bool, error) {
	switch {
	case j.Kind == "":
		return 0, false, fmt.Errorf("jobs: enqueue: empty kind: %w", ErrInvalid)
	case j.MaxAttempts < 0:
		return 0, false, fmt.Errorf("jobs: enqueue %s: max attempts %d < 0: %w", j.Kind, j.MaxAttempts, ErrInvalid)
	}
	now := q.nowMS()
	runAt := now
	if !j.RunAt.IsZero() {
		runAt = j.RunAt.UnixMilli()
	}
	var key sql.NullString
	if j.Key != "" {
		key = sql.NullString{String: j.Key, Valid: true}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO jobs
		(kind, key, priority, run_at_ms, payload, max_attempts, state, created_at_ms, updated_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)
		ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
		RETURNING id`,
		j.Kind, key, j.Priority, runAt, j.Payload, j.MaxAttempts, now, now).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) || !key.Valid {
		return 0, false, fmt.Errorf("jobs: enqueue %s: %w", j.Kind, err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT id FROM jobs WHERE kind = ? AND key = ?", j.Kind, key).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("jobs: enqueue %s: existing key %q: %w", j.Kind, j.Key, err)
	}
	return id, false, nil
}

// Wake makes idle workers look for due jobs now instead of at the next poll
// (after a fake clock moved in a test, or after a change the queue cannot
// see).
func (q *Queue) Wake() {
	q.wakes.Add(1)
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, w := range q.workers {
		w.signal()
	}
}

func (q *Queue) wake(kind string) {
	q.mu.Lock()
	w := q.workers[kind]
	q.mu.Unlock()
	if w != nil {
		w.signal()
	}
}

// Cancel stops job id: a queued, failed or dead job will not run; a running
// one has its handler's context cancelled (in this process) and its outcome
// is ignored. Cancelling a cancelled job does nothing; a done job gives
// ErrConflict.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	now := q.nowMS()
	var prev State
	err := q.db.Write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT state FROM jobs WHERE id = ?", id).Scan(&prev); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		switch prev {
		case StateCancelled:
			return nil
		case StateDone:
			return ErrConflict
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'cancelled', lease_until_ms = NULL,
			updated_at_ms = ?, finished_at_ms = ? WHERE id = ?`, now, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: cancel %d: %w", id, err)
	}
	if prev == StateRunning {
		q.mu.Lock()
		for c, cancel := range q.inflight {
			if c.id == id {
				cancel()
			}
		}
		q.mu.Unlock()
	}
	return nil
}

// Retry moves a dead or cancelled job back to queued, due now, with its
// attempts reset (an operator's action once the cause is fixed). Other
// states give ErrConflict.
func (q *Queue) Retry(ctx context.Context, id int64) error {
	now := q.nowMS()
	var kind string
	err := q.db.Write(ctx, func(tx *sql.Tx) error {
		var st State
		if err := tx.QueryRowContext(ctx, "SELECT kind, state FROM jobs WHERE id = ?", id).Scan(&kind, &st); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if st != StateDead && st != StateCancelled {
			return fmt.Errorf("%s: %w", st, ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', attempt = 0, run_at_ms = ?,
			lease_until_ms = NULL, finished_at_ms = NULL, updated_at_ms = ? WHERE id = ?`, now, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: retry %d: %w", id, err)
	}
	q.wake(kind)
	return nil
}

// Prune deletes the done and cancelled jobs that finished before before
// and returns how many. Dead jobs stay until an operator retries or cancels
// them. A pruned job's key can be enqueued again.
func (q *Queue) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := q.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM jobs
			WHERE state IN ('done', 'cancelled') AND finished_at_ms < ?`, before.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("jobs: prune: %w", err)
	}
	return n, nil
}

const jobColumns = `id, kind, key, priority, run_at_ms, payload, attempt, max_attempts, state,
	last_error, created_at_ms, updated_at_ms, finished_at_ms`

type scanner interface{ Scan(dest ...any) error }

func scanJob(s scanner) (Job, error) {
	var (
		j        Job
		key      sql.NullString
		runAt    int64
		created  int64
		updated  int64
		finished sql.NullInt64
	)
	if err := s.Scan(&j.ID, &j.Kind, &key, &j.Priority, &runAt, &j.Payload, &j.Attempt, &j.MaxAttempts,
		&j.State, &j.LastError, &created, &updated, &finished); err != nil {
		return Job{}, err
	}
	j.Key = key.String
	j.RunAt, j.CreatedAt, j.UpdatedAt, j.FinishedAt = fromMS(runAt), fromMS(created), fromMS(updated), nullMS(finished)
	return j, nil
}

// Get returns job id.
func (q *Queue) Get(ctx context.Context, id int64) (Job, error) {
	var j Job
	err := q.db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanJob(tx.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("jobs: get %d: %w", id, err)
	}
	return j, nil
}

// Filter selects jobs for List. Zero fields match everything.
type Filter struct {
	Kind  string
	State State
	// Limit bounds the result; 0 means DefaultListLimit.
	Limit int
}

// DefaultListLimit is the number of jobs List returns when Filter.Limit is 0.
const DefaultListLimit = 100

// List returns the jobs matching f, newest first.
func (q *Queue) List(ctx context.Context, f Filter) ([]Job, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, fmt.Errorf("jobs: list: state %q: %w", f.State, ErrInvalid)
	}
	if f.Limit < 0 {
		return nil, fmt.Errorf("jobs: list: limit %d < 0: %w", f.Limit, ErrInvalid)
	}
	if f.Limit == 0 {
		f.Limit = DefaultListLimit
	}
	var (
		where []string
		args  []any
	)
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	query := "SELECT " + jobColumns + " FROM jobs"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	var out []Job
	err := q.db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	return out, nil
}

// KindStats summarises the jobs of one kind.
type KindStats struct {
	Kind      string
	Queued    int64 // waiting, due or not
	Running   int64
	Failed    int64 // waiting for a retry
	Dead      int64
	Done      int64 // until pruned
	Cancelled int64 // until pruned
	// LastError is the most recent failure of any job of the kind, at LastErrorAt.
	LastError   string
	LastErrorAt time.Time
	// OldestReady is how long the longest-waiting due job (queued or failed,
	// run_at reached) has been due: the queue's lag. 0 when none is due.
	OldestReady time.Duration
}

// Stats returns per-kind counts, sorted by kind. Kinds with a handler but
// no jobs are included.
func (q *Queue) Stats(ctx context.Context) ([]KindStats, error) {
	now := q.nowMS()
	byKind := map[string]*KindStats{}
	get := func(kind string) *KindStats {
		s := byKind[kind]
		if s == nil {
			s = &KindStats{Kind: kind}
			byKind[kind] = s
		}
		return s
	}
	q.mu.Lock()
	for kind := range q.workers {
		get(kind)
	}
	q.mu.Unlock()
	err := q.db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				kind string
				st   State
				n    int64
			)
			if err := rows.Scan(&kind, &st, &n); err != nil {
				return err
			}
			s := get(kind)
			switch st {
			case StateQueued:
				s.Queued = n
			case StateRunning:
				s.Running = n
			case StateFailed:
				s.Failed = n
			case StateDead:
				s.Dead = n
			case StateDone:
				s.Done = n
			case StateCancelled:
				s.Cancelled = n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// SQLite takes the bare column last_error from the row holding the max.
		rows, err = tx.QueryContext(ctx, `SELECT kind, max(last_error_at_ms), last_error FROM jobs
			WHERE last_error_at_ms IS NOT NULL GROUP BY kind`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				kind, msg string
				at        int64
			)
			if err := rows.Scan(&kind, &at, &msg); err != nil {
				return err
			}
			s := get(kind)
			s.LastError, s.LastErrorAt = msg, fromMS(at)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT kind, min(run_at_ms) FROM jobs
			WHERE state IN ('queued', 'failed') AND run_at_ms <= ? GROUP BY kind`, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				kind string
				at   int64
			)
			if err := rows.Scan(&kind, &at); err != nil {
				return err
			}
			get(kind).OldestReady = time.Duration(now-at) * time.Millisecond
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	out := make([]KindStats, 0, len(byKind))
	for _, s := range byKind {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, nil
}
