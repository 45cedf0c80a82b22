package store

import (
	"context"
	"fmt"
	"time"
)

// ScoreBuckets folds the raw scores of machineID with from <= time < to into buckets of
// width step aligned on from, in SQL, and returns the non-empty ones oldest first, as
// Rollups of resolution "raw" (MinScore always known). It serves the short spans of the
// long-range charts, where the 1-minute rollups are too coarse, without sending every
// window's features to the caller.
func (db *DB) ScoreBuckets(ctx context.Context, machineID string, from, to time.Time, step time.Duration) ([]Rollup, error) {
	if step < time.Millisecond || from.IsZero() || !to.After(from) {
		return nil, fmt.Errorf("store: score buckets of machine %q: range %s..%s step %v: %w", machineID, from, to, step, ErrInvalid)
	}
	lo, w := ms(from), step.Milliseconds()
	rows, err := db.r.QueryContext(ctx, `SELECT (ts_ms - ?) / ? AS b, count(*), sum(score), min(score), max(score),
			sum(level_dbfs), max(level_dbfs), sum(anomalous)
		FROM scores WHERE machine_id = ? AND ts_ms >= ? AND ts_ms < ?
		GROUP BY b ORDER BY b`, lo, w, machineID, lo, ms(to))
	if err != nil {
		return nil, fmt.Errorf("store: score buckets of machine %q: %w", machineID, err)
	}
	defer rows.Close()
	var out []Rollup
	for rows.Next() {
		r := Rollup{MachineID: machineID, Resolution: "raw", HasMin: true}
		var b int64
		var sumScore, sumDBFS float64
		if err := rows.Scan(&b, &r.N, &sumScore, &r.MinScore, &r.MaxScore, &sumDBFS, &r.MaxDBFS, &r.AnomalousWindows); err != nil {
			return nil, fmt.Errorf("store: score buckets of machine %q: %w", machineID, err)
		}
		r.BucketStart = fromMS(lo + b*w)
		r.MeanScore, r.MeanDBFS = sumScore/float64(r.N), sumDBFS/float64(r.N)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: score buckets of machine %q: %w", machineID, err)
	}
	return out, nil
}
