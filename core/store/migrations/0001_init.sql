-- 0001_init: machines, sensors, scores and rollups, events, models.
-- Every time is UTC Unix milliseconds in an INTEGER column named *_ms.

CREATE TABLE machines (
	id            TEXT    PRIMARY KEY,   -- the machine id from the configuration
	name          TEXT    NOT NULL DEFAULT '',
	kind          TEXT    NOT NULL DEFAULT '',
	created_at_ms INTEGER NOT NULL,
	updated_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE sensors (
	id             TEXT    PRIMARY KEY,
	machine_id     TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	device         TEXT    NOT NULL DEFAULT '',
	channel        INTEGER NOT NULL DEFAULT 0,
	sample_rate    INTEGER NOT NULL DEFAULT 0,
	state          TEXT    NOT NULL,
	state_since_ms INTEGER NOT NULL,
	detail         TEXT    NOT NULL DEFAULT '',
	created_at_ms  INTEGER NOT NULL,
	updated_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX sensors_machine ON sensors (machine_id);

-- One row per sensor state change (ok / silent / clipping / stuck / ...).
CREATE TABLE sensor_events (
	id        INTEGER PRIMARY KEY,
	sensor_id TEXT    NOT NULL REFERENCES sensors (id) ON DELETE CASCADE,
	state     TEXT    NOT NULL,
	since_ms  INTEGER NOT NULL,
	detail    TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sensor_events_sensor_since ON sensor_events (sensor_id, since_ms);

-- Raw window scores, clustered by (machine, time) for range scans.
CREATE TABLE scores (
	machine_id    TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	ts_ms         INTEGER NOT NULL,
	score         REAL    NOT NULL,
	smoothed      REAL    NOT NULL,
	threshold     REAL    NOT NULL,
	state         TEXT    NOT NULL DEFAULT '',
	anomalous     INTEGER NOT NULL DEFAULT 0 CHECK (anomalous IN (0, 1)),
	level_dbfs    REAL    NOT NULL,
	features_json TEXT,                  -- small feature summary, NULL if none
	PRIMARY KEY (machine_id, ts_ms)
) STRICT, WITHOUT ROWID;

-- Downsampled history, maintained in the same transaction as the raw rows.
-- Sums rather than means are stored so that adding a batch is exact.
CREATE TABLE score_rollups (
	machine_id        TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	resolution        TEXT    NOT NULL CHECK (resolution IN ('1m', '1h')),
	bucket_start_ms   INTEGER NOT NULL,
	n                 INTEGER NOT NULL,
	sum_score         REAL    NOT NULL,
	max_score         REAL    NOT NULL,
	sum_dbfs          REAL    NOT NULL,
	max_dbfs          REAL    NOT NULL,
	anomalous_windows INTEGER NOT NULL,
	PRIMARY KEY (machine_id, resolution, bucket_start_ms)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
	id                 INTEGER PRIMARY KEY,
	machine_id         TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	kind               TEXT    NOT NULL,
	start_ms           INTEGER NOT NULL,
	end_ms             INTEGER,          -- NULL while the event is open
	peak_score         REAL    NOT NULL,
	threshold          REAL    NOT NULL,
	snapshot_json      TEXT,
	acknowledged_by    TEXT,
	acknowledged_at_ms INTEGER,
	label              TEXT
) STRICT;
CREATE INDEX events_machine_start ON events (machine_id, start_ms);
CREATE INDEX events_start ON events (start_ms);
-- At most one open event of a kind per machine.
CREATE UNIQUE INDEX events_one_open ON events (machine_id, kind) WHERE end_ms IS NULL;

CREATE TABLE models (
	machine_id    TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	version       INTEGER NOT NULL,      -- 1, 2, ... per machine
	kind          TEXT    NOT NULL,
	created_at_ms INTEGER NOT NULL,
	threshold     REAL    NOT NULL,
	blob          BLOB    NOT NULL,
	active        INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
	note          TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (machine_id, version)
) STRICT;
-- At most one active model per machine.
CREATE UNIQUE INDEX models_one_active ON models (machine_id) WHERE active = 1;
