package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"signalcraft/core/internal/crashtest"
)

// crashHelperEnv names the database the helper process ingests into.
const crashHelperEnv = "SIGNALCRAFT_STORE_CRASH_HELPER_DB"

// crashBatch is the batch size of the helper; at most one batch may be lost.
const crashBatch = 1000

// TestHelperIngest is not a test: TestCrashDuringIngest runs the test binary
// again with only this function selected and crashHelperEnv set. It ingests
// scores continuously and prints "committed N" (N = rows committed by this
// process) after every commit, until it is killed.
func TestHelperIngest(t *testing.T) {
	path := os.Getenv(crashHelperEnv)
	if path == "" {
		t.Skip("helper process of TestCrashDuringIngest")
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	if err := db.UpsertMachine(ctx, Machine{ID: "m1"}); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	start := t0
	if last, err := db.Scores(ctx, "m1", time.Time{}, time.Time{}, 1); err == nil && len(last) == 1 {
		start = last[0].Time.Add(time.Second)
	}
	b, err := db.NewBatcher(BatcherConfig{
		BatchSize:  crashBatch,
		FlushEvery: -1,
		MaxPending: 1 << 20,
		OnFlush: func(r FlushResult) {
			// fmt.Printf writes straight to the file descriptor: no buffer
			// to lose when the process is killed.
			if r.Err != nil {
				fmt.Printf("error %v\n", r.Err)
				return
			}
			fmt.Printf("committed %d\n", r.Committed)
		},
	})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	// Safety net: a helper that is never killed stops by itself.
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		s := genScores("m1", start.Add(time.Duration(i)*time.Second), 1)[0]
		s.Score = float64(i % 13)
		if err := b.Add(s); err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(2)
		}
		for b.Stats().Pending > 2*crashBatch {
			time.Sleep(100 * time.Microsecond)
		}
	}
	os.Exit(3)
}

// TestCrashDuringIngest kills an ingesting process with SIGKILL several times
// and checks that the database passes PRAGMA integrity_check, lost at most
// the batch that was being committed, kept rollups consistent with the raw
// rows, and accepts writes again.
func TestCrashDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	// The delays after the last awaited line vary where in the next batch the
	// kill lands; the bounds checked hold wherever it lands.
	runs := []struct {
		killAfter int
		delay     time.Duration
	}{{3, 0}, {5, time.Millisecond}, {8, 3 * time.Millisecond}}
	for run, r := range runs {
		killAfter := r.killAfter
		before := inspectCrashDB(t, path, -1, -1)
		committed := ingestAndKill(t, path, killAfter, r.delay)
		rows := inspectCrashDB(t, path, before+committed, before+committed+crashBatch)
		t.Logf("run %d: killed after %d reported commits; %d rows before, %d reported, %d after reopen",
			run, killAfter, before, committed, rows)
	}
}

// ingestAndKill runs the helper until it has reported killAfter commits, kills it with
// SIGKILL (after delay) and returns the last committed count it reported.
func ingestAndKill(t *testing.T, path string, killAfter int, delay time.Duration) int {
	t.Helper()
	last, seen := 0, 0
	crashtest.RunAndKill(t, "TestHelperIngest", []string{crashHelperEnv + "=" + path}, func(line string) bool {
		if !strings.HasPrefix(line, "committed ") {
			return false
		}
		n, err := strconv.Atoi(strings.TrimPrefix(line, "committed "))
		if err != nil {
			t.Fatalf("helper printed %q", line)
		}
		last, seen = n, seen+1
		if seen == killAfter {
			time.Sleep(delay)
		}
		return seen == killAfter
	})
	return last
}

// inspectCrashDB opens the database, checks it and returns its row count;
// with lo >= 0 it also checks lo <= rows <= hi. A missing file counts 0.
func inspectCrashDB(t *testing.T, path string, lo, hi int) int {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return 0
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	rows := countScores(t, db)
	if lo >= 0 && (rows < lo || rows > hi) {
		t.Fatalf("%d rows after crash, want between %d (all reported commits) and %d (plus one batch)", rows, lo, hi)
	}
	var rolled int
	if err := db.r.QueryRowContext(ctx, "SELECT COALESCE(sum(n), 0) FROM score_rollups WHERE resolution = '1h'").Scan(&rolled); err != nil {
		t.Fatal(err)
	}
	if rolled != rows {
		t.Fatalf("1h rollups count %d windows but %d rows survived", rolled, rows)
	}
	// Writable again: an event opens and closes (events do not touch scores).
	if rows > 0 {
		id, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: 1, Threshold: 1})
		if err != nil {
			t.Fatalf("write after crash: %v", err)
		}
		if err := db.CloseEvent(ctx, id, t0.Add(time.Second), 1); err != nil {
			t.Fatalf("write after crash: %v", err)
		}
	}
	return rows
}
