package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"signalcraft/core/notify"
)

// flakyHook answers 503 while down, 200 otherwise, recording every accepted notification.
type flakyHook struct {
	mu       sync.Mutex
	down     bool
	attempts int
	accepted []notify.Message
	keys     map[string]int
}

func (h *flakyHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.attempts++
	if h.down {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	var m notify.Message
	if err := json.Unmarshal(body, &m); err == nil {
		h.accepted = append(h.accepted, m)
		h.keys[r.Header.Get(notify.HeaderIdempotencyKey)]++
	}
}

func (h *flakyHook) state() (attempts int, accepted []notify.Message, keys map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := map[string]int{}
	for key, n := range h.keys {
		k[key] = n
	}
	return h.attempts, append([]notify.Message(nil), h.accepted...), k
}

// TestKill9WithPendingDeliveries: the daemon is killed with SIGKILL while the pump's alert
// cannot be delivered (the receiver is down). After a restart the alert is delivered, once,
// and the alert that was already firing is not announced a second time.
func TestKill9WithPendingDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon twice on a live simulator (~35 s)")
	}
	dir := t.TempDir()
	bin := buildDaemon(t)
	hook := &flakyHook{down: true, keys: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	cfg := filepath.Join(dir, "sc.yaml")
	write(t, cfg, fmt.Sprintf(`data_dir: %s
api: {socket: ""}
sources:
  - id: sim
    kind: simulator
    channels: 2
    simulator: {seed: 2, faults: [{channel: 1, start: 12s, ramp: 1s, level: 3}]}
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 10s}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 10s}}
receivers:
  - {name: hook, type: webhook, webhook: {url: "%s"}}
alerting:
  rules:
    - name: Anomaly
      expr: {metric: anomaly_score, op: ">", enter: 1, exit: 0.9}
      severity: critical
      for: 0s
      keep_firing_for: 120s    # through the healthy start of the restarted simulator
  route: {receiver: hook, group_by: [machine], group_wait: 0s, group_interval: 1s}
`, dir, srv.URL))
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "run", "--config", cfg)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &logs
	}
	waitFor := func(what string, limit time.Duration, cond func() bool, logs *bytes.Buffer) {
		t.Helper()
		for end := time.Now().Add(limit); !cond(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not within %v\n%s", what, limit, logs.String())
			}
		}
	}

	first, logs := start()
	waitFor("a delivery attempt for the pump's alert", 45*time.Second, func() bool {
		n, _, _ := hook.state()
		return n > 0
	}, logs)
	if err := first.Process.Kill(); err != nil { // SIGKILL: no flush, no goodbye
		t.Fatal(err)
	}
	_ = first.Wait()

	hook.mu.Lock()
	hook.down = false
	hook.mu.Unlock()
	second, logs := start()
	waitFor("the pending delivery after the restart", 45*time.Second, func() bool {
		_, acc, _ := hook.state()
		return len(acc) > 0
	}, logs)
	time.Sleep(15 * time.Second) // past the restarted simulator's fault onset: no new announcement
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Fatalf("restarted daemon: %v\n%s", err, logs.String())
	}

	_, accepted, keys := hook.state()
	for key, n := range keys {
		if n != 1 {
			t.Errorf("notification %s delivered %d times", key, n)
		}
	}
	firing := 0
	for _, m := range accepted {
		if m.Status == notify.StatusFiring && len(m.Alerts) > 0 && m.Alerts[0].Machine == "pump-2" {
			firing++
		}
	}
	if firing != 1 {
		t.Errorf("the pump's alert was announced %d times, want once: %+v", firing, accepted)
	}
}
