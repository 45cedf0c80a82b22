package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrFingerprintMismatch is wrapped by the error of a TLS connection whose
// certificate is not the pinned one.
var ErrFingerprintMismatch = errors.New("certificate fingerprint does not match the pinned one")

// Fingerprint returns the SHA-256 fingerprint of a DER-encoded certificate
// as 64 lowercase hex digits, the form the appliance logs and
// WithTLSFingerprint accepts.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ParseFingerprint decodes a SHA-256 fingerprint given as 64 hex digits in
// either case, optionally separated by colons or spaces
// ("AB:CD:…" as openssl prints it).
func ParseFingerprint(s string) ([]byte, error) {
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("fingerprint %q: want 64 hex digits (SHA-256)", s)
	}
	return b, nil
}

// pinnedTLS returns a TLS configuration that accepts exactly the certificate
// whose SHA-256 is want, whatever its name or issuer: the appliance's
// certificate is self-signed, so chain verification would always fail, and
// the pin is a stronger check than a name.
func pinnedTLS(want []byte) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("no server certificate: %w", ErrFingerprintMismatch)
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(got[:], want) != 1 {
				return fmt.Errorf("server presented %s: %w", hex.EncodeToString(got[:]), ErrFingerprintMismatch)
			}
			return nil
		},
	}
}

// FetchFingerprint connects to addr ("host:port", or an https:// URL), reads
// the certificate the server presents without trusting it, and returns its
// fingerprint. Show it to the user to confirm (it is also in the appliance's
// log), then store it and pass it to WithTLSFingerprint: trust on first use.
func FetchFingerprint(ctx context.Context, addr string) (string, error) {
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil {
			return "", fmt.Errorf("fetch fingerprint: %w", err)
		}
		addr = u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		}
	}
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // reading the certificate is the point
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("fetch fingerprint of %s: %w", addr, err)
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("fetch fingerprint of %s: no certificate", addr)
	}
	return Fingerprint(certs[0].Raw), nil
}
