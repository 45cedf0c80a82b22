package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// dialError is the error net.Dialer returns for a unix socket that refused with errno.
func dialError(path string, errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"},
		Err: os.NewSyscallError("connect", errno)}
}

func TestClassifySocketError(t *testing.T) {
	const path = "/run/signalcraft/api.sock"
	already := &SocketError{Path: path, Err: dialError(path, syscall.EACCES)}
	for _, tc := range []struct {
		name string
		err  error
		perm bool // classified as a permission error
	}{
		{"EACCES", dialError(path, syscall.EACCES), true},
		{"EPERM", dialError(path, syscall.EPERM), true},
		{"EACCES inside an http client error", &url.Error{Op: "Get", URL: "http://unix/api/v1/me", Err: dialError(path, syscall.EACCES)}, true},
		{"no socket: the daemon is not running", dialError(path, syscall.ENOENT), false},
		{"connection refused", dialError(path, syscall.ECONNREFUSED), false},
		{"already classified", already, true},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classifySocketError(path, tc.err)
			if IsSocketPermission(got) != tc.perm {
				t.Fatalf("IsSocketPermission(%v) = %v, want %v", got, !tc.perm, tc.perm)
			}
			if !tc.perm {
				if got != tc.err {
					t.Errorf("a non-permission error was changed: %v", got)
				}
				return
			}
			msg := got.Error()
			for _, want := range []string{path, "group signalcraft", "sudo usermod -aG signalcraft $USER", "log out and in again"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q: %s", want, msg)
				}
			}
			if strings.Contains(msg, "running") {
				t.Errorf("message asks whether the daemon runs, which is not the problem: %s", msg)
			}
			if strings.Count(msg, "sudo usermod") != 1 {
				t.Errorf("hint repeated: %s", msg)
			}
			if tc.err != nil && !errors.Is(got, syscall.EACCES) && !errors.Is(got, syscall.EPERM) {
				t.Errorf("the errno is no longer in the chain: %v", got)
			}
		})
	}
}

// TestClientSocketPermission connects the client to a real socket the user may not open.
// Root may open any socket, so as root only the classification test above applies.
func TestClientSocketPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses the socket's permissions; TestClassifySocketError covers the EACCES case")
	}
	path := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go http.Serve(l, http.NotFoundHandler())
	if err := os.Chmod(path, 0o000); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient("", WithUnixSocket(path))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	if !IsSocketPermission(err) || !strings.Contains(err.Error(), "usermod -aG signalcraft") {
		t.Fatalf("Me on a socket without permission: %v", err)
	}
}
