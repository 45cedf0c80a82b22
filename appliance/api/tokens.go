package api

import (
	"context"
	"fmt"
	"regexp"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// createToken validates and stores a new token with its audit entry, and
// returns it with its secret: the one place both the HTTP route and the
// command line create tokens.
func createToken(ctx context.Context, db *store.DB, name string, role wire.Role, expires, now time.Time, by string) (wire.CreatedToken, error) {
	var fs []wire.FieldError
	if !tokenName.MatchString(name) {
		fs = append(fs, wire.FieldError{Field: "name", Message: "must be 1-64 characters of letters, digits, '.', '_', '@' and '-'"})
	}
	if !role.Valid() {
		fs = append(fs, wire.FieldError{Field: "role", Message: "must be viewer, operator or admin"})
	}
	if !expires.IsZero() && !expires.After(now) {
		fs = append(fs, wire.FieldError{Field: "expires_at", Message: "must be in the future"})
	}
	if len(fs) > 0 {
		return wire.CreatedToken{}, &wire.Error{Code: wire.CodeInvalid, Message: "invalid token", Fields: fs}
	}
	secret, err := NewSecret()
	if err != nil {
		return wire.CreatedToken{}, err
	}
	hash, err := HashSecret(secret)
	if err != nil {
		return wire.CreatedToken{}, err
	}
	detail := "role " + string(role)
	if !expires.IsZero() {
		detail += ", expires " + expires.UTC().Format(time.RFC3339)
	}
	t, err := db.CreateToken(ctx, store.Token{Name: name, Role: string(role), ExpiresAt: expires}, hash,
		store.AuditEntry{Time: now, Actor: by, Action: "token.create", Target: "token/" + name, Detail: detail})
	if err != nil {
		return wire.CreatedToken{}, err
	}
	return wire.CreatedToken{Token: toToken(t), Secret: secret}, nil
}

// revokeToken revokes the live token id with its audit entry.
func revokeToken(ctx context.Context, db *store.DB, id int64, now time.Time, by string) error {
	ts, err := db.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID == id {
			return db.RevokeToken(ctx, id, store.AuditEntry{Time: now, Actor: by, Action: "token.revoke",
				Target: "token/" + t.Name, Detail: fmt.Sprintf("id %d, role %s", t.ID, t.Role)})
		}
	}
	return wire.Errorf(wire.CodeNotFound, "no live token with id %d", id)
}

// findToken resolves a token given by id or name on the command line.
func findToken(ctx context.Context, db *store.DB, idOrName string) (store.Token, error) {
	ts, err := db.Tokens(ctx)
	if err != nil {
		return store.Token{}, err
	}
	for _, t := range ts {
		if fmt.Sprint(t.ID) == idOrName || t.Name == idOrName {
			return t, nil
		}
	}
	return store.Token{}, fmt.Errorf("no live token with id or name %q: %w", idOrName, store.ErrNotFound)
}
