package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"signalcraft/appliance/capture"
	"signalcraft/appliance/config"
	"signalcraft/appliance/datadir"
	"signalcraft/core/wav"
)

func writeWAV(t *testing.T, path string, rate int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := wav.Encode(f, rate, [][]float32{make([]float32, rate)}); err != nil {
		t.Fatal(err)
	}
}

// TestCheck runs the start-up checks on real files and directories and a list of devices,
// and expects every problem in one error, each naming its field and value.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.wav")
	writeWAV(t, good, 16000)
	text := filepath.Join(dir, "notes.wav")
	if err := os.WriteFile(text, []byte("not a recording"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	devs := []capture.Device{
		{Name: "USB Audio: - (hw:1,0)", HostAPI: "ALSA", MaxInputChannels: 2, SupportedRates: []int{44100, 48000}},
		{Name: "default", HostAPI: "ALSA", MaxInputChannels: 32, SupportedRates: []int{16000, 44100, 48000}},
	}
	list := func() ([]capture.Device, error) { return devs, nil }

	wavSource := func(id, path string) string {
		return "  - {id: " + id + ", kind: wav, paths: [" + path + "]}\n"
	}
	mic := func(id, device string, rate, ch int) string {
		return "  - {id: " + id + ", kind: portaudio, device: \"" + device + "\", sample_rate: " + itoa(rate) + ", channels: " + itoa(ch) + "}\n"
	}
	machine := func(id, src string) string {
		return "  - {id: " + id + ", sensor: {source: " + src + ", channel: 0}}\n"
	}

	tests := []struct {
		name    string
		dataDir string
		sources []string
		devices func() ([]capture.Device, error)
		want    []string // each in the error; none means no error
	}{
		{"all good", filepath.Join(dir, "new", "data"),
			[]string{wavSource("rec", good), mic("mic", "default", 16000, 1)}, list, nil},
		{"devices skipped", dir, []string{mic("mic", "nope", 16000, 1)}, nil, nil},
		{"data_dir under a file", filepath.Join(file, "data"), []string{wavSource("rec", good)}, list,
			[]string{`data_dir "` + filepath.Join(file, "data") + `": cannot create`, "(" + file + " is a file)"}},
		{"wav files", dir, []string{wavSource("a", filepath.Join(dir, "missing.wav")), wavSource("b", text), "  - {id: c, kind: wav, channels: 2, paths: [" + good + "]}\n"}, list,
			[]string{`sources[0].paths "` + filepath.Join(dir, "missing.wav") + `"`, "no such file",
				`sources[1].paths "` + text + `"`,
				`sources[2].paths "` + good + `"`, "channels 2: the recordings have 1 channel(s)"}},
		{"devices", dir, []string{mic("a", "USB Audio", 16000, 1), mic("b", "Blue Yeti", 16000, 1), mic("c", "USB Audio: - (hw:1,0)", 16000, 4)}, list,
			[]string{`sources[0].device "USB Audio": no such capture device; did you mean "USB Audio: - (hw:1,0)"?`,
				`sources[1].device "Blue Yeti": no such capture device; available: "USB Audio: - (hw:1,0)", "default"`,
				`sources[2].channels 4: device "USB Audio: - (hw:1,0)" has 2 input channel(s)`,
				`sources[2].sample_rate 16000: device "USB Audio: - (hw:1,0)" records mono int16 at 44100, 48000 Hz`}},
		{"no devices at all", dir, []string{mic("a", "default", 16000, 1)}, func() ([]capture.Device, error) { return nil, nil },
			[]string{`sources[0].device "default": no such capture device: none is present`, "--no-devices"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "data_dir: " + tt.dataDir + "\nsources:\n" + strings.Join(tt.sources, "")
			y += "machines:\n"
			for i := range tt.sources {
				id := strings.TrimSuffix(strings.Fields(tt.sources[i])[2], ",") // "  - {id: ID, ..."
				y += machine("m"+itoa(i), id)
			}
			cfg, err := config.Parse([]byte(y))
			if err != nil {
				t.Fatalf("config: %v\n%s", err, y)
			}
			err = Check(cfg, CheckOptions{Devices: tt.devices})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check found nothing")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("no *config.FieldError in %v", err)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestNewDataDirError starts the daemon with a data_dir it cannot create — under a regular
// file, which fails for root too — and expects the path, the user and the cause, not
// SQLite's "unable to open database file".
func TestNewDataDirError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("data_dir: " + filepath.Join(file, "sc") + `
sources: [{id: sim, kind: simulator, channels: 1}]
machines: [{id: m, sensor: {source: sim, channel: 0}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(t.Context(), cfg, Options{})
	var de *datadir.Error
	if !errors.As(err, &de) || !strings.Contains(err.Error(), filepath.Join(file, "sc")) ||
		!strings.Contains(err.Error(), datadir.CurrentUser()) || !strings.Contains(err.Error(), "("+file+" is a file)") {
		t.Fatalf("New: %v", err)
	}
}
