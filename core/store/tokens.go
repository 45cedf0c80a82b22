package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Token is an API token. The store keeps only the SHA-256 of its secret:
// secrets are 256-bit random, so a plain hash cannot be reversed, and a
// stolen database file lets nobody in.
type Token struct {
	ID         int64
	Name       string
	Role       string // viewer, operator, admin
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	ExpiresAt  time.Time // zero: never expires
	RevokedAt  time.Time // zero: valid
}

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }

const tokenCols = "id, name, role, created_at_ms, last_used_at_ms, expires_at_ms, revoked_at_ms"

func scanToken(s interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var created int64
	var used, expires, revoked sql.NullInt64
	if err := s.Scan(&t.ID, &t.Name, &t.Role, &created, &used, &expires, &revoked); err != nil {
		return Token{}, err
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt = fromMS(created), nullMS(used), nullMS(expires), nullMS(revoked)
	return t, nil
}

func nullTime(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: ms(t), Valid: !t.IsZero()}
}

// CreateToken stores a token (Name, Role, ExpiresAt; CreatedAt is the DB
// clock) under the SHA-256 of its secret, with the audit entries in the
// same transaction, and returns it with its id. A live token with the same
// name gives ErrConflict.
func (db *DB) CreateToken(ctx context.Context, t Token, secretSHA256 []byte, audit ...AuditEntry) (Token, error) {
	wrap := func(err error) error { return fmt.Errorf("store: create token %q: %w", t.Name, err) }
	switch {
	case t.Name == "":
		return Token{}, wrap(fmt.Errorf("empty name: %w", ErrInvalid))
	case t.Role != "viewer" && t.Role != "operator" && t.Role != "admin":
		return Token{}, wrap(fmt.Errorf("role %q: %w", t.Role, ErrInvalid))
	case len(secretSHA256) != 32:
		return Token{}, wrap(fmt.Errorf("secret hash of %d bytes, want 32: %w", len(secretSHA256), ErrInvalid))
	}
	t.CreatedAt = fromMS(db.nowMS())
	t.LastUsedAt, t.RevokedAt = time.Time{}, time.Time{}
	err := db.WriteAudited(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, secret_sha256, created_at_ms, expires_at_ms)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, t.Name, t.Role, secretSHA256, ms(t.CreatedAt), nullTime(t.ExpiresAt)).Scan(&t.ID)
	}, audit...)
	if isUnique(err) {
		return Token{}, wrap(fmt.Errorf("a token with this name exists: %w", ErrConflict))
	}
	if err != nil {
		return Token{}, wrap(err)
	}
	if !t.ExpiresAt.IsZero() {
		t.ExpiresAt = fromMS(ms(t.ExpiresAt))
	}
	return t, nil
}

// TokenBySecretHash returns the live (not revoked) token whose secret has
// this SHA-256, or ErrNotFound. A revoked token is returned with ErrRevoked
// (which is also ErrNotFound), so the caller can say whose it was without
// accepting it. Expiry is the caller's to check (Expired).
func (db *DB) TokenBySecretHash(ctx context.Context, secretSHA256 []byte) (Token, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx,
		"SELECT "+tokenCols+" FROM api_tokens WHERE secret_sha256 = ?", secretSHA256))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("store: token: %w", ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: token: %w", err)
	}
	if !t.RevokedAt.IsZero() {
		return t, fmt.Errorf("store: token %q: %w", t.Name, ErrRevoked)
	}
	return t, nil
}

// TokenByName returns the live token with this name, or ErrNotFound.
func (db *DB) TokenByName(ctx context.Context, name string) (Token, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx,
		"SELECT "+tokenCols+" FROM api_tokens WHERE name = ? AND revoked_at_ms IS NULL", name))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("store: token %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: token %q: %w", name, err)
	}
	return t, nil
}

// Tokens lists the live tokens by id.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE revoked_at_ms IS NULL ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes the live token id at the DB clock's time, with the
// audit entries in the same transaction. An unknown or already revoked id
// gives ErrNotFound.
func (db *DB) RevokeToken(ctx context.Context, id int64, audit ...AuditEntry) error {
	err := db.WriteAudited(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL", db.nowMS(), id)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err == nil && n == 0 {
			err = ErrNotFound
		}
		return err
	}, audit...)
	if err != nil {
		return fmt.Errorf("store: revoke token %d: %w", id, err)
	}
	return nil
}

// TouchToken records that token id was used at t (only ever moving
// last_used forward). Callers throttle it: it is a write.
func (db *DB) TouchToken(ctx context.Context, id int64, t time.Time) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			"UPDATE api_tokens SET last_used_at_ms = ? WHERE id = ? AND (last_used_at_ms IS NULL OR last_used_at_ms < ?)", ms(t), id, ms(t))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: touch token %d: %w", id, err)
	}
	return nil
}
