package source

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/core/wav"
)

// writeWAV writes a float32 WAV file whose samples encode (file, channel, frame), so any
// reordering, loss or duplication is visible.
func writeWAV(t *testing.T, dir, name string, rate, channels, frames, id int) (string, [][]float32) {
	t.Helper()
	x := make([][]float32, channels)
	for c := range x {
		x[c] = make([]float32, frames)
		for i := range x[c] {
			x[c][i] = float32(id*100000+c*10000+i) / 1e6
		}
	}
	var buf bytes.Buffer
	if err := wav.EncodeFloat32(&buf, rate, x); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, x
}

func concat(parts ...[][]float32) [][]float32 {
	out := make([][]float32, len(parts[0]))
	for _, p := range parts {
		for c := range out {
			out[c] = append(out[c], p[c]...)
		}
	}
	return out
}

func equal2(t *testing.T, got, want [][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d channels, want %d", len(got), len(want))
	}
	for c := range want {
		if !slices.Equal(got[c], want[c]) {
			t.Fatalf("channel %d: got %d samples, want %d, or they differ", c, len(got[c]), len(want[c]))
		}
	}
}

func TestWAVReplaysFilesInOrder(t *testing.T) {
	dir := t.TempDir()
	p1, x1 := writeWAV(t, dir, "a.wav", 1000, 2, 250, 1)
	p2, x2 := writeWAV(t, dir, "b.wav", 1000, 2, 37, 2)
	p3, x3 := writeWAV(t, dir, "c.wav", 1000, 2, 180, 3)
	clock := newFakeClock()
	start := clock.Now()
	s, err := NewWAV([]string{p1, p2, p3}, WAVOptions{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Info(); got != (Info{Name: filepath.Base(dir), SampleRate: 1000, Channels: 2}) {
		t.Errorf("Info() = %+v", got)
	}
	rec := &recorder{}
	if err := s.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	equal2(t, rec.samples(), concat(x1, x2, x3))
	pos := 0
	for i, b := range rec.blocks {
		if n := len(b.Channels[0]); n < 1 || n > 100 {
			t.Errorf("block %d has %d frames, want 1..100 (100 ms at 1 kHz)", i, n)
		}
		if want := start.Add(time.Duration(pos) * time.Millisecond); !b.Time.Equal(want) {
			t.Errorf("block %d: Time %v, want start + %d ms", i, b.Time, pos)
		}
		pos += len(b.Channels[0])
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("non-realtime replay slept %v", clock.sleeps)
	}
	if !slices.Equal(rec.statuses, []statusEvent{{Running, nil}, {Ended, nil}}) {
		t.Errorf("statuses %v, want running then ended", rec.statuses)
	}
}

func TestWAVRealtimeFollowsClock(t *testing.T) {
	dir := t.TempDir()
	p, x := writeWAV(t, dir, "a.wav", 8000, 1, 8000*3/2, 1) // 1.5 s
	clock := newFakeClock()
	start := clock.Now()
	s, err := NewWAV([]string{p}, WAVOptions{Realtime: true, Clock: clock, Block: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().Name != "a.wav" {
		t.Errorf("name %q", s.Info().Name)
	}
	rec := &recorder{clock: clock}
	if err := s.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	equal2(t, rec.samples(), x)
	if len(rec.blocks) != 6 {
		t.Fatalf("%d blocks, want 6 of 250 ms", len(rec.blocks))
	}
	for i, b := range rec.blocks {
		// Like a microphone: a block arrives when its last sample has been recorded.
		end := b.Time.Add(250 * time.Millisecond)
		if !rec.arrived[i].Equal(end) {
			t.Errorf("block %d (at %v) arrived at %v, want %v", i, b.Time.Sub(start), rec.arrived[i].Sub(start), end.Sub(start))
		}
	}
	var slept time.Duration
	for _, d := range clock.sleeps {
		slept += d
	}
	if slept != 1500*time.Millisecond {
		t.Errorf("slept %v in total, want the file's 1.5 s", slept)
	}
}

func TestWAVLoop(t *testing.T) {
	dir := t.TempDir()
	p, x := writeWAV(t, dir, "a.wav", 1000, 1, 150, 1)
	s, err := NewWAV([]string{p}, WAVOptions{Loop: true, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{onBlock: func(n int) {
		if n == 7 {
			cancel()
		}
	}}
	if err := s.Run(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got := rec.samples()
	// 100 + 50 frames per pass: 7 blocks are 3 passes and a fourth's first block.
	if len(rec.blocks) != 7 || len(got[0]) != 550 {
		t.Fatalf("%d blocks, %d frames; want 7 blocks, 550 frames", len(rec.blocks), len(got[0]))
	}
	equal2(t, got, concat(x, x, x, [][]float32{x[0][:100]}))
	if last := rec.blocks[6].Time.Sub(rec.blocks[0].Time); last != 450*time.Millisecond {
		t.Errorf("time runs on across loops: block 7 at +%v, want +450ms", last)
	}
	if len(rec.statuses) != 1 || rec.statuses[0].s != Running {
		t.Errorf("statuses %v: a cancelled loop does not end", rec.statuses)
	}
}

func TestWAVFormatMismatch(t *testing.T) {
	dir := t.TempDir()
	a, _ := writeWAV(t, dir, "a.wav", 16000, 1, 10, 1)
	b, _ := writeWAV(t, dir, "b.wav", 8000, 1, 10, 1)
	c, _ := writeWAV(t, dir, "c.wav", 16000, 2, 10, 1)
	tests := []struct {
		paths []string
		want  string
	}{
		{[]string{a, b}, "wav source: recordings differ in format: " + b + " has 8000 Hz, 1 channel(s) but " + a + " has 16000 Hz, 1 channel(s)"},
		{[]string{a, a, c}, "wav source: recordings differ in format: " + c + " has 16000 Hz, 2 channel(s) but " + a + " has 16000 Hz, 1 channel(s)"},
	}
	for _, tt := range tests {
		_, err := NewWAV(tt.paths, WAVOptions{})
		if !errors.Is(err, ErrFormatMismatch) || err.Error() != tt.want {
			t.Errorf("err = %v\nwant  %s", err, tt.want)
		}
	}
}

func TestNewWAVErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.wav")
	os.WriteFile(junk, []byte("RIFF\x04\x00\x00\x00AVI "), 0o644)
	good, _ := writeWAV(t, dir, "good.wav", 8000, 1, 10, 1)
	if _, err := NewWAV(nil, WAVOptions{}); !errors.Is(err, ErrNoFiles) || err.Error() != "wav source: no WAV files" {
		t.Errorf("no paths: %v", err)
	}
	if _, err := NewWAV([]string{good, junk}, WAVOptions{}); !errors.Is(err, wav.ErrNotWAV) ||
		err.Error() != "wav source: "+junk+`: wav: not a RIFF/WAVE file: RIFF form type "AVI " is not WAVE` {
		t.Errorf("junk: %v", err)
	}
	missing := filepath.Join(dir, "missing.wav")
	if _, err := NewWAV([]string{missing}, WAVOptions{}); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing: %v", err)
	}
	if _, err := NewWAV([]string{good}, WAVOptions{Block: -time.Second}); err == nil || err.Error() != "wav source: Block -1s: must not be negative" {
		t.Errorf("negative block: %v", err)
	}
}

func TestWAVTruncatedFileEndsSource(t *testing.T) {
	dir := t.TempDir()
	p, x := writeWAV(t, dir, "a.wav", 1000, 1, 300, 1)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-4*50-2], 0o644) // 249 whole frames and half a sample
	s, err := NewWAV([]string{p}, WAVOptions{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	err = s.Run(context.Background(), rec)
	if !errors.Is(err, wav.ErrTruncated) || !strings.HasPrefix(err.Error(), p+": ") {
		t.Fatalf("Run err = %v, want a truncation error naming the file", err)
	}
	equal2(t, rec.samples(), [][]float32{x[0][:249]})
	if last := rec.statuses[len(rec.statuses)-1]; last.s != Ended || last.err != err {
		t.Errorf("last status %v, want Ended with the error", last)
	}
}

func TestExpandWAVPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.wav", "a.WAV", "c.txt", "d.wav"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub.wav"), 0o755)
	got, err := ExpandWAVPaths(dir)
	want := []string{filepath.Join(dir, "a.WAV"), filepath.Join(dir, "b.wav"), filepath.Join(dir, "d.wav")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("folder: %v, %v; want %v", got, err, want)
	}
	f := filepath.Join(dir, "c.txt")
	if got, err := ExpandWAVPaths(f); err != nil || !slices.Equal(got, []string{f}) {
		t.Errorf("file: %v, %v", got, err)
	}
	empty := filepath.Join(dir, "sub.wav")
	if _, err := ExpandWAVPaths(empty); !errors.Is(err, ErrNoFiles) || err.Error() != empty+": no WAV files in the folder" {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := ExpandWAVPaths(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// TestCancellationStopsRun cancels sources blocked waiting for their next block.
func TestCancellationStopsRun(t *testing.T) {
	dir := t.TempDir()
	p, _ := writeWAV(t, dir, "a.wav", 1000, 1, 1000, 1)
	mk := map[string]func(c Clock) (Source, error){
		"wav": func(c Clock) (Source, error) {
			return NewWAV([]string{p}, WAVOptions{Realtime: true, Loop: true, Clock: c})
		},
		"simulator": func(c Clock) (Source, error) {
			return NewSimulator(SimulatorConfig{SampleRate: 16000, Channels: 2, ShaftHz: 30, Realtime: true}, c)
		},
	}
	for name, newSrc := range mk {
		t.Run(name, func(t *testing.T) {
			clock := &blockingClock{now: time.Unix(0, 0), sleptCh: make(chan struct{})}
			s, err := newSrc(clock)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			rec := &recorder{}
			go func() { done <- s.Run(ctx, rec) }()
			<-clock.sleptCh // Run is waiting for its first block
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v after cancellation, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancellation")
			}
			if len(rec.blocks) != 0 {
				t.Errorf("%d blocks delivered after cancellation", len(rec.blocks))
			}
		})
	}
}

func TestSystemClockSleepCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SystemClock().Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if err := SystemClock().Sleep(context.Background(), time.Microsecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
}
