package replicate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benbjohnson/litestream"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
)

// Restore errors, wrapped with the paths involved.
var (
	// ErrTargetExists reports a restore target that already exists (or has -wal/-shm
	// files): restore never overwrites.
	ErrTargetExists = errors.New("restore target exists")
	// ErrLiveDatabase reports a restore target that is the live database's path.
	ErrLiveDatabase = errors.New("restore target is the live database")
	// ErrNoBackup reports that the replica holds nothing to restore (at that time).
	ErrNoBackup = errors.New("no backup in the replica")
	// ErrVerify reports a restored file that failed verification; it is left in place
	// for inspection.
	ErrVerify = errors.New("restored database failed verification")
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// LivePath is the database the daemon uses; Restore refuses to write there.
	LivePath string
	// Timestamp restores the state at that time; zero restores the latest.
	Timestamp time.Time
	// Getenv reads the environment for credentials (default os.Getenv).
	Getenv func(string) string
}

// RestoreResult describes a restored database.
type RestoreResult struct {
	Path          string
	Bytes         int64
	SchemaVersion int
	// Tables counts the rows of every table (Litestream's own _litestream_* tables too).
	Tables map[string]int64
	// ReplicaUpdated is when the newest replica file used was written.
	ReplicaUpdated time.Time
	// Instance is the restored database's new instance id, PreviousInstance the replica's
	// (see store.DB.RenewInstance).
	Instance, PreviousInstance string
}

// Restore rebuilds the database from the replica into to, which must not exist and must
// not be the live database, then verifies it: PRAGMA integrity_check, and opening it with
// core/store (which checks the schema version and applies pending migrations, as the
// daemon would on start). A file that fails verification is left for inspection and the
// error wraps ErrVerify.
//
// The restored database gets a new instance id: the appliance it was replicated from may
// have sent notifications after the replica's last sync, under keys the restored alert
// state (its sequence is older) would derive again for new alerts, and a receiver that
// de-duplicates by key would drop those. Notifications already stored in the copy (alert
// outbox, queued jobs) keep their keys, so the ones the original delivered are still
// dropped as duplicates.
func Restore(ctx context.Context, cfg config.S3Replication, to string, o RestoreOptions) (RestoreResult, error) {
	res := RestoreResult{Path: to}
	if err := checkTarget(to, o.LivePath); err != nil {
		return res, err
	}
	creds, err := ResolveCredentials(cfg, o.Getenv)
	if err != nil {
		return res, err
	}
	dropCABundle(discardLogger())
	if dir := filepath.Dir(to); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return res, fmt.Errorf("replicate: restore: %w", err)
		}
	}
	client := newClient(cfg, creds)
	client.SetLogger(discardLogger())
	if err := client.Init(ctx); err != nil {
		return res, fmt.Errorf("replicate: restore: %w", err)
	}
	rep := litestream.NewReplicaWithClient(nil, client)
	opt := litestream.NewRestoreOptions()
	opt.OutputPath = to
	opt.Timestamp = o.Timestamp
	opt.IntegrityCheck = litestream.IntegrityCheckFull
	if err := rep.Restore(ctx, opt); err != nil {
		if errors.Is(err, litestream.ErrNoSnapshots) || errors.Is(err, litestream.ErrTxNotAvailable) {
			at := "latest"
			if !o.Timestamp.IsZero() {
				at = o.Timestamp.UTC().Format(time.RFC3339)
			}
			return res, fmt.Errorf("replicate: restore from s3 bucket %q prefix %q (%s): %w: %w", cfg.Bucket, cfg.Prefix, at, ErrNoBackup, err)
		}
		return res, fmt.Errorf("replicate: restore from s3 bucket %q prefix %q: %w", cfg.Bucket, cfg.Prefix, err)
	}
	if _, updated, err := rep.TimeBounds(ctx); err == nil {
		res.ReplicaUpdated = updated
	}
	if err := verify(ctx, &res); err != nil {
		return res, err
	}
	return res, nil
}

// checkTarget refuses an existing target (or its -wal/-shm) and the live database.
func checkTarget(to, live string) error {
	if to == "" {
		return fmt.Errorf("replicate: restore: empty target path")
	}
	abs, err := filepath.Abs(to)
	if err != nil {
		return fmt.Errorf("replicate: restore: %w", err)
	}
	if live != "" {
		liveAbs, err := filepath.Abs(live)
		if err != nil {
			return fmt.Errorf("replicate: restore: %w", err)
		}
		same := liveAbs == abs
		if fi, err := os.Stat(to); err == nil {
			if li, err := os.Stat(live); err == nil && os.SameFile(fi, li) {
				same = true
			}
		}
		if same {
			return fmt.Errorf("replicate: restore to %s: %w: restore to a new path, stop the service, then move the file into place", to, ErrLiveDatabase)
		}
	}
	for _, p := range []string{to, to + "-wal", to + "-shm"} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("replicate: restore to %s: %w (%s): choose a new path; restore never overwrites", to, ErrTargetExists, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replicate: restore to %s: %w", to, err)
		}
	}
	return nil
}

// verify opens the restored file with core/store, runs the integrity check, reads the
// schema version and counts every table's rows, then closes it (which checkpoints, so the
// file stands alone).
func verify(ctx context.Context, res *RestoreResult) (err error) {
	db, err := store.Open(ctx, res.Path)
	if err != nil {
		return fmt.Errorf("replicate: restore %s: %w: %w", res.Path, ErrVerify, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("replicate: restore %s: %w", res.Path, cerr)
		}
		if err == nil {
			if fi, serr := os.Stat(res.Path); serr == nil {
				res.Bytes = fi.Size()
			}
		}
	}()
	if err := db.IntegrityCheck(ctx); err != nil {
		return fmt.Errorf("replicate: restore %s: %w: %w", res.Path, ErrVerify, err)
	}
	if res.SchemaVersion, err = db.SchemaVersion(ctx); err != nil {
		return fmt.Errorf("replicate: restore %s: %w: %w", res.Path, ErrVerify, err)
	}
	in, err := db.RenewInstance(ctx)
	if err != nil {
		return fmt.Errorf("replicate: restore %s: %w", res.Path, err)
	}
	res.Instance, res.PreviousInstance = in.ID, in.Previous
	res.Tables = map[string]int64{}
	err = db.Read(ctx, func(tx *sql.Tx) error {
		names, err := tableNames(ctx, tx)
		if err != nil {
			return err
		}
		for _, n := range names {
			var c int64
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(n, `"`, `""`)+`"`).Scan(&c); err != nil {
				return fmt.Errorf("count %s: %w", n, err)
			}
			res.Tables[n] = c
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replicate: restore %s: %w: %w", res.Path, ErrVerify, err)
	}
	return nil
}

// tableNames lists the database's tables (not SQLite's internal ones), sorted.
func tableNames(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
