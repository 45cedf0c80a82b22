package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	wire "signalcraft/core/api"
)

func update(machine string, i int) wire.Live {
	spec := make([]float32, 64)
	for b := range spec {
		spec[b] = float32(-60 + b%7 + i%3)
	}
	return wire.Live{MachineID: machine, Time: t0.Add(time.Duration(i) * 200 * time.Millisecond), State: wire.StateMonitoring,
		Progress: 1, Sensor: wire.SensorOK, LevelDBFS: -30, Score: float64(i), Smoothed: float64(i) / 2, Threshold: 8, Spectrum: spec}
}

// collector gathers stream updates for a test.
type collector struct {
	mu  sync.Mutex
	got []wire.Live
	ch  chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1<<16)} }

func (c *collector) add(l wire.Live) {
	c.mu.Lock()
	c.got = append(c.got, l)
	c.mu.Unlock()
	c.ch <- struct{}{}
}

// wait blocks until n updates have arrived in total (or fails after 10 s:
// a hang guard, not a timing assertion).
func (c *collector) wait(t *testing.T, n int) []wire.Live {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.got) >= n {
			out := append([]wire.Live(nil), c.got...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("got %d updates, want %d", len(c.got), n)
		}
	}
}

// TestLiveStream: every update published for two machines at 10 per second
// of stream time each (twice the 5/s the contract asks) reaches the client,
// in order, numbered without gaps.
func TestLiveStream(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCollector()
	done := make(chan error, 1)
	go func() { done <- e.client(wire.RoleViewer).Stream(ctx, "", c.add) }()
	first := c.wait(t, 2) // the current state of both machines
	if first[0].MachineID != "pump-1" || first[1].MachineID != "fan-2" || first[1].Seq != first[0].Seq+1 {
		t.Fatalf("first updates %+v", first)
	}
	const perMachine = 300 // 30 s of stream time at 10 updates/s
	for i := 0; i < perMachine; i++ {
		e.fake.publish(update("pump-1", i))
		e.fake.publish(update("fan-2", i))
	}
	got := c.wait(t, 2+2*perMachine)
	for i := 2; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("update %d: seq %d after %d", i, got[i].Seq, got[i-1].Seq)
		}
		want := update([]string{"pump-1", "fan-2"}[i%2], (i-2)/2)
		if got[i].MachineID != want.MachineID || got[i].Score != want.Score || len(got[i].Spectrum) != 64 || got[i].Spectrum[5] != want.Spectrum[5] {
			t.Fatalf("update %d = %+v, want %+v", i, got[i], want)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Stream returned %v", err)
	}
}

// TestLiveResume drops the connection mid-stream; the client reconnects
// with Last-Event-ID and receives what was published meanwhile, with no gap
// and no repeat.
func TestLiveResume(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCollector()
	cl := e.client(wire.RoleViewer, wire.WithReconnect(5*time.Millisecond, 20*time.Millisecond))
	go cl.Stream(ctx, "pump-1", c.add)
	c.wait(t, 1)
	for i := 0; i < 10; i++ {
		e.fake.publish(update("pump-1", i))
		e.fake.publish(update("fan-2", i)) // filtered out
	}
	c.wait(t, 11)
	e.ts.CloseClientConnections()
	for i := 10; i < 40; i++ { // published while the client is away or reconnecting
		e.fake.publish(update("pump-1", i))
		e.fake.publish(update("fan-2", i))
	}
	got := c.wait(t, 41)
	for i := 10; i < 20; i++ {
		e.fake.publish(update("pump-1", 30+i))
	}
	got = c.wait(t, 51)
	seen := map[uint64]bool{}
	for i, l := range got {
		if l.MachineID != "pump-1" || seen[l.Seq] {
			t.Fatalf("update %d: %s seq %d (repeated: %v)", i, l.MachineID, l.Seq, seen[l.Seq])
		}
		seen[l.Seq] = true
		if i > 0 && l.Score != got[i-1].Score+1 && i != 1 {
			t.Fatalf("gap: update %d has score %v after %v", i, l.Score, got[i-1].Score)
		}
	}
	if got[50].Score != 49 {
		t.Errorf("last score %v, want 49", got[50].Score)
	}
	if n := e.streams.Load(); n < 2 {
		t.Errorf("%d stream requests: the client did not reconnect", n)
	}
}

// sseRequest opens the stream by hand and returns the ids of its first n
// messages.
func sseIDs(t *testing.T, e *env, lastID string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+wire.PathLive, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var ids []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for len(ids) < n && sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			ids = append(ids, id)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var l wire.Live
			if err := json.Unmarshal([]byte(data), &l); err != nil || fmt.Sprint(l.Seq) != ids[len(ids)-1] {
				t.Fatalf("data %s (%v) does not match id %s", data, err, ids[len(ids)-1])
			}
		}
	}
	return ids
}

func TestLiveLastEventID(t *testing.T) {
	e := newEnv(t, Options{Replay: 8})
	snap, err := e.client(wire.RoleViewer).LiveSnapshot(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	base := snap[1].Seq // seq of the last seeded state
	if base != uint64(t0.UnixMicro())+2 {
		t.Errorf("seq starts at %d, want the start time in µs + 2 = %d", base, uint64(t0.UnixMicro())+2)
	}
	for i := 0; i < 6; i++ {
		e.fake.publish(update("pump-1", i))
	}
	ids := func(from uint64, n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprint(from+uint64(i)))
		}
		return out
	}
	// Within the ring: exactly what followed.
	if got, want := sseIDs(t, e, fmt.Sprint(base+2), 4), ids(base+3, 4); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("resume in ring: ids %v, want %v", got, want)
	}
	// Without Last-Event-ID, or with one the ring no longer holds: each
	// machine's latest state.
	for _, last := range []string{"", "1", fmt.Sprint(base + 1000)} {
		if got, want := sseIDs(t, e, last, 2), []string{fmt.Sprint(base), fmt.Sprint(base + 6)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Last-Event-ID %q: ids %v, want %v", last, got, want)
		}
	}
	req, _ := http.NewRequest("GET", e.ts.URL+wire.PathLive, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	req.Header.Set("Last-Event-ID", "yesterday")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad Last-Event-ID: status %d", resp.StatusCode)
	}
	if err := e.client(wire.RoleViewer).Stream(context.Background(), "ghost", func(wire.Live) {}); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("stream of an unknown machine: err = %v, want not_found at once", err)
	}
}

// TestHubDropsSlowSubscriber: a subscriber whose queue is full is dropped
// without blocking the publisher, and resumes from the ring without loss.
func TestHubDropsSlowSubscriber(t *testing.T) {
	h := newHub(100, 64, 4)
	sub, first := h.subscribe("", 0, false)
	if len(first) != 0 {
		t.Fatalf("first = %v", first)
	}
	for i := 0; i < 10; i++ {
		h.publish(update("m", i)) // never blocks
	}
	select {
	case <-sub.gone:
	default:
		t.Fatal("slow subscriber not dropped")
	}
	var last uint64
	for len(sub.ch) > 0 {
		last = (<-sub.ch).Seq
	}
	if last != 104 {
		t.Fatalf("last queued seq %d, want 104", last)
	}
	sub2, replay := h.subscribe("", last, true)
	defer h.unsubscribe(sub2)
	if len(replay) != 6 || replay[0].Seq != 105 || replay[5].Seq != 110 {
		t.Errorf("replay %d updates from %d", len(replay), replay[0].Seq)
	}
	// The publisher's spectrum slice may be reused after publish.
	l := update("m", 0)
	h.publish(l)
	l.Spectrum[0] = 99
	if got := h.snapshot([]string{"m"})[0].Spectrum[0]; got == 99 {
		t.Error("hub kept the publisher's spectrum slice")
	}
}

func TestHeartbeat(t *testing.T) {
	e := newEnv(t, Options{Heartbeat: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+wire.PathLive+"?machine=fan-2", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	pings := 0
	for pings < 3 && sc.Scan() {
		if sc.Text() == ": ping" {
			pings++
		}
	}
	if pings < 3 {
		t.Errorf("saw %d heartbeats: %v", pings, sc.Err())
	}
}

// TestStreamIdleReconnect: a stream that goes silent (no heartbeat) is
// dropped by the client and resumed.
func TestStreamIdleReconnect(t *testing.T) {
	e := newEnv(t, Options{Heartbeat: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCollector()
	cl := e.client(wire.RoleViewer, wire.WithStreamIdleTimeout(30*time.Millisecond), wire.WithReconnect(time.Millisecond, time.Millisecond))
	go cl.Stream(ctx, "fan-2", c.add)
	// Each reconnection resumes from an id still in the ring, so nothing is
	// repeated: only the first state arrives until something new is published.
	c.wait(t, 1)
	for deadline := time.Now().Add(10 * time.Second); e.streams.Load() < 3; { // two idle reconnections
		if time.Now().After(deadline) {
			t.Fatalf("%d stream requests; the idle stream was not dropped", e.streams.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.fake.publish(update("fan-2", 7))
	got := c.wait(t, 2)
	if len(got) != 2 || got[1].Score != 7 {
		t.Errorf("got %+v, want the first state and the one update (no repeats after idle reconnects)", got)
	}
}
