-- 0010_diagnosis: what a fault classifier said an anomaly event was (core/diagnose): the
-- predicted fault type ("unknown" below the model's calibrated confidence), its confidence,
-- every class's probability and the model that said it, as JSON; NULL when the machine has
-- no diagnosis model.

ALTER TABLE events ADD COLUMN diagnosis_json TEXT CHECK (diagnosis_json IS NULL OR json_valid(diagnosis_json));
