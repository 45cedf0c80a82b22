package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// daemonBin is the signalcraftd binary built once for the tests that run it as users do.
var daemonBin struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildDaemon builds signalcraftd into a directory every user may read and run (the tests
// also run it as an unprivileged user), once per test binary.
func buildDaemon(t *testing.T) string {
	t.Helper()
	daemonBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "signalcraftd-bin-")
		if err != nil {
			daemonBin.err = err
			return
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			daemonBin.err = err
			return
		}
		daemonBin.path = filepath.Join(dir, "signalcraftd")
		daemonBin.out, daemonBin.err = exec.Command("go", "build", "-o", daemonBin.path, ".").CombinedOutput()
	})
	if daemonBin.err != nil {
		t.Fatalf("build: %v\n%s", daemonBin.err, daemonBin.out)
	}
	return daemonBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if daemonBin.path != "" {
		os.RemoveAll(filepath.Dir(daemonBin.path))
	}
	os.Exit(code)
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		cmd      string
		rest     []string
		wantHelp bool
	}{
		{nil, "run", nil, false},
		{[]string{"--config", "x.yaml"}, "run", []string{"--config", "x.yaml"}, false},
		{[]string{"--check-config", "--no-devices"}, "run", []string{"--check-config", "--no-devices"}, false},
		{[]string{"token", "create", "--config", "x.yaml"}, "token", []string{"create", "--config", "x.yaml"}, false},
		{[]string{"--config", "x.yaml", "token", "create"}, "token", []string{"--config", "x.yaml", "create"}, false},
		{[]string{"--config=x.yaml", "token", "list"}, "token", []string{"--config=x.yaml", "list"}, false},
		{[]string{"-config", "token", "token", "list"}, "token", []string{"-config", "token", "list"}, false}, // a config file named token
		{[]string{"--demo", "token", "list"}, "token", []string{"--demo", "list"}, false},
		{[]string{"devices", "--help"}, "devices", []string{"--help"}, true},
		{[]string{"-h"}, "run", []string{"-h"}, true},
		{[]string{"eval", "--", "--help"}, "eval", []string{"--", "--help"}, false},
		{[]string{"--", "token"}, "run", []string{"--", "token"}, false},
	} {
		cmd, rest := splitCommand(tc.args)
		if cmd != tc.cmd || !slices.Equal(rest, tc.rest) {
			t.Errorf("splitCommand(%q) = %q, %q; want %q, %q", tc.args, cmd, rest, tc.cmd, tc.rest)
		}
		if got := helpRequested(rest); got != tc.wantHelp {
			t.Errorf("helpRequested(%q) = %v", rest, got)
		}
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		config string
		pos    []string
	}{
		{[]string{"--config", "c.yaml", "a.wav", "b.wav"}, "c.yaml", []string{"a.wav", "b.wav"}},
		{[]string{"a.wav", "--config", "c.yaml", "b.wav"}, "c.yaml", []string{"a.wav", "b.wav"}},
		{[]string{"a.wav", "b.wav", "--config=c.yaml"}, "c.yaml", []string{"a.wav", "b.wav"}},
		{[]string{"a.wav", "--", "--config", "c.yaml"}, "", []string{"a.wav", "--config", "c.yaml"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		cfg := fs.String("config", "", "")
		if err := parseFlags(fs, tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if *cfg != tc.config || !slices.Equal(fs.Args(), tc.pos) {
			t.Errorf("%q: config %q, args %q; want %q, %q", tc.args, *cfg, fs.Args(), tc.config, tc.pos)
		}
	}
}

// TestConfigBeforeOrAfterCommand runs token create and token list with --config written
// before the subcommand and after it: both must use the file's database.
func TestConfigBeforeOrAfterCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(cfg string) []string
	}{
		{"before", func(cfg string) []string {
			return []string{"--config", cfg, "token", "create", "--name", "anna", "--role", "viewer"}
		}},
		{"after", func(cfg string) []string {
			return []string{"token", "create", "--name", "anna", "--role", "viewer", "--config", cfg}
		}},
		{"between", func(cfg string) []string {
			return []string{"token", "--config=" + cfg, "create", "--name", "anna", "--role", "viewer"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sc.yaml")
			write(t, cfg, simYAML(dir, 0))
			var out, errb bytes.Buffer
			if err := run(context.Background(), tc.args(cfg), &out, &errb); err != nil {
				t.Fatalf("%v\n%s", err, errb.String())
			}
			if !strings.Contains(out.String(), `Created token 1 "anna"`) {
				t.Fatalf("token create printed %q", out.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "signalcraft.db")); err != nil {
				t.Fatalf("the token was not stored in the configured data_dir: %v", err)
			}
			out.Reset()
			if err := run(context.Background(), []string{"token", "list", "--config", cfg}, &out, &errb); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "anna") {
				t.Fatalf("token list --config after the command did not list the token:\n%s", out.String())
			}
		})
	}
}

// TestHelp runs the built binary with --help, -h and COMMAND --help for every command: help
// goes to stdout, exits 0 and lists the command's flags.
func TestHelp(t *testing.T) {
	bin := buildDaemon(t)
	for _, tc := range []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"--help"}, []string{"Usage:", "signalcraftd devices", "-config", "-check-config", "-no-devices", "-demo", "-data-dir", "-status"}},
		{[]string{"-h"}, []string{"Usage:", "-check-config"}},
		{[]string{"help"}, []string{"Usage:", "-check-config"}},
		{[]string{"run", "--help"}, []string{"Usage:", "-config", "-no-devices"}},
		{[]string{"devices", "--help"}, []string{"Usage: signalcraftd devices", "-verbose"}},
		{[]string{"eval", "--help"}, []string{"-json", "-kind", "-stream", "-truth", "-machine", "-channel", "-realtime"}},
		{[]string{"eval", "streams", "--help"}, []string{"-data", "-seed", "-out"}},
		{[]string{"adapt", "--help"}, []string{"-config", "-machine"}},
		{[]string{"token", "--help"}, []string{"-config", "-demo", "--name", "--role", "--expires", "token list", "token revoke"}},
		{[]string{"token", "create", "--help"}, []string{"-config", "--name", "--role", "--expires"}},
		{[]string{"restore", "--help"}, []string{"-config", "-to", "-timestamp"}},
		{[]string{"version", "--help"}, []string{"Usage: signalcraftd version"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", ee.ExitCode(), stdout.String(), stderr.String())
			} else if err != nil {
				t.Fatal(err)
			}
			if stderr.Len() > 0 {
				t.Errorf("help wrote to stderr:\n%s", stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("help lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
	// a wrong flag is still a usage error on stderr, exit 2
	cmd := exec.Command(bin, "devices", "--frobnicate")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || stdout.Len() > 0 || !strings.Contains(stderr.String(), "frobnicate") {
		t.Errorf("devices --frobnicate: %v, stdout %q, stderr %q; want exit 2 and the error on stderr", err, stdout.String(), stderr.String())
	}
}
