-- 0003_machine_settings: machine settings changed through the API. They take precedence over
-- the configuration file for that machine (the file under /etc may be read-only for the
-- daemon), so a restart keeps what an administrator set from the TUI or the desktop app.

CREATE TABLE machine_settings (
	machine_id    TEXT    PRIMARY KEY,   -- the configuration's machine id
	settings      TEXT    NOT NULL,      -- JSON of the machine's settings
	updated_at_ms INTEGER NOT NULL,
	updated_by    TEXT    NOT NULL DEFAULT ''
) STRICT;
