package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a real unixgram socket like the one systemd passes in $NOTIFY_SOCKET.
func listen(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recv reads one datagram, failing the test if none arrives within a generous deadline
// (the datagram is already queued when Notify returns; the deadline only guards a bug).
func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("read datagram: %v", err)
	}
	return string(buf[:n])
}

// pending reports whether a datagram is queued, without waiting for one to arrive.
func pending(t *testing.T, c *net.UnixConn) bool {
	t.Helper()
	if err := c.SetReadDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_, err := c.Read(buf)
	return err == nil
}

func TestNotifySendsOneDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	srv := listen(t, path)
	n := New(path)
	if !n.Enabled() {
		t.Fatal("Enabled = false for a socket path")
	}
	tests := []struct {
		name string
		send func() error
		want string
	}{
		{"ready", func() error { return n.Ready("") }, "READY=1\n"},
		{"ready with status", func() error { return n.Ready("3 machines") }, "READY=1\nSTATUS=3 machines\n"},
		{"status", func() error { return n.Status("learning") }, "STATUS=learning\n"},
		{"stopping", n.Stopping, "STOPPING=1\n"},
		{"several", func() error { return n.Notify(StateWatchdog, "STATUS=ok") }, "WATCHDOG=1\nSTATUS=ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatal(err)
			}
			if got := recv(t, srv); got != tt.want {
				t.Errorf("datagram = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@signalcraft-sdnotify-test-%d", os.Getpid())
	srv := listen(t, name)
	if err := FromEnv(func(k string) string { return map[string]string{EnvSocket: name}[k] }).Ready(""); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, srv); got != "READY=1\n" {
		t.Errorf("datagram = %q", got)
	}
}

func TestNotifyErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	srv := listen(t, path)
	n := New(path)
	for _, bad := range [][]string{nil, {""}, {"STATUS=a\nREADY=1"}} {
		if err := n.Notify(bad...); !errors.Is(err, ErrBadState) {
			t.Errorf("Notify(%q) = %v, want ErrBadState", bad, err)
		}
	}
	if pending(t, srv) {
		t.Error("a rejected state was sent")
	}
	gone := New(filepath.Join(t.TempDir(), "missing.sock"))
	if err := gone.Ready(""); err == nil || !strings.Contains(err.Error(), "missing.sock") {
		t.Errorf("Ready on a missing socket = %v, want an error naming it", err)
	}
}

func TestDisabledIsNoOp(t *testing.T) {
	for _, n := range []*Notifier{nil, {}, New(""), FromEnv(func(string) string { return "" })} {
		if n.Enabled() {
			t.Errorf("%+v: Enabled = true", n)
		}
		if err := n.Ready("x"); err != nil {
			t.Errorf("Ready on a disabled notifier = %v", err)
		}
		if err := n.Notify(); err != nil {
			t.Errorf("Notify() on a disabled notifier = %v", err)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    time.Duration
		wantErr error
	}{
		{"unset", nil, 0, nil},
		{"30s", map[string]string{EnvWatchdogUSec: "30000000"}, 30 * time.Second, nil},
		{"for this pid", map[string]string{EnvWatchdogUSec: "1000", EnvWatchdogPID: "42"}, time.Millisecond, nil},
		{"for another pid", map[string]string{EnvWatchdogUSec: "1000", EnvWatchdogPID: "7"}, 0, nil},
		{"zero", map[string]string{EnvWatchdogUSec: "0"}, 0, ErrBadWatchdog},
		{"negative", map[string]string{EnvWatchdogUSec: "-5"}, 0, ErrBadWatchdog},
		{"words", map[string]string{EnvWatchdogUSec: "soon"}, 0, ErrBadWatchdog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WatchdogInterval(func(k string) string { return tt.env[k] }, 42)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("WatchdogInterval = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := WatchdogInterval(func(k string) string {
		return map[string]string{EnvWatchdogUSec: "1", EnvWatchdogPID: "x"}[k]
	}, 1); err == nil {
		t.Error("a bad WATCHDOG_PID was accepted")
	}
}

func TestWatchdogPingsOnlyWhileAlive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	srv := listen(t, path)
	n := New(path)
	ticks := make(chan time.Time)
	alive := make(chan bool)
	type result struct {
		sent int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		sent, err := n.Watchdog(context.Background(), ticks, func() bool { return <-alive })
		done <- result{sent, err}
	}()
	// One tick per step: the loop asks alive, then pings (or not) before reading the next tick.
	for i, live := range []bool{true, true, false, true, false} {
		ticks <- time.Time{}
		alive <- live
		if live {
			if got := recv(t, srv); got != "WATCHDOG=1\n" {
				t.Fatalf("step %d: datagram = %q", i, got)
			}
		}
	}
	close(ticks)
	r := <-done
	if r.err != nil || r.sent != 3 {
		t.Errorf("Watchdog = %d, %v; want 3 pings", r.sent, r.err)
	}
	if pending(t, srv) {
		t.Error("a ping was sent on a tick where the daemon was not alive")
	}
}

func TestWatchdogStopsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	listen(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sent, err := New(path).Watchdog(ctx, make(chan time.Time), func() bool { return true })
	if sent != 0 || err != nil {
		t.Errorf("Watchdog after cancel = %d, %v", sent, err)
	}
}

func TestWatchdogReportsSendError(t *testing.T) {
	n := New(filepath.Join(t.TempDir(), "missing.sock"))
	ticks := make(chan time.Time, 2)
	ticks <- time.Time{}
	ticks <- time.Time{}
	close(ticks)
	sent, err := n.Watchdog(context.Background(), ticks, func() bool { return true })
	if sent != 0 || err == nil {
		t.Errorf("Watchdog to a missing socket = %d, %v; want 0 and an error", sent, err)
	}
}
