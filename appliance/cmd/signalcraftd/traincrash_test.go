package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"signalcraft/core/shareddata"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// TestKill9DuringTraining kills the real daemon with SIGKILL while a train job runs (a
// retraining started by labelled false alarms, throttled to a fifth of a core so that it
// lasts seconds) and restarts it: the job runs again and leaves exactly one challenger,
// recorded with its dataset version and metrics.
func TestKill9DuringTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the daemon, replays real recordings and kills it during a training")
	}
	dir := t.TempDir()
	bin := buildDaemon(t)
	// 20 s of a fan to learn from (too little), then 8 episodes of 20 s it knows and 20 s of
	// other normal clips it takes for anomalies.
	clip := func(i int) []float32 {
		_, ch, err := wav.ReadFile(shareddata.Require(t, "dcase2020-id00", fmt.Sprintf("normal_id_00_%08d.wav", i)))
		if err != nil {
			t.Fatal(err)
		}
		return ch[0]
	}
	x := append(clip(0), clip(1)...)
	for k := 0; k < 8; k++ {
		x = append(append(append(append(x, clip(0)...), clip(1)...), clip(10+2*k)...), clip(11+2*k)...)
	}
	stream := filepath.Join(dir, "fan.wav")
	f, err := os.Create(stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := wav.Encode(f, 16000, [][]float32{x}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "sc.yaml")
	write(t, cfg, fmt.Sprintf(`data_dir: %s
api: {socket: ""}
metrics: {listen: ""}
sources: [{id: mic, kind: wav, paths: [%s], realtime: false}]
machines: [{id: fan-1, kind: fan, sensor: {source: mic, channel: 0}, detection: {learning: 20s}}]
retraining: {check_every: 1s, labels: 3, cpu_share: 0.2}
`, data, stream))
	start := func() (*exec.Cmd, *syncBuffer) {
		cmd := exec.Command(bin, "run", "--config", cfg)
		logs := new(syncBuffer)
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, logs
	}
	waitFor := func(what string, cond func(string) bool, logs *syncBuffer, within time.Duration) {
		t.Helper()
		for end := time.Now().Add(within); !cond(logs.String()); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not within %v\n%s", what, within, logs.String())
			}
		}
	}
	ctx := context.Background()
	cmd, logs := start()
	waitFor("4 events with clips", func(l string) bool { return strings.Count(l, `msg="clip saved"`) >= 4 }, logs, time.Minute)
	db, err := store.Open(ctx, filepath.Join(data, "signalcraft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Events(ctx, store.EventFilter{MachineID: "fan-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs { // the operator's labels, through the store call the API makes
		if err := db.LabelEventAudited(ctx, e.ID, "false_alarm", store.AuditEntry{Time: time.Now(), Actor: "tech-anna",
			Action: "event.label", Target: fmt.Sprintf("event/%d", e.ID), Detail: "false_alarm"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor("a train job", func(l string) bool { return strings.Contains(l, `msg="retraining queued"`) }, logs, 30*time.Second)
	time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
	if strings.Contains(logs.String(), `msg="challenger trained"`) {
		t.Fatalf("the training ended before the kill:\n%s", logs.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the daemon did not die of SIGKILL: %v", err)
	}

	cmd, logs = start()
	waitFor("the train job run again to its end", func(l string) bool { return strings.Contains(l, `msg="challenger trained"`) }, logs, 2*time.Minute)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, logs.String())
	}
	models, err := db.Models(ctx, "fan-1")
	if err != nil {
		t.Fatal(err)
	}
	var trained []store.Model
	for _, m := range models {
		if m.Dataset != "" {
			trained = append(trained, m)
		}
	}
	if len(trained) != 1 || trained[0].Metrics == nil {
		t.Fatalf("after the kill and the rerun: %d trained models (%+v), want exactly one with metrics", len(trained), trained)
	}
	t.Logf("killed during the training; the rerun left challenger v%d (%s): %s", trained[0].Version, trained[0].Stage, trained[0].Reason)
}
