package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gordonklaus/portaudio"

	"signalcraft/appliance/source"
)

var (
	// ErrInvalidConfig wraps every configuration error.
	ErrInvalidConfig = errors.New("capture: invalid config")
	// ErrUnknownDevice is returned when no input device has exactly the configured name.
	ErrUnknownDevice = errors.New("capture: unknown device")
	// ErrDeviceLost wraps the read error passed with source.Lost.
	ErrDeviceLost = errors.New("capture: device lost")
	// ErrHostClosed is returned when a Host is used or closed more often than opened.
	ErrHostClosed = errors.New("capture: portaudio host not open")
	// ErrRunning is returned by Run when the source is already running.
	ErrRunning = errors.New("capture: already running")
)

// DefaultFramesPerBuffer is a good block size for 16–48 kHz: 21–64 ms per read.
const DefaultFramesPerBuffer = 1024

// Config selects the device and the stream format.
type Config struct {
	Device          string // exact PortAudio device name (see Devices)
	SampleRate      int    // 16000, 44100 or 48000
	Channels        int    // 1 … the device's MaxInputChannels
	FramesPerBuffer int    // frames per read and per delivered block
}

// Validate checks what can be checked without PortAudio.
func (c Config) Validate() error {
	if c.Device == "" {
		return fmt.Errorf("%w: device is empty (list device names with `signalcraftd devices`)", ErrInvalidConfig)
	}
	switch c.SampleRate {
	case 16000, 44100, 48000:
	default:
		return fmt.Errorf("%w: sample_rate %d (want 16000, 44100 or 48000)", ErrInvalidConfig, c.SampleRate)
	}
	if c.Channels < 1 {
		return fmt.Errorf("%w: channels %d (want at least 1)", ErrInvalidConfig, c.Channels)
	}
	if c.FramesPerBuffer < 16 || c.FramesPerBuffer > 1<<16 {
		return fmt.Errorf("%w: frames_per_buffer %d (want 16 … 65536, e.g. %d)", ErrInvalidConfig, c.FramesPerBuffer, DefaultFramesPerBuffer)
	}
	return nil
}

// State is the source's state as Stats reports it.
type State int32

const (
	Idle         State = iota // Run has not been called
	Running                   // delivering samples
	Lost                      // the device failed; waiting before the next attempt
	Reconnecting              // opening the device again
	Stopped                   // Run has returned
)

func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Running:
		return "running"
	case Lost:
		return "lost"
	case Reconnecting:
		return "reconnecting"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// Stats is a snapshot of a source's counters.
type Stats struct {
	Frames     uint64 // frames delivered to the sink
	Overflows  uint64 // reads that reported an input overflow (samples were dropped before them)
	Reconnects uint64 // successful re-opens after a loss
	LastError  string // the latest loss or failed reconnect, "" if none
	State      State
}

// stream is an open, started input stream; Read fills the buffer it was opened with.
type stream interface {
	Read() error
	Close() error
}

// openFunc opens and starts a stream for cfg that reads into buf.
type openFunc func(cfg Config, buf []int16) (stream, error)

// Source captures from one PortAudio device. It implements source.Source.
type Source struct {
	cfg     Config
	host    *Host
	open    openFunc
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	backoff Backoff
	log     *slog.Logger

	running    atomic.Bool
	frames     atomic.Uint64
	overflows  atomic.Uint64
	reconnects atomic.Uint64
	state      atomic.Int32
	lastErr    atomic.Pointer[string]
}

var _ source.Source = (*Source)(nil)

// Option configures a Source.
type Option func(*Source)

// WithHost shares a Host (and so one PortAudio initialisation) with other users. While
// another user holds it open, a reconnect cannot make PortAudio rescan the devices, so a
// re-plugged microphone whose ALSA card number changed is only found once they close it.
func WithHost(h *Host) Option { return func(s *Source) { s.host = h } }

// WithClock sets the clock that stamps Block.Time (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// WithBackoff sets the reconnect delays (default DefaultBackoff()).
func WithBackoff(b Backoff) Option { return func(s *Source) { s.backoff = b } }

// WithSleep sets how the source waits between reconnect attempts; it must return early
// with a non-nil error when ctx is done (default: a timer).
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) { s.sleep = sleep }
}

// WithLogger sets a logger for losses and reconnects (default: none).
func WithLogger(l *slog.Logger) Option { return func(s *Source) { s.log = l } }

// New validates cfg, checks that its device exists by exact name and can capture the
// requested int16 format, and returns a Source ready to Run.
func New(cfg Config, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := newSource(cfg, nil, opts...)
	if err := s.host.check(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// newSource builds a Source without touching PortAudio; open nil means the real one.
func newSource(cfg Config, open openFunc, opts ...Option) *Source {
	s := &Source{
		cfg:     cfg,
		now:     time.Now,
		sleep:   sleepContext,
		backoff: DefaultBackoff(),
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(s)
	}
	if s.host == nil {
		s.host = new(Host)
	}
	s.open = open
	if s.open == nil {
		s.open = s.host.openStream
	}
	return s
}

// Info describes the stream; Name is the device name.
func (s *Source) Info() source.Info {
	return source.Info{Name: s.cfg.Device, SampleRate: s.cfg.SampleRate, Channels: s.cfg.Channels}
}

// Stats returns the current counters. It is safe to call from any goroutine.
func (s *Source) Stats() Stats {
	st := Stats{
		Frames:     s.frames.Load(),
		Overflows:  s.overflows.Load(),
		Reconnects: s.reconnects.Load(),
		State:      State(s.state.Load()),
	}
	if e := s.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// Run captures until ctx is done, then returns nil. The calling goroutine does the
// blocking reads, so ctx is noticed between reads: within one block for a microphone,
// up to 2 s through PulseAudio, which delivers in bursts. Device loss is reported to sink and retried
// forever; Run returns an error only if it is already running.
func (s *Source) Run(ctx context.Context, sink source.Sink) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.running.Store(false)
	defer s.state.Store(int32(Stopped))

	ch, n := s.cfg.Channels, s.cfg.FramesPerBuffer
	buf := make([]int16, n*ch)
	blk := source.Block{Channels: make([][]float32, ch)}
	for c := range blk.Channels {
		blk.Channels[c] = make([]float32, n)
	}

	attempt := 0 // consecutive attempts without a good read; reset by one
	st, err := s.open(s.cfg, buf)
	if err != nil {
		if st = s.recover(ctx, sink, buf, err, &attempt); st == nil {
			return nil
		}
	} else {
		s.state.Store(int32(Running))
		sink.Status(source.Running, nil)
	}
	for {
		if ctx.Err() != nil {
			if err := st.Close(); err != nil {
				s.log.Warn("close stream", "device", s.cfg.Device, "err", err)
			}
			return nil
		}
		t := s.now()
		err := st.Read()
		if err != nil && !errors.Is(err, portaudio.InputOverflowed) {
			if cerr := st.Close(); cerr != nil {
				s.log.Warn("close lost stream", "device", s.cfg.Device, "err", cerr)
			}
			lost := fmt.Errorf("%w: read %q: %w", ErrDeviceLost, s.cfg.Device, err)
			if st = s.recover(ctx, sink, buf, lost, &attempt); st == nil {
				return nil
			}
			continue
		}
		if err != nil {
			s.overflows.Add(1)
		}
		attempt = 0
		blk.Time = t
		deinterleave(blk.Channels, buf)
		sink.Samples(blk)
		s.frames.Add(uint64(n))
	}
}

// recover reports the loss and retries opening with backoff until it succeeds (returning
// the stream) or ctx is done (returning nil).
func (s *Source) recover(ctx context.Context, sink source.Sink, buf []int16, cause error, attempt *int) stream {
	s.setErr(cause)
	s.state.Store(int32(Lost))
	s.log.Warn("capture device lost", "device", s.cfg.Device, "err", cause)
	sink.Status(source.Lost, cause)
	for {
		d := s.backoff.Delay(*attempt)
		*attempt++
		if s.sleep(ctx, d) != nil || ctx.Err() != nil {
			return nil
		}
		s.state.Store(int32(Reconnecting))
		sink.Status(source.Reconnecting, nil)
		st, err := s.open(s.cfg, buf)
		if err != nil {
			s.setErr(err)
			s.log.Debug("reconnect failed", "device", s.cfg.Device, "attempt", *attempt, "err", err)
			continue
		}
		s.reconnects.Add(1)
		s.state.Store(int32(Running))
		s.log.Info("capture device reconnected", "device", s.cfg.Device, "attempts", *attempt)
		sink.Status(source.Running, nil)
		return st
	}
}

func (s *Source) setErr(err error) {
	msg := err.Error()
	s.lastErr.Store(&msg)
}

// deinterleave scales interleaved int16 frames to per-channel float32 in [-1, 1).
func deinterleave(dst [][]float32, src []int16) {
	ch := len(dst)
	if ch == 1 {
		out := dst[0][:len(src)]
		for i, v := range src {
			out[i] = float32(v) / 32768
		}
		return
	}
	for c, out := range dst {
		for i := range out {
			out[i] = float32(src[i*ch+c]) / 32768
		}
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
