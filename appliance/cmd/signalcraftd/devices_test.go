package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testALSAConfig writes an ALSA configuration that adds a capture PCM (a raw file replayed
// over the null PCM, see PLATFORM.md) to the stock one, and returns ALSA_CONFIG_PATH for it.
func testALSAConfig(t *testing.T, pcm string) string {
	t.Helper()
	dir := t.TempDir()
	raw := filepath.Join(dir, "silence.raw")
	if err := os.WriteFile(raw, make([]byte, 16000*2*4), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "asound.conf")
	write(t, conf, fmt.Sprintf(`pcm.%[1]s_file {
	type file
	slave.pcm "null"
	file "/dev/null"
	infile %[2]q
	format "raw"
}
pcm.%[1]s {
	type plug
	slave { pcm "%[1]s_file" format S16_LE rate 16000 channels 1 }
	hint { show on description "SignalCraft test microphone" }
}
`, pcm, raw))
	stock := "/usr/share/alsa/alsa.conf"
	if _, err := os.Stat(stock); err != nil {
		t.Skipf("no stock ALSA configuration: %v", err)
	}
	return stock + ":" + conf
}

// TestDevicesQuiet runs `signalcraftd devices` as a user would: the audio libraries' probing
// noise ("ALSA lib … cannot find card", JACK's "Cannot connect to server") must not reach
// stderr, and the device list must be on stdout. --verbose brings the noise back.
func TestDevicesQuiet(t *testing.T) {
	bin := buildDaemon(t)
	env := append(os.Environ(), "ALSA_CONFIG_PATH="+testALSAConfig(t, "sc_cli_mic"), "JACK_NO_START_SERVER=1")
	devices := func(args ...string) (stdout, stderr string) {
		cmd := exec.Command(bin, append([]string{"devices"}, args...)...)
		cmd.Env = env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("devices %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, o.String(), e.String())
		}
		return o.String(), e.String()
	}

	stdout, stderr := devices()
	for _, noise := range []string{"ALSA lib", "Jack", "jack", "Cannot connect"} {
		if strings.Contains(stderr, noise) {
			t.Errorf("stderr has the audio libraries' %q noise:\n%s", noise, stderr)
		}
	}
	if stderr != "" {
		t.Errorf("devices wrote to stderr:\n%s", stderr)
	}
	if !strings.HasPrefix(stdout, "NAME ") || !strings.Contains(stdout, "sc_cli_mic ") {
		t.Errorf("devices did not list the test microphone:\n%s", stdout)
	}

	_, verbose := devices("--verbose")
	if !strings.Contains(verbose, "ALSA lib") && !strings.Contains(verbose, "Cannot connect to server") {
		t.Logf("the audio libraries printed nothing even with --verbose on this machine; the quiet check above proves little here:\n%s", verbose)
	}
}
