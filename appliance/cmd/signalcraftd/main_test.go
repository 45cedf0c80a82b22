package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"signalcraft/core/store"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "signalcraftd dev\n" {
		t.Fatalf("--version printed %q", got)
	}
	err := run(context.Background(), []string{"frobnicate"}, &out, &errb)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %v (exit %d)", err, exitCode(err))
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	write(t, good, simYAML(dir, 0))
	write(t, bad, strings.Replace(simYAML(dir, 0), "learning: 10s", "learning: 10s, sensitivity: 3", 1))
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--check-config", "--config", good}, &out, &errb); err != nil {
		t.Fatalf("good config rejected: %v", err)
	}
	if !strings.Contains(out.String(), "configuration ok: 1 source(s), 2 machine(s)") {
		t.Fatalf("check-config printed %q", out.String())
	}
	err := run(context.Background(), []string{"--check-config", "--config", bad}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `unknown field "sensitivity" in machines[0].detection`) {
		t.Fatalf("bad config: %v", err)
	}
	if err := run(context.Background(), []string{"--demo", "--config", good}, &out, &errb); err == nil || exitCode(err) != 2 {
		t.Fatalf("--demo with --config: %v", err)
	}
}

func simYAML(dir string, faultAt time.Duration) string {
	// 1-s windows and no persistence beyond them: an event within 2 s of the fault, so the
	// real-time tests stay short
	const short = ", window: 1s, hop: 500ms, persistence: 0s"
	fault := ""
	if faultAt > 0 {
		fault = "\n      faults: [{channel: 1, start: " + faultAt.String() + ", ramp: 1s, level: 3}]"
	}
	return `data_dir: ` + dir + `
store: {batch_size: 1000, flush_every: 1h}
api: {socket: ` + filepath.Join(dir, "api.sock") + `}
sources:
  - id: sim
    kind: simulator
    channels: 2
    simulator:
      seed: 1` + fault + `
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 10s` + short + `}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 10s` + short + `}}
`
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSIGTERMFlushes runs the real binary on a live (real-time) simulator with a store that
// would never flush by itself (batch 1000, every hour), stops it with SIGTERM and checks that
// it exits cleanly with every analysed window in the database and no event left open.
func TestSIGTERMFlushes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon for ~16 s")
	}
	dir := t.TempDir()
	bin := buildDaemon(t)
	cfg := filepath.Join(dir, "sc.yaml")
	write(t, cfg, simYAML(dir, 13*time.Second))
	cmd := exec.Command(bin, "run", "--config", cfg)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(16 * time.Second) // learning (10 s) and a few seconds of the fault
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon exited with %v after SIGTERM:\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("daemon did not exit within 15 s of SIGTERM:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "stopping: flushing") {
		t.Errorf("no shutdown log line:\n%s", logs.String())
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "signalcraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"fan-1", "pump-2"} {
		scores, err := db.Scores(ctx, m, time.Time{}, time.Now().Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		// windows of 1 s every 0.5 s for about 16 s: all of them, although none was flushed before SIGTERM
		if len(scores) < 25 {
			t.Errorf("%s: %d windows stored after SIGTERM, want at least 25", m, len(scores))
		}
	}
	open, err := db.Events(ctx, store.EventFilter{OpenOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Errorf("%d event(s) left open after shutdown", len(open))
	}
	all, _ := db.Events(ctx, store.EventFilter{MachineID: "pump-2"})
	if len(all) == 0 {
		t.Errorf("pump-2's fault raised no event before SIGTERM:\n%s", logs.String())
	}
	if _, err := db.ActiveModel(ctx, "fan-1"); errors.Is(err, store.ErrNotFound) {
		t.Errorf("fan-1's learned model was not saved")
	}
}
