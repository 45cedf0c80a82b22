package api

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wire "signalcraft/core/api"
)

func TestLoadOrCreateCert(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cert, fp, err := LoadOrCreateCert(dir, []string{"appliance.local", "10.0.0.7"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fp != wire.Fingerprint(cert.Certificate[0]) || len(fp) != 64 {
		t.Errorf("fingerprint %q", fp)
	}
	for _, f := range []string{CertFile, KeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, fi.Mode(), err)
		}
	}
	leaf := cert.Leaf
	if leaf == nil || !strings.Contains(strings.Join(leaf.DNSNames, ","), "appliance.local") || len(leaf.IPAddresses) != 3 {
		t.Errorf("certificate names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	_, fp2, err := LoadOrCreateCert(dir, nil, nil)
	if err != nil || fp2 != fp {
		t.Errorf("second start: fingerprint %q, %v; want the same certificate %q", fp2, err, fp)
	}
	os.Remove(filepath.Join(dir, KeyFile))
	if _, _, err := LoadOrCreateCert(dir, nil, nil); err == nil {
		t.Error("certificate without key accepted")
	}
}

// TestTLSPinning serves over TLS on loopback: a client pinning the right
// fingerprint connects, one pinning another does not, and one trusting the
// system roots does not either.
func TestTLSPinning(t *testing.T) {
	e := newEnv(t, Options{})
	cert, fp, err := LoadOrCreateCert(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, tls.NewListener(ln, TLSConfig(cert))) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	base := "https://" + ln.Addr().String()

	got, err := wire.FetchFingerprint(ctx, ln.Addr().String())
	if err != nil || got != fp {
		t.Fatalf("FetchFingerprint = %q, %v; want %q", got, err, fp)
	}
	if got, err := wire.FetchFingerprint(ctx, base); err != nil || got != fp {
		t.Errorf("FetchFingerprint(URL) = %q, %v", got, err)
	}

	right, err := wire.NewClient(base, wire.WithToken(e.tokens[wire.RoleViewer]), wire.WithTLSFingerprint(strings.ToUpper(fp)))
	if err != nil {
		t.Fatal(err)
	}
	if h, err := right.Health(ctx); err != nil || h.Status != "ok" {
		t.Errorf("pinned client: %+v, %v", h, err)
	}
	// Over TCP the token is needed: no local admin.
	noToken, _ := wire.NewClient(base, wire.WithTLSFingerprint(fp))
	if _, err := noToken.Me(ctx); !wire.IsCode(err, wire.CodeUnauthorized) {
		t.Errorf("no token over TCP: err = %v, want unauthorized", err)
	}

	other := strings.Repeat("ab", 32)
	wrong, _ := wire.NewClient(base, wire.WithToken(e.tokens[wire.RoleViewer]), wire.WithTLSFingerprint(other))
	if _, err := wrong.Health(ctx); !errors.Is(err, wire.ErrFingerprintMismatch) {
		t.Errorf("wrong pin: err = %v, want ErrFingerprintMismatch", err)
	}
	unpinned, _ := wire.NewClient(base, wire.WithToken(e.tokens[wire.RoleViewer]))
	if _, err := unpinned.Health(ctx); err == nil {
		t.Error("client without a pin trusted the self-signed certificate")
	}
	if _, err := wire.NewClient(base, wire.WithTLSFingerprint("abc")); err == nil {
		t.Error("malformed fingerprint accepted")
	}
}
