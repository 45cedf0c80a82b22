package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

// maxErrorLen bounds the stored last_error (bytes).
const maxErrorLen = 4096

// errLeaseExpired is the failure recorded for a job whose lease ran out.
var errLeaseExpired = errors.New("lease expired (worker hung, or its process died)")

// worker holds the handler and limits of one kind.
type worker struct {
	kind string
	h    Handler
	cfg  WorkerConfig
	wake chan struct{} // capacity 1: a pending "look now"
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Handle registers h for the jobs of kind, with c's limits (zero fields take
// the Default* constants). Like http.ServeMux.Handle it panics on a
// programming error: an empty kind, a nil h, an invalid c, a kind that
// already has a handler, or a call while Run is running.
func (q *Queue) Handle(kind string, h Handler, c WorkerConfig) {
	if kind == "" || h == nil {
		panic("jobs: Handle: empty kind or nil handler")
	}
	c, err := c.withDefaults()
	if err != nil {
		panic(fmt.Sprintf("jobs: Handle %s: %v", kind, err))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running {
		panic(fmt.Sprintf("jobs: Handle %s: called while Run is running", kind))
	}
	if _, dup := q.workers[kind]; dup {
		panic(fmt.Sprintf("jobs: Handle %s: kind already has a handler", kind))
	}
	q.workers[kind] = &worker{kind: kind, h: h, cfg: c, wake: make(chan struct{}, 1)}
}

// Run runs the workers of every registered kind until ctx ends, then
// cancels the running handlers' contexts, waits for them to return, records
// their outcomes and returns nil. Jobs whose handlers fail during this
// shutdown go back to queued without counting an attempt. Database errors
// while claiming are logged and retried at the next poll; they do not stop
// Run. It returns ErrRunning if Run is already running and ErrInvalid if no
// kind has a handler.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	if q.running {
		q.mu.Unlock()
		return fmt.Errorf("jobs: run: %w", ErrRunning)
	}
	if len(q.workers) == 0 {
		q.mu.Unlock()
		return fmt.Errorf("jobs: run: no handlers: %w", ErrInvalid)
	}
	q.running = true
	ws := make([]*worker, 0, len(q.workers))
	for _, w := range q.workers {
		ws = append(ws, w)
	}
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
	}()

	// Handlers outlive ctx only until the dispatchers have seen it end.
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()

	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { q.dispatch(ctx, hctx, w) })
	}
	wg.Wait()
	return nil
}

// outcome is what a handler returned for one claim.
type outcome struct {
	job      Job
	token    int64
	err      error
	stopping bool // Run's context had ended when the handler returned
}

// dispatch runs the jobs of w's kind. Each pass is one write transaction
// that records the outcomes of the handlers that returned since the last
// pass and, when slots are free, reaps expired leases and claims due jobs:
// one transaction per job at Concurrency 1, fewer at higher concurrency,
// which keeps the single writer connection free for the score ingest. A
// pass runs at start, on a wake-up, when a handler returns, and every poll.
func (q *Queue) dispatch(ctx, hctx context.Context, w *worker) {
	tick := time.NewTicker(q.poll)
	defer tick.Stop()
	done := make(chan outcome, w.cfg.Concurrency)
	inflight := 0
	var pending []outcome
	for {
		wakes := q.wakes.Load()
		for drained := false; !drained; {
			select {
			case o := <-done:
				pending, inflight = append(pending, o), inflight-1
			default:
				drained = true
			}
		}
		stopping := ctx.Err() != nil
		free := w.cfg.Concurrency - inflight
		if stopping {
			free = 0
		}
		recorded := len(pending)
		if len(pending) > 0 || free > 0 {
			jobs, token := q.step(ctx, w, pending, free)
			pending = pending[:0]
			for _, j := range jobs {
				inflight++
				go func() { done <- q.execute(ctx, hctx, w, j, token) }()
			}
		}
		if q.onPass != nil {
			q.onPass(w.kind, wakes, recorded)
		}
		if stopping {
			if inflight == 0 {
				return
			}
			o := <-done
			pending, inflight = append(pending, o), inflight-1
			continue
		}
		select {
		case <-ctx.Done():
		case o := <-done:
			pending, inflight = append(pending, o), inflight-1
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// logEntry is a log line decided inside a transaction, written after it
// committed.
type logEntry struct {
	level slog.Level
	msg   string
	args  []any
}

// step records outcomes, then, if n > 0, turns expired leases of w's kind
// into failed attempts and leases up to n due jobs to this Queue, best
// first, all in one write transaction. On an error it logs and claims
// nothing; the outcomes it could not record come back when their leases
// expire.
func (q *Queue) step(ctx context.Context, w *worker, outcomes []outcome, n int) ([]Job, int64) {
	// Outcomes are recorded even when Run's context has ended.
	ctx = context.WithoutCancel(ctx)
	now := q.nowMS()
	token := q.token.Add(1)
	var (
		jobs   []Job
		reaped []claim // leases of this Queue that expired
		logs   []logEntry
	)
	err := q.db.Write(ctx, func(tx *sql.Tx) error {
		jobs, reaped, logs = nil, nil, nil
		for _, o := range outcomes {
			e, err := q.record(ctx, tx, w, o, now)
			if err != nil {
				return err
			}
			if e.msg != "" {
				logs = append(logs, e)
			}
		}
		if n == 0 {
			return nil
		}
		type expired struct {
			id           int64
			attempt, max int
			owner        sql.NullString
			token        sql.NullInt64
		}
		var exp []expired
		rows, err := tx.QueryContext(ctx, `SELECT id, attempt, max_attempts, lease_owner, lease_token FROM jobs
			WHERE kind = ? AND state = 'running' AND lease_until_ms <= ?`, w.kind, now)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e expired
			if err := rows.Scan(&e.id, &e.attempt, &e.max, &e.owner, &e.token); err != nil {
				rows.Close()
				return err
			}
			exp = append(exp, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range exp {
			st, delay, ok, err := q.fail(ctx, tx, w, e.id, e.attempt, e.max, e.owner, e.token, errLeaseExpired, now)
			if err != nil {
				return err
			}
			if ok {
				logs = append(logs, logEntry{slog.LevelWarn, "jobs: lease expired", []any{logKind, w.kind, logJob, e.id,
					logAttempt, e.attempt, logState, st, logRetryIn, delay}})
			}
			if e.owner.String == q.owner {
				reaped = append(reaped, claim{id: e.id, token: e.token.Int64})
			}
		}

		rows, err = tx.QueryContext(ctx, `UPDATE jobs SET state = 'running', attempt = attempt + 1,
				lease_owner = ?, lease_token = ?, lease_until_ms = ?, updated_at_ms = ?
			WHERE id IN (SELECT id FROM jobs
				WHERE kind = ? AND state IN ('queued', 'failed') AND run_at_ms <= ?
				ORDER BY priority DESC, run_at_ms, id LIMIT ?)
			RETURNING `+jobColumns,
			q.owner, token, now+w.cfg.Lease.Milliseconds(), now, w.kind, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		// The leases of the outcomes not recorded will expire and their
		// jobs run again.
		q.log.Error("jobs: recording outcomes and claiming failed", logKind, w.kind, "outcomes", len(outcomes), logErr, err)
		return nil, 0
	}
	for _, e := range logs {
		q.log.Log(ctx, e.level, e.msg, e.args...)
	}
	if len(reaped) > 0 {
		q.mu.Lock()
		for _, c := range reaped {
			if cancel := q.inflight[c]; cancel != nil {
				cancel()
			}
		}
		q.mu.Unlock()
	}
	// RETURNING has no defined order.
	sort.Slice(jobs, func(a, b int) bool {
		x, y := jobs[a], jobs[b]
		if x.Priority != y.Priority {
			return x.Priority > y.Priority
		}
		if !x.RunAt.Equal(y.RunAt) {
			return x.RunAt.Before(y.RunAt)
		}
		return x.ID < y.ID
	})
	return jobs, token
}

// record writes one handler outcome, if its claim is still current, and
// returns what to log about it.
func (q *Queue) record(ctx context.Context, tx *sql.Tx, w *worker, o outcome, now int64) (logEntry, error) {
	j := o.job
	owner := sql.NullString{String: q.owner, Valid: true}
	tok := sql.NullInt64{Int64: o.token, Valid: true}
	var perm *permanentError
	switch {
	case o.err == nil:
		// A success counts even after the lease expired, unless another
		// worker has claimed the job since (new token) or it was cancelled.
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'done', lease_until_ms = NULL,
				updated_at_ms = ?, finished_at_ms = ?
			WHERE id = ? AND state IN ('running', 'failed', 'dead') AND lease_owner = ? AND lease_token = ?`,
			now, now, j.ID, owner, tok)
		if err != nil {
			return logEntry{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return logEntry{slog.LevelInfo, "jobs: success not recorded: the job was cancelled or claimed again",
				[]any{logKind, w.kind, logJob, j.ID, logAttempt, j.Attempt}}, nil
		}
		return logEntry{}, nil
	case o.stopping && !errors.As(o.err, &perm):
		// Shutting down: give the job back without counting the attempt.
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', attempt = attempt - 1,
				lease_until_ms = NULL, updated_at_ms = ?
			WHERE id = ? AND state = 'running' AND lease_owner = ? AND lease_token = ?`,
			now, j.ID, owner, tok)
		return logEntry{}, err
	default:
		st, delay, ok, err := q.fail(ctx, tx, w, j.ID, j.Attempt, j.MaxAttempts, owner, tok, o.err, now)
		if err != nil || !ok {
			return logEntry{}, err
		}
		if st == StateDead {
			return logEntry{slog.LevelError, "jobs: job is dead",
				[]any{logKind, w.kind, logJob, j.ID, logAttempt, j.Attempt, logErr, o.err}}, nil
		}
		return logEntry{slog.LevelWarn, "jobs: job failed",
			[]any{logKind, w.kind, logJob, j.ID, logAttempt, j.Attempt, logErr, o.err, logRetryIn, delay}}, nil
	}
}

// fail records a failed attempt of a running job, if the lease (owner,
// token) is still the current one: dead when the error is permanent or the
// attempts are used up, otherwise failed and due again after the delay. ok
// reports whether the job was updated.
func (q *Queue) fail(ctx context.Context, tx *sql.Tx, w *worker, id int64, attempt, maxAttempts int,
	owner sql.NullString, token sql.NullInt64, herr error, now int64) (st State, delay time.Duration, ok bool, err error) {
	if maxAttempts == 0 {
		maxAttempts = w.cfg.MaxAttempts
	}
	var (
		perm *permanentError
		ra   *retryAfterError
	)
	runAt := sql.NullInt64{}
	finished := sql.NullInt64{}
	switch {
	case errors.As(herr, &perm) || attempt >= maxAttempts:
		st = StateDead
		finished = sql.NullInt64{Int64: now, Valid: true}
	case errors.As(herr, &ra):
		st, delay = StateFailed, ra.d
	default:
		st, delay = StateFailed, w.cfg.Backoff.Delay(attempt, q.rand())
	}
	if st == StateFailed {
		runAt = sql.NullInt64{Int64: now + delay.Milliseconds(), Valid: true}
	}
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, run_at_ms = COALESCE(?, run_at_ms),
			last_error = ?, last_error_at_ms = ?, lease_until_ms = NULL, updated_at_ms = ?, finished_at_ms = ?
		WHERE id = ? AND state = 'running' AND lease_owner IS ? AND lease_token IS ?`,
		string(st), runAt, errorText(herr), now, now, finished, id, owner, token)
	if err != nil {
		return st, delay, false, err
	}
	n, err := res.RowsAffected()
	return st, delay, n == 1, err
}

func errorText(err error) string {
	s := err.Error()
	if len(s) > maxErrorLen {
		s = strings.ToValidUTF8(s[:maxErrorLen], "")
	}
	return s
}

// execute runs the handler of one claimed job and returns its outcome.
func (q *Queue) execute(runCtx, hctx context.Context, w *worker, j Job, token int64) outcome {
	c := claim{id: j.ID, token: token}
	ctx, cancel := context.WithTimeout(hctx, w.cfg.Lease)
	q.mu.Lock()
	q.inflight[c] = cancel
	q.mu.Unlock()
	err := q.call(ctx, w, j)
	q.mu.Lock()
	delete(q.inflight, c)
	q.mu.Unlock()
	cancel()
	return outcome{job: j, token: token, err: err, stopping: runCtx.Err() != nil}
}

// call runs the handler, turning a panic into a (retryable) error.
func (q *Queue) call(ctx context.Context, w *worker, j Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("jobs: handler panicked", logKind, w.kind, logJob, j.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return w.h(ctx, j)
}
