-- 0013_reports: reports (core/report) produced by the report job: a period of the appliance
-- (or of one machine) in one language, rendered to a PDF and a zip of CSV files under
-- data_dir/reports, and to whom it was mailed. A scheduled report exists once per kind,
-- period start, machine and language, so a daemon restarted mid-schedule does not make it
-- twice.

CREATE TABLE reports (
	id             INTEGER PRIMARY KEY,
	kind           TEXT    NOT NULL CHECK (kind IN ('daily', 'weekly', 'on_demand')),
	lang           TEXT    NOT NULL CHECK (lang IN ('en', 'ko')),
	machine_id     TEXT    NOT NULL DEFAULT '',  -- '' for every machine of the appliance
	from_ms        INTEGER NOT NULL,
	to_ms          INTEGER NOT NULL CHECK (to_ms > from_ms),
	state          TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
	requested_by   TEXT    NOT NULL DEFAULT '',  -- "schedule" or the API caller
	job_id         INTEGER,                      -- the report job that renders it
	pdf_file       TEXT    NOT NULL DEFAULT '',  -- file names inside data_dir/reports
	csv_file       TEXT    NOT NULL DEFAULT '',
	pdf_bytes      INTEGER NOT NULL DEFAULT 0,
	csv_bytes      INTEGER NOT NULL DEFAULT 0,
	emailed_to     TEXT    NOT NULL DEFAULT '',  -- receivers it was mailed to, comma-separated
	error          TEXT    NOT NULL DEFAULT '',
	created_at_ms  INTEGER NOT NULL,
	finished_at_ms INTEGER
) STRICT;
CREATE INDEX reports_created ON reports (created_at_ms);
CREATE UNIQUE INDEX reports_scheduled ON reports (kind, from_ms, machine_id, lang) WHERE kind != 'on_demand';
