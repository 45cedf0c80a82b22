package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	wire "signalcraft/core/api"
)

// Reasons a request's credentials are refused, as labelled in logs and metrics.
const (
	AuthMissing   = "missing"   // no Authorization header
	AuthMalformed = "malformed" // not "Bearer sc_…" with a well-formed secret
	AuthUnknown   = "unknown"   // no token has this secret
	AuthRevoked   = "revoked"
	AuthExpired   = "expired"
)

// AuthFailureReasons lists the reasons, for metrics to start at zero.
var AuthFailureReasons = []string{AuthMissing, AuthMalformed, AuthUnknown, AuthRevoked, AuthExpired}

// AuthLimits slow down a client address whose credentials keep failing.
// Zero fields take the defaults.
//
// After Failures failed authentications within Window (default 10 in 1m),
// the address is refused with 429 and Retry-After for Block (default 1m);
// each further block doubles, up to MaxBlock (default 15m), until the
// address has been quiet for MaxBlock. Only failing requests are refused: a
// valid token is served at once from any address, blocked or not. Secrets
// are 256 random bits, so guessing is hopeless anyway; the point is to keep
// a scanner or a client with a stale token cheap and quiet, without letting
// anyone lock a factory's users out by failing from their (NAT) address.
type AuthLimits struct {
	Failures int
	Window   time.Duration
	Block    time.Duration
	MaxBlock time.Duration
	// LogEvery lets one "api authentication failed" line per client
	// through per interval (default 1m); the next line says how many were
	// left out. The metrics count every failure.
	LogEvery time.Duration
}

func (l *AuthLimits) defaults() {
	if l.Failures <= 0 {
		l.Failures = 10
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	if l.Block <= 0 {
		l.Block = time.Minute
	}
	if l.MaxBlock <= 0 {
		l.MaxBlock = 15 * time.Minute
	}
	l.MaxBlock = max(l.MaxBlock, l.Block)
	if l.LogEvery <= 0 {
		l.LogEvery = time.Minute
	}
}

// authError is a refused credential: what the client is told, and the
// reason (and the token's name, when the store knows the secret) for the
// log and the metrics. The log never shows any part of the secret.
type authError struct {
	reason string
	token  string
	err    *wire.Error
}

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

func authFailure(reason, token, format string, args ...any) *authError {
	return &authError{reason: reason, token: token, err: wire.Errorf(wire.CodeUnauthorized, format, args...)}
}

// authGuard counts failed authentications per client address and decides
// when an address must wait.
type authGuard struct {
	lim AuthLimits

	mu      sync.Mutex
	clients map[string]*authClient
}

type authClient struct {
	fails   int       // in the current window
	since   time.Time // start of the current window
	until   time.Time // refused until then
	strikes int       // blocks in a row, for the doubling
	last    time.Time // latest failure
}

// maxAuthClients bounds the addresses the guard remembers; beyond them
// (after forgetting the quiet ones) new addresses share one entry, which
// is blocked soon: only failing requests suffer from it.
const maxAuthClients = 4096

func newAuthGuard(lim AuthLimits) *authGuard {
	return &authGuard{lim: lim, clients: map[string]*authClient{}}
}

// verdict is what the guard makes of one failure.
type verdict struct {
	wait    time.Duration // > 0: refuse with 429 and Retry-After
	blocked time.Duration // > 0: this failure started a block that long
}

// fail records a failed authentication from key at now.
func (g *authGuard) fail(key string, now time.Time) verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.client(key, now)
	if now.Before(c.until) {
		c.last = now
		return verdict{wait: c.until.Sub(now)}
	}
	if !c.last.IsZero() && now.Sub(c.last) >= g.lim.MaxBlock {
		c.strikes = 0
	}
	c.last = now
	if now.Sub(c.since) >= g.lim.Window {
		c.since, c.fails = now, 0
	}
	if c.fails++; c.fails < g.lim.Failures {
		return verdict{}
	}
	c.strikes++
	block := g.lim.MaxBlock
	if c.strikes <= 30 { // beyond, the shift overflows; MaxBlock it is
		block = min(g.lim.Block<<(c.strikes-1), g.lim.MaxBlock)
	}
	c.until, c.fails = now.Add(block), 0
	return verdict{blocked: block}
}

func (g *authGuard) client(key string, now time.Time) *authClient {
	if c, ok := g.clients[key]; ok {
		return c
	}
	if len(g.clients) >= maxAuthClients {
		// An entry quiet for MaxBlock (and Window) is neither blocked nor
		// counting: forgetting it changes nothing.
		for k, c := range g.clients {
			if now.Sub(c.last) >= max(g.lim.MaxBlock, g.lim.Window) {
				delete(g.clients, k)
			}
		}
	}
	if len(g.clients) >= maxAuthClients {
		key = overflowKey
		if c, ok := g.clients[key]; ok {
			return c
		}
	}
	c := &authClient{since: now}
	g.clients[key] = c
	return c
}

// authFailed records, counts and logs (rate-limited) a refused credential,
// and answers the request: 401, or 429 with Retry-After once the client's
// address is blocked.
func (s *Server) authFailed(w http.ResponseWriter, r *http.Request, ae *authError) {
	client := clientKey(r.RemoteAddr)
	transport := transportOf(r)
	v := s.guard.fail(client, s.o.Now())
	if s.o.AuthFailed != nil {
		s.o.AuthFailed(transport, ae.reason)
	}
	if ok, suppressed := s.authLogs.allow(client); ok {
		attrs := []any{logClient, client, logTransport, transport, logReason, ae.reason,
			"method", r.Method, "path", r.URL.Path, logSuppressed, suppressed}
		if ae.token != "" {
			attrs = append(attrs, "token", ae.token) // the name, never the secret
		}
		if v.wait > 0 {
			attrs = append(attrs, "refused_for", v.wait.Round(time.Second))
		}
		s.log.Warn("api authentication failed", attrs...)
	}
	if v.blocked > 0 {
		s.log.Warn("api client refused after repeated authentication failures", logClient, client,
			"failures", s.o.Auth.Failures, "within", s.o.Auth.Window, "for", v.blocked)
	}
	if v.wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(v.wait.Seconds()))))
		s.writeError(w, r, wire.Errorf(wire.CodeRateLimited,
			"too many failed authentications from %s: retry in %v", client, v.wait.Round(time.Second)))
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="signalcraft"`)
	s.writeError(w, r, ae)
}
