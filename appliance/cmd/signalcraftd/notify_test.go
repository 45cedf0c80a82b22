package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/daemon"
	"signalcraft/appliance/sdnotify"
)

// TestSystemdNotify runs the daemon in-process as systemd would start a Type=notify service
// with WatchdogSec=100ms: it must send READY=1 once its API answers, WATCHDOG=1 pings while it
// runs, and STOPPING=1 when it is stopped.
func TestSystemdNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv(sdnotify.EnvSocket, sock)
	t.Setenv(sdnotify.EnvWatchdogUSec, "100000")
	t.Setenv(sdnotify.EnvWatchdogPID, "")
	cfg := filepath.Join(dir, "sc.yaml")
	write(t, cfg, simYAML(dir, 0))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, io.Discard, io.Discard) }()

	// Every datagram in order; the deadline only guards against a hang.
	next := func() string {
		t.Helper()
		_ = srv.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 4096)
		n, err := srv.Read(buf)
		if err != nil {
			cancel()
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	first := next()
	if !strings.HasPrefix(first, "READY=1\nSTATUS=2 machines: 2 learning") {
		t.Fatalf("first notification = %q, want READY=1 with a status", first)
	}
	if c, err := net.Dial("unix", filepath.Join(dir, "api.sock")); err != nil {
		t.Errorf("READY=1 sent before the API socket accepts connections: %v", err)
	} else {
		c.Close() // an idle new connection would hold the API's graceful shutdown for 5 s
	}
	pings := 0
	for pings < 3 {
		if msg := next(); msg == "WATCHDOG=1\n" {
			pings++
		} else if !strings.HasPrefix(msg, "STATUS=") {
			t.Fatalf("unexpected notification %q while running", msg)
		}
	}
	cancel()
	for {
		msg := next()
		if msg == "STOPPING=1\n" {
			break
		}
		if msg != "WATCHDOG=1\n" && !strings.HasPrefix(msg, "STATUS=") {
			t.Fatalf("unexpected notification %q while stopping", msg)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}
}

func TestSystemdNotifyDisabled(t *testing.T) {
	t.Setenv(sdnotify.EnvSocket, "")
	stop := notifySystemd(context.Background(), nil, nil, nil) // touches nothing outside systemd
	stop()
}

func TestStatusLine(t *testing.T) {
	tests := []struct {
		states []string
		want   string
	}{
		{nil, "0 machines"},
		{[]string{"learning"}, "1 machine: 1 learning"},
		{[]string{"learning", "learning"}, "2 machines: 2 learning"},
		{[]string{"monitoring", "anomaly", "monitoring"}, "3 machines: 2 monitoring, 1 anomaly"},
	}
	for _, tt := range tests {
		st := make([]daemon.Status, len(tt.states))
		for i, s := range tt.states {
			st[i].State = s
		}
		if got := statusLine(st); got != tt.want {
			t.Errorf("statusLine(%v) = %q, want %q", tt.states, got, tt.want)
		}
	}
}
