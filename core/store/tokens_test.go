package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"testing"
	"time"
)

func TestTokenLifecycle(t *testing.T) {
	db, clk := openTest(t)
	ctx := context.Background()
	h := sha256.Sum256([]byte("sc_secret-one"))
	exp := t0.Add(24 * time.Hour)
	tok, err := db.CreateToken(ctx, Token{Name: "grafana", Role: "viewer", ExpiresAt: exp}, h[:],
		AuditEntry{Actor: "local:root", Action: "token.create", Target: "token/grafana"})
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if tok.ID == 0 || !tok.CreatedAt.Equal(t0) || !tok.ExpiresAt.Equal(exp) {
		t.Errorf("created %+v", tok)
	}
	got, err := db.TokenBySecretHash(ctx, h[:])
	if err != nil || got != tok {
		t.Fatalf("TokenBySecretHash = %+v, %v; want %+v", got, err, tok)
	}
	if got.Expired(exp.Add(-time.Millisecond)) || !got.Expired(exp) {
		t.Error("Expired wrong around the expiry time")
	}
	other := sha256.Sum256([]byte("sc_secret-two"))
	if _, err := db.TokenBySecretHash(ctx, other[:]); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown secret: err = %v, want ErrNotFound", err)
	}
	if _, err := db.CreateToken(ctx, Token{Name: "grafana", Role: "admin"}, other[:]); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate name: err = %v, want ErrConflict", err)
	}

	clk.Advance(time.Minute)
	if err := db.TouchToken(ctx, tok.ID, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchToken(ctx, tok.ID, t0); err != nil { // older: ignored
		t.Fatal(err)
	}
	got, _ = db.TokenByName(ctx, "grafana")
	if !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, t0.Add(time.Minute))
	}

	if err := db.RevokeToken(ctx, tok.ID, AuditEntry{Actor: "local:root", Action: "token.revoke", Target: "token/grafana"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke: err = %v, want ErrNotFound", err)
	}
	if got, err := db.TokenBySecretHash(ctx, h[:]); !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrRevoked) ||
		got.Name != "grafana" || got.RevokedAt.IsZero() {
		t.Errorf("revoked token: %+v, %v; want it with ErrRevoked (and ErrNotFound)", got, err)
	}
	if _, err := db.TokenBySecretHash(ctx, other[:]); errors.Is(err, ErrRevoked) {
		t.Errorf("unknown token reported revoked: %v", err)
	}
	if ts, err := db.Tokens(ctx); err != nil || len(ts) != 0 {
		t.Errorf("Tokens after revoke = %v, %v", ts, err)
	}
	// The name is free again once revoked.
	if _, err := db.CreateToken(ctx, Token{Name: "grafana", Role: "viewer"}, other[:]); err != nil {
		t.Errorf("reuse of a revoked name: %v", err)
	}
	audit, err := db.Audit(ctx, AuditFilter{})
	if err != nil || len(audit) != 2 || audit[0].Action != "token.revoke" || audit[1].Action != "token.create" {
		t.Errorf("audit = %+v, %v", audit, err)
	}
}

func TestTokenInvalid(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	h := sha256.Sum256([]byte("x"))
	for _, tc := range []struct {
		name string
		tok  Token
		hash []byte
	}{
		{"no name", Token{Role: "viewer"}, h[:]},
		{"bad role", Token{Name: "a", Role: "root"}, h[:]},
		{"short hash", Token{Name: "a", Role: "viewer"}, h[:16]},
	} {
		if _, err := db.CreateToken(ctx, tc.tok, tc.hash); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
		}
	}
	// A failing audit entry rolls the token back.
	if _, err := db.CreateToken(ctx, Token{Name: "a", Role: "viewer"}, h[:], AuditEntry{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty audit entry: err = %v, want ErrInvalid", err)
	}
	if ts, _ := db.Tokens(ctx); len(ts) != 0 {
		t.Errorf("token committed without its audit entry: %+v", ts)
	}
}

// TestTokenSecretNotStored checks the database file never holds a secret.
func TestTokenSecretNotStored(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	secret := []byte("sc_thisIsTheSecretThatMustNeverBeWritten0000")
	h := sha256.Sum256(secret)
	if _, err := db.CreateToken(ctx, Token{Name: "t", Role: "admin"}, h[:]); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	b, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, secret) {
		t.Error("database file contains the secret")
	}
	if !bytes.Contains(b, h[:]) {
		t.Error("database file does not contain the secret's hash (test is not looking at the right file)")
	}
}
