-- 0020_rollup_min: the lowest score of each rollup bucket, for the long-range charts'
-- min/mean/max (issue 12). Buckets written before this migration keep NULL: their minimum
-- was never recorded, and a bucket that goes on filling after the upgrade stays NULL
-- (SQLite's min() of NULL and a value is NULL), so no partial minimum is ever shown.

ALTER TABLE score_rollups ADD COLUMN min_score REAL;
