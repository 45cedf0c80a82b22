package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wire "signalcraft/core/api"
)

// serve serves e's server on ln (as Run does) until the test ends.
func (e *env) serve(t *testing.T, ln net.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// slowRequest sends the headers of a POST announcing a 1000-byte body, then
// one byte every 50 ms until the connection fails or stop is closed.
func slowRequest(conn net.Conn, token string, stop <-chan struct{}) error {
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	_, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: appliance\r\n%sContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
		wire.Expand(wire.PathAcknowledge, "1"), auth)
	if err != nil {
		return err
	}
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	return nil
}

// readUntilClosed reads the connection until the server closes it, or
// until limit passes. It returns the time taken, the status line of a
// response if one came, and whether the server closed the connection.
func readUntilClosed(conn net.Conn, limit time.Duration) (took time.Duration, status string, closed bool) {
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(limit))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	status = strings.TrimSpace(line)
	if err == nil {
		_, err = io.Copy(io.Discard, br)
	}
	var ne net.Error
	closed = !(errors.As(err, &ne) && ne.Timeout())
	return time.Since(start), status, closed
}

// TestSlowBodyCutOff: a body trickling in one byte every 50 ms is cut off
// once the body timeout (200 ms) has passed, whether the handler reads it
// (an authorized request) or net/http discards it after a 401. Without
// the timeout the connection stays open for the whole 50 s the body takes.
func TestSlowBodyCutOff(t *testing.T) {
	const timeout = 200 * time.Millisecond
	e := newEnv(t, Options{Timeouts: Timeouts{Body: timeout}})
	ln := listenLoopback(t)
	e.serve(t, ln)
	for _, tt := range []struct {
		name, token, status string
	}{
		{"authorized", e.tokens[wire.RoleOperator], "400"},
		{"no token", "", "401"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			stop := make(chan struct{})
			defer close(stop)
			if err := slowRequest(conn, tt.token, stop); err != nil {
				t.Fatal(err)
			}
			took, status, closed := readUntilClosed(conn, 3*time.Second)
			if !closed {
				t.Fatalf("connection still open after %v (status %q)", took, status)
			}
			// A hang guard with room for a loaded machine, not a timing assertion:
			// the point is that it ends, not how precisely.
			if took > 10*timeout {
				t.Errorf("connection closed after %v; want about the body timeout %v", took, timeout)
			}
			if !strings.Contains(status, tt.status) {
				t.Errorf("status %q, want %s", status, tt.status)
			}
			t.Logf("closed after %v with %q", took, status)
		})
	}
}

// TestSlowClientsCannotStarve: 50 slow clients on 127.0.0.1 get 4
// connections between them (the per-client limit), the rest are closed at
// once, and the 4 are cut off by the body timeout; a normal client from
// 127.0.0.2 meanwhile gets its answer.
func TestSlowClientsCannotStarve(t *testing.T) {
	const slow, perClient = 50, 4
	var refused atomic.Int64
	e := newEnv(t, Options{
		Timeouts:    Timeouts{Header: 500 * time.Millisecond, Body: 500 * time.Millisecond},
		Limits:      Limits{ConnsPerClient: perClient},
		ConnRefused: func(transport, limit string) { refused.Add(1) },
	})
	ln := listenLoopback(t)
	e.serve(t, ln)
	addr := ln.Addr().String()

	other := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	if c, err := other.Dial("tcp", addr); err != nil {
		t.Skipf("cannot dial from 127.0.0.2 (not Linux loopback?): %v", err)
	} else {
		c.Close()
	}

	conns := make([]net.Conn, slow)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	stop := make(chan struct{})
	defer close(stop)
	var served, open atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			if slowRequest(c, e.tokens[wire.RoleOperator], stop) != nil {
				return // closed by the server already
			}
			_, status, closed := readUntilClosed(c, 4*time.Second)
			if status != "" {
				served.Add(1)
			}
			if !closed {
				open.Add(1)
			}
		})
	}

	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: other.DialContext}}
	req, _ := http.NewRequest("GET", "http://"+addr+wire.PathMe, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("normal client: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("normal client: status %d %s", resp.StatusCode, b)
	}
	t.Logf("normal client answered in %v", time.Since(start))

	wg.Wait()
	if n := open.Load(); n > 0 {
		t.Errorf("%d slow connections still open after 4 s", n)
	}
	if n := served.Load(); n > perClient {
		t.Errorf("%d slow connections were served at once, want at most %d", n, perClient)
	}
	if n := refused.Load(); n < slow-perClient {
		t.Errorf("%d connections refused, want at least %d", n, slow-perClient)
	}
}

// TestUnixSocketConnLimit: the socket holds Limits.UnixConns connections;
// one more is closed at once, and a place frees up when one closes.
func TestUnixSocketConnLimit(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{UnixConns: 2}})
	path := filepath.Join(t.TempDir(), "api.sock")
	ln, err := ListenUnix(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.serve(t, ln)
	c, err := wire.NewClient("", wire.WithUnixSocket(path))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	held := make([]net.Conn, 2)
	for i := range held {
		if held[i], err = net.Dial("unix", path); err != nil {
			t.Fatal(err)
		}
		defer held[i].Close()
		// An answer on it means the server accepted and counted it; it stays open (keep-alive).
		fmt.Fprintf(held[i], "GET %s HTTP/1.1\r\nHost: unix\r\n\r\n", wire.PathHealthz)
		resp, err := http.ReadResponse(bufio.NewReader(held[i]), nil)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		resp.Body.Close()
	}
	if _, err := c.Me(ctx); err == nil {
		t.Fatal("a third connection to the socket was served")
	}
	held[0].Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		_, err = c.Me(ctx)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("after one connection closed: %v", err)
	}
}

// TestLiveStreamOutlivesWriteTimeout: with a 100 ms write timeout the live
// stream still delivers an update published 600 ms after it opened, on the
// same connection.
func TestLiveStreamOutlivesWriteTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	e := newEnv(t, Options{Timeouts: Timeouts{Write: timeout}, Heartbeat: 40 * time.Millisecond})
	ln := listenLoopback(t)
	e.serve(t, ln)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+wire.PathLive+"?machine=pump-1", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	time.Sleep(6 * timeout)
	e.fake.publish(update("pump-1", 42))
	hang := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if strings.HasPrefix(l, "data: ") && strings.Contains(l, `"score":42`) {
				return
			}
		case <-hang:
			t.Fatal("no update within 5 s")
		}
	}
}

// TestBodyTooLarge: a body over the limit is refused naming the limit.
func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, Options{})
	body := strings.NewReader(`{"comment":"` + strings.Repeat("x", maxBody) + `"}`)
	req, _ := http.NewRequest("POST", e.ts.URL+wire.Expand(wire.PathAcknowledge, fmt.Sprint(e.event)), body)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleOperator])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), fmt.Sprintf("larger than %d bytes", maxBody)) {
		t.Errorf("status %d %s; want 400 naming the limit", resp.StatusCode, b)
	}
}
