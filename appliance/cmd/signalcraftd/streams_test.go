package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"signalcraft/core/shareddata"
	"signalcraft/core/truth"
	"signalcraft/core/wav"
)

// TestEvalStreams builds the cwru stream (the smallest) through `signalcraftd eval streams`
// from the default data directory, and checks the files and the printed summary.
func TestEvalStreams(t *testing.T) {
	shareddata.Require(t, "cwru-12k-de-0hp", "labels.csv")
	out := filepath.Join(t.TempDir(), "streams")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"eval", "streams", "--seed", "3", "--out", out, "cwru"}, &stdout, &stderr); err != nil {
		t.Fatalf("eval streams: %v\n%s", err, stderr.String())
	}
	want := "cwru        40.6 s at 12000 Hz: learning 12.0 s, normal 8.3 s, fault 20.2 s -> " + filepath.Join(out, "cwru.wav") + ", " + filepath.Join(out, "cwru.csv") + "\n"
	if got := stdout.String(); got != want {
		t.Errorf("printed\n%q\nwant\n%q", got, want)
	}
	f, ch, err := wav.ReadFile(filepath.Join(out, "cwru.wav"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := truth.Read(filepath.Join(out, "cwru.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if f.SampleRate != 12000 || f.Channels != 1 || f.BitsPerSample != 16 {
		t.Errorf("format %+v", f)
	}
	if got, end := float64(len(ch[0]))/12000, tr.End().Seconds(); got < end-0.001 || got > end+0.001 {
		t.Errorf("the WAV file is %.3f s, its truth ends at %.3f s", got, end)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 2 {
		t.Errorf("%d files written, want cwru.wav and cwru.csv", len(entries))
	}
}

// TestEvalStreamsRefuses: usage errors exit 2 before anything is built; a data directory
// without the recordings fails naming the missing file.
func TestEvalStreamsRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int
	}{
		{"no --out", []string{"cwru"}, "--out DIR is required", 2},
		{"unknown recipe", []string{"--out", dir, "pump"}, `unknown recipe "pump" (recipes: valve, bearing, cwru, sensor)`, 2},
		{"bad seed", []string{"--out", dir, "--seed", "minus-one"}, `invalid value "minus-one" for flag -seed`, 2},
		{"no recordings", []string{"--out", dir, "--data", dir, "cwru"}, filepath.Join(dir, "cwru-12k-de-0hp", "labels.csv"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"eval", "streams"}, tc.args...), &out, &errb)
			if err == nil || !strings.Contains(err.Error()+errb.String(), tc.want) || exitCode(err) != tc.code {
				t.Fatalf("eval streams %v = %v (exit %d), stderr %q; want %q (exit %d)", tc.args, err, exitCode(err), errb.String(), tc.want, tc.code)
			}
		})
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"eval", "streams", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 || !strings.Contains(out.String(), "Usage: signalcraftd eval streams") {
		t.Errorf("--help: %v (exit %d), stdout %q; want the usage on stdout, exit 0", err, exitCode(err), out.String())
	}
}
