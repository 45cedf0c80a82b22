package capture

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestConfigValidate(t *testing.T) {
	ok := Config{Device: "USB Mic (hw:1,0)", SampleRate: 48000, Channels: 1, FramesPerBuffer: 1024}
	tests := []struct {
		name   string
		mutate func(*Config)
		errMsg string // "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"16 kHz", func(c *Config) { c.SampleRate = 16000 }, ""},
		{"44.1 kHz", func(c *Config) { c.SampleRate = 44100 }, ""},
		{"no device", func(c *Config) { c.Device = "" }, "device is empty"},
		{"rate", func(c *Config) { c.SampleRate = 22050 }, "sample_rate 22050"},
		{"zero rate", func(c *Config) { c.SampleRate = 0 }, "sample_rate 0"},
		{"no channels", func(c *Config) { c.Channels = 0 }, "channels 0"},
		{"tiny buffer", func(c *Config) { c.FramesPerBuffer = 0 }, "frames_per_buffer 0"},
		{"huge buffer", func(c *Config) { c.FramesPerBuffer = 1 << 20 }, "frames_per_buffer 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			if tt.errMsg == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.errMsg) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig mentioning %q", err, tt.errMsg)
			}
		})
	}
}

func TestNewValidatesBeforePortAudio(t *testing.T) {
	if _, err := New(Config{Device: "x", SampleRate: 8000, Channels: 1, FramesPerBuffer: 1024}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New() = %v, want ErrInvalidConfig", err)
	}
}

func TestWriteDeviceTable(t *testing.T) {
	devs := []Device{
		{Name: "USB PnP Sound Device: Audio (hw:1,0)", HostAPI: "ALSA", MaxInputChannels: 1, DefaultSampleRate: 48000, SupportedRates: []int{44100, 48000}},
		{Name: "pulse", HostAPI: "ALSA", MaxInputChannels: 32, DefaultSampleRate: 44100, SupportedRates: []int{16000, 44100, 48000}},
		{Name: "odd", HostAPI: "JACK Audio Connection Kit", MaxInputChannels: 2, DefaultSampleRate: 22050.5},
	}
	var b strings.Builder
	if err := WriteDeviceTable(&b, devs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "devices.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestWriteDeviceTable -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestHostCloseWithoutOpen(t *testing.T) {
	var h Host
	if err := h.Close(); !errors.Is(err, ErrHostClosed) {
		t.Errorf("Close() = %v, want ErrHostClosed", err)
	}
	if _, err := h.Devices(); !errors.Is(err, ErrHostClosed) {
		t.Errorf("Devices() = %v, want ErrHostClosed", err)
	}
}

func TestHostIsReferenceCounted(t *testing.T) {
	var h Host
	for i := 0; i < 2; i++ {
		if err := h.Open(); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// Still open once: listing works.
	if _, err := h.Devices(); err != nil {
		t.Fatalf("Devices() after one of two Closes = %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Devices(); !errors.Is(err, ErrHostClosed) {
		t.Errorf("Devices() after the last Close = %v, want ErrHostClosed", err)
	}
}
