-- 0004_jobs: the durable job queue of core/jobs (notification deliveries, clip uploads).
-- States: queued (waiting for run_at or a worker), running (leased until lease_until_ms),
-- failed (an attempt failed; retried at run_at), done, dead (out of attempts or a permanent
-- error; kept for an operator), cancelled.

CREATE TABLE jobs (
	id               INTEGER PRIMARY KEY,
	kind             TEXT    NOT NULL CHECK (kind <> ''),
	key              TEXT,                -- idempotency key, NULL: none; unique per kind
	priority         INTEGER NOT NULL DEFAULT 0,  -- higher runs first
	run_at_ms        INTEGER NOT NULL,    -- not before
	payload          BLOB,
	attempt          INTEGER NOT NULL DEFAULT 0,  -- attempts started so far
	max_attempts     INTEGER NOT NULL DEFAULT 0 CHECK (max_attempts >= 0), -- 0: the worker's
	state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'failed', 'done', 'dead', 'cancelled')),
	last_error       TEXT    NOT NULL DEFAULT '',
	last_error_at_ms INTEGER,
	lease_owner      TEXT,                -- queue instance (process generation) holding the lease
	lease_token      INTEGER,             -- identifies one claim; a stale worker's result is ignored
	lease_until_ms   INTEGER,             -- the lease expires at; NULL unless running
	created_at_ms    INTEGER NOT NULL,
	updated_at_ms    INTEGER NOT NULL,
	finished_at_ms   INTEGER              -- done, dead or cancelled at
) STRICT;
CREATE UNIQUE INDEX jobs_kind_key ON jobs (kind, key) WHERE key IS NOT NULL;
-- Claiming: the best ready job of a kind.
CREATE INDEX jobs_ready ON jobs (kind, priority DESC, run_at_ms, id) WHERE state IN ('queued', 'failed');
-- Reaping expired leases.
CREATE INDEX jobs_leases ON jobs (kind, lease_until_ms) WHERE state = 'running';
-- Pruning done and cancelled jobs (dead ones wait for an operator).
CREATE INDEX jobs_finished ON jobs (finished_at_ms) WHERE state IN ('done', 'cancelled');
-- Counting per kind and state for Stats without reading payloads.
CREATE INDEX jobs_kind_state ON jobs (kind, state);
