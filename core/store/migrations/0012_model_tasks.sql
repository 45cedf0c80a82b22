-- 0012_model_tasks: fault classifiers join the model registry of 0009. A model has a task:
-- 'detect' (a normal model, scoring the machine's sound) or 'diagnose' (a fault classifier,
-- naming the fault of the machine's anomaly events). Each task of a machine has its own
-- champion, candidates and rollback history; versions stay one series per machine. The
-- classifiers kept apart in diagnosis_models (0011) move in, with their versions renumbered
-- after the machine's models; the threshold of a fault classifier is its calibrated
-- confidence below which it answers "unknown" (0 for the moved ones: it is in their blob).

ALTER TABLE models ADD COLUMN task TEXT NOT NULL DEFAULT 'detect' CHECK (task IN ('detect', 'diagnose'));
DROP INDEX models_one_active;
CREATE UNIQUE INDEX models_one_active ON models (machine_id, task) WHERE active = 1;

INSERT INTO models (machine_id, version, kind, created_at_ms, threshold, blob, active, note, stage, dataset,
		promoted_at_ms, task)
	SELECT d.machine_id,
		(SELECT COALESCE(MAX(m.version), 0) FROM models m WHERE m.machine_id = d.machine_id)
			+ ROW_NUMBER() OVER (PARTITION BY d.machine_id ORDER BY d.version),
		d.kind, d.created_at_ms, 0, d.blob, d.active, d.note,
		CASE WHEN d.active = 1 THEN 'champion' ELSE 'retired' END, d.dataset, d.created_at_ms, 'diagnose'
	FROM diagnosis_models d;
DROP TABLE diagnosis_models;
