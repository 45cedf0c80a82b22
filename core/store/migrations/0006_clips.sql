-- 0006_clips: audio clips saved around anomaly events (WAV files under data_dir/clips), with
-- what is needed to check them (size, SHA-256), play them (rate, channels, duration) and to
-- know whether they were uploaded to object storage.

CREATE TABLE clips (
	id             INTEGER PRIMARY KEY,
	event_id       INTEGER NOT NULL UNIQUE REFERENCES events (id) ON DELETE CASCADE,
	machine_id     TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	path           TEXT    NOT NULL UNIQUE,  -- relative to the clips directory: <machine>/<event>.wav
	start_ms       INTEGER NOT NULL,         -- time of the first sample
	duration_ms    INTEGER NOT NULL,
	frames         INTEGER NOT NULL,
	sample_rate    INTEGER NOT NULL,
	channels       INTEGER NOT NULL,
	format         TEXT    NOT NULL,         -- wav-pcm16
	size_bytes     INTEGER NOT NULL,
	sha256         TEXT    NOT NULL,         -- hex, of the whole file
	created_at_ms  INTEGER NOT NULL,
	upload_state   TEXT    NOT NULL DEFAULT 'none'
		CHECK (upload_state IN ('none', 'pending', 'uploaded', 'failed')),
	upload_key     TEXT,                     -- object key once uploaded
	uploaded_at_ms INTEGER,
	upload_error   TEXT
) STRICT;
CREATE INDEX clips_machine_created ON clips (machine_id, created_at_ms);
CREATE INDEX clips_created ON clips (created_at_ms);
