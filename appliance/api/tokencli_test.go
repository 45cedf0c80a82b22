package api

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

func TestTokenCommand(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := tokenCommand(ctx, e.db, args, &out, e.clk.Now, "local:alice")
		return out.String(), err
	}
	out, err := run("create", "--name", "scada", "--role", "operator", "--expires", "720h")
	if err != nil {
		t.Fatal(err)
	}
	secret := regexp.MustCompile(`sc_[A-Za-z0-9_-]{43}`).FindString(out)
	if secret == "" || !strings.Contains(out, `"scada" (role operator, expires 2025-03-31T12:00:00Z)`) {
		t.Fatalf("create printed:\n%s", out)
	}
	me, err := e.client("", wire.WithToken(secret)).Me(ctx)
	if err != nil || me.Actor != "scada" || me.Role != wire.RoleOperator {
		t.Errorf("the printed secret: Me = %+v, %v", me, err)
	}

	out, err = run("list")
	if err != nil {
		t.Fatal(err)
	}
	want := "ID  NAME            ROLE      CREATED               LAST USED             EXPIRES\n" +
		"1   viewer-token    viewer    2025-03-01 12:00:00Z  never                 never\n" +
		"2   operator-token  operator  2025-03-01 12:00:00Z  never                 never\n" +
		"3   admin-token     admin     2025-03-01 12:00:00Z  never                 never\n" +
		"4   scada           operator  2025-03-01 12:00:00Z  2025-03-01 12:00:00Z  2025-03-31 12:00:00Z\n"
	if out != want {
		t.Errorf("list printed:\n%s\nwant:\n%s", out, want)
	}
	if out, err := run("revoke", "scada"); err != nil || out != "Revoked token 4 \"scada\".\n" {
		t.Errorf("revoke = %q, %v", out, err)
	}
	if _, err := e.client("", wire.WithToken(secret)).Me(ctx); !wire.IsCode(err, wire.CodeUnauthorized) {
		t.Errorf("revoked secret: err = %v", err)
	}
	if _, err := run("revoke", "1"); err != nil {
		t.Errorf("revoke by id: %v", err)
	}
	audit, _ := e.db.Audit(ctx, store.AuditFilter{Actor: "local:alice"})
	if len(audit) != 3 || audit[0].Action != "token.revoke" || audit[0].Target != "token/viewer-token" || audit[2].Detail != "role operator, expires 2025-03-31T12:00:00Z" {
		t.Errorf("audit = %+v", audit)
	}

	for _, tc := range []struct {
		args  []string
		usage bool
		msg   string
	}{
		{nil, true, "a subcommand is needed"},
		{[]string{"frobnicate"}, true, "unknown subcommand"},
		{[]string{"create", "--bogus"}, true, "flag provided but not defined"},
		{[]string{"create", "--name", "x", "--role", "viewer", "extra"}, true, "unexpected argument"},
		{[]string{"create", "--name", "x", "--role", "viewer", "--expires", "-1h"}, true, "must not be negative"},
		{[]string{"create", "--name", "x", "--role", "god"}, false, "role: must be viewer, operator or admin"},
		{[]string{"create", "--name", "admin-token", "--role", "viewer"}, false, "exists"},
		{[]string{"revoke"}, true, "give one token id or name"},
		{[]string{"revoke", "nobody"}, false, `no live token with id or name "nobody"`},
		{[]string{"list", "x"}, true, "unexpected argument"},
	} {
		_, err := run(tc.args...)
		if err == nil || errors.Is(err, ErrUsage) != tc.usage || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("token %q: err = %v; want usage=%v containing %q", tc.args, err, tc.usage, tc.msg)
		}
	}
}

// TestDatabaseNeverHoldsSecrets creates tokens through the API and the
// command, then searches the database file and its WAL for the secrets.
func TestDatabaseNeverHoldsSecrets(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	created, err := e.client(wire.RoleAdmin).CreateToken(ctx, wire.CreateTokenRequest{Name: "api-made", Role: wire.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tokenCommand(ctx, e.db, []string{"create", "--name", "cli-made", "--role", "viewer"}, &out, time.Now, "local:root"); err != nil {
		t.Fatal(err)
	}
	secrets := []string{created.Secret, regexp.MustCompile(`sc_[A-Za-z0-9_-]{43}`).FindString(out.String())}
	for _, s := range e.tokens {
		secrets = append(secrets, s)
	}
	check := func(when string) {
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(e.db.Path() + suffix)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if s == "" {
					t.Fatal("a secret was not captured")
				}
				if bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(strings.TrimPrefix(s, SecretPrefix))) {
					t.Errorf("%s: %s%s contains a token secret", when, e.db.Path(), suffix)
				}
			}
		}
	}
	check("running")
	e.srv.Close()
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	check("after checkpoint")
}
