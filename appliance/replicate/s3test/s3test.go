// Package s3test runs a real S3-compatible server (versitygw) on loopback for tests: the
// replication tests and the daemon's use it. The binary is installed by `make test-deps`
// (installer/s3-test-server.sh); a test fails naming it when it is missing.
package s3test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Test credentials of the local versitygw (not secrets: the server lives for one test).
const (
	KeyID  = "signalcraft-test"
	Secret = "signalcraft-test-secret-9f3a"
)

// binary finds the versitygw binary in $(go env GOPATH)/bin or on PATH, and fails
// the test naming it and how to install it when it is absent.
func binary(t testing.TB) string {
	t.Helper()
	var dirs []string
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	t.Fatalf("versitygw (the S3 server these tests run against) is not installed in $(go env GOPATH)/bin nor on PATH: run `make test-deps` or installer/s3-test-server.sh (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
	return ""
}

// Server is a versitygw on loopback with a posix root in a temp dir.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
	exit chan struct{}
}

// Start starts versitygw on a free 127.0.0.1 port; the test's Cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{t: t, bin: binary(t), dir: t.TempDir(), addr: addr}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// Endpoint is the server's URL.
func (s *Server) Endpoint() string { return "http://" + s.addr }

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--port", s.addr, "posix", s.dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+KeyID, "ROOT_SECRET_KEY="+Secret)
	var logb strings.Builder
	cmd.Stdout, cmd.Stderr = &logb, &logb
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start versitygw: %v", err)
	}
	s.cmd, s.exit = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exit) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-s.exit:
			s.t.Fatalf("versitygw exited at start: %s", logb.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("versitygw did not listen on %s within 15s: %s", s.addr, logb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the server (an outage).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.exit:
	case <-time.After(10 * time.Second):
		s.t.Errorf("versitygw (pid %d) did not exit", s.cmd.Process.Pid)
	}
	s.cmd = nil
}

// Restart starts the server again on the same port and directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
