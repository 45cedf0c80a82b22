package replicate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"signalcraft/appliance/replicate/s3test"
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/metrics"
	"signalcraft/core/store"
)

func init() {
	// Litestream's S3 client cannot use AWS_CA_BUNDLE (set on these machines); the
	// replicator drops it too, this keeps every test independent of the order.
	os.Unsetenv("AWS_CA_BUNDLE")
}

func testCfg(s *s3test.Server, bucket string) config.S3Replication {
	return config.S3Replication{Endpoint: s.Endpoint(), Region: "us-east-1", Bucket: bucket, Prefix: "site-a/line-1",
		PathStyle: true, AccessKeyID: s3test.KeyID, SecretAccessKey: config.Secret(s3test.Secret), SyncInterval: 100 * time.Millisecond}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openLive opens a store database in a temp dir.
func openLive(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "signalcraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.UpsertMachine(ctx, store.Machine{ID: "pump-1", Name: "Pump 1", Kind: "pump"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertSensor(ctx, store.Sensor{ID: "mic-1", MachineID: "pump-1", Device: "hw:0", Channel: 0, SampleRate: 16000}); err != nil {
		t.Fatal(err)
	}
	return db
}

// writeData writes n scores starting at window from, and opens and closes an event.
func writeData(t *testing.T, db *store.DB, from, n int) {
	t.Helper()
	ctx := context.Background()
	scores := make([]store.Score, n)
	for i := range scores {
		k := from + i
		scores[i] = store.Score{MachineID: "pump-1", Time: t0.Add(time.Duration(k) * time.Second), Score: float64(k % 13),
			Smoothed: float64(k%13) / 2, Threshold: 9, State: "monitoring", Anomalous: k%13 == 12, LevelDBFS: -40,
			Features: &store.Features{RMS: 0.1, Peak: float64(k%7) / 10, Crest: 5}}
	}
	if _, err := db.WriteScores(ctx, scores); err != nil {
		t.Fatal(err)
	}
	id, err := db.OpenEvent(ctx, store.Event{MachineID: "pump-1", Start: t0.Add(time.Duration(from) * time.Second), PeakScore: 12, Threshold: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CloseEvent(ctx, id, t0.Add(time.Duration(from+n)*time.Second), 12.5); err != nil {
		t.Fatal(err)
	}
}

// dump returns every table's rows as sorted text lines, table by table.
func dump(t *testing.T, path string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	names, err := tableNames(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, n := range names {
		rows, err := tx.QueryContext(ctx, `SELECT * FROM "`+n+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		lines := []string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		out[n] = lines
	}
	return out
}

func assertSameRows(t *testing.T, live, restored string) {
	t.Helper()
	a, b := dump(t, live), dump(t, restored)
	var an, bn []string
	for k := range a {
		an = append(an, k)
	}
	for k := range b {
		bn = append(bn, k)
	}
	slices.Sort(an)
	slices.Sort(bn)
	if !slices.Equal(an, bn) {
		t.Fatalf("tables differ:\n live     %v\n restored %v", an, bn)
	}
	for _, n := range an {
		if n == "instance" { // a restore renews it (TestReplicateAndRestore checks it)
			continue
		}
		if !slices.Equal(a[n], b[n]) {
			t.Errorf("table %s: live has %d rows, restored %d; first live %v, first restored %v", n, len(a[n]), len(b[n]), first(a[n]), first(b[n]))
		}
	}
	if len(a["scores"]) == 0 || len(a["events"]) == 0 {
		t.Fatalf("no scores or events to compare: %d scores, %d events", len(a["scores"]), len(a["events"]))
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return s[0]
}

// startReplicator starts a replicator on db reporting into m; Cleanup closes it.
func startReplicator(t *testing.T, cfg config.S3Replication, db *store.DB, m *metrics.Metrics, logw *syncWriter) *Replicator {
	t.Helper()
	o := Options{Reporter: m, PollInterval: 50 * time.Millisecond, RetryInterval: time.Second, CloseTimeout: 5 * time.Second,
		Getenv: func(string) string { return "" }}
	if logw != nil {
		o.Logger = slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := New(cfg, db.Path(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func restore(t *testing.T, cfg config.S3Replication, to, live string) RestoreResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Restore(ctx, cfg, to, RestoreOptions{LivePath: live, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestReplicateAndRestore writes through core/store, forces a sync, restores into a new
// file and compares every table row for row. The bucket does not exist beforehand.
func TestReplicateAndRestore(t *testing.T) {
	s := s3test.Start(t)
	db := openLive(t)
	writeData(t, db, 0, 500)
	m := metrics.New(metrics.Options{})
	cfg := testCfg(s, "signalcraft-backups")
	r := startReplicator(t, cfg, db, m, nil)
	writeData(t, db, 500, 700)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	st := r.Status()
	if st.LocalTXID == 0 || st.ReplicaTXID != st.LocalTXID || st.Lag != 0 || st.LastSync.IsZero() || st.LastError != "" {
		t.Fatalf("status after sync = %+v, want caught up without error", st)
	}
	h := m.HealthReplication()
	if !h.Configured || h.LagSeconds == nil || *h.LagSeconds != 0 || h.LastSync.IsZero() {
		t.Fatalf("health replication = %+v, want configured, lag 0, last sync set", h)
	}

	to := filepath.Join(t.TempDir(), "restored", "signalcraft.db")
	res := restore(t, cfg, to, db.Path())
	if res.SchemaVersion < 1 || res.Tables["scores"] != 1200 || res.Tables["events"] != 2 || res.Bytes == 0 {
		t.Fatalf("restore result = %+v, want schema >= 1, 1200 scores, 2 events", res)
	}
	live, err := db.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.PreviousInstance != live.ID || res.Instance == live.ID || res.Instance == "" {
		t.Errorf("restored instance %q (previous %q), live %q: a restore must get a new instance id", res.Instance, res.PreviousInstance, live.ID)
	}
	assertSameRows(t, db.Path(), to)
}

// TestOutageAndCatchUp stops the S3 server during writes: the lag grows and the error is
// reported in health; after a restart on the same port and directory the replica catches up
// by itself and a restore equals the database again.
func TestOutageAndCatchUp(t *testing.T) {
	s := s3test.Start(t)
	db := openLive(t)
	writeData(t, db, 0, 100)
	m := metrics.New(metrics.Options{})
	cfg := testCfg(s, "outage")
	logs := &syncWriter{w: new(bytes.Buffer)}
	r := startReplicator(t, cfg, db, m, logs)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	s.Stop()
	for i := 1; i <= 5; i++ {
		writeData(t, db, i*100, 100)
		time.Sleep(50 * time.Millisecond)
	}
	// An upload fails only after the S3 client's retries (several seconds): wait for the
	// health form to show both a lag and an error newer than the last sync.
	waitFor(t, 30*time.Second, "lag > 1s and a current error in health while the store is down", func() bool {
		st := r.Status()
		h := m.HealthReplication()
		return st.LocalTXID > st.ReplicaTXID && h.LagSeconds != nil && *h.LagSeconds > 1 &&
			h.LastError != "" && !h.LastErrorAt.Before(h.LastSync)
	})
	lag1 := r.Status().Lag
	time.Sleep(300 * time.Millisecond)
	if lag2 := r.Status().Lag; lag2 <= lag1 {
		t.Fatalf("lag did not grow during the outage: %s then %s", lag1, lag2)
	}

	s.Restart()
	waitFor(t, 30*time.Second, "the replica to catch up after the restart", func() bool {
		st := r.Status()
		return st.Lag == 0 && st.ReplicaTXID == st.LocalTXID && st.LastSync.After(st.LastErrorAt)
	})
	h := m.HealthReplication()
	if h.LagSeconds == nil || *h.LagSeconds != 0 || !h.LastSync.After(h.LastErrorAt) {
		t.Fatalf("health replication after catching up = %+v", h)
	}
	to := filepath.Join(t.TempDir(), "after-outage.db")
	restore(t, cfg, to, db.Path())
	assertSameRows(t, db.Path(), to)
	if strings.Contains(logs.String(), s3test.Secret) {
		t.Fatalf("the secret access key appears in the log:\n%s", logs.String())
	}
}

// TestRestoreRefuses: an existing target, its -wal, and the live database path.
func TestRestoreRefuses(t *testing.T) {
	s := s3test.Start(t)
	db := openLive(t)
	writeData(t, db, 0, 10)
	cfg := testCfg(s, "refuse")
	r := startReplicator(t, cfg, db, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	walOnly := filepath.Join(dir, "stale.db")
	if err := os.WriteFile(walOnly+"-wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	live := db.Path()
	relLive, err := filepath.Rel(mustWd(t), live)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, to string
		want     error
	}{
		{"existing file", existing, ErrTargetExists},
		{"leftover wal", walOnly, ErrTargetExists},
		{"live database", live, ErrLiveDatabase},
		{"live database by a relative path", relLive, ErrLiveDatabase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Restore(ctx, cfg, tc.to, RestoreOptions{LivePath: live, Getenv: func(string) string { return "" }})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Restore(%s) = %v, want %v", tc.to, err, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatalf("existing target was changed: %q", b)
	}
	// Nothing replicated under another prefix: a clear ErrNoBackup.
	empty := cfg
	empty.Prefix = "nothing-here"
	if _, err := Restore(ctx, empty, filepath.Join(dir, "none.db"), RestoreOptions{Getenv: func(string) string { return "" }}); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("Restore from an empty prefix = %v, want ErrNoBackup", err)
	}
}

func mustWd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestBucketCreateFailure: a refused CreateBucket is reported clearly (bad credentials).
func TestBucketUnavailable(t *testing.T) {
	s := s3test.Start(t)
	cfg := testCfg(s, "nope")
	cfg.SecretAccessKey = "wrong-secret"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := EnsureBucket(ctx, cfg, Credentials{AccessKeyID: cfg.AccessKeyID, secret: string(cfg.SecretAccessKey)})
	if !errors.Is(err, ErrBucket) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("EnsureBucket with a wrong secret = %v, want ErrBucket naming the bucket", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error shows the secret: %v", err)
	}
}
