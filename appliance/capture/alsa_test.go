package capture

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/source"
)

// collectSink keeps the first want frames, converted back to int16, and cancels when it
// has them.
type collectSink struct {
	want   int
	cancel context.CancelFunc

	mu       sync.Mutex
	got      []int16 // interleaved
	frames   int
	times    []time.Time
	statuses []source.Status
}

func (s *collectSink) Samples(b source.Block) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.times = append(s.times, b.Time)
	n := len(b.Channels[0])
	for i := 0; i < n && s.frames < s.want; i++ {
		for _, ch := range b.Channels {
			// float32(v)/32768 is exact for every int16, so this inverts it exactly.
			s.got = append(s.got, int16(ch[i]*32768))
		}
		s.frames++
	}
	if s.frames >= s.want {
		s.cancel()
	}
}

func (s *collectSink) Status(st source.Status, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

// stepClock returns base, base+1ms, base+2ms, … on successive calls.
type stepClock struct {
	mu   sync.Mutex
	base time.Time
	n    int
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.base.Add(time.Duration(c.n) * time.Millisecond)
	c.n++
	return t
}

func TestCaptureBitExact(t *testing.T) {
	tests := []struct {
		pcm    string
		frames int // frames per buffer
		blocks int // blocks to capture
	}{
		{pcm: "sc_test_st48", frames: 1024, blocks: 60},
		{pcm: "sc_test_mono16", frames: 500, blocks: 50},
	}
	for _, tt := range tests {
		t.Run(tt.pcm, func(t *testing.T) {
			p := testEnv.pcms[tt.pcm]
			want := tt.frames * tt.blocks
			if want > p.frames-2048 {
				t.Fatalf("test file too short: %d frames for a capture of %d (the file plugin repeats its last 2048 frames)", p.frames, want)
			}
			clock := &stepClock{base: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
			src, err := New(Config{Device: p.name, SampleRate: p.rate, Channels: p.channels, FramesPerBuffer: tt.frames},
				WithClock(clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			if got := src.Info(); got != (source.Info{Name: p.name, SampleRate: p.rate, Channels: p.channels}) {
				t.Errorf("Info() = %+v", got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sink := &collectSink{want: want, cancel: cancel}
			start := time.Now()
			if err := src.Run(ctx, sink); err != nil {
				t.Fatalf("Run: %v", err)
			}
			t.Logf("captured %d frames of %d ch at %d Hz in %v", want, p.channels, p.rate, time.Since(start))

			sink.mu.Lock()
			defer sink.mu.Unlock()
			if sink.frames < want {
				t.Fatalf("got %d frames before the timeout, want %d", sink.frames, want)
			}
			if i := firstDiff(sink.got, p.samples[:want*p.channels]); i >= 0 {
				t.Fatalf("sample %d (frame %d, channel %d) = %d, file has %d; captured data starts at file frame %d",
					i, i/p.channels, i%p.channels, sink.got[i], p.samples[i], findOffset(sink.got, p))
			}
			for k, bt := range sink.times {
				if w := clock.base.Add(time.Duration(k) * time.Millisecond); !bt.Equal(w) {
					t.Fatalf("block %d Time = %v, want %v (one clock reading per read)", k, bt, w)
				}
			}
			if !slices.Equal(sink.statuses, []source.Status{source.Running}) {
				t.Errorf("statuses = %v, want [running]", sink.statuses)
			}
			st := src.Stats()
			if st.Frames < uint64(want) || st.Frames%uint64(tt.frames) != 0 {
				t.Errorf("Stats().Frames = %d, want a multiple of %d ≥ %d", st.Frames, tt.frames, want)
			}
			if st.Overflows != 0 || st.Reconnects != 0 || st.LastError != "" || st.State != Stopped {
				t.Errorf("Stats() = %+v, want no overflows, reconnects or errors and state stopped", st)
			}
		})
	}
}

func firstDiff(a, b []int16) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// findOffset says where in the file the captured data starts (-1: nowhere), to tell a
// leading offset from corruption when the bit-exact comparison fails.
func findOffset(got []int16, p *rawPCM) int {
	n := min(len(got), 16*p.channels)
	for f := 0; f+n <= len(p.samples); f += p.channels {
		if slices.Equal(got[:n], p.samples[f:f+n]) {
			return f / p.channels
		}
	}
	return -1
}

func TestDevicesListsTestPCMs(t *testing.T) {
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range testEnv.pcms {
		i := slices.IndexFunc(devs, func(d Device) bool { return d.Name == p.name })
		if i < 0 {
			t.Errorf("Devices() has no %q; got %v", p.name, deviceNames(devs))
			continue
		}
		d := devs[i]
		// A plug PCM converts channel counts, so ALSA offers more than the file has.
		if d.HostAPI != "ALSA" || d.MaxInputChannels < p.channels || !slices.Contains(d.SupportedRates, p.rate) {
			t.Errorf("Devices()[%q] = %+v, want host API ALSA, ≥ %d inputs, rate %d supported", p.name, d, p.channels, p.rate)
		}
	}
	var b strings.Builder
	if err := WriteDeviceTable(&b, devs); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
}

func deviceNames(devs []Device) []string {
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.Name
	}
	return names
}

func TestNewRejectsWhatTheDeviceCannotDo(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
		wantMsg []string
	}{
		{
			name:    "substring of a device name",
			cfg:     Config{Device: "sc_test", SampleRate: 48000, Channels: 1, FramesPerBuffer: 1024},
			wantErr: ErrUnknownDevice,
			wantMsg: []string{`"sc_test"`, `"sc_test_st48"`, `"sc_test_mono16"`},
		},
		{
			name:    "too many channels",
			cfg:     Config{Device: "sc_test_st48", SampleRate: 48000, Channels: 100000, FramesPerBuffer: 1024},
			wantErr: ErrInvalidConfig,
			wantMsg: []string{"channels 100000", `"sc_test_st48"`},
		},
		{
			name:    "unsupported rate",
			cfg:     Config{Device: "sc_test_st48", SampleRate: 22050, Channels: 2, FramesPerBuffer: 1024},
			wantErr: ErrInvalidConfig,
			wantMsg: []string{"sample_rate 22050"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New() error = %v, want %v", err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %s", err, m)
				}
			}
		})
	}
}
