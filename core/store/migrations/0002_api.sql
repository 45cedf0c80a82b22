-- 0002_api: API tokens (hashed), the audit log, and the comment an operator
-- gives when acknowledging an event.

CREATE TABLE api_tokens (
	id              INTEGER PRIMARY KEY,
	name            TEXT    NOT NULL,
	role            TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	secret_sha256   BLOB    NOT NULL UNIQUE CHECK (length(secret_sha256) = 32), -- never the secret itself
	created_at_ms   INTEGER NOT NULL,
	last_used_at_ms INTEGER,
	expires_at_ms   INTEGER,             -- NULL: never
	revoked_at_ms   INTEGER              -- NULL: valid
) STRICT;
-- A name identifies one live token; revoked tokens keep theirs for the record.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at_ms IS NULL;

CREATE TABLE audit_log (
	id     INTEGER PRIMARY KEY,
	ts_ms  INTEGER NOT NULL,
	actor  TEXT    NOT NULL,             -- token name, or local:<user>
	action TEXT    NOT NULL,             -- e.g. event.acknowledge
	target TEXT    NOT NULL DEFAULT '',  -- e.g. event/42
	detail TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_actor ON audit_log (actor, id);

ALTER TABLE events ADD COLUMN ack_comment TEXT;
