package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestRateLimitTokenBucket(t *testing.T) {
	clk := newFakeClock()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	n, _ := newTestNotifier(t, clk)
	r := Receiver{Name: "limited", Type: TypeWebhook, RateLimit: 2, Webhook: &WebhookConfig{URL: srv.URL}}
	msg := func(i int) Message {
		m := sampleMessage(clk, "en")
		m.Key = "k" + string(rune('a'+i))
		return m
	}
	for i := range 2 { // burst = 2
		if err := n.Deliver(context.Background(), r, msg(i)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	err := n.Deliver(context.Background(), r, msg(2))
	if !errors.Is(err, ErrRateLimited) || IsPermanent(err) {
		t.Fatalf("third message: %v, want retryable ErrRateLimited", err)
	}
	if got := RetryAfter(err); got != 30*time.Second { // 2/min → one token per 30 s
		t.Errorf("RetryAfter = %v, want 30s", got)
	}
	clk.Advance(29 * time.Second)
	if err := n.Deliver(context.Background(), r, msg(2)); !errors.Is(err, ErrRateLimited) || RetryAfter(err) != time.Second {
		t.Errorf("after 29 s: %v (retry %v), want rate limited for 1s more", err, RetryAfter(err))
	}
	clk.Advance(time.Second)
	if err := n.Deliver(context.Background(), r, msg(2)); err != nil {
		t.Errorf("after 30 s: %v", err)
	}
	// A long pause refills only up to the burst.
	clk.Advance(time.Hour)
	for i := 3; i < 5; i++ {
		if err := n.Deliver(context.Background(), r, msg(i)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := n.Deliver(context.Background(), r, msg(5)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("burst after an hour exceeded 2: %v", err)
	}
	if hits.Load() != 5 {
		t.Errorf("receiver got %d requests, want 5", hits.Load())
	}
	// Limits are per receiver name.
	other := r
	other.Name = "other"
	if err := n.Deliver(context.Background(), other, msg(6)); err != nil {
		t.Errorf("other receiver limited by the first one's bucket: %v", err)
	}
}

func TestCircuitBreaker(t *testing.T) {
	clk := newFakeClock()
	var hits atomic.Int32
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	n, logs := newTestNotifier(t, clk)
	r := Receiver{Name: "cb", Type: TypeWebhook, Breaker: CircuitBreaker{Failures: 3, CoolDown: Duration(time.Minute)},
		Webhook: &WebhookConfig{URL: srv.URL}}
	m := sampleMessage(clk, "en")
	deliver := func() error { return n.Deliver(context.Background(), r, m) }

	for i := range 3 {
		if err := deliver(); err == nil || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("failure %d: %v, want a 502 rejection", i, err)
		}
		clk.Advance(time.Second)
	}
	err := deliver()
	if !errors.Is(err, ErrCircuitOpen) || IsPermanent(err) {
		t.Fatalf("after 3 failures: %v, want retryable ErrCircuitOpen", err)
	}
	if got := RetryAfter(err); got != 59*time.Second {
		t.Errorf("RetryAfter = %v, want 59s (opened 1 s ago for 1m)", got)
	}
	if hits.Load() != 3 {
		t.Errorf("open breaker let requests through: %d hits", hits.Load())
	}
	// Cool-down over: one trial, which fails and opens it again.
	clk.Advance(59 * time.Second)
	if err := deliver(); err == nil || errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("trial: %v, want the 502 rejection", err)
	}
	if err := deliver(); !errors.Is(err, ErrCircuitOpen) || RetryAfter(err) != time.Minute {
		t.Fatalf("after failed trial: %v (retry %v), want open for 1m", err, RetryAfter(err))
	}
	// The receiver recovers; the next trial closes the breaker.
	healthy.Store(true)
	clk.Advance(time.Minute)
	if err := deliver(); err != nil {
		t.Fatalf("successful trial: %v", err)
	}
	m.Key = "next"
	if err := deliver(); err != nil {
		t.Fatalf("closed breaker: %v", err)
	}
	if hits.Load() != 6 {
		t.Errorf("hits = %d, want 6", hits.Load())
	}
	// Test notifications bypass an open breaker (they check the receiver now).
	healthy.Store(false)
	for range 3 {
		m.Key += "x"
		_ = deliver()
	}
	if err := deliver(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("breaker not open again: %v", err)
	}
	healthy.Store(true)
	if err := n.Test(context.Background(), r, ""); err != nil {
		t.Errorf("Test through an open breaker: %v", err)
	}
	if logs.String() == "" {
		t.Error("nothing logged")
	}
}

func TestBreakerIgnoresPermanentFailures(t *testing.T) {
	clk := newFakeClock()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	n, _ := newTestNotifier(t, clk)
	r := Receiver{Name: "cb4xx", Type: TypeWebhook, Breaker: CircuitBreaker{Failures: 2}, Webhook: &WebhookConfig{URL: srv.URL}}
	for range 5 {
		err := n.Deliver(context.Background(), r, sampleMessage(clk, "en"))
		if !IsPermanent(err) || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("got %v, want a permanent 400 and a closed breaker", err)
		}
	}
}

func TestRateLimitConcurrent(t *testing.T) {
	clk := newFakeClock()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	n, _ := newTestNotifier(t, clk)
	r := Receiver{Name: "burst", Type: TypeWebhook, RateLimit: 5, Webhook: &WebhookConfig{URL: srv.URL}}
	var ok, limited atomic.Int32
	done := make(chan struct{})
	for i := range 20 {
		go func() {
			defer func() { done <- struct{}{} }()
			m := sampleMessage(clk, "en")
			m.Key = "c" + strconv.Itoa(i)
			switch err := n.Deliver(context.Background(), r, m); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrRateLimited):
				limited.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	for range 20 {
		<-done
	}
	if ok.Load() != 5 || limited.Load() != 15 || hits.Load() != 5 {
		t.Errorf("ok %d limited %d hits %d; want 5, 15, 5", ok.Load(), limited.Load(), hits.Load())
	}
}
