// Package jobs provides a durable job queue kept in the appliance's SQLite
// database (the jobs table of core/store): SignalCraft's single-node
// replacement for a Celery + Redis setup. The alert engine enqueues
// notification deliveries and clip uploads through it.
//
// A producer calls [Queue.Enqueue], or [Queue.EnqueueTx] to enqueue in the
// same transaction as its own state change, so that the job exists if and
// only if the change committed. A consumer registers one [Handler] per kind
// with [Queue.Handle] and calls [Queue.Run].
//
// # Delivery: at least once
//
// A worker claims a job by leasing it: one UPDATE … RETURNING in a write
// transaction moves it to running, counts the attempt and records who holds
// the lease and until when ([WorkerConfig.Lease], the visibility timeout).
// When the handler returns, the worker's next transaction records the
// outcome (together with the other outcomes and claims of that moment).
// Between the two, the job's effect (an HTTP request, an upload) happens
// outside the database, so no queue can make it exactly-once: if the process
// dies, or the handler runs past its lease, after the effect but before the
// outcome is recorded, the job runs again. Delivery is therefore at least once, and
// handlers must be idempotent. Notification deliveries are, through the
// idempotency key they send with each request; a handler whose effect lives
// in this same database can record it with its own key and check it first.
//
// A job whose lease expires is treated as a failed attempt ("lease expired")
// and retried after the backoff, or dead-lettered if it was its last attempt.
// The handler still running past its lease has its context cancelled; if it
// succeeds anyway before another worker claims the job, its success counts,
// otherwise its outcome is ignored (every claim carries a token, and only the
// current claim's outcome is recorded).
//
// # Crashes and restarts
//
// Every state change is a committed SQLite transaction (WAL), so a crash,
// kill -9 or power loss loses no accepted job: [Queue.Enqueue] returns only
// after the job committed. The appliance is a single node, so [New] expires
// at once every lease held by an earlier Queue (each Queue has its own owner
// id): the jobs that were running when the previous process died are retried
// without waiting for their leases to run out, as failed attempts. Use one
// Queue per database at a time.
//
// When [Queue.Run]'s context ends, workers stop claiming, the contexts of the
// running handlers are cancelled, and Run waits for them. A job whose
// handler fails during the shutdown goes back to queued without counting an
// attempt; one that succeeds is recorded as done.
//
// # Order, retries and the dead letter
//
// Among the jobs of a kind that are due (run_at not in the future), workers
// claim the highest priority first, then the earliest run_at, then the
// oldest. Jobs of different kinds have separate workers and concurrency
// limits and no order between them; within a kind with Concurrency > 1,
// jobs start in that order but may finish in any order, and a retried job
// goes back into the order at its new run_at.
//
// A handler error is retried after an exponential [Backoff] with jitter, or
// after the delay the handler asks for with [RetryAfter] (an HTTP 429 or 503
// with Retry-After), until the job has had MaxAttempts attempts; then, or at
// once for an error wrapped with [Permanent], the job is dead: it stays in
// the table for an operator, who can [Queue.Retry] it or [Queue.Cancel] it.
// [Queue.Cancel] also stops a queued or running job; a cancelled running job
// has its handler's context cancelled and is never retried.
//
// # Idempotent enqueue
//
// A job with a Key is unique per kind for as long as it is in the table:
// enqueuing the same kind and key again returns the existing job's id with
// created = false, whatever its state, and leaves it unchanged. Jobs are
// removed only by [Queue.Prune] (done and cancelled ones), after which the
// key may be used again.
//
// # Time
//
// All times come from [Options.Now]; workers look for due jobs when a job
// is enqueued, when a worker slot frees up, on [Queue.Wake], and every
// [Options.Poll]. Tests drive a fake clock and call Wake instead of sleeping.
// The only real-time timer besides the poll is a safety net: a handler's
// context is cancelled after Lease of real time.
package jobs
