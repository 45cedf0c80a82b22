package capture

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gordonklaus/portaudio"

	"signalcraft/appliance/source"
)

// fakeStream stands in for a PortAudio stream.
type fakeStream struct {
	read  func() error
	close func() error
}

func (f fakeStream) Read() error  { return f.read() }
func (f fakeStream) Close() error { return f.close() }

// script drives Run through fake streams. Each open consumes the next entry of opens:
// an error fails the open; otherwise the stream replays reads (filling the buffer with
// the next sample values first) and, once they are used up, cancels the run with one
// last successful read.
type script struct {
	t      *testing.T
	cancel context.CancelFunc
	opens  []openResult

	log    []string // "open", "open-fail", "read", "close", "sleep 250ms", status names
	closes int
	next   int16
}

type openResult struct {
	err   error
	reads []error
}

var errHost = portaudio.UnanticipatedHostError{HostApiType: portaudio.ALSA, Code: -5, Text: "Input/output error"}

func (sc *script) open(cfg Config, buf []int16) (stream, error) {
	if len(sc.opens) == 0 {
		sc.t.Fatal("unexpected open")
	}
	r := sc.opens[0]
	sc.opens = sc.opens[1:]
	if r.err != nil {
		sc.log = append(sc.log, "open-fail")
		return nil, r.err
	}
	sc.log = append(sc.log, "open")
	reads := r.reads
	closed := false
	return fakeStream{
		read: func() error {
			if closed {
				sc.t.Fatal("read after close")
			}
			var err error
			if len(reads) == 0 {
				sc.cancel() // this block is still delivered; Run then sees ctx done
			} else {
				err, reads = reads[0], reads[1:]
			}
			sc.log = append(sc.log, "read")
			for i := range buf {
				buf[i] = sc.next
				sc.next++
			}
			return err
		},
		close: func() error {
			if closed {
				sc.t.Fatal("double close")
			}
			closed = true
			sc.closes++
			sc.log = append(sc.log, "close")
			return nil
		},
	}, nil
}

func (sc *script) sleep(ctx context.Context, d time.Duration) error {
	sc.log = append(sc.log, "sleep "+d.String())
	return ctx.Err()
}

// recordSink copies what it is given.
type recordSink struct {
	sc     *script
	blocks []source.Block
	errs   []error
}

func (r *recordSink) Samples(b source.Block) {
	cp := source.Block{Time: b.Time}
	for _, ch := range b.Channels {
		cp.Channels = append(cp.Channels, slices.Clone(ch))
	}
	r.blocks = append(r.blocks, cp)
}

func (r *recordSink) Status(s source.Status, err error) {
	r.sc.log = append(r.sc.log, s.String())
	r.errs = append(r.errs, err)
}

func runScript(t *testing.T, cfg Config, opens []openResult) (*Source, *script, *recordSink) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := &script{t: t, cancel: cancel, opens: opens}
	sink := &recordSink{sc: sc}
	clock := &stepClock{base: time.Unix(1700000000, 0)}
	src := newSource(cfg, sc.open, WithClock(clock.Now), WithSleep(sc.sleep),
		WithBackoff(Backoff{Initial: 250 * time.Millisecond, Max: time.Second}))
	if err := src.Run(ctx, sink); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if len(sc.opens) != 0 {
		t.Errorf("%d scripted opens left over", len(sc.opens))
	}
	return src, sc, sink
}

var fakeCfg = Config{Device: "fake", SampleRate: 16000, Channels: 2, FramesPerBuffer: 4}

func TestRunStateMachine(t *testing.T) {
	errGone := errors.New("no such device")
	tests := []struct {
		name  string
		opens []openResult
		want  []string
		stats Stats
	}{
		{
			name:  "overflow is counted and the block delivered",
			opens: []openResult{{reads: []error{nil, portaudio.InputOverflowed, nil, portaudio.InputOverflowed}}},
			want:  []string{"open", "running", "read", "read", "read", "read", "read", "close"},
			stats: Stats{Frames: 20, Overflows: 2, State: Stopped},
		},
		{
			name: "loss, two failed attempts, recovery",
			opens: []openResult{
				{reads: []error{nil, errHost}},
				{err: errGone},
				{err: errGone},
				{reads: []error{nil}},
			},
			want: []string{"open", "running", "read", "read", "close", "lost",
				"sleep 250ms", "reconnecting", "open-fail",
				"sleep 500ms", "reconnecting", "open-fail",
				"sleep 1s", "reconnecting", "open", "running", "read", "read", "close"},
			stats: Stats{Frames: 12, Reconnects: 1, LastError: "no such device", State: Stopped},
		},
		{
			name: "backoff keeps growing until a read succeeds, then resets",
			opens: []openResult{
				{reads: []error{errHost}},
				{reads: []error{errHost}}, // opens but fails at once: no reset
				{reads: []error{nil, errHost}},
				{reads: nil},
			},
			want: []string{"open", "running", "read", "close", "lost",
				"sleep 250ms", "reconnecting", "open", "running", "read", "close", "lost",
				"sleep 500ms", "reconnecting", "open", "running", "read", "read", "close", "lost",
				"sleep 250ms", "reconnecting", "open", "running", "read", "close"},
			stats: Stats{Frames: 8, Reconnects: 3, LastError: `capture: device lost: read "fake": Input/output error`, State: Stopped},
		},
		{
			name:  "device missing at start is a loss too",
			opens: []openResult{{err: errGone}, {reads: []error{nil}}},
			want: []string{"open-fail", "lost", "sleep 250ms", "reconnecting", "open", "running",
				"read", "read", "close"},
			stats: Stats{Frames: 8, Reconnects: 1, LastError: "no such device", State: Stopped},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, sc, _ := runScript(t, fakeCfg, tt.opens)
			if !slices.Equal(sc.log, tt.want) {
				t.Errorf("events:\n got %s\nwant %s", strings.Join(sc.log, ", "), strings.Join(tt.want, ", "))
			}
			if got := src.Stats(); got != tt.stats {
				t.Errorf("Stats() = %+v, want %+v", got, tt.stats)
			}
		})
	}
}

func TestRunLostCarriesCause(t *testing.T) {
	_, _, sink := runScript(t, fakeCfg, []openResult{{reads: []error{errHost}}, {}})
	if len(sink.errs) < 2 {
		t.Fatalf("statuses: %v", sink.errs)
	}
	err := sink.errs[1] // [running, lost, reconnecting, running]
	var host portaudio.UnanticipatedHostError
	if !errors.Is(err, ErrDeviceLost) || !errors.As(err, &host) || host.Code != -5 {
		t.Errorf("Lost error = %v, want ErrDeviceLost wrapping the PortAudio error", err)
	}
	for i, e := range sink.errs {
		if i != 1 && e != nil {
			t.Errorf("status %d carries error %v, want nil", i, e)
		}
	}
}

func TestRunStopsWhileWaitingToReconnect(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sc := &script{t: t, cancel: cancel, opens: []openResult{{reads: []error{errHost}}}}
	sink := &recordSink{sc: sc}
	var states []State
	var src *Source
	sleep := func(ctx context.Context, d time.Duration) error {
		states = append(states, src.Stats().State)
		cancel()
		return ctx.Err()
	}
	src = newSource(fakeCfg, sc.open, WithSleep(sleep))
	if err := src.Run(ctx, sink); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	want := []string{"open", "running", "read", "close", "lost"}
	if !slices.Equal(sc.log, want) {
		t.Errorf("events = %v, want %v", sc.log, want)
	}
	if !slices.Equal(states, []State{Lost}) || src.Stats().State != Stopped {
		t.Errorf("state while waiting = %v, after = %v", states, src.Stats().State)
	}
}

func TestRunDeliversDeinterleavedScaledBlocks(t *testing.T) {
	cfg := Config{Device: "fake", SampleRate: 16000, Channels: 3, FramesPerBuffer: 2}
	_, _, sink := runScript(t, cfg, []openResult{{reads: []error{nil, nil}}})
	// The fake fills the buffer with 0, 1, 2, … interleaved: frame f, channel c = 6b+3f+c.
	if len(sink.blocks) != 3 {
		t.Fatalf("got %d blocks, want 3", len(sink.blocks))
	}
	base := time.Unix(1700000000, 0)
	for b, blk := range sink.blocks {
		if !blk.Time.Equal(base.Add(time.Duration(b) * time.Millisecond)) {
			t.Errorf("block %d Time = %v", b, blk.Time)
		}
		for c, ch := range blk.Channels {
			for f, v := range ch {
				if want := float32(6*b+3*f+c) / 32768; v != want {
					t.Errorf("block %d channel %d frame %d = %v, want %v", b, c, f, v, want)
				}
			}
		}
	}
}

func TestRunTwiceConcurrently(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	open := func(Config, []int16) (stream, error) {
		return fakeStream{
			read:  func() error { close(started); <-release; return errHost },
			close: func() error { return nil },
		}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := newSource(fakeCfg, open, WithSleep(func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }))
	sc := &script{t: t}
	done := make(chan error)
	go func() { done <- src.Run(ctx, &recordSink{sc: &script{t: t}}) }()
	<-started
	if err := src.Run(ctx, &recordSink{sc: sc}); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run() = %v, want ErrRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first Run() = %v", err)
	}
}

func TestDeinterleave(t *testing.T) {
	src := []int16{-32768, 32767, 0, -1, 1, 16384}
	tests := []struct {
		channels int
		want     [][]float32
	}{
		{1, [][]float32{{-1, 32767.0 / 32768, 0, -1.0 / 32768, 1.0 / 32768, 0.5}}},
		{2, [][]float32{{-1, 0, 1.0 / 32768}, {32767.0 / 32768, -1.0 / 32768, 0.5}}},
		{3, [][]float32{{-1, -1.0 / 32768}, {32767.0 / 32768, 1.0 / 32768}, {0, 0.5}}},
	}
	for _, tt := range tests {
		dst := make([][]float32, tt.channels)
		for c := range dst {
			dst[c] = make([]float32, len(src)/tt.channels)
		}
		deinterleave(dst, src)
		for c := range dst {
			if !slices.Equal(dst[c], tt.want[c]) {
				t.Errorf("%d channels: channel %d = %v, want %v", tt.channels, c, dst[c], tt.want[c])
			}
		}
	}
}

func BenchmarkDeinterleave(b *testing.B) {
	for _, ch := range []int{1, 2} {
		b.Run(strings.Repeat("c", ch), func(b *testing.B) {
			src := make([]int16, 1024*ch)
			for i := range src {
				src[i] = int16(i * 31)
			}
			dst := make([][]float32, ch)
			for c := range dst {
				dst[c] = make([]float32, 1024)
			}
			b.SetBytes(int64(2 * len(src)))
			b.ReportAllocs()
			for b.Loop() {
				deinterleave(dst, src)
			}
		})
	}
}

type nopSink struct{}

func (nopSink) Samples(source.Block)        {}
func (nopSink) Status(source.Status, error) {}

// BenchmarkRunBlock is the per-block cost of Run around the read: clock, conversion,
// delivery, counters. It must not allocate.
func BenchmarkRunBlock(b *testing.B) {
	cfg := Config{Device: "fake", SampleRate: 48000, Channels: 2, FramesPerBuffer: 1024}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	open := func(Config, []int16) (stream, error) {
		return fakeStream{
			read: func() error {
				if n++; n > b.N {
					cancel()
				}
				return nil
			},
			close: func() error { return nil },
		}, nil
	}
	src := newSource(cfg, open)
	b.ReportAllocs()
	b.ResetTimer()
	if err := src.Run(ctx, nopSink{}); err != nil {
		b.Fatal(err)
	}
}
