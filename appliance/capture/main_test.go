package capture

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The real-device tests run on ALSA PCMs defined in a temporary config file. ALSA reads
// ALSA_CONFIG_PATH when PortAudio first initialises, and the environment is process-wide,
// so TestMain sets everything up before any test can touch PortAudio.

// rawPCM is a test capture device: an ALSA file plugin replaying a raw S16_LE file over
// the clock-less null PCM, behind a plug PCM fixed to the file's format.
type rawPCM struct {
	name     string // PortAudio/ALSA device name
	rate     int
	channels int
	frames   int     // frames in the file
	samples  []int16 // interleaved, as written to the file
}

var testEnv struct {
	dir      string
	pcms     map[string]*rawPCM
	pulseDir string // runtime directory and socket of the test PulseAudio daemon
	pulseSrc string // the daemon's sine source, captured through pcm.sc_test_pulse
}

const pulsePCM = "sc_test_pulse"

func TestMain(m *testing.M) {
	code, err := setupAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "capture test setup:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func setupAndRun(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "capture-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	testEnv.dir = dir
	// Short path: the PulseAudio socket path must fit in sockaddr_un (108 bytes).
	testEnv.pulseDir = filepath.Join(dir, "pa")
	testEnv.pulseSrc = "sc_sine"
	testEnv.pcms = map[string]*rawPCM{}

	var conf strings.Builder
	for _, p := range []*rawPCM{
		{name: "sc_test_st48", rate: 48000, channels: 2, frames: 96000},
		{name: "sc_test_mono16", rate: 16000, channels: 1, frames: 40000},
	} {
		p.samples = testSignal(p.frames, p.channels)
		file := filepath.Join(dir, p.name+".raw")
		if err := writeRaw(file, p.samples); err != nil {
			return 0, err
		}
		testEnv.pcms[p.name] = p
		fmt.Fprintf(&conf, `pcm.%[1]s_file {
	type file
	slave.pcm "null"
	file "/dev/null"
	infile %[2]q
	format "raw"
}
pcm.%[1]s {
	type plug
	slave {
		pcm "%[1]s_file"
		format S16_LE
		rate %[3]d
		channels %[4]d
	}
}
`, p.name, file, p.rate, p.channels)
	}
	fmt.Fprintf(&conf, `pcm.%s {
	type pulse
	server "unix:%s"
	device %q
}
`, pulsePCM, filepath.Join(testEnv.pulseDir, "native"), testEnv.pulseSrc)

	confFile := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o644); err != nil {
		return 0, err
	}
	// Never let libpulse start a user daemon while PortAudio probes the stock "pulse" PCM.
	// No shared memory either: when the daemon dies while a read holds a block imported
	// from its shared memory, libpulse 16.1 deadlocks (the mainloop thread waits in
	// pa_memimport_free for the block while holding the lock the reading thread needs in
	// snd_pcm_avail_update), and Read never returns. Seen in about one run in four under
	// -race; with data copied over the socket the loss is always reported.
	clientConf := filepath.Join(dir, "client.conf")
	if err := os.WriteFile(clientConf, []byte("autospawn = no\nenable-shm = no\n"), 0o644); err != nil {
		return 0, err
	}
	for k, v := range map[string]string{
		// The stock configuration must come first: without it PortAudio aborts.
		"ALSA_CONFIG_PATH":     "/usr/share/alsa/alsa.conf:" + confFile,
		"JACK_NO_START_SERVER": "1",
		"PULSE_CLIENTCONFIG":   clientConf,
	} {
		if err := os.Setenv(k, v); err != nil {
			return 0, err
		}
	}
	return m.Run(), nil
}

// testSignal is deterministic full-scale noise, different on every channel, so that a
// lost, repeated, shifted or swapped sample cannot go unnoticed. Frame 0 holds the
// extremes.
func testSignal(frames, channels int) []int16 {
	s := make([]int16, frames*channels)
	state := uint32(12345)
	for i := range s {
		state = state*1664525 + 1013904223
		s[i] = int16(state >> 16)
	}
	s[0] = -32768
	if channels > 1 {
		s[1] = 32767
	}
	return s
}

func writeRaw(path string, samples []int16) error {
	b := make([]byte, 2*len(samples))
	for i, v := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return os.WriteFile(path, b, 0o644)
}
