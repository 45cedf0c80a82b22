package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigStartupProblems checks that --check-config finds, all in one run, what
// the daemon would refuse at start-up: a device that is not there, a data_dir it cannot
// create and WAV files it cannot play; and that --no-devices skips only the devices.
func TestCheckConfigStartupProblems(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	write(t, file, "")
	text := filepath.Join(dir, "notes.wav")
	write(t, text, "not a recording")
	const mic = "  - {id: mic, kind: portaudio, device: \"No Such Mic 9\", sample_rate: 16000, channels: 1}\n"
	rec := "  - {id: rec, kind: wav, paths: [" + text + "]}\n"
	machines := "machines:\n  - {id: m0, sensor: {source: mic, channel: 0}}\n  - {id: m1, sensor: {source: rec, channel: 0}}\n"
	tests := []struct {
		name    string
		yaml    string
		flags   []string
		want    []string
		wantOut string // when no error
	}{
		{"everything wrong", "data_dir: " + filepath.Join(file, "data") + "\nsources:\n" + mic + rec + machines, nil,
			[]string{"3 problems", `sources[0].device "No Such Mic 9": no such capture device`,
				`data_dir "` + filepath.Join(file, "data") + `": cannot create`, "(" + file + " is a file)",
				`sources[1].paths "` + text + `"`, "not a RIFF/WAVE file"}, ""},
		{"devices skipped", "data_dir: " + filepath.Join(file, "data") + "\nsources:\n" + mic + rec + machines, []string{"--no-devices"},
			[]string{"2 problems", `data_dir "`, `sources[1].paths "`}, ""},
		{"only the device", "data_dir: " + dir + "\nsources:\n" + mic + "machines:\n  - {id: m0, sensor: {source: mic, channel: 0}}\n", []string{"--no-devices"},
			nil, "configuration ok: 1 source(s), 1 machine(s); data_dir " + dir + " writable, capture devices not checked (--no-devices)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sc.yaml")
			write(t, path, tt.yaml)
			var out, errb bytes.Buffer
			args := append([]string{"--check-config", "--config", path}, tt.flags...)
			err := run(context.Background(), args, &out, &errb)
			if tt.want == nil {
				if err != nil || !strings.Contains(out.String(), tt.wantOut) {
					t.Fatalf("err %v, printed %q, want %q", err, out.String(), tt.wantOut)
				}
				return
			}
			if err == nil {
				t.Fatalf("configuration accepted: %s", out.String())
			}
			if strings.Contains(out.String(), "configuration ok") {
				t.Errorf("printed %q", out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
