-- 0005_alerting: the alert engine's state (one JSON document, saved in the same transaction as
-- the notification jobs it produced, so a crash neither loses nor repeats an announcement), and
-- appliance-wide settings changed through the API (alert rules, receivers, maintenance windows).

CREATE TABLE alert_state (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	state         TEXT    NOT NULL,
	updated_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE appliance_settings (
	key           TEXT    PRIMARY KEY,   -- e.g. alert.rules, alert.receivers, alert.maintenance
	value         TEXT    NOT NULL,      -- JSON
	updated_at_ms INTEGER NOT NULL,
	updated_by    TEXT    NOT NULL DEFAULT ''
) STRICT;
