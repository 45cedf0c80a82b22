package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Score is the detector's verdict on one analysis window of one machine.
type Score struct {
	MachineID string
	Time      time.Time // window time; stored to the millisecond
	Score     float64   // raw anomaly score (higher = more anomalous)
	Smoothed  float64
	Threshold float64
	State     string // detector state, e.g. "learning", "monitoring"
	// Anomalous is the detector's decision for this window; it feeds the
	// anomalous_windows count of the rollups. The store does not interpret
	// State.
	Anomalous bool
	LevelDBFS float64
	Features  *Features // optional summary; nil stores NULL
}

// Features is the small per-window feature summary kept next to a score.
// Non-finite values are stored as JSON null and read back as NaN.
type Features struct {
	RMS      float64
	Peak     float64
	Crest    float64
	Kurtosis float64
	Centroid float64 // Hz
	Flatness float64
	ZCR      float64
	Rolloff  float64 // Hz
}

var featureKeys = [...]string{"rms", "peak", "crest", "kurtosis", "centroid", "flatness", "zcr", "rolloff"}

func (f *Features) fields() [len(featureKeys)]*float64 {
	return [...]*float64{&f.RMS, &f.Peak, &f.Crest, &f.Kurtosis, &f.Centroid, &f.Flatness, &f.ZCR, &f.Rolloff}
}

// MarshalJSON encodes f as a compact object; NaN and ±Inf become null.
func (f Features) MarshalJSON() ([]byte, error) { return f.appendJSON(nil), nil }

func (f *Features) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, p := range f.fields() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, featureKeys[i]...)
		b = append(b, '"', ':')
		if math.IsNaN(*p) || math.IsInf(*p, 0) {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendFloat(b, *p, 'g', -1, 64)
		}
	}
	return append(b, '}')
}

// UnmarshalJSON decodes the form written by MarshalJSON; null or missing
// keys become NaN, unknown keys are ignored.
func (f *Features) UnmarshalJSON(b []byte) error {
	for _, p := range f.fields() {
		*p = math.NaN()
	}
	if f.parseCompact(b) {
		return nil
	}
	// Not the compact form this package writes (hand-edited, reformatted):
	// take the general, slower path.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for i, p := range f.fields() {
		raw, ok := m[featureKeys[i]]
		if !ok {
			continue
		}
		var v *float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("feature %s: %w", featureKeys[i], err)
		}
		if v != nil {
			*p = *v
		}
	}
	return nil
}

// parseCompact decodes {"key":number-or-null,...} without whitespace, the
// form appendJSON writes, without allocating. It reports false on anything
// else.
func (f *Features) parseCompact(b []byte) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	fields := f.fields()
	b = b[1 : len(b)-1]
	for len(b) > 0 {
		if b[0] != '"' {
			return false
		}
		end := 1
		for end < len(b) && b[end] != '"' {
			end++
		}
		if end+1 >= len(b) || b[end+1] != ':' {
			return false
		}
		key := b[1:end]
		b = b[end+2:]
		vend := 0
		for vend < len(b) && b[vend] != ',' {
			vend++
		}
		val := b[:vend]
		if vend < len(b) {
			vend++ // the comma
			if vend == len(b) {
				return false // trailing comma
			}
		}
		b = b[vend:]
		x := math.NaN()
		if string(val) != "null" {
			var err error
			if x, err = strconv.ParseFloat(string(val), 64); err != nil {
				return false
			}
		}
		for i, k := range featureKeys {
			if string(key) == k {
				*fields[i] = x
				break
			}
		}
	}
	return true
}

// Validate reports whether s can be stored.
func (s *Score) Validate() error {
	if s.MachineID == "" {
		return fmt.Errorf("score: empty machine id: %w", ErrInvalid)
	}
	if s.Time.IsZero() {
		return fmt.Errorf("score of machine %q: zero time: %w", s.MachineID, ErrInvalid)
	}
	for _, v := range [...]struct {
		name string
		x    float64
	}{{"score", s.Score}, {"smoothed", s.Smoothed}, {"threshold", s.Threshold}, {"level_dbfs", s.LevelDBFS}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("score of machine %q at %s: %s is %v: %w", s.MachineID, s.Time.UTC().Format(time.RFC3339Nano), v.name, v.x, ErrInvalid)
		}
	}
	return nil
}

// Resolution names a rollup bucket width.
type Resolution string

// Rollup resolutions maintained by WriteScores.
const (
	Res1m Resolution = "1m"
	Res1h Resolution = "1h"
)

// Resolutions lists the maintained rollup resolutions, finest first.
var Resolutions = []Resolution{Res1m, Res1h}

// Duration returns the bucket width, or 0 for an unknown resolution.
func (r Resolution) Duration() time.Duration {
	switch r {
	case Res1m:
		return time.Minute
	case Res1h:
		return time.Hour
	}
	return 0
}

// Rollup aggregates the windows of one machine in one UTC-aligned bucket.
type Rollup struct {
	MachineID   string
	Resolution  Resolution
	BucketStart time.Time
	N           int64 // windows in the bucket
	MeanScore   float64
	MaxScore    float64
	// MinScore is the lowest score when HasMin; buckets begun before migration 0020
	// have no recorded minimum.
	MinScore         float64
	HasMin           bool
	MeanDBFS         float64
	MaxDBFS          float64
	AnomalousWindows int64
}

type rollupKey struct {
	machine string
	res     Resolution
	bucket  int64
}

type rollupAcc struct {
	n, anomalous       int64
	sumScore, maxScore float64
	minScore           float64
	sumDBFS, maxDBFS   float64
}

func (a *rollupAcc) add(s *Score) {
	if a.n == 0 {
		a.maxScore, a.minScore, a.maxDBFS = s.Score, s.Score, s.LevelDBFS
	}
	a.n++
	a.sumScore += s.Score
	a.sumDBFS += s.LevelDBFS
	a.maxScore = max(a.maxScore, s.Score)
	a.minScore = min(a.minScore, s.Score)
	a.maxDBFS = max(a.maxDBFS, s.LevelDBFS)
	if s.Anomalous {
		a.anomalous++
	}
}

func bucketStart(tsMS int64, res Resolution) int64 {
	w := res.Duration().Milliseconds()
	b := tsMS - tsMS%w
	if tsMS%w < 0 { // floor for times before 1970
		b -= w
	}
	return b
}

// WriteScores inserts scores in one transaction and folds the inserted rows
// into the 1m and 1h rollups in that same transaction, so rollups always
// match the raw rows that were ever written, even across a crash.
//
// A score whose (machine, time-to-the-millisecond) already exists is
// skipped and not counted again, which makes retrying a batch safe. Every
// score must pass Validate (ErrInvalid) and name an existing machine
// (ErrNotFound); otherwise nothing is written. It returns the number of rows
// inserted.
func (db *DB) WriteScores(ctx context.Context, scores []Score) (int, error) {
	if len(scores) == 0 {
		return 0, nil
	}
	for i := range scores {
		if err := scores[i].Validate(); err != nil {
			return 0, fmt.Errorf("store: write scores: %w", err)
		}
	}
	inserted := 0
	err := db.Write(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO scores
			(machine_id, ts_ms, score, smoothed, threshold, state, anomalous, level_dbfs, features_json)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		acc := make(map[rollupKey]*rollupAcc, 4)
		var buf []byte
		for i := range scores {
			s := &scores[i]
			var feat any
			if s.Features != nil {
				buf = s.Features.appendJSON(buf[:0])
				feat = string(buf)
			}
			ts := ms(s.Time)
			res, err := ins.ExecContext(ctx, s.MachineID, ts, s.Score, s.Smoothed, s.Threshold, s.State,
				s.Anomalous, s.LevelDBFS, feat)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			inserted++
			for _, r := range Resolutions {
				k := rollupKey{s.MachineID, r, bucketStart(ts, r)}
				a := acc[k]
				if a == nil {
					a = &rollupAcc{}
					acc[k] = a
				}
				a.add(s)
			}
		}
		if len(acc) == 0 {
			return nil
		}
		up, err := tx.PrepareContext(ctx, `INSERT INTO score_rollups
			(machine_id, resolution, bucket_start_ms, n, sum_score, max_score, sum_dbfs, max_dbfs, anomalous_windows, min_score)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (machine_id, resolution, bucket_start_ms) DO UPDATE SET
				n = n + excluded.n,
				sum_score = sum_score + excluded.sum_score,
				max_score = max(max_score, excluded.max_score),
				min_score = min(min_score, excluded.min_score),
				sum_dbfs = sum_dbfs + excluded.sum_dbfs,
				max_dbfs = max(max_dbfs, excluded.max_dbfs),
				anomalous_windows = anomalous_windows + excluded.anomalous_windows`)
		if err != nil {
			return err
		}
		defer up.Close()
		for k, a := range acc {
			if _, err := up.ExecContext(ctx, k.machine, string(k.res), k.bucket, a.n, a.sumScore, a.maxScore,
				a.sumDBFS, a.maxDBFS, a.anomalous, a.minScore); err != nil {
				return err
			}
		}
		return nil
	})
	if isForeignKey(err) {
		return 0, fmt.Errorf("store: write %d scores: unknown machine: %w", len(scores), ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: write %d scores: %w", len(scores), err)
	}
	return inserted, nil
}

const scoreCols = "machine_id, ts_ms, score, smoothed, threshold, state, anomalous, level_dbfs, features_json"

// Scores returns the scores of machineID with from <= time < to, oldest
// first. A zero bound is unbounded. With limit > 0 and more rows in range,
// the latest limit rows are returned (still oldest first), which is what a
// "last N windows" view wants.
func (db *DB) Scores(ctx context.Context, machineID string, from, to time.Time, limit int) ([]Score, error) {
	lo, hi := timeRange(from, to)
	q := "SELECT " + scoreCols + " FROM scores WHERE machine_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms"
	args := []any{machineID, lo, hi}
	if limit > 0 {
		q = "SELECT * FROM (SELECT " + scoreCols +
			" FROM scores WHERE machine_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms DESC LIMIT ?) ORDER BY ts_ms"
		args = append(args, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: scores of machine %q: %w", machineID, err)
	}
	defer rows.Close()
	out := make([]Score, 0, max(limit, 0))
	for rows.Next() {
		var s Score
		var ts int64
		var feat sql.NullString
		if err := rows.Scan(&s.MachineID, &ts, &s.Score, &s.Smoothed, &s.Threshold, &s.State, &s.Anomalous,
			&s.LevelDBFS, &feat); err != nil {
			return nil, fmt.Errorf("store: scores of machine %q: %w", machineID, err)
		}
		s.Time = fromMS(ts)
		if feat.Valid {
			s.Features = new(Features)
			if err := s.Features.UnmarshalJSON([]byte(feat.String)); err != nil {
				return nil, fmt.Errorf("store: scores of machine %q: features at %d: %w", machineID, ts, err)
			}
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: scores of machine %q: %w", machineID, err)
	}
	return out, nil
}

// Rollups returns the buckets of machineID at resolution res whose start
// lies in [from, to), oldest first. A zero bound is unbounded.
func (db *DB) Rollups(ctx context.Context, machineID string, res Resolution, from, to time.Time) ([]Rollup, error) {
	if res.Duration() == 0 {
		return nil, fmt.Errorf("store: rollups of machine %q: resolution %q: %w", machineID, res, ErrInvalid)
	}
	lo, hi := timeRange(from, to)
	rows, err := db.r.QueryContext(ctx, `SELECT machine_id, resolution, bucket_start_ms, n, sum_score, max_score,
			sum_dbfs, max_dbfs, anomalous_windows, min_score
		FROM score_rollups WHERE machine_id = ? AND resolution = ? AND bucket_start_ms >= ? AND bucket_start_ms < ?
		ORDER BY bucket_start_ms`, machineID, string(res), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: rollups of machine %q: %w", machineID, err)
	}
	defer rows.Close()
	var out []Rollup
	for rows.Next() {
		var r Rollup
		var start int64
		var sumScore, sumDBFS float64
		var minScore sql.NullFloat64
		if err := rows.Scan(&r.MachineID, &r.Resolution, &start, &r.N, &sumScore, &r.MaxScore, &sumDBFS,
			&r.MaxDBFS, &r.AnomalousWindows, &minScore); err != nil {
			return nil, fmt.Errorf("store: rollups of machine %q: %w", machineID, err)
		}
		r.BucketStart = fromMS(start)
		r.MinScore, r.HasMin = minScore.Float64, minScore.Valid
		if r.N > 0 {
			r.MeanScore, r.MeanDBFS = sumScore/float64(r.N), sumDBFS/float64(r.N)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rollups of machine %q: %w", machineID, err)
	}
	return out, nil
}

// pruneChunk bounds the rows one prune transaction deletes, so the single
// writer connection is never held long enough to stall score ingest.
const pruneChunk = 5000

// PruneScores deletes raw scores older than olderThan for every machine and
// returns how many rows it deleted. Rollups are kept. It deletes in chunks of
// at most pruneChunk rows per transaction and may be cancelled between
// chunks.
func (db *DB) PruneScores(ctx context.Context, olderThan time.Time) (int64, error) {
	ids, err := db.machineIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: prune scores: %w", err)
	}
	cut := ms(olderThan)
	var total int64
	for _, id := range ids {
		for {
			var n int64
			err := db.Write(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, `DELETE FROM scores WHERE machine_id = ? AND ts_ms IN
					(SELECT ts_ms FROM scores WHERE machine_id = ? AND ts_ms < ? ORDER BY ts_ms LIMIT ?)`,
					id, id, cut, pruneChunk)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, fmt.Errorf("store: prune scores of machine %q: %w", id, err)
			}
			total += n
			if n < pruneChunk {
				break
			}
		}
	}
	return total, nil
}

// PruneRollups deletes rollup buckets of resolution res that start before
// olderThan and returns how many it deleted.
func (db *DB) PruneRollups(ctx context.Context, res Resolution, olderThan time.Time) (int64, error) {
	if res.Duration() == 0 {
		return 0, fmt.Errorf("store: prune rollups: resolution %q: %w", res, ErrInvalid)
	}
	var n int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "DELETE FROM score_rollups WHERE resolution = ? AND bucket_start_ms < ?",
			string(res), ms(olderThan))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune %s rollups: %w", res, err)
	}
	return n, nil
}

func (db *DB) machineIDs(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT id FROM machines ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
