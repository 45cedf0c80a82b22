package api

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wire "signalcraft/core/api"
)

// TestProbesWithoutToken serves on TLS loopback: /healthz and /readyz answer without a
// token, the API still asks for one, and Wrap sees every request with the route pattern
// the API's mux matched.
func TestProbesWithoutToken(t *testing.T) {
	e := newEnv(t, Options{})
	var ready atomic.Bool
	readyz := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	var (
		mu       sync.Mutex
		patterns []string
	)
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			mu.Lock()
			patterns = append(patterns, r.Pattern)
			mu.Unlock()
		})
	}
	addrc := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.srv.Run(ctx, ListenConfig{TCP: "127.0.0.1:0", CertDir: t.TempDir(), Wrap: wrap, Readyz: readyz,
			OnListen: func(a []net.Addr) { addrc <- a[0] }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("OnListen not called")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback test
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get("https://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name, path string
		ready      bool
		code       int
		body       string
	}{
		{"healthz", wire.PathHealthz, false, 200, "ok\n"},
		{"readyz before start", wire.PathReadyz, false, 503, "not ready\n"},
		{"readyz after start", wire.PathReadyz, true, 200, "ready\n"},
		{"api needs a token", wire.PathMe, true, 401, ""},
	}
	for _, tt := range tests {
		ready.Store(tt.ready)
		code, body := get(tt.path)
		if code != tt.code || (tt.body != "" && body != tt.body) {
			t.Errorf("%s: GET %s = %d %q; want %d %q", tt.name, tt.path, code, body, tt.code, tt.body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GET /healthz", "GET /readyz", "GET /readyz", "GET " + wire.PathMe}
	if len(patterns) != len(want) {
		t.Fatalf("Wrap saw patterns %q; want %q", patterns, want)
	}
	for i := range want {
		if patterns[i] != want[i] {
			t.Errorf("request %d: pattern %q; want %q", i, patterns[i], want[i])
		}
	}
}
