package notify

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// flakyHook is a webhook receiver that answers its first requests with the given failure
// statuses, then accepts. It verifies signatures and counts accepted deliveries per
// Idempotency-Key, the way a real receiver deduplicates.
type flakyHook struct {
	mu        sync.Mutex
	failures  []int // statuses to answer first, in order
	secret    string
	now       func() time.Time
	requests  int
	accepted  map[string]int
	bodies    []string
	badSigs   int
	lastHeads http.Header
}

func (h *flakyHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	h.lastHeads = r.Header.Clone()
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	want := WebhookSignature(h.secret, ts, body)
	if err != nil || h.now().Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute ||
		!hmac.Equal([]byte(r.Header.Get(HeaderSignature)), []byte(want)) {
		h.badSigs++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if len(h.failures) > 0 {
		st := h.failures[0]
		h.failures = h.failures[1:]
		if st == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		http.Error(w, "try later", st)
		return
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	h.accepted[key]++
	if h.accepted[key] == 1 {
		h.bodies = append(h.bodies, string(body))
	}
	w.WriteHeader(http.StatusNoContent)
}

// deliverWithRetries mimics the job queue: call Deliver until it succeeds, waiting
// RetryAfter (or a 1 s backoff) on the fake clock between attempts.
func deliverWithRetries(t *testing.T, n *Notifier, clk *fakeClock, r Receiver, m Message) (attempts int, waits []time.Duration) {
	t.Helper()
	for attempts = 1; attempts <= 10; attempts++ {
		err := n.Deliver(context.Background(), r, m)
		if err == nil {
			return attempts, waits
		}
		if IsPermanent(err) {
			t.Fatalf("attempt %d: permanent error: %v", attempts, err)
		}
		wait := RetryAfter(err)
		waits = append(waits, wait)
		if wait == 0 {
			wait = time.Second
		}
		clk.Advance(wait)
	}
	t.Fatalf("not delivered after %d attempts", attempts-1)
	return
}

func TestWebhookRetriesUntilAcceptedOnce(t *testing.T) {
	clk := newFakeClock()
	const secret = "whsec-9f8e7d6c5b4a39281706"
	hook := &flakyHook{failures: []int{500, 429}, secret: secret, now: clk.Now, accepted: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	n, logs := newTestNotifier(t, clk)
	r := Receiver{Name: "erp", Type: TypeWebhook, Lang: LangEnglish, Webhook: &WebhookConfig{
		URL:          srv.URL + "/hooks/signalcraft",
		Headers:      map[string]string{"X-Site": "ansan"},
		BodyTemplate: `{"text":{{json .Title}},"machine":{{json (index .Alerts 0).Machine}},"n":{{len .Alerts}},"key":{{json .Key}}}`,
		Secret:       secret,
	}}
	m := sampleMessage(clk, LangEnglish)

	attempts, waits := deliverWithRetries(t, n, clk, r, m)
	if attempts != 3 {
		t.Errorf("attempts = %d, want 3 (500, 429, 204)", attempts)
	}
	if len(waits) != 2 || waits[0] != 0 || waits[1] != 7*time.Second {
		t.Errorf("retry hints = %v, want [0s 7s] (Retry-After: 7 honoured)", waits)
	}
	// The queue may run the job again (e.g. it crashed before recording success); the
	// Notifier remembers the key and does not send again.
	if err := n.Deliver(context.Background(), r, m); err != nil {
		t.Fatalf("redeliver: %v", err)
	}
	// Another message is a new key.
	m2 := m
	m2.Key = "grp-pump-1-firing-0002"
	deliverWithRetries(t, n, clk, r, m2)

	hook.mu.Lock()
	defer hook.mu.Unlock()
	if hook.badSigs != 0 {
		t.Errorf("%d requests failed HMAC verification", hook.badSigs)
	}
	if hook.requests != 4 {
		t.Errorf("receiver saw %d requests, want 4 (3 for the first key, 1 for the second)", hook.requests)
	}
	if len(hook.accepted) != 2 || hook.accepted[m.Key] != 1 || hook.accepted[m2.Key] != 1 {
		t.Errorf("accepted per key = %v, want each key once", hook.accepted)
	}
	d := 0
	for _, c := range hook.accepted {
		d += c - 1
	}
	if d != 0 {
		t.Errorf("%d duplicate deliveries", d)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(hook.bodies[0]), &got); err != nil {
		t.Fatalf("template output is not JSON: %v\n%s", err, hook.bodies[0])
	}
	want := map[string]any{"text": "[FIRING:2] critical — pump-1 anomaly-score (and 1 more)", "machine": "pump-1", "n": 2.0, "key": m.Key}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("body[%q] = %v, want %v", k, got[k], v)
		}
	}
	for k, v := range map[string]string{"X-Site": "ansan", "Content-Type": "application/json", HeaderIdempotencyKey: m2.Key,
		HeaderTimestamp: strconv.FormatInt(clk.Now().Unix(), 10)} {
		if g := hook.lastHeads.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("log contains the HMAC secret")
	}
}

func TestWebhookDefaultBodyIsMessageJSON(t *testing.T) {
	clk := newFakeClock()
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		if r.Header.Get(HeaderSignature) != "" {
			t.Error("unsigned receiver sent a signature")
		}
	}))
	defer srv.Close()
	n, _ := newTestNotifier(t, clk)
	r := Receiver{Name: "json", Type: TypeWebhook, Lang: LangKorean, Webhook: &WebhookConfig{URL: srv.URL}}
	m := sampleMessage(clk, "")
	if err := n.Deliver(context.Background(), r, m); err != nil {
		t.Fatal(err)
	}
	var got Message
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if got.Key != m.Key || got.Lang != LangKorean || len(got.Alerts) != 2 || got.Alerts[0].Summary != "베어링 소음 증가" || !got.SentAt.Equal(m.SentAt) {
		t.Errorf("decoded %+v", got)
	}
	if want := "[발생:2] 심각 — pump-1 anomaly-score (외 1건)"; got.Title != want {
		t.Errorf("default Korean title %q, want %q", got.Title, want)
	}
}

func TestWebhookStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		retry     string
		permanent bool
		after     time.Duration
	}{
		{200, "", false, 0},
		{400, "", true, 0},
		{401, "", true, 0},
		{404, "", true, 0},
		{410, "", true, 0},
		{408, "", false, 0},
		{429, "", false, 0},
		{429, "120", false, 2 * time.Minute},
		{429, "Sat, 14 Mar 2026 09:27:23 GMT", false, 30 * time.Second},
		{500, "", false, 0},
		{503, "3", false, 3 * time.Second},
	}
	clk := newFakeClock()
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+"_"+tt.retry, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retry != "" {
					w.Header().Set("Retry-After", tt.retry)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			n, _ := newTestNotifier(t, clk)
			r := Receiver{Name: "w", Type: TypeWebhook, Webhook: &WebhookConfig{URL: srv.URL}}
			err := n.Deliver(context.Background(), r, sampleMessage(clk, "en"))
			if tt.status < 300 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", IsPermanent(err), tt.permanent, err)
			}
			if !errors.Is(err, ErrRejected) {
				t.Errorf("error does not wrap ErrRejected: %v", err)
			}
			if got := RetryAfter(err); got != tt.after {
				t.Errorf("RetryAfter = %v, want %v", got, tt.after)
			}
		})
	}
}
