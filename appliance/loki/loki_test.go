package loki

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// receiver is a loopback stand-in for Loki's push endpoint: it validates each request
// against the push API as Loki documents it (POST /loki/api/v1/push, Content-Type
// application/json, {"streams": [{"stream": {label: value}, "values": [["<unix epoch in
// nanoseconds>", "<log line>"], …]}]}, nothing else) and records the streams.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	pushes   []PushRequest
	headers  []http.Header
	statuses []int         // responses to give, in order; then 204
	hold     chan struct{} // when set, requests wait for it to close
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if err := validPush(req); err != nil {
		r.t.Errorf("invalid push: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var p PushRequest
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	_ = dec.Decode(&p) // validPush has read a copy
	r.mu.Lock()
	defer r.mu.Unlock()
	status := http.StatusNoContent
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	if status == http.StatusNoContent {
		r.pushes = append(r.pushes, p)
		r.headers = append(r.headers, req.Header.Clone())
	}
	w.WriteHeader(status)
}

// validPush checks one request the way Loki's push API documents it, then puts the body
// back for the handler.
func validPush(req *http.Request) error {
	if req.Method != http.MethodPost || req.URL.Path != PushPath {
		return fmt.Errorf("%s %s, want POST %s", req.Method, req.URL.Path, PushPath)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q", ct)
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(req.Body); err != nil {
		return err
	}
	req.Body = http.NoBody
	defer func() { req.Body = readCloser{bytes.NewReader(body.Bytes())} }()
	var raw struct {
		Streams []struct {
			Stream map[string]string `json:"stream"`
			Values [][]any           `json:"values"`
		} `json:"streams"`
	}
	dec := json.NewDecoder(bytes.NewReader(body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if len(raw.Streams) == 0 {
		return fmt.Errorf("no streams")
	}
	for i, s := range raw.Streams {
		if len(s.Stream) == 0 {
			return fmt.Errorf("stream %d has no labels", i)
		}
		for k, v := range s.Stream {
			if !labelName.MatchString(k) || v == "" {
				return fmt.Errorf("stream %d: label %q=%q", i, k, v)
			}
		}
		if len(s.Values) == 0 {
			return fmt.Errorf("stream %d has no values", i)
		}
		var last int64
		for j, v := range s.Values {
			if len(v) != 2 {
				return fmt.Errorf("stream %d value %d has %d elements, want [ts, line]", i, j, len(v))
			}
			ts, ok1 := v[0].(string)
			line, ok2 := v[1].(string)
			if !ok1 || !ok2 {
				return fmt.Errorf("stream %d value %d: %v are not two strings", i, j, v)
			}
			n, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("stream %d value %d: timestamp %q is not unix nanoseconds", i, j, ts)
			}
			if n < last {
				return fmt.Errorf("stream %d value %d: timestamps go back", i, j)
			}
			last = n
			if line == "" {
				return fmt.Errorf("stream %d value %d: empty line", i, j)
			}
		}
	}
	return nil
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func (r *receiver) got() ([]PushRequest, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]PushRequest(nil), r.pushes...), append([]http.Header(nil), r.headers...)
}

type counters struct {
	mu                       sync.Mutex
	shipped, pushOK, pushBad int
	dropped                  map[string]int
}

func (c *counters) opts() Options {
	c.dropped = map[string]int{}
	return Options{
		OnShipped: func(n int) { c.mu.Lock(); c.shipped += n; c.mu.Unlock() },
		OnDropped: func(r string, n int) { c.mu.Lock(); c.dropped[r] += n; c.mu.Unlock() },
		OnPush: func(ok bool) {
			c.mu.Lock()
			if ok {
				c.pushOK++
			} else {
				c.pushBad++
			}
			c.mu.Unlock()
		},
	}
}

func (c *counters) snapshot() (shipped, ok, bad int, dropped map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := map[string]int{}
	for k, v := range c.dropped {
		d[k] = v
	}
	return c.shipped, c.pushOK, c.pushBad, d
}

func closeShipper(t *testing.T, s *Shipper) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestShipsLinesWithLabels(t *testing.T) {
	rcv := newReceiver(t)
	var c counters
	s, err := New(Config{URL: rcv.srv.URL + "/", Appliance: "press-line-1", Labels: map[string]string{"site": "plant-a"},
		TenantID: "plant-a", Username: "u", Password: "p", BatchWait: time.Hour}, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(s.Handler(&slog.HandlerOptions{Level: slog.LevelDebug})).With("component", "test")
	log.Debug("tick", "n", 1)
	log.Info("machine learned", "machine", "fan-1")
	log.Warn("sensor silent", "sensor", "mic/0")
	log.Error("delivery failed", "receiver", "ops")
	log.Info("second info")
	closeShipper(t, s)

	pushes, headers := rcv.got()
	if len(pushes) != 1 {
		t.Fatalf("%d pushes, want 1 (Close flushes one batch)", len(pushes))
	}
	if h := headers[0]; h.Get("X-Scope-OrgID") != "plant-a" || h.Get("Authorization") == "" {
		t.Errorf("headers %v", h)
	}
	want := map[string][]string{"debug": {"tick"}, "info": {"machine learned", "second info"}, "warn": {"sensor silent"}, "error": {"delivery failed"}}
	if len(pushes[0].Streams) != len(want) {
		t.Fatalf("%d streams, want %d: %+v", len(pushes[0].Streams), len(want), pushes[0])
	}
	for _, st := range pushes[0].Streams {
		lv := st.Stream["level"]
		if st.Stream["app"] != "signalcraft" || st.Stream["appliance"] != "press-line-1" || st.Stream["site"] != "plant-a" || len(st.Stream) != 4 {
			t.Errorf("stream labels %v", st.Stream)
		}
		if len(st.Values) != len(want[lv]) {
			t.Fatalf("level %q: %d lines, want %v", lv, len(st.Values), want[lv])
		}
		for i, v := range st.Values {
			var rec map[string]any
			if err := json.Unmarshal([]byte(v[1]), &rec); err != nil {
				t.Fatalf("line %q is not JSON: %v", v[1], err)
			}
			if rec["msg"] != want[lv][i] || rec["component"] != "test" {
				t.Errorf("level %q line %d: %v", lv, i, rec)
			}
			// The timestamp is the record's own time.
			rt, err := time.Parse(time.RFC3339Nano, rec["time"].(string))
			if err != nil || strconv.FormatInt(rt.UnixNano(), 10) != v[0] {
				t.Errorf("timestamp %s, record time %v", v[0], rec["time"])
			}
		}
	}
	if shipped, ok, bad, dropped := c.snapshot(); shipped != 5 || ok != 1 || bad != 0 || len(dropped) != 0 {
		t.Errorf("shipped %d, pushes ok %d failed %d, dropped %v", shipped, ok, bad, dropped)
	}
}

func TestBatchesAndRetries(t *testing.T) {
	rcv := newReceiver(t)
	rcv.statuses = []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} // then accepted
	var c counters
	s, err := New(Config{URL: rcv.srv.URL, Appliance: "a", BatchLines: 2, BatchWait: time.Hour,
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(s.Handler(nil))
	for i := range 5 {
		log.Info("line", "i", i)
	}
	closeShipper(t, s)
	pushes, _ := rcv.got()
	var is []float64
	for _, p := range pushes {
		n := 0
		for _, st := range p.Streams {
			n += len(st.Values)
			for _, v := range st.Values {
				var rec map[string]any
				_ = json.Unmarshal([]byte(v[1]), &rec)
				is = append(is, rec["i"].(float64))
			}
		}
		if n > 2 {
			t.Errorf("a push of %d lines; batch_lines is 2", n)
		}
	}
	if fmt.Sprint(is) != "[0 1 2 3 4]" {
		t.Errorf("lines arrived as %v, want all five in order", is)
	}
	if shipped, ok, bad, dropped := c.snapshot(); shipped != 5 || ok != 3 || bad != 2 || len(dropped) != 0 {
		t.Errorf("shipped %d, pushes ok %d failed %d, dropped %v; want 5, 3, 2, none", shipped, ok, bad, dropped)
	}
}

func TestRefusedBatchIsNotRetried(t *testing.T) {
	rcv := newReceiver(t)
	rcv.statuses = []int{http.StatusBadRequest}
	var c counters
	s, err := New(Config{URL: rcv.srv.URL, Appliance: "a", BatchWait: time.Hour, MinBackoff: time.Millisecond}, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	slog.New(s.Handler(nil)).Info("x")
	closeShipper(t, s)
	if shipped, ok, bad, dropped := c.snapshot(); shipped != 0 || ok != 0 || bad != 1 || dropped[DropPushFailed] != 1 {
		t.Errorf("shipped %d, pushes ok %d failed %d, dropped %v; want one failed push, its line dropped", shipped, ok, bad, dropped)
	}
}

// TestNeverBlocks: Loki hangs; logging goes on, the queue fills, further lines are dropped
// and counted; once Loki answers, what was queued arrives and every line is accounted for.
func TestNeverBlocks(t *testing.T) {
	rcv := newReceiver(t)
	rcv.hold = make(chan struct{})
	var c counters
	s, err := New(Config{URL: rcv.srv.URL, Appliance: "a", BatchLines: 5, BufferLines: 10, BatchWait: time.Millisecond}, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(s.Handler(nil))
	const n = 1000
	for i := range n {
		log.Info("flood", "i", i) // returns at once even though no push completes
	}
	_, _, _, dropped := c.snapshot()
	if dropped[DropBufferFull] < n-10-5 {
		t.Errorf("dropped %d lines while Loki hung; at most 10 queued and 5 in flight, so want at least %d", dropped[DropBufferFull], n-15)
	}
	rcv.mu.Lock()
	close(rcv.hold)
	rcv.hold = nil
	rcv.mu.Unlock()
	closeShipper(t, s)
	shipped, _, _, dropped := c.snapshot()
	if shipped+dropped[DropBufferFull] != n || shipped == 0 {
		t.Errorf("shipped %d + dropped %d != %d logged", shipped, dropped[DropBufferFull], n)
	}
}

func TestCloseIsBounded(t *testing.T) {
	rcv := newReceiver(t)
	rcv.hold = make(chan struct{})
	defer close(rcv.hold)
	var c counters
	s, err := New(Config{URL: rcv.srv.URL, Appliance: "a", BatchWait: time.Hour}, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	slog.New(s.Handler(nil)).Info("stuck")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); err == nil {
		t.Error("Close returned nil while Loki hung; want the context's error")
	}
	if _, _, _, dropped := c.snapshot(); dropped[DropPushFailed] != 1 {
		t.Errorf("dropped %v; want the stuck line counted", dropped)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	if _, err := New(Config{URL: "loki:3100"}, Options{}); err == nil {
		t.Error("accepted a URL without a scheme")
	}
}
