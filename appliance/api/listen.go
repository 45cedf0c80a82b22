package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	wire "signalcraft/core/api"
)

// Defaults for the listeners.
const (
	DefaultSocket     = "/run/signalcraft/api.sock"
	DefaultSocketMode = 0o660
	CertFile          = "cert.pem"
	KeyFile           = "key.pem"
)

// ListenConfig says where the API listens.
type ListenConfig struct {
	// Socket is the unix socket path ("" disables it). Whoever can open it
	// is admin, so its mode and group are the access control: the daemon's
	// group (signalcraft) may connect with the default mode 0660.
	Socket     string
	SocketMode os.FileMode // default DefaultSocketMode
	// TCP is the TLS listen address such as ":8443" ("" disables it).
	TCP string
	// CertDir holds cert.pem and key.pem, created on first start (the data directory).
	CertDir string
	// CertHosts are extra DNS names or IPs for the certificate; clients pin
	// the fingerprint, so names matter only for tools that check them.
	CertHosts []string
	// Wrap, if set, wraps the handler served on every listener (request metrics).
	Wrap func(http.Handler) http.Handler
	// Readyz, if set, answers GET /readyz without authentication; GET /healthz
	// always answers 200 "ok" without authentication.
	Readyz http.Handler
	// OnListen, if set, is called with the listeners' addresses once every
	// listener is open.
	OnListen func(addrs []net.Addr)
}

// ListenUnix listens on a unix socket at path with the given mode, replacing
// a stale socket file left by a crash but refusing one that a live server
// still answers on.
func ListenUnix(path string, mode os.FileMode) (net.Listener, error) {
	if mode == 0 {
		mode = DefaultSocketMode
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("api socket %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("api socket %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("api socket %s: another server is listening on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("api socket %s: remove stale socket: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("api socket: %w", err)
	}
	// Until this chmod the socket has the umask's mode; the parent
	// directory (0750, or systemd's RuntimeDirectory) closes that window.
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api socket %s: %w", path, err)
	}
	return ln, nil
}

// localActor names the user on the other end of a unix socket connection.
func localActor(c net.Conn) string {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return "local:unknown"
	}
	uid, err := peerUID(uc)
	if err != nil {
		return "local:unknown"
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return "local:" + u.Username
	}
	return "local:uid" + strconv.Itoa(uid)
}

// Serve serves the API on ln until ctx is done, then ends the live streams
// and shuts down gracefully (5 s at most). Connections accepted on a unix
// listener are local admins (see the package documentation); others must
// bring a bearer token. For TLS, pass a tls.NewListener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, ln, s.outer(ListenConfig{}))
}

func (s *Server) serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	streams, stopStreams := context.WithCancel(context.Background())
	defer stopStreams()
	_, isUnix := ln.(*net.UnixListener)
	limits := newConnLimiter(s.o.Limits.ConnsPerClient, s.o.Limits.Conns, s.o.ConnRefused, s.log, s.o.Now)
	if isUnix {
		limits = newConnLimiter(0, s.o.Limits.UnixConns, s.o.ConnRefused, s.log, s.o.Now)
	}
	t := s.o.Timeouts
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.Header, // also bounds the TLS handshake
		// No ReadTimeout: the API's handler bounds the body itself (see
		// Server.bounded for why). WriteTimeout covers what does not go
		// through it (/healthz, /readyz, net/http's own error answers); the
		// API lifts it until its response starts.
		WriteTimeout: t.Write,
		IdleTimeout:  t.Idle,
		ConnState:    limits.state,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug), // TLS handshake noise from scanners
		BaseContext:  func(net.Listener) context.Context { return streams },
		ConnContext: func(cctx context.Context, c net.Conn) context.Context {
			if isUnix {
				return context.WithValue(cctx, localKey{}, localActor(c))
			}
			return cctx
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	stopStreams() // SSE handlers return; Shutdown then waits for the rest
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// outer is the handler served on the listeners: /healthz and /readyz, which need no
// token (probes cannot bring one and learn nothing from them), then the API, all wrapped
// by lc.Wrap.
func (s *Server) outer(lc ListenConfig) http.Handler {
	api := s.Handler()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			switch {
			case r.URL.Path == wire.PathHealthz:
				r.Pattern = "GET " + wire.PathHealthz
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("Cache-Control", "no-store")
				_, _ = w.Write([]byte("ok\n"))
				return
			case r.URL.Path == wire.PathReadyz && lc.Readyz != nil:
				r.Pattern = "GET " + wire.PathReadyz
				lc.Readyz.ServeHTTP(w, r)
				return
			}
		}
		api.ServeHTTP(w, r)
	})
	if lc.Wrap != nil {
		h = lc.Wrap(h)
	}
	return h
}

// TLSConfig is the server's TLS configuration for cert.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// Run opens the configured listeners (logging the certificate's
// fingerprint for clients to pin) and serves on all of them until ctx is
// done or one fails.
func (s *Server) Run(ctx context.Context, lc ListenConfig) error {
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	if lc.Socket != "" {
		ln, err := ListenUnix(lc.Socket, lc.SocketMode)
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		s.log.Info("api listening", "socket", lc.Socket)
	}
	if lc.TCP != "" {
		cert, fp, err := LoadOrCreateCert(lc.CertDir, lc.CertHosts, s.o.Now)
		if err != nil {
			closeAll()
			return err
		}
		ln, err := net.Listen("tcp", lc.TCP)
		if err != nil {
			closeAll()
			return fmt.Errorf("api: %w", err)
		}
		lns = append(lns, tls.NewListener(ln, TLSConfig(cert)))
		s.log.Info("api listening", "addr", ln.Addr().String(), "tls_sha256", fp)
	}
	if len(lns) == 0 {
		return errors.New("api: no listener configured (socket or tcp)")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := s.outer(lc)
	if lc.OnListen != nil {
		addrs := make([]net.Addr, len(lns))
		for i, ln := range lns {
			addrs[i] = ln.Addr()
		}
		lc.OnListen(addrs)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(lns))
	for i, ln := range lns {
		wg.Go(func() {
			errs[i] = s.serve(ctx, ln, h)
			cancel() // one listener failing stops the others
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// LoadOrCreateCert loads dir/cert.pem and dir/key.pem, creating a
// self-signed ECDSA P-256 certificate (valid 10 years, files mode 0600)
// on first use, and returns it with its SHA-256 fingerprint
// (wire.Fingerprint) for clients to pin.
func LoadOrCreateCert(dir string, hosts []string, now func() time.Time) (tls.Certificate, string, error) {
	if now == nil {
		now = time.Now
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		return cert, wire.Fingerprint(cert.Certificate[0]), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	if _, err := os.Stat(certPath); err == nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %s exists but %s does not", certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	host, _ := os.Hostname()
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "SignalCraft appliance " + host, Organization: []string{"SignalCraft"}},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	// Key first: a crash between the two leaves no certificate without its key.
	if err := writeFileExcl(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return tls.Certificate{}, "", err
	}
	if err := writeFileExcl(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return tls.Certificate{}, "", err
	}
	cert, err = tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("api certificate: %w", err)
	}
	return cert, wire.Fingerprint(der), nil
}

// writeFileExcl writes a new file with mode 0600 (replacing a key left
// without its certificate) and syncs it.
func writeFileExcl(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("api certificate: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("api certificate: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("api certificate: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("api certificate: %w", err)
	}
	return os.Chmod(path, 0o600)
}
