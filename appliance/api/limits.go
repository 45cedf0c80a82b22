package api

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Timeouts bound how long a client may take over each part of an exchange.
// Zero fields take the defaults.
type Timeouts struct {
	// Header bounds reading a request's headers, and a TLS handshake (default 10s).
	Header time.Duration
	// Body bounds reading a request's body, from the end of its headers (default 30s).
	Body time.Duration
	// Write bounds sending a response, from its first byte (default 60s). The
	// live stream applies it to each of its writes instead, so it can stay
	// open for hours while a client that stops reading is still let go.
	Write time.Duration
	// Idle bounds how long a kept-alive connection waits for its next request (default 2m).
	Idle time.Duration
}

func (t *Timeouts) defaults() {
	if t.Header <= 0 {
		t.Header = 10 * time.Second
	}
	if t.Body <= 0 {
		t.Body = 30 * time.Second
	}
	if t.Write <= 0 {
		t.Write = time.Minute
	}
	if t.Idle <= 0 {
		t.Idle = 2 * time.Minute
	}
}

// Limits bound the connections the API holds. Zero fields take the defaults.
type Limits struct {
	// ConnsPerClient is how many connections one client address (an IPv6
	// client: its /64) may hold at once over TCP (default 32). HTTP/1.1
	// carries one request at a time, so it also bounds concurrent requests.
	// Connections beyond it are closed at once, before the TLS handshake.
	ConnsPerClient int
	// Conns is how many connections a TCP listener holds at once, over all
	// clients (default 1024).
	Conns int
	// UnixConns is how many connections the unix socket holds at once
	// (default 64). Whoever can open the socket is admin and could stop the
	// daemon anyway, so this guards against a local script that leaks
	// connections, not against an attacker; there is no per-client limit.
	UnixConns int
}

func (l *Limits) defaults() {
	if l.ConnsPerClient <= 0 {
		l.ConnsPerClient = 32
	}
	if l.Conns <= 0 {
		l.Conns = 1024
	}
	if l.UnixConns <= 0 {
		l.UnixConns = 64
	}
}

// Transports, as labelled in logs and metrics.
const (
	TransportTLS  = "tls"  // TCP with TLS, as Run serves it
	TransportTCP  = "tcp"  // plain TCP: a test server, or behind a proxy that ends TLS
	TransportUnix = "unix" // the unix socket: local admins, no token
)

// Limit names, as labelled in logs and metrics.
const (
	LimitClient = "client" // Limits.ConnsPerClient
	LimitTotal  = "total"  // Limits.Conns, Limits.UnixConns
)

// ConnLimits lists the limit names, for metrics to start at zero.
var ConnLimits = []string{LimitClient, LimitTotal}

// Log attribute keys.
const (
	logClient     = "client"
	logTransport  = "transport"
	logReason     = "reason"
	logLimit      = "limit"
	logSuppressed = "suppressed"
)

// transportOf names the transport a request came over.
func transportOf(r *http.Request) string {
	switch {
	case r.TLS != nil:
		return TransportTLS
	case r.Context().Value(localKey{}) != nil:
		return TransportUnix
	}
	return TransportTCP
}

// connTransport names the transport of a server connection.
func connTransport(c net.Conn) string {
	switch c.(type) {
	case *tls.Conn:
		return TransportTLS
	case *net.UnixConn:
		return TransportUnix
	}
	return TransportTCP
}

// clientKey names the client at addr for per-client limits: its IP
// address, or for IPv6 its /64, which one host commonly holds whole.
// Addresses that are not IP (the unix socket) are all "local".
func clientKey(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "local"
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// connLimiter counts a server's open connections, overall and per client,
// from http.Server.ConnState, and closes new ones beyond the limits at once.
// Closing in the StateNew hook is cheap: the TLS handshake has not started,
// and the connection's goroutine ends on its first read.
type connLimiter struct {
	perClient int // 0: none
	total     int
	refused   func(transport, limit string)
	log       *slog.Logger
	logs      *logLimiter

	mu  sync.Mutex
	n   int
	by  map[string]int
	key map[net.Conn]string // counted connections
}

func newConnLimiter(perClient, total int, refused func(transport, limit string), log *slog.Logger, now func() time.Time) *connLimiter {
	return &connLimiter{perClient: perClient, total: total, refused: refused, log: log,
		logs: newLogLimiter(time.Minute, now), by: map[string]int{}, key: map[net.Conn]string{}}
}

// state is the http.Server.ConnState hook.
func (l *connLimiter) state(c net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		key := clientKey(c.RemoteAddr().String())
		l.mu.Lock()
		limit := ""
		switch {
		case l.n >= l.total:
			limit = LimitTotal
		case l.perClient > 0 && l.by[key] >= l.perClient:
			limit = LimitClient
		default:
			l.n++
			l.by[key]++
			l.key[c] = key
		}
		l.mu.Unlock()
		if limit == "" {
			return
		}
		c.Close()
		transport := connTransport(c)
		if l.refused != nil {
			l.refused(transport, limit)
		}
		if ok, suppressed := l.logs.allow(key + " " + limit); ok {
			l.log.Warn("api connection refused: too many connections", logClient, key, logTransport, transport,
				logLimit, limit, logSuppressed, suppressed)
		}
	case http.StateClosed, http.StateHijacked:
		l.mu.Lock()
		defer l.mu.Unlock()
		key, ok := l.key[c]
		if !ok {
			return // refused, never counted
		}
		delete(l.key, c)
		l.n--
		if l.by[key]--; l.by[key] <= 0 {
			delete(l.by, key)
		}
	}
}

// bounded applies the per-request limits the http.Server cannot: the body
// timeout and size, and the write timeout counted from the response's first
// byte.
//
// The server's ReadTimeout is not used for the body: it also arms the
// connection's background read while the handler runs, and when it expires
// net/http cancels the request's context, so every handler slower than the
// body timeout (a receiver test waits up to its own timeout) and every live
// stream would be cut. Instead the body gets a read deadline that is lifted
// once the body has been read to its end.
func (s *Server) bounded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		// Until the first byte of the response, no write deadline: the
		// handler may take as long as it needs (a stale one from the
		// previous request on this connection would fail the response).
		_ = rc.SetWriteDeadline(time.Time{}) // ErrNotSupported (a recorder in tests): nothing to bound
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(time.Now().Add(s.o.Timeouts.Body))
			r.Body = &boundedBody{ReadCloser: http.MaxBytesReader(w, r.Body, maxBody), rc: rc}
		}
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, timeout: s.o.Timeouts.Write}, r)
	})
}

// boundedBody lifts the body's read deadline once the body has been read to
// its end. After any other error (the deadline passed, the body is too
// large) the deadline stays, so that net/http's discarding of the rest of
// the body is bounded too, and the connection is closed.
type boundedBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// deadlineWriter sets the connection's write deadline when the response
// starts. It passes Flush and deadlines on through Unwrap.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	}
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.start()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logLimiter lets one log line per key through per interval and counts the
// lines it holds back, so a flood of failures from one client costs one
// line a minute and the next line says how many were left out. It keeps at
// most maxLogKeys keys; beyond them, keys share one.
type logLimiter struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*logState
}

type logState struct {
	at         time.Time // of the last line let through
	suppressed int
}

const (
	maxLogKeys  = 4096
	overflowKey = "*"
)

func newLogLimiter(every time.Duration, now func() time.Time) *logLimiter {
	return &logLimiter{every: every, now: now, keys: map[string]*logState{}}
}

// allow reports whether a line about key may be logged now and, if so, how
// many were held back since the previous one.
func (l *logLimiter) allow(key string) (ok bool, suppressed int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st, found := l.keys[key]
	if !found {
		if len(l.keys) >= maxLogKeys {
			for k, v := range l.keys {
				if now.Sub(v.at) >= l.every {
					delete(l.keys, k) // its held-back count is lost; the metrics keep the totals
				}
			}
		}
		if len(l.keys) >= maxLogKeys {
			key = overflowKey
			st = l.keys[key]
		}
		if st == nil {
			st = &logState{}
			l.keys[key] = st
			st.at = now
			return true, 0
		}
	}
	if now.Sub(st.at) < l.every {
		st.suppressed++
		return false, 0
	}
	suppressed, st.at, st.suppressed = st.suppressed, now, 0
	return true, suppressed
}
