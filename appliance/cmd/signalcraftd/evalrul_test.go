package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"signalcraft/core/health/runtofail"
	"signalcraft/core/shareddata"
)

// TestEvalRUL runs `signalcraftd eval rul` on both run-to-failure recordings and checks the
// JSON report: both alarmed long before the end of life, ten scored checkpoints each.
func TestEvalRUL(t *testing.T) {
	femto := shareddata.Require(t, "femto-bearing1_1", "Learning_set_Bearing1_1.tar.gz")
	ims := shareddata.Require(t, "ims-2nd-test-averaged", "Averaged_BearingTest_Dataset.csv")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"eval", "rul", "--femto", femto, "--ims", ims, "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("eval rul: %v\n%s", err, stderr.String())
	}
	var rep runtofail.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("eval rul --json: %v\n%s", err, stdout.String())
	}
	if len(rep.Results) != 2 || rep.Results[0].File != femto || rep.Results[1].File != ims {
		t.Fatalf("results for %d series, want FEMTO then IMS", len(rep.Results))
	}
	for _, r := range rep.Results {
		if !r.Alarmed || r.LeadHours <= 0 || len(r.Checkpoints) != 10 || r.Score <= 0 {
			t.Errorf("%s: alarmed %v, lead %.2f h, %d checkpoints, score %.3f", r.Name, r.Alarmed, r.LeadHours, len(r.Checkpoints), r.Score)
		}
	}

	// The text report of the small file, and the same numbers as the JSON.
	stdout.Reset()
	if err := run(context.Background(), []string{"eval", "rul", "--ims", ims}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IMS 2nd test, bearing 1", "before end of life", "PHM 2012 score", "96 %"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestEvalRULUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{}, "give --femto FILE.tar.gz, --ims FILE.csv or both", 2},
		{[]string{"--ims", "a.csv", "extra"}, "unexpected arguments", 2},
		{[]string{"--frobnicate"}, "frobnicate", 2},
		{[]string{"--ims", filepath.Join("no", "such", "ims.csv")}, filepath.Join("no", "such", "ims.csv"), 1},
		{[]string{"--femto", filepath.Join("no", "such", "b.tar.gz")}, filepath.Join("no", "such", "b.tar.gz"), 1},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"eval", "rul"}, tc.args...), &out, &errb)
		if err == nil || exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("eval rul %q = %v (exit %d), want %q (exit %d)", tc.args, err, exitCode(err), tc.want, tc.code)
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"eval", "rul", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 ||
		!strings.Contains(out.String(), "Usage: signalcraftd eval rul") || errb.Len() > 0 {
		t.Errorf("eval rul --help: %v, stdout %q, stderr %q", err, out.String(), errb.String())
	}
}

// TestEvalRULHelpBinary: the built binary prints the help on stdout and exits 0, and
// `eval --help` mentions the subcommand.
func TestEvalRULHelpBinary(t *testing.T) {
	bin := buildDaemon(t)
	for _, args := range [][]string{{"eval", "rul", "--help"}, {"eval", "--help"}} {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "eval rul") || stderr.Len() > 0 {
			t.Errorf("%q: stdout %q, stderr %q", args, stdout.String(), stderr.String())
		}
	}
	cmd := exec.Command(bin, "eval", "rul", "--help")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "-femto") || !strings.Contains(stdout.String(), "-ims") {
		t.Errorf("eval rul --help: %v\n%s", err, stdout.String())
	}
}
