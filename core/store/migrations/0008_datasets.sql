-- 0008_datasets: datasets for the learning loop (core/dataset). dataset_items is the working
-- set, what the next dataset version of a machine will hold: one row per (machine, source),
-- kept up to date as events are labelled. dataset_versions holds the immutable versions,
-- each the canonical JSON of a dataset.Manifest under its id (the SHA-256 of those bytes).
-- The recordings themselves are files in <data_dir>/objects, named by their SHA-256.

CREATE TABLE dataset_items (
	machine_id    TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	source        TEXT    NOT NULL CHECK (source <> ''),  -- learning, event:<id>, import:<file name>
	sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
	label         TEXT    NOT NULL CHECK (label <> ''),   -- normal or a fault label
	start_ms      INTEGER NOT NULL,                       -- time of the first sample
	seconds       REAL    NOT NULL CHECK (seconds >= 0),
	updated_at_ms INTEGER NOT NULL,
	PRIMARY KEY (machine_id, source)
) STRICT;

CREATE TABLE dataset_versions (
	id            TEXT    PRIMARY KEY CHECK (length(id) = 64),  -- dataset.Manifest.ID()
	machine_id    TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	created_at_ms INTEGER NOT NULL,
	note          TEXT    NOT NULL DEFAULT '',
	manifest      BLOB    NOT NULL,                             -- dataset.Manifest.Canonical()
	items         INTEGER NOT NULL,
	normal        INTEGER NOT NULL,
	faults        INTEGER NOT NULL,
	seconds       REAL    NOT NULL
) STRICT;
CREATE INDEX dataset_versions_machine ON dataset_versions (machine_id, created_at_ms);

-- LabelsSince counts the event.label audit entries of a machine since a time.
CREATE INDEX audit_log_action_ts ON audit_log (action, ts_ms);
