-- 0011_diagnosis_models: the fault classifiers of the machines (core/diagnose), versioned per
-- machine; the active one judges the machine's anomaly events. (They join the model registry
-- of 0009 — stages, gate, rollback — in a later step.)

CREATE TABLE diagnosis_models (
	machine_id    TEXT    NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
	version       INTEGER NOT NULL,   -- 1, 2, ... per machine
	kind          TEXT    NOT NULL,   -- rf, svm, rf+svm
	created_at_ms INTEGER NOT NULL,
	dataset       TEXT    NOT NULL DEFAULT '',  -- dataset version trained on, '' when none
	note          TEXT    NOT NULL DEFAULT '',
	blob          BLOB    NOT NULL,
	active        INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
	PRIMARY KEY (machine_id, version)
) STRICT;
CREATE UNIQUE INDEX diagnosis_models_one_active ON diagnosis_models (machine_id) WHERE active = 1;
