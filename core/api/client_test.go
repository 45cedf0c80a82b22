package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathMachines:
			if r.Header.Get("Authorization") != "Bearer sc_x" || r.Header.Get("User-Agent") != "tui/1" {
				w.WriteHeader(400)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(422)
			w.Write([]byte(`{"code":"invalid","message":"bad","fields":[{"field":"name","message":"too long"}]}`))
		case PathEvents:
			http.Error(w, "upstream down", http.StatusBadGateway) // a proxy's page, not an Error body
		case "/base" + PathHealth:
			w.Write([]byte(`{"status":"ok","api_version":"1"}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	c, err := NewClient(ts.URL, WithToken("sc_x"), WithUserAgent("tui/1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Machines(ctx)
	if !IsCode(err, CodeInvalid) || err.Error() != "bad (invalid): name: too long" {
		t.Errorf("Machines: err = %v", err)
	}
	_, err = c.Events(ctx, EventFilter{})
	if !IsCode(err, CodeInternal) || err.Error() != "Bad Gateway: upstream down (internal)" {
		t.Errorf("Events: err = %v", err)
	}
	if _, err := c.Machine(ctx, "x"); !IsCode(err, CodeNotFound) {
		t.Errorf("Machine: err = %v", err)
	}
	withPath, _ := NewClient(ts.URL + "/base/")
	if h, err := withPath.Health(ctx); err != nil || h.Status != "ok" {
		t.Errorf("base URL with a path: %+v, %v", h, err)
	}
	for _, bad := range []string{"", "ftp://x", "http://", "://"} {
		if _, err := NewClient(bad); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
	if c, err := NewClient("", WithUnixSocket("/run/x.sock")); err != nil || c.BaseURL() != "http://unix" {
		t.Errorf("unix socket base URL = %v, %v", c, err)
	}
}

func TestEventFilterQuery(t *testing.T) {
	f := EventFilter{Machine: "m", Kind: "anomaly", From: time.Date(2025, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600)),
		Open: true, Unacknowledged: true, Limit: 5}
	want := "from=2025-03-01T12%3A00%3A00Z&kind=anomaly&limit=5&machine=m&open=true&unacknowledged=true"
	if got := f.Query().Encode(); got != want {
		t.Errorf("query %s, want %s", got, want)
	}
	if got := (AuditFilter{Actor: "a", Before: 9, Limit: 2}).Query().Encode(); got != "actor=a&before=9&limit=2" {
		t.Errorf("audit query %s", got)
	}
}

// TestStreamGivesUpOnPermanentErrors: a refused stream is not retried. 429
// comes only with a token the server refuses, so retrying cannot help either.
func TestStreamGivesUpOnPermanentErrors(t *testing.T) {
	for _, tt := range []struct {
		status int
		code   string
	}{{403, CodeForbidden}, {429, CodeRateLimited}} {
		var calls atomic.Int32
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(tt.status)
			w.Write([]byte(`{"code":"` + tt.code + `","message":"no"}`))
		}))
		c, _ := NewClient(ts.URL, WithReconnect(time.Millisecond, time.Millisecond))
		err := c.Stream(context.Background(), "", func(Live) {})
		if !IsCode(err, tt.code) || calls.Load() != 1 {
			t.Errorf("%d: err = %v after %d calls; want %s after 1", tt.status, err, calls.Load(), tt.code)
		}
		ts.Close()
	}
}

// TestStreamRetriesServerErrors: 5xx and dropped connections are retried
// with Last-Event-ID until the context ends.
func TestStreamRetriesServerErrors(t *testing.T) {
	var calls atomic.Int32
	lastIDs := make(chan string, 16)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		lastIDs <- r.Header.Get(HeaderLastEventID)
		if n == 1 {
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("id: " + string(rune('0'+n)) + "\ndata: {\"machine_id\":\"m\"}\n\n")) // then the body ends: a drop
	}))
	defer ts.Close()
	c, _ := NewClient(ts.URL, WithReconnect(time.Millisecond, 2*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	got := 0
	err := c.Stream(ctx, "", func(l Live) {
		if got++; got == 3 {
			cancel()
		}
	})
	if err != context.Canceled {
		t.Errorf("err = %v", err)
	}
	var ids []string
	for len(lastIDs) > 0 {
		ids = append(ids, <-lastIDs)
	}
	if len(ids) < 4 || ids[0] != "" || ids[1] != "" || ids[2] != "2" || ids[3] != "3" {
		t.Errorf("Last-Event-ID per connection = %q", ids)
	}
}
