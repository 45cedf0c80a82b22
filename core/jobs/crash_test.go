package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/core/internal/crashtest"
	"signalcraft/core/store"
)

// crashHelperEnv names the directory of the helper process's database and logs.
const crashHelperEnv = "SIGNALCRAFT_JOBS_CRASH_HELPER_DIR"

// crashJobs is how many jobs each helper run enqueues (the same keys every run).
const crashJobs = 400

// crashConfig is the workers' configuration in the helper and the parent. The
// lease is far longer than the test: only the restart's lease expiry can
// bring back the jobs a killed process was running.
var crashConfig = WorkerConfig{Concurrency: 4, Lease: time.Hour, MaxAttempts: 10,
	Backoff: Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond, Jitter: 0.5}}

// applier is the crash test's handler. It "applies" a job by appending its
// key to applied.log, and checks applied.log first so a job that is
// delivered again after a crash is not applied twice: the idempotency a real
// handler gets from its delivery keys. Every delivery, applied or not, is
// appended to tries.log. Both files are written with O_APPEND and fsync:
// one write per line, so a kill never leaves half a line.
type applier struct {
	mu       sync.Mutex
	applied  map[string]bool
	appliedF *os.File
	triesF   *os.File
	report   bool // print "applied KEY" on stdout for the parent
}

func openApplier(dir string, report bool) (*applier, error) {
	keys, err := readLines(filepath.Join(dir, "applied.log"))
	if err != nil {
		return nil, err
	}
	a := &applier{applied: map[string]bool{}, report: report}
	for _, k := range keys {
		a.applied[k] = true
	}
	open := func(name string) (*os.File, error) {
		return os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	if a.appliedF, err = open("applied.log"); err != nil {
		return nil, err
	}
	if a.triesF, err = open("tries.log"); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *applier) Close() {
	a.appliedF.Close()
	a.triesF.Close()
}

func appendLine(f *os.File, s string) error {
	if _, err := f.WriteString(s + "\n"); err != nil {
		return err
	}
	return f.Sync()
}

func (a *applier) handle(ctx context.Context, j Job) error {
	a.mu.Lock()
	err := a.apply(j.Key)
	a.mu.Unlock()
	// The job's outcome is recorded after this returns: a kill in between
	// leaves an applied job running, to be delivered again.
	time.Sleep(2 * time.Millisecond)
	return err
}

func (a *applier) apply(key string) error {
	if err := appendLine(a.triesF, key); err != nil {
		return err
	}
	if a.applied[key] {
		return nil
	}
	if err := appendLine(a.appliedF, key); err != nil {
		return err
	}
	a.applied[key] = true
	if a.report {
		// fmt.Printf writes straight to the file descriptor: nothing is
		// buffered in the process when it is killed.
		fmt.Printf("applied %s\n", key)
	}
	return nil
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// TestHelperJobsCrash is not a test: TestCrashRecovery runs the test binary
// again with only this function selected and crashHelperEnv set. It runs a
// queue and enqueues crashJobs jobs, printing "accepted KEY" after each
// enqueue returned, while its workers apply them, until it is killed.
func TestHelperJobsCrash(t *testing.T) {
	dir := os.Getenv(crashHelperEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashRecovery")
	}
	fail := func(err error) {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "jobs.db"))
	if err != nil {
		fail(err)
	}
	q, err := New(db, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		fail(err)
	}
	a, err := openApplier(dir, true)
	if err != nil {
		fail(err)
	}
	q.Handle("apply", a.handle, crashConfig)
	go func() {
		if err := q.Run(ctx); err != nil {
			fail(err)
		}
	}()
	for i := range crashJobs {
		key := fmt.Sprintf("k%04d", i)
		if _, _, err := q.Enqueue(ctx, Job{Kind: "apply", Key: key, Priority: i % 3}); err != nil {
			fail(err)
		}
		fmt.Printf("accepted %s\n", key)
	}
	// Safety net: a helper that is never killed stops by itself.
	time.Sleep(60 * time.Second)
	os.Exit(3)
}

// TestCrashRecovery kills a process that is enqueueing and running jobs
// with SIGKILL, twice, then runs a queue on the same database to the end:
// every accepted job completes, none is lost, and with the handler's own
// idempotency check none is applied twice although some are delivered
// twice. The leases of the killed processes are an hour long, so finishing
// in bounded time also shows that a restart expires them at once.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	dir := t.TempDir()
	accepted := map[string]bool{}
	orphans := 0
	for run, killAfter := range []int{80, 120} {
		runAndKill(t, dir, killAfter, accepted)
		n := countRunning(t, dir)
		orphans += n
		t.Logf("run %d: killed after %d applied; %d jobs accepted so far; %d left running", run, killAfter, len(accepted), n)
	}
	if orphans == 0 {
		t.Fatal("no job was running when the helpers were killed; the test proves nothing")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(dir, "jobs.db"))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := New(db, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApplier(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	q.Handle("apply", a.handle, crashConfig)
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- q.Run(runCtx) }()
	var st KindStats
	for {
		st = kindStats(t, q, "apply")
		if st.Queued+st.Running+st.Failed == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("recovery did not finish in 30 s: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}

	all, err := q.List(ctx, Filter{Kind: "apply", Limit: 10 * crashJobs})
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	recovered := 0
	for _, j := range all {
		inTable[j.Key] = true
		if j.State != StateDone {
			t.Errorf("job %s: %s after recovery (%s)", j.Key, j.State, j.LastError)
		}
		if j.Attempt > 1 {
			recovered++
		}
	}
	if st.Dead != 0 || st.Done != int64(len(all)) {
		t.Errorf("stats after recovery: %+v, want all %d done", st, len(all))
	}
	for k := range accepted {
		if !inTable[k] {
			t.Errorf("accepted job %s lost", k)
		}
	}
	applied, err := readLines(filepath.Join(dir, "applied.log"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range applied {
		if seen[k] {
			t.Errorf("job %s applied twice", k)
		}
		seen[k] = true
	}
	for k := range inTable {
		if !seen[k] {
			t.Errorf("job %s done but never applied", k)
		}
	}
	if len(seen) != len(inTable) {
		t.Errorf("%d keys applied, %d jobs in the table", len(seen), len(inTable))
	}
	tries, err := readLines(filepath.Join(dir, "tries.log"))
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]int{}
	for _, k := range tries {
		delivered[k]++
	}
	twice := 0
	for _, n := range delivered {
		if n > 1 {
			twice++
		}
	}
	if recovered == 0 {
		t.Errorf("no job had a second attempt, but %d were left running by the kills", orphans)
	}
	t.Logf("%d jobs accepted, %d in the table, all done and applied once; %d deliveries, %d jobs delivered more than once, %d jobs with more than one attempt",
		len(accepted), len(all), len(tries), twice, recovered)
}

// runAndKill runs the helper until it has reported killAfter applied jobs, kills it with
// SIGKILL, and adds the keys it reported accepted to accepted.
func runAndKill(t *testing.T, dir string, killAfter int, accepted map[string]bool) {
	t.Helper()
	applied := 0
	crashtest.RunAndKill(t, "TestHelperJobsCrash", []string{crashHelperEnv + "=" + dir}, func(line string) bool {
		switch {
		case strings.HasPrefix(line, "accepted "):
			accepted[strings.TrimPrefix(line, "accepted ")] = true
		case strings.HasPrefix(line, "applied "):
			applied++
		}
		return applied == killAfter
	})
}

// countRunning returns how many jobs a killed helper left running.
func countRunning(t *testing.T, dir string) int {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "jobs.db"))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	err = db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT count(*) FROM jobs WHERE state = 'running'").Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
