package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/notify"
)

// hookReceiver is a webhook receiver on loopback that fails its first failFirst requests
// (500), then accepts, and counts successful deliveries by idempotency key.
type hookReceiver struct {
	mu        sync.Mutex
	failFirst int
	requests  int
	delivered map[string]int // idempotency key → successful deliveries
	messages  []notify.Message
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	if h.requests <= h.failFirst {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	var m notify.Message
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.delivered[r.Header.Get(notify.HeaderIdempotencyKey)]++
	h.messages = append(h.messages, m)
}

func (h *hookReceiver) snapshot() (requests int, delivered map[string]int, msgs []notify.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := map[string]int{}
	for k, v := range h.delivered {
		d[k] = v
	}
	return h.requests, d, append([]notify.Message(nil), h.messages...)
}

// alertingYAML is a live two-machine simulator whose pump develops a fault at faultAt, with
// one anomaly rule (for: 0) routed to a webhook.
func alertingYAML(dir, hookURL string, faultAt time.Duration) string {
	return fmt.Sprintf(`
data_dir: %s
api: {socket: ""}
store: {batch_size: 16, flush_every: 200ms}
sources:
  - id: sim
    kind: simulator
    channels: 2
    simulator: {seed: 2, faults: [{channel: 1, start: %s, ramp: 1s, level: 3}]}
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 10s}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 10s}}
receivers:
  - name: hook
    type: webhook
    webhook: {url: "%s"}
alerting:
  rules:
    - name: Anomaly
      expr: {metric: anomaly_score, op: ">", enter: 1, exit: 0.9}
      severity: critical
      for: 0s
      keep_firing_for: 60s
  route: {receiver: hook, group_by: [machine], group_wait: 0s, group_interval: 1s}
`, dir, faultAt, hookURL)
}

// TestAlertDeliveredAfterReceiverRecovers: the webhook fails its first two requests; the
// pump's alert still arrives, once per idempotency key, and the healthy fan raises none.
func TestAlertDeliveredAfterReceiverRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a live simulator for ~20 s")
	}
	hook := &hookReceiver{failFirst: 2, delivered: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	cfg, err := config.Parse([]byte(alertingYAML(t.TempDir(), srv.URL, 12*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, delivered, msgs := hook.snapshot()
		if len(delivered) > 0 {
			if msgs[0].Alerts[0].Machine != "pump-2" || msgs[0].Status != notify.StatusFiring {
				t.Errorf("first delivered notification: %+v", msgs[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert delivered within 60 s; pump state %+v", m.Status()[1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // let any duplicate arrive
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	requests, delivered, msgs := hook.snapshot()
	if requests <= 2 {
		t.Fatalf("%d requests: the receiver's failures were never retried", requests)
	}
	for key, n := range delivered {
		if n != 1 {
			t.Errorf("notification %s delivered %d times", key, n)
		}
	}
	for _, msg := range msgs {
		for _, a := range msg.Alerts {
			if a.Machine != "pump-2" {
				t.Errorf("healthy %s raised an alert: %+v", a.Machine, msg)
			}
		}
	}
}
