package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/metrics"
	wire "signalcraft/core/api"
)

// do serves one request from the client at addr through the server's
// handler and returns the answer.
func (e *env) do(t *testing.T, addr, auth string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", wire.PathMe, nil)
	req.RemoteAddr = addr
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// logBuffer is a slog handler's output, safe for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines(msg string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "msg="+msg) || strings.Contains(line, `msg="`+msg+`"`) {
			out = append(out, line)
		}
	}
	return out
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogBuffer() (*logBuffer, *slog.Logger) {
	lb := &logBuffer{}
	return lb, slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestAuthFailuresCounted: every refused credential is counted by reason
// and transport in the metrics text; valid tokens and the unix socket are not.
func TestAuthFailuresCounted(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "test"})
	m.InitAPI([]string{TransportTLS}, AuthFailureReasons, ConnLimits)
	e := newEnv(t, Options{AuthFailed: m.AuthFailed})
	ctx := context.Background()
	revoked, err := createToken(ctx, e.db, "old-laptop", wire.RoleViewer, time.Time{}, e.clk.Now(), "local:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := revokeToken(ctx, e.db, revoked.Token.ID, e.clk.Now(), "local:test"); err != nil {
		t.Fatal(err)
	}
	expiring, err := createToken(ctx, e.db, "contractor", wire.RoleViewer, t0.Add(time.Hour), e.clk.Now(), "local:test")
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour)
	unknown, _ := NewSecret()
	const addr = "192.0.2.7:40000"
	for _, auth := range []string{"", "", "Basic YWRtaW46YWRtaW4=", "Bearer hunter2", "Bearer " + unknown,
		"Bearer " + revoked.Secret, "Bearer " + expiring.Secret, "Bearer " + e.tokens[wire.RoleViewer]} {
		e.do(t, addr, auth)
	}

	// Over TLS, as the daemon serves TCP.
	cert, fp, err := LoadOrCreateCert(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := listenLoopback(t)
	e.serve(t, tls.NewListener(ln, TLSConfig(cert)))
	c, _ := wire.NewClient("https://"+ln.Addr().String(), wire.WithToken(unknown), wire.WithTLSFingerprint(fp))
	if _, err := c.Me(ctx); !wire.IsCode(err, wire.CodeUnauthorized) {
		t.Errorf("unknown token over TLS: %v", err)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	text := rec.Body.String()
	for _, want := range []string{
		`signalcraft_api_auth_failures_total{reason="missing",transport="tcp"} 2`,
		`signalcraft_api_auth_failures_total{reason="malformed",transport="tcp"} 2`,
		`signalcraft_api_auth_failures_total{reason="unknown",transport="tcp"} 1`,
		`signalcraft_api_auth_failures_total{reason="revoked",transport="tcp"} 1`,
		`signalcraft_api_auth_failures_total{reason="expired",transport="tcp"} 1`,
		`signalcraft_api_auth_failures_total{reason="unknown",transport="tls"} 1`,
		`signalcraft_api_auth_failures_total{reason="revoked",transport="tls"} 0`,
		`signalcraft_api_connections_refused_total{limit="client",transport="tls"} 0`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, "auth_failures") {
				t.Log(l)
			}
		}
	}
}

// TestAuthFailureLog: failures are logged once per client per interval,
// the next line counting those left out; no line holds the secret or a
// telling part of it, and a revoked token is named.
func TestAuthFailureLog(t *testing.T) {
	lb, log := newLogBuffer()
	e := newEnv(t, Options{Logger: log, Auth: AuthLimits{Failures: 1000, LogEvery: time.Minute}})
	unknown, _ := NewSecret()
	const msg = "api authentication failed"
	for range 20 {
		e.do(t, "192.0.2.1:1000", "Bearer "+unknown)
	}
	e.do(t, "[2001:db8:1:2::5]:1000", "")
	e.do(t, "[2001:db8:1:2::6]:1001", "") // the same /64: the same client
	if got := lb.lines(msg); len(got) != 2 {
		t.Fatalf("%d lines for 22 failures from 2 clients in one interval, want 2:\n%s", len(got), strings.Join(got, "\n"))
	}
	e.clk.Advance(30 * time.Second)
	e.do(t, "192.0.2.1:1000", "Bearer "+unknown)
	if got := lb.lines(msg); len(got) != 2 {
		t.Fatalf("a line within the interval: %q", got[2:])
	}
	e.clk.Advance(30 * time.Second)
	e.do(t, "192.0.2.1:1000", "Bearer "+unknown)
	got := lb.lines(msg)
	if len(got) != 3 || !strings.Contains(got[2], "suppressed=20") || !strings.Contains(got[2], "client=192.0.2.1") ||
		!strings.Contains(got[2], "reason=unknown") {
		t.Fatalf("after the interval: %q; want a third line with suppressed=20", got)
	}
	if !strings.Contains(got[1], "client=2001:db8:1:2::/64") || !strings.Contains(got[1], "reason=missing") {
		t.Errorf("IPv6 line %q", got[1])
	}

	revoked, _ := createToken(context.Background(), e.db, "old-laptop", wire.RoleViewer, time.Time{}, e.clk.Now(), "local:test")
	_ = revokeToken(context.Background(), e.db, revoked.Token.ID, e.clk.Now(), "local:test")
	e.do(t, "192.0.2.99:1000", "Bearer "+revoked.Secret)
	if got := lb.lines(msg); len(got) != 4 || !strings.Contains(got[3], "token=old-laptop") || !strings.Contains(got[3], "reason=revoked") {
		t.Errorf("revoked token line: %q", got[len(got)-1])
	}
	out := lb.String()
	for _, s := range []string{unknown, revoked.Secret} {
		body := strings.TrimPrefix(s, SecretPrefix)
		for i := 0; i+6 <= len(body); i++ {
			if strings.Contains(out, body[i:i+6]) {
				t.Fatalf("the log holds 6 characters of a secret (%q):\n%s", body[i:i+6], out)
			}
		}
	}
}

// TestAuthSlowDown: after 3 failures within a minute an address is refused
// with 429 and Retry-After, while valid tokens are served at once (from
// another address, and from the blocked one); the block ends, and the next
// one lasts twice as long.
func TestAuthSlowDown(t *testing.T) {
	lb, log := newLogBuffer()
	e := newEnv(t, Options{Logger: log, Auth: AuthLimits{Failures: 3, Window: time.Minute, Block: time.Minute, MaxBlock: 10 * time.Minute}})
	const bad, other = "192.0.2.1:1000", "198.51.100.2:2000"
	unknown, _ := NewSecret()
	viewer := "Bearer " + e.tokens[wire.RoleViewer]
	check := func(what, addr, auth string, status int, retry string) {
		t.Helper()
		rec := e.do(t, addr, auth)
		if rec.Code != status || rec.Header().Get("Retry-After") != retry {
			t.Fatalf("%s: status %d Retry-After %q (%s); want %d %q", what, rec.Code, rec.Header().Get("Retry-After"), rec.Body, status, retry)
		}
		if status == 429 {
			var apiErr wire.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &apiErr); err != nil || apiErr.Code != wire.CodeRateLimited {
				t.Fatalf("%s: body %s, want code %s", what, rec.Body, wire.CodeRateLimited)
			}
		}
	}
	for i := range 3 {
		e.clk.Advance(time.Second)
		check("failure "+string(rune('1'+i)), bad, "Bearer "+unknown, 401, "")
	}
	check("4th failure", bad, "Bearer "+unknown, 429, "60")
	check("no token while blocked", bad, "", 429, "60")
	check("valid token from another address", other, viewer, 200, "")
	check("failure from another address", other, "Bearer "+unknown, 401, "")
	check("valid token from the blocked address", bad, viewer, 200, "")
	if got := lb.lines("api client refused after repeated authentication failures"); len(got) != 1 || !strings.Contains(got[0], "client=192.0.2.1") {
		t.Errorf("block log lines %q", got)
	}

	e.clk.Advance(30 * time.Second)
	check("half way through the block", bad, "Bearer "+unknown, 429, "30")
	e.clk.Advance(30 * time.Second)
	check("after the block", bad, "Bearer "+unknown, 401, "")
	check("2nd failure after", bad, "Bearer "+unknown, 401, "")
	check("3rd failure after", bad, "Bearer "+unknown, 401, "")
	check("second block", bad, "Bearer "+unknown, 429, "120")

	// Quiet for MaxBlock: the next block is back to Block.
	e.clk.Advance(10 * time.Minute)
	for range 3 {
		check("failure after a quiet spell", bad, "Bearer "+unknown, 401, "")
	}
	check("block after a quiet spell", bad, "Bearer "+unknown, 429, "60")
}

// TestAuthGuardBounded: the guard remembers at most maxAuthClients
// addresses; beyond them new addresses share one entry (which only failing
// requests can fill), and quiet addresses are forgotten.
func TestAuthGuardBounded(t *testing.T) {
	g := newAuthGuard(AuthLimits{Failures: 2, Window: time.Minute, Block: time.Minute, MaxBlock: time.Minute})
	for i := range maxAuthClients {
		g.fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256), t0)
	}
	if len(g.clients) != maxAuthClients {
		t.Fatalf("%d clients", len(g.clients))
	}
	if v := g.fail("new-1", t0); v.wait != 0 || v.blocked != 0 {
		t.Errorf("first failure of a new address: %+v", v)
	}
	if v := g.fail("new-2", t0); v.blocked != time.Minute {
		t.Errorf("second failure in the shared entry: %+v, want a block", v)
	}
	if len(g.clients) != maxAuthClients+1 {
		t.Errorf("%d clients, want the cap and the shared entry", len(g.clients))
	}
	// Once the old ones are quiet, they are forgotten.
	g.fail("new-3", t0.Add(2*time.Minute))
	if len(g.clients) > 3 {
		t.Errorf("%d clients after the others went quiet", len(g.clients))
	}
}

// TestClientKey: IPv4 by address, IPv6 by /64, the unix socket as one.
func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.1:443":              "192.0.2.1",
		"[::ffff:192.0.2.1]:443":     "192.0.2.1",
		"[2001:db8:a:b:1:2:3:4]:443": "2001:db8:a:b::/64",
		"[fe80::1%eth0]:443":         "fe80::/64",
		"@":                          "local",
		"":                           "local",
	} {
		if got := clientKey(addr); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}
