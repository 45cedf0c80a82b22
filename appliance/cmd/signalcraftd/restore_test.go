package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/replicate"
)

// TestRestoreCommandRefuses: usage errors, a configuration without replication, and the
// live database path or an existing file as the target (checked before any network use).
// The restore itself is tested against a real S3 server in appliance/replicate.
func TestRestoreCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	write(t, plain, simYAML(dir, 0))
	repl := filepath.Join(dir, "repl.yaml")
	write(t, repl, simYAML(dir, 0)+"replication:\n  s3: {endpoint: \"http://127.0.0.1:1\", bucket: backups, path_style: true, access_key_id: AKIA, secret_access_key: not-printed}\n")
	live := filepath.Join(dir, "signalcraft.db")
	if err := os.WriteFile(live, []byte("live"), 0o600); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int
		is   error
	}{
		{"no --to", []string{"--config", repl}, "--to PATH is required", 2, nil},
		{"bad timestamp", []string{"--config", repl, "--to", filepath.Join(dir, "n.db"), "--timestamp", "yesterday"}, `--timestamp "yesterday"`, 2, nil},
		{"no replication", []string{"--config", plain, "--to", filepath.Join(dir, "n.db")}, "has no replication.s3 section", 1, nil},
		{"live database", []string{"--config", repl, "--to", live}, "restore target is the live database", 1, replicate.ErrLiveDatabase},
		{"existing file", []string{"--config", repl, "--to", existing}, "restore never overwrites", 1, replicate.ErrTargetExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"restore"}, tc.args...), &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != tc.code {
				t.Fatalf("restore %v = %v (exit %d), want %q (exit %d)", tc.args, err, exitCode(err), tc.want, tc.code)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v is not %v", err, tc.is)
			}
			if strings.Contains(err.Error()+out.String()+errb.String(), "not-printed") {
				t.Fatal("the secret was printed")
			}
		})
	}
	if b, _ := os.ReadFile(live); string(b) != "live" {
		t.Fatal("the live database was touched")
	}
	if got, err := parseRestoreTime("2026-03-01T12:00:00+09:00"); err != nil || !got.Equal(time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("parseRestoreTime = %v, %v", got, err)
	}
}
