-- 0009_registry: the model registry. Every model records what it was trained from and how it
-- scored, and a stage: candidate (trained, not — or not yet — promoted), champion (the model
-- scoring the machine: active = 1 exactly when stage = 'champion') and retired (an earlier
-- champion, kept for rollback). promoted_at_ms is when a model last became champion;
-- rolled_back_at_ms marks a champion a rollback took off the promotion history, so a second
-- rollback walks further back instead of returning to it.

ALTER TABLE models ADD COLUMN stage TEXT NOT NULL DEFAULT 'retired'
	CHECK (stage IN ('candidate', 'champion', 'retired'));
ALTER TABLE models ADD COLUMN dataset           TEXT    NOT NULL DEFAULT '';  -- dataset version id, '' when none
ALTER TABLE models ADD COLUMN params            TEXT    NOT NULL DEFAULT '';  -- JSON: model and feature parameters, '' when unknown
ALTER TABLE models ADD COLUMN code_version      TEXT    NOT NULL DEFAULT '';
ALTER TABLE models ADD COLUMN metrics           TEXT    NOT NULL DEFAULT '';  -- JSON ModelMetrics, '' until evaluated
ALTER TABLE models ADD COLUMN reason            TEXT    NOT NULL DEFAULT '';  -- why (not) promoted, why rolled back
ALTER TABLE models ADD COLUMN trained_ms        INTEGER NOT NULL DEFAULT 0;   -- training wall time
ALTER TABLE models ADD COLUMN promoted_at_ms    INTEGER;                      -- NULL until champion
ALTER TABLE models ADD COLUMN rolled_back_at_ms INTEGER;                      -- NULL unless a rollback retired it
ALTER TABLE models ADD COLUMN train_key         TEXT;                         -- the train job's idempotency key, NULL: none
CREATE UNIQUE INDEX models_train_key ON models (train_key) WHERE train_key IS NOT NULL;

-- Until now every saved model became the active one when it was saved, so each existing model
-- was champion from its creation: rollback works on the history that is already there.
UPDATE models SET stage = CASE WHEN active = 1 THEN 'champion' ELSE 'retired' END,
	promoted_at_ms = created_at_ms;

-- The invariant active = 1 ⇔ stage = 'champion', kept by the store's code and refused here
-- should anything else write the table.
CREATE TRIGGER models_champion_insert BEFORE INSERT ON models
	WHEN (NEW.active = 1) <> (NEW.stage = 'champion')
	BEGIN SELECT RAISE(ABORT, 'models: active must be 1 exactly when stage is champion'); END;
CREATE TRIGGER models_champion_update BEFORE UPDATE OF active, stage ON models
	WHEN (NEW.active = 1) <> (NEW.stage = 'champion')
	BEGIN SELECT RAISE(ABORT, 'models: active must be 1 exactly when stage is champion'); END;
