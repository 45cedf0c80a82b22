-- 0014_health: a machine's hourly health record (core/health, issue 12): what its scored
-- windows sounded like over each hour. Sums rather than means are stored, as in
-- score_rollups, so the daemon can add a part of an hour at a time and the result is exact.
-- The level the degradation alarm and the RUL estimate follow is sqrt(sum_squares / windows).

CREATE TABLE health_records (
	machine_id     TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	hour_ms        INTEGER NOT NULL,                       -- start of the hour (UTC)
	last_ms        INTEGER NOT NULL,                       -- the latest window added
	windows        INTEGER NOT NULL CHECK (windows > 0),
	sum_squares    REAL    NOT NULL,                       -- Σ RMS² of the windows (full scale)
	sum_kurtosis   REAL    NOT NULL,
	peak           REAL    NOT NULL,                       -- largest peak (full scale)
	sum_envelope   REAL    NOT NULL DEFAULT 0,             -- Σ envelope energy at the defect frequencies
	envelope_n     INTEGER NOT NULL DEFAULT 0,             -- windows measured for it (0: no shaft speed)
	sum_score      REAL    NOT NULL DEFAULT 0,             -- Σ anomaly level (score/threshold) of monitored windows
	scored_windows INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (machine_id, hour_ms)
) STRICT, WITHOUT ROWID;
