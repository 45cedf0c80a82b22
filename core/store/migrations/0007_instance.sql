-- 0007_instance: the database's instance id, made once when the database is created (or
-- migrated to this version). Notification idempotency keys carry it, so a fresh database,
-- whose alert sequence starts again at 1, never repeats a key an earlier one sent; a restored
-- copy is given a new one by `signalcraftd restore` (previous_id keeps the one it replaced).

CREATE TABLE instance (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	instance_id   TEXT    NOT NULL,   -- 16 lowercase hex digits
	created_at_ms INTEGER NOT NULL,
	previous_id   TEXT                -- the id a restore replaced, NULL otherwise
) STRICT;

INSERT INTO instance (id, instance_id, created_at_ms)
	VALUES (1, lower(hex(randomblob(8))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
