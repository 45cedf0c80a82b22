package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	wire "signalcraft/core/api"
)

// SecretPrefix starts every token secret, so a leaked one is recognisable
// (and secret scanners can look for it).
const SecretPrefix = "sc_"

// secretBytes is the entropy of a secret: 256 bits, which is why a plain
// SHA-256 (no salt, no slow hash) is a safe way to store it.
const secretBytes = 32

// ErrBadSecret reports a string that is not a well-formed token secret.
var ErrBadSecret = errors.New("malformed token secret")

// NewSecret returns a fresh random token secret: "sc_" and 43 base64url characters.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token secret: %w", err)
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret returns the SHA-256 under which the store keeps a secret,
// or ErrBadSecret if s is not shaped like one.
func HashSecret(s string) ([]byte, error) {
	body, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok || base64.RawURLEncoding.DecodedLen(len(body)) != secretBytes {
		return nil, ErrBadSecret
	}
	if _, err := base64.RawURLEncoding.DecodeString(body); err != nil {
		return nil, ErrBadSecret
	}
	h := sha256.Sum256([]byte(s))
	return h[:], nil
}

// Identity is who made a request.
type Identity struct {
	Actor   string    // token name, or "local:<user>"
	Role    wire.Role // what the caller may do
	TokenID int64     // 0 for local callers
}

type identityKey struct{}

// withIdentity returns ctx carrying id.
func withIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity an authenticated request carries.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// localKey marks connections accepted on the unix socket; its value is the actor.
type localKey struct{}
