package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"signalcraft/core/dataset"
)

// labelFalseAlarm is the event label (core/api.LabelFalseAlarm) whose sound is normal.
const labelFalseAlarm = "false_alarm"

// EventSource is the working-set source of the item an event's label makes: "event:<id>".
func EventSource(eventID int64) string { return "event:" + strconv.FormatInt(eventID, 10) }

// PutDatasetItem adds it to its machine's working set, or replaces the item of the same
// (machine, source). The machine must exist (ErrNotFound). Split is not kept: a version's
// split is assigned when it is built (dataset.New).
func (db *DB) PutDatasetItem(ctx context.Context, it dataset.Item) error {
	err := db.Write(ctx, func(tx *sql.Tx) error { return db.putDatasetItemTx(ctx, tx, it) })
	if err != nil {
		return fmt.Errorf("store: put dataset item %q of %q: %w", it.Source, it.Machine, err)
	}
	return nil
}

func (db *DB) putDatasetItemTx(ctx context.Context, tx *sql.Tx, it dataset.Item) error {
	it.Split = ""
	if err := it.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO dataset_items (machine_id, source, sha256, label, start_ms, seconds, updated_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (machine_id, source) DO UPDATE SET sha256 = excluded.sha256, label = excluded.label,
			start_ms = excluded.start_ms, seconds = excluded.seconds, updated_at_ms = excluded.updated_at_ms`,
		it.Machine, it.Source, it.SHA256, it.Label, ms(it.Start), it.Seconds, db.nowMS())
	if isForeignKey(err) {
		return fmt.Errorf("machine %q: %w", it.Machine, ErrNotFound)
	}
	return err
}

// DeleteDatasetItem removes the item of (machine, source) from the working set; removing
// one that is not there is not an error.
func (db *DB) DeleteDatasetItem(ctx context.Context, machine, source string) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM dataset_items WHERE machine_id = ? AND source = ?", machine, source)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete dataset item %q of %q: %w", source, machine, err)
	}
	return nil
}

// DatasetItems returns the working set of a machine, in manifest order (start, sha256,
// source), splits unset.
func (db *DB) DatasetItems(ctx context.Context, machine string) ([]dataset.Item, error) {
	var out []dataset.Item
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT source, sha256, label, start_ms, seconds FROM dataset_items
			WHERE machine_id = ? ORDER BY start_ms, sha256, source`, machine)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it := dataset.Item{Machine: machine}
			var start int64
			if err := rows.Scan(&it.Source, &it.SHA256, &it.Label, &start, &it.Seconds); err != nil {
				return err
			}
			it.Start = fromMS(start)
			out = append(out, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: dataset items of %q: %w", machine, err)
	}
	return out, nil
}

// labelDatasetItemTx keeps the working set in step with an event's label, inside the
// transaction that sets it: false_alarm makes the event's clip a normal item, another label
// a fault item of that label, and "" removes the item. The item is the event's clip
// (sha256, start and duration from the clips table); an event without a clip has none, but
// an item made while the clip existed is relabelled or removed all the same.
func (db *DB) labelDatasetItemTx(ctx context.Context, tx *sql.Tx, eventID int64, label string) error {
	var machine string
	if err := tx.QueryRowContext(ctx, "SELECT machine_id FROM events WHERE id = ?", eventID).Scan(&machine); err != nil {
		return err
	}
	source := EventSource(eventID)
	if label == "" {
		_, err := tx.ExecContext(ctx, "DELETE FROM dataset_items WHERE machine_id = ? AND source = ?", machine, source)
		return err
	}
	if label == labelFalseAlarm {
		label = dataset.Normal
	}
	r, err := tx.ExecContext(ctx, "UPDATE dataset_items SET label = ?, updated_at_ms = ? WHERE machine_id = ? AND source = ?",
		label, db.nowMS(), machine, source)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var sha string
	var start, dur int64
	err = tx.QueryRowContext(ctx, "SELECT sha256, start_ms, duration_ms FROM clips WHERE event_id = ?", eventID).Scan(&sha, &start, &dur)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // no recording, no item
	}
	if err != nil {
		return err
	}
	return db.putDatasetItemTx(ctx, tx, dataset.Item{SHA256: sha, Machine: machine, Label: label,
		Start: fromMS(start), Seconds: float64(dur) / 1000, Source: source})
}

// DatasetVersion describes a saved dataset version.
type DatasetVersion struct {
	ID, Machine, Note     string
	CreatedAt             time.Time
	Items, Normal, Faults int
	Seconds               float64
}

// SaveDatasetVersion saves m as an immutable version under m.ID(). Saving a version that
// exists changes nothing and returns it with created = false. The manifest must be valid
// (ErrInvalid) and its machine exist (ErrNotFound).
func (db *DB) SaveDatasetVersion(ctx context.Context, m dataset.Manifest, note string) (v DatasetVersion, created bool, err error) {
	wrap := func(err error) error { return fmt.Errorf("store: save dataset version of %q: %w", m.Machine, err) }
	if err := m.Validate(); err != nil {
		return DatasetVersion{}, false, wrap(fmt.Errorf("%w: %w", ErrInvalid, err))
	}
	c := m.Counts()
	v = DatasetVersion{ID: m.ID(), Machine: m.Machine, Note: note, Items: c.Items, Normal: c.Normal, Faults: c.Faults, Seconds: c.Seconds}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		now := db.nowMS()
		r, err := tx.ExecContext(ctx, `INSERT INTO dataset_versions (id, machine_id, created_at_ms, note, manifest, items, normal, faults, seconds)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			v.ID, v.Machine, now, note, m.Canonical(), c.Items, c.Normal, c.Faults, c.Seconds)
		if isForeignKey(err) {
			return fmt.Errorf("machine %q: %w", m.Machine, ErrNotFound)
		}
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		if created = n == 1; created {
			v.CreatedAt = fromMS(now)
			return nil
		}
		v, err = scanDatasetVersion(tx.QueryRowContext(ctx, "SELECT "+datasetVersionCols+" FROM dataset_versions WHERE id = ?", v.ID))
		return err
	})
	if err != nil {
		return DatasetVersion{}, false, wrap(err)
	}
	return v, created, nil
}

const datasetVersionCols = "id, machine_id, note, created_at_ms, items, normal, faults, seconds"

func scanDatasetVersion(s interface{ Scan(...any) error }) (DatasetVersion, error) {
	var v DatasetVersion
	var created int64
	if err := s.Scan(&v.ID, &v.Machine, &v.Note, &created, &v.Items, &v.Normal, &v.Faults, &v.Seconds); err != nil {
		return DatasetVersion{}, err
	}
	v.CreatedAt = fromMS(created)
	return v, nil
}

// MinIDPrefix is the shortest prefix of a dataset version id DatasetVersion accepts.
const MinIDPrefix = 8

// DatasetVersion returns a saved version and its manifest, by id or by a prefix of at least
// MinIDPrefix hex digits (ErrInvalid if shorter, ErrConflict if it names several versions,
// ErrNotFound if none). A stored manifest that no longer hashes to its id is an error.
func (db *DB) DatasetVersion(ctx context.Context, id string) (dataset.Manifest, DatasetVersion, error) {
	wrap := func(err error) error { return fmt.Errorf("store: dataset version %q: %w", id, err) }
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < MinIDPrefix || len(id) > 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return dataset.Manifest{}, DatasetVersion{}, wrap(fmt.Errorf("want at least %d hex digits of the id: %w", MinIDPrefix, ErrInvalid))
	}
	var v DatasetVersion
	var blob []byte
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+datasetVersionCols+", manifest FROM dataset_versions WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
			id, id+"g") // 'g' sorts after every hex digit: the range of ids starting with the prefix
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
			var created int64
			if err := rows.Scan(&v.ID, &v.Machine, &v.Note, &created, &v.Items, &v.Normal, &v.Faults, &v.Seconds, &blob); err != nil {
				return err
			}
			v.CreatedAt = fromMS(created)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		switch n {
		case 0:
			return ErrNotFound
		case 1:
			return nil
		}
		return fmt.Errorf("the prefix names more than one version: %w", ErrConflict)
	})
	if err != nil {
		return dataset.Manifest{}, DatasetVersion{}, wrap(err)
	}
	var m dataset.Manifest
	if err := json.Unmarshal(blob, &m); err != nil {
		return dataset.Manifest{}, DatasetVersion{}, wrap(fmt.Errorf("decode manifest: %w", err))
	}
	if got := m.ID(); got != v.ID {
		return dataset.Manifest{}, DatasetVersion{}, wrap(fmt.Errorf("stored manifest hashes to %s, not its id", got))
	}
	return m, v, nil
}

// DatasetVersions returns the saved versions of a machine, newest first.
func (db *DB) DatasetVersions(ctx context.Context, machine string) ([]DatasetVersion, error) {
	var out []DatasetVersion
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+datasetVersionCols+" FROM dataset_versions WHERE machine_id = ? ORDER BY created_at_ms DESC, rowid DESC", machine)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanDatasetVersion(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: dataset versions of %q: %w", machine, err)
	}
	return out, nil
}

// LabelsSince returns how many times the events of a machine were labelled, relabelled or
// cleared (event.label audit entries) at or after since: a trigger for retraining.
func (db *DB) LabelsSince(ctx context.Context, machine string, since time.Time) (int, error) {
	var n int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log a JOIN events e ON a.target = 'event/' || e.id
			WHERE a.action = 'event.label' AND a.ts_ms >= ? AND e.machine_id = ?`, ms(since), machine).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("store: labels of %q since %v: %w", machine, since, err)
	}
	return n, nil
}
