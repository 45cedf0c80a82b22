package capture

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/gordonklaus/portaudio"
)

// probeRates are the sample rates the appliance supports; Devices probes each of them.
var probeRates = []int{16000, 44100, 48000}

// Host owns PortAudio's process-wide initialisation. Open and Close are reference
// counted: PortAudio is initialised by the first Open and terminated by the last Close.
// The device list is fixed while PortAudio is initialised, so a Host only sees newly
// plugged devices after every holder has closed it. All PortAudio calls other than
// stream reads go through a Host, which serialises them. The zero value is ready to use.
type Host struct {
	// Verbose leaves alsa-lib's and libjack's diagnostics on stderr while PortAudio probes
	// devices; by default they are discarded (see setLibraryDiagnostics). Set it before
	// the first Open.
	Verbose bool

	mu   sync.Mutex
	refs int
}

// Open initialises PortAudio unless this Host already holds it.
func (h *Host) Open() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.openLocked()
}

// Close releases one Open; the last one terminates PortAudio.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closeLocked()
}

func (h *Host) openLocked() error {
	if h.refs == 0 {
		setLibraryDiagnostics(h.Verbose) // before Initialize, which probes every PCM
		if err := portaudio.Initialize(); err != nil {
			return fmt.Errorf("initialize portaudio: %w", err)
		}
	}
	h.refs++
	return nil
}

func (h *Host) closeLocked() error {
	if h.refs == 0 {
		return ErrHostClosed
	}
	h.refs--
	if h.refs == 0 {
		if err := portaudio.Terminate(); err != nil {
			return fmt.Errorf("terminate portaudio: %w", err)
		}
	}
	return nil
}

// Device is a capture device as PortAudio reports it.
type Device struct {
	Name              string // exact name to put in Config.Device
	HostAPI           string // e.g. "ALSA"
	MaxInputChannels  int
	DefaultSampleRate float64
	SupportedRates    []int // those of 16000, 44100, 48000 that open as mono int16
}

// Devices lists the devices with at least one input channel. The Host must be open.
func (h *Host) Devices() ([]Device, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refs == 0 {
		return nil, ErrHostClosed
	}
	infos, err := portaudio.Devices()
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	var out []Device
	for _, d := range infos {
		if d.MaxInputChannels < 1 {
			continue
		}
		dev := Device{
			Name:              d.Name,
			MaxInputChannels:  d.MaxInputChannels,
			DefaultSampleRate: d.DefaultSampleRate,
		}
		if d.HostApi != nil {
			dev.HostAPI = d.HostApi.Name
		}
		for _, r := range probeRates {
			if formatSupported(d, r, 1) == nil {
				dev.SupportedRates = append(dev.SupportedRates, r)
			}
		}
		out = append(out, dev)
	}
	return out, nil
}

// Devices opens a Host, lists its input devices and closes it again.
func Devices() ([]Device, error) {
	var h Host
	return h.ListDevices()
}

// ListDevices opens h, lists its input devices and closes it again.
func (h *Host) ListDevices() ([]Device, error) {
	if err := h.Open(); err != nil {
		return nil, err
	}
	devs, err := h.Devices()
	return devs, errors.Join(err, h.Close())
}

// WriteDeviceTable prints devices as an aligned table with a header line.
func WriteDeviceTable(w io.Writer, devs []Device) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOST API\tINPUTS\tDEFAULT RATE\tSUPPORTED RATES")
	for _, d := range devs {
		rates := make([]string, len(d.SupportedRates))
		for i, r := range d.SupportedRates {
			rates[i] = strconv.Itoa(r)
		}
		supported := strings.Join(rates, ",")
		if supported == "" {
			supported = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", d.Name, d.HostAPI, d.MaxInputChannels,
			strconv.FormatFloat(d.DefaultSampleRate, 'f', -1, 64), supported)
	}
	return tw.Flush()
}

// findDevice returns the device named exactly name. Call with h.mu held and PortAudio open.
func findDevice(name string) (*portaudio.DeviceInfo, error) {
	infos, err := portaudio.Devices()
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	var names []string
	for _, d := range infos {
		if d.MaxInputChannels < 1 {
			continue
		}
		if d.Name == name {
			return d, nil
		}
		names = append(names, strconv.Quote(d.Name))
	}
	avail := "none"
	if len(names) > 0 {
		avail = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("%w: %q (available input devices: %s)", ErrUnknownDevice, name, avail)
}

func streamParams(d *portaudio.DeviceInfo, rate, channels, frames int) portaudio.StreamParameters {
	return portaudio.StreamParameters{
		Input: portaudio.StreamDeviceParameters{
			Device:   d,
			Channels: channels,
			Latency:  d.DefaultHighInputLatency,
		},
		SampleRate:      float64(rate),
		FramesPerBuffer: frames,
	}
}

func formatSupported(d *portaudio.DeviceInfo, rate, channels int) error {
	// The buffer only tells PortAudio the sample format (int16).
	return portaudio.IsFormatSupported(streamParams(d, rate, channels, portaudio.FramesPerBufferUnspecified), []int16(nil))
}

// check verifies that cfg can be opened on its device as it is listed now.
func (h *Host) check(cfg Config) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.openLocked(); err != nil {
		return err
	}
	err := func() error {
		d, err := findDevice(cfg.Device)
		if err != nil {
			return err
		}
		if cfg.Channels > d.MaxInputChannels {
			return fmt.Errorf("%w: channels %d exceeds the %d input channels of device %q",
				ErrInvalidConfig, cfg.Channels, d.MaxInputChannels, cfg.Device)
		}
		if err := formatSupported(d, cfg.SampleRate, cfg.Channels); err != nil {
			return fmt.Errorf("%w: device %q cannot capture %d channel(s) of int16 at %d Hz: %w",
				ErrInvalidConfig, cfg.Device, cfg.Channels, cfg.SampleRate, err)
		}
		return nil
	}()
	return errors.Join(err, h.closeLocked())
}

// paStream is an open, started PortAudio input stream holding one reference on its Host.
type paStream struct {
	h  *Host
	st *portaudio.Stream
}

// openStream initialises PortAudio if needed, finds cfg.Device by exact name, and opens
// and starts an int16 input stream that reads into buf.
func (h *Host) openStream(cfg Config, buf []int16) (stream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.openLocked(); err != nil {
		return nil, err
	}
	d, err := findDevice(cfg.Device)
	if err != nil {
		return nil, errors.Join(err, h.closeLocked())
	}
	st, err := portaudio.OpenStream(streamParams(d, cfg.SampleRate, cfg.Channels, cfg.FramesPerBuffer), buf)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open %q: %w", cfg.Device, err), h.closeLocked())
	}
	if err := st.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("start %q: %w", cfg.Device, err), st.Close(), h.closeLocked())
	}
	return &paStream{h: h, st: st}, nil
}

func (s *paStream) Read() error { return s.st.Read() }

// Close closes the stream (which aborts it if still running) and releases the Host.
func (s *paStream) Close() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	return errors.Join(s.st.Close(), s.h.closeLocked())
}
