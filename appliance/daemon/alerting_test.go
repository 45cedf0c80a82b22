package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/alert"
	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/store"
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

// TestRouteSendResolvedReachesWebhook: the route's send_resolved decides over the receiver's,
// once, all the way through the daemon's delivery to a real webhook on loopback — a route
// that wants resolutions gets exactly one for a receiver that has them off, and a route that
// does not want them gets none for a receiver that has them on.
func TestRouteSendResolvedReachesWebhook(t *testing.T) {
	for _, tc := range []struct {
		name          string
		receiver      bool // the receiver's send_resolved
		route         bool // the route's, which overrides it
		wantResolved  int
		wantDelivered int
	}{
		{name: "route on, receiver off", receiver: false, route: true, wantResolved: 1, wantDelivered: 2},
		{name: "route off, receiver on", receiver: true, route: false, wantResolved: 0, wantDelivered: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			hook := &hookReceiver{delivered: map[string]int{}}
			srv := httptest.NewServer(hook)
			defer srv.Close()
			db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			t0 := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
			now, exit := t0, 5.0
			cfg := alert.Config{
				Rules: []alert.Rule{{Name: "Probe", Severity: alert.SeverityCritical,
					Expr: alert.Expr{Metric: "band_energy_db:probe", Op: alert.OpGT, Enter: 10, Exit: &exit}}},
				Receivers: []alert.Receiver{{Name: "hook", SendResolved: tc.receiver}},
				Route: alert.Route{Receiver: "hook", GroupBy: []string{"machine"}, GroupInterval: time.Minute,
					RepeatInterval: 4 * time.Hour, SendResolved: &tc.route},
			}
			recv := []notify.Receiver{{Name: "hook", Type: notify.TypeWebhook, Lang: "en", SendResolved: tc.receiver,
				Webhook: &notify.WebhookConfig{URL: srv.URL}}}
			a, err := newAlerting(ctx, db, cfg, recv, "en", Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			step := func(at time.Duration, probe float64) {
				t.Helper()
				now = t0.Add(at)
				if probe >= 0 {
					a.mu.Lock()
					a.engine.Observe(alert.Observation{Time: now, Machine: "pump-2", Values: map[string]float64{"band_energy_db:probe": probe}})
					a.mu.Unlock()
				}
				for _, n := range a.tick() {
					payload, err := json.Marshal(deliveryPayload{Notification: n})
					if err != nil {
						t.Fatal(err)
					}
					if err := a.deliver(ctx, jobs.Job{Kind: JobNotify, Key: n.Key, Payload: payload}); err != nil {
						t.Fatalf("deliver %s: %v", n.Key, err)
					}
				}
			}
			step(0, 20)             // fires; group_wait 0: announced at once
			step(30*time.Second, 1) // resolves
			step(time.Minute, -1)   // next group interval
			step(2*time.Minute, -1) // nothing more
			step(4*time.Hour+time.Minute, -1)

			_, delivered, msgs := hook.snapshot()
			if len(msgs) != tc.wantDelivered || len(delivered) != tc.wantDelivered {
				t.Fatalf("%d messages (%d keys), want %d: %+v", len(msgs), len(delivered), tc.wantDelivered, msgs)
			}
			if m := msgs[0]; m.Status != notify.StatusFiring || len(m.Alerts) != 1 || m.Alerts[0].Status != notify.StatusFiring ||
				!strings.HasPrefix(m.Title, "[FIRING:1]") {
				t.Errorf("first message %+v, want the firing probe", m)
			}
			resolved := 0
			for _, m := range msgs {
				if m.Status != notify.StatusResolved {
					continue
				}
				resolved++
				if len(m.Alerts) != 1 || m.Alerts[0].Status != notify.StatusResolved || m.Alerts[0].Machine != "pump-2" ||
					!m.Alerts[0].EndsAt.Equal(t0.Add(30*time.Second)) {
					t.Errorf("resolution alerts %+v, want pump-2's probe resolved at +30s", m.Alerts)
				}
				if !strings.HasPrefix(m.Title, "[RESOLVED] pump-2: Probe") || !strings.Contains(m.Body, "All alerts for pump-2 have resolved.") ||
					!strings.Contains(m.Body, "- RESOLVED [critical]") {
					t.Errorf("resolution title %q, body:\n%s", m.Title, m.Body)
				}
			}
			if resolved != tc.wantResolved {
				t.Errorf("%d resolved messages, want %d", resolved, tc.wantResolved)
			}
		})
	}
}

// TestNotificationKeysNameTheDatabase: a receiver that de-duplicates by Idempotency-Key must
// never drop a new alert. Two fresh databases (a new install, a replaced SD card) start their
// alert sequence at 1 alike, yet their first notifications get different keys; within one
// database the key stays the same when a notification is derived again after a crash (the
// exactly-once machinery depends on that), and the webhook sends it as Idempotency-Key.
func TestNotificationKeysNameTheDatabase(t *testing.T) {
	ctx := context.Background()
	hook := &hookReceiver{delivered: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	t0 := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
	cfg := alert.Config{
		Rules: []alert.Rule{{Name: "Probe", Severity: alert.SeverityCritical,
			Expr: alert.Expr{Metric: "band_energy_db:probe", Op: alert.OpGT, Enter: 10}}},
		Receivers: []alert.Receiver{{Name: "hook"}},
		Route:     alert.Route{Receiver: "hook", GroupBy: []string{"machine"}, GroupInterval: time.Minute, RepeatInterval: 4 * time.Hour},
	}
	recv := []notify.Receiver{{Name: "hook", Type: notify.TypeWebhook, Lang: "en", Webhook: &notify.WebhookConfig{URL: srv.URL}}}
	// firstKey opens the database at path, fires the probe alert and returns the key of the
	// notification the engine derives, without committing it (a crash before the commit).
	firstKey := func(path string) string {
		t.Helper()
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		a, err := newAlerting(ctx, db, cfg, recv, "en", Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		a.engine.Observe(alert.Observation{Time: t0, Machine: "pump-2", Values: map[string]float64{"band_energy_db:probe": 20}})
		ns := a.tick()
		if len(ns) != 1 {
			t.Fatalf("%d notifications, want 1", len(ns))
		}
		payload, err := json.Marshal(deliveryPayload{Notification: ns[0]})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.deliver(ctx, jobs.Job{Kind: JobNotify, Key: ns[0].Key, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		return ns[0].Key
	}
	dir := t.TempDir()
	a1 := firstKey(filepath.Join(dir, "a.db"))
	b1 := firstKey(filepath.Join(dir, "b.db"))
	if a1 == b1 {
		t.Errorf("two fresh databases gave their first notifications the same key %q: the second would be dropped as a duplicate", a1)
	}
	if a2 := firstKey(filepath.Join(dir, "a.db")); a2 != a1 {
		t.Errorf("after a crash the notification was derived again as %q, was %q: it would be delivered twice", a2, a1)
	}
	_, delivered, _ := hook.snapshot()
	if delivered[a1] != 2 || delivered[b1] != 1 {
		t.Errorf("Idempotency-Key headers received %v, want %s twice (one notification delivered twice) and %s once", delivered, a1, b1)
	}
}
