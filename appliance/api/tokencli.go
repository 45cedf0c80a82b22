package api

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"text/tabwriter"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// TokenUsage documents the token subcommands.
const TokenUsage = `Usage:
  signalcraftd token create --name NAME --role viewer|operator|admin [--expires DURATION]
      --name NAME        token name, shown in the audit log
      --role ROLE        viewer, operator or admin
      --expires DURATION lifetime (e.g. 720h); default: never expires
  signalcraftd token list
  signalcraftd token revoke ID|NAME
`

// ErrUsage is wrapped by TokenCommand's errors about its arguments (exit
// status 2 in the daemon's command line).
var ErrUsage = errors.New("usage")

// TokenCommand runs "signalcraftd token …" (args after "token") against db:
// create prints the new secret once, list prints the live tokens, revoke
// revokes one by id or name. Changes are audited as made by
// "local:<user running the command>".
func TokenCommand(ctx context.Context, db *store.DB, args []string, stdout io.Writer) error {
	by := "local:unknown"
	if u, err := user.Current(); err == nil {
		by = "local:" + u.Username
	}
	return tokenCommand(ctx, db, args, stdout, time.Now, by)
}

func tokenCommand(ctx context.Context, db *store.DB, args []string, stdout io.Writer, now func() time.Time, by string) error {
	if len(args) == 0 {
		return fmt.Errorf("token: a subcommand is needed (create, list, revoke)\n%s: %w", TokenUsage, ErrUsage)
	}
	switch args[0] {
	case "create":
		fl := flag.NewFlagSet("token create", flag.ContinueOnError)
		fl.SetOutput(io.Discard)
		name := fl.String("name", "", "token name, shown in the audit log")
		role := fl.String("role", "", "viewer, operator or admin")
		expires := fl.Duration("expires", 0, "lifetime (e.g. 720h); 0: never expires")
		if err := fl.Parse(args[1:]); err != nil {
			return fmt.Errorf("token create: %v\n%s: %w", err, TokenUsage, ErrUsage)
		}
		if fl.NArg() > 0 {
			return fmt.Errorf("token create: unexpected argument %q\n%s: %w", fl.Arg(0), TokenUsage, ErrUsage)
		}
		if *expires < 0 {
			return fmt.Errorf("token create: --expires %v must not be negative: %w", *expires, ErrUsage)
		}
		t := now()
		var exp time.Time
		if *expires > 0 {
			exp = t.Add(*expires)
		}
		created, err := createToken(ctx, db, *name, wire.Role(*role), exp, t, by)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintf(stdout, "Created token %d %q (role %s%s).\n", created.Token.ID, created.Token.Name, created.Token.Role, expiryText(created.Token))
		fmt.Fprintf(stdout, "Secret (shown only now; store it safely):\n\n  %s\n\n", created.Secret)
		fmt.Fprintf(stdout, "Use it as: Authorization: Bearer %s\n", created.Secret)
		return nil
	case "list":
		if len(args) > 1 {
			return fmt.Errorf("token list: unexpected argument %q: %w", args[1], ErrUsage)
		}
		ts, err := db.Tokens(ctx)
		if err != nil {
			return fmt.Errorf("token list: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tEXPIRES")
		for _, t := range ts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, stamp(t.CreatedAt, ""), stamp(t.LastUsedAt, "never"), stamp(t.ExpiresAt, "never"))
		}
		return tw.Flush()
	case "revoke":
		if len(args) != 2 {
			return fmt.Errorf("token revoke: give one token id or name\n%s: %w", TokenUsage, ErrUsage)
		}
		t, err := findToken(ctx, db, args[1])
		if err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		if err := revokeToken(ctx, db, t.ID, now(), by); err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(stdout, "Revoked token %d %q.\n", t.ID, t.Name)
		return nil
	}
	return fmt.Errorf("token: unknown subcommand %q\n%s: %w", args[0], TokenUsage, ErrUsage)
}

func expiryText(t wire.Token) string {
	if t.ExpiresAt == nil {
		return ", never expires"
	}
	return ", expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
}

func stamp(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
