package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"signalcraft/core/wav"
)

// ErrFormatMismatch means the files given to one WAV source differ in rate or channels.
var ErrFormatMismatch = errors.New("recordings differ in format")

// ErrNoFiles means a WAV source was given no file to play.
var ErrNoFiles = errors.New("no WAV files")

// DefaultBlock is the block length sources deliver when none is configured.
const DefaultBlock = 100 * time.Millisecond

// WAVOptions configures a WAV replay source.
type WAVOptions struct {
	Name     string        // Info().Name; default: the file's name, or its folder's for several files
	Realtime bool          // pace delivery like a live microphone; otherwise as fast as the sink takes it
	Loop     bool          // start again from the first file after the last
	Block    time.Duration // samples per delivered block as a duration; 0 means DefaultBlock
	Clock    Clock         // time for pacing and Block.Time; nil means SystemClock()
}

// WAV replays one or more WAV files, in order, as one continuous stream.
type WAV struct {
	paths []string
	opts  WAVOptions
	info  Info
	block int // frames per block
}

var _ Source = (*WAV)(nil)

// NewWAV checks that every file is a readable WAV file and that all share one sample
// rate and channel count.
func NewWAV(paths []string, opts WAVOptions) (*WAV, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("wav source: %w", ErrNoFiles)
	}
	if opts.Block < 0 {
		return nil, fmt.Errorf("wav source: Block %v: must not be negative", opts.Block)
	}
	if opts.Block == 0 {
		opts.Block = DefaultBlock
	}
	var first wav.Format
	for i, p := range paths {
		f, err := readFormat(p)
		if err != nil {
			return nil, fmt.Errorf("wav source: %w", err)
		}
		if i == 0 {
			first = f
			continue
		}
		if f.SampleRate != first.SampleRate || f.Channels != first.Channels {
			return nil, fmt.Errorf("wav source: %w: %s has %d Hz, %d channel(s) but %s has %d Hz, %d channel(s)",
				ErrFormatMismatch, p, f.SampleRate, f.Channels, paths[0], first.SampleRate, first.Channels)
		}
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(paths[0])
		if len(paths) > 1 {
			name = filepath.Base(filepath.Dir(paths[0]))
		}
	}
	block := max(1, int(int64(first.SampleRate)*int64(opts.Block)/int64(time.Second)))
	return &WAV{
		paths: slices.Clone(paths),
		opts:  opts,
		info:  Info{Name: name, SampleRate: first.SampleRate, Channels: first.Channels},
		block: block,
	}, nil
}

func readFormat(path string) (wav.Format, error) {
	fh, err := os.Open(path)
	if err != nil {
		return wav.Format{}, err
	}
	defer fh.Close()
	r, err := wav.NewReader(fh)
	if err != nil {
		return wav.Format{}, fmt.Errorf("%s: %w", path, err)
	}
	return r.Format(), nil
}

// ExpandWAVPaths returns path itself if it is a file, or the *.wav files (any case) of
// the folder it names, in name order.
func ExpandWAVPaths(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries { // ReadDir sorts by name
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".wav") {
			out = append(out, filepath.Join(path, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w in the folder", path, ErrNoFiles)
	}
	return out, nil
}

// Info describes the stream.
func (s *WAV) Info() Info { return s.info }

// Run delivers the files' samples. Without Loop it reports Ended and returns nil after the
// last file. A file that cannot be read (or is truncated, after its complete frames) ends
// the source: the sink gets Status(Ended, err) and Run returns err, naming the file.
func (s *WAV) Run(ctx context.Context, sink Sink) error {
	p := newPacer(s.opts.Clock, s.opts.Realtime, s.info.SampleRate)
	buf := make([][]float32, s.info.Channels)
	for c := range buf {
		buf[c] = make([]float32, s.block)
	}
	out := make([][]float32, s.info.Channels)
	sink.Status(Running, nil)
	for {
		var delivered int64
		for _, path := range s.paths {
			n, err := s.play(ctx, path, p, buf, out, sink)
			delivered += n
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				sink.Status(Ended, err)
				return err
			}
		}
		if !s.opts.Loop || delivered == 0 {
			sink.Status(Ended, nil)
			return nil
		}
	}
}

// play delivers one file, returning the frames delivered.
func (s *WAV) play(ctx context.Context, path string, p *pacer, buf, out [][]float32, sink Sink) (int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	r, err := wav.NewReader(fh)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if f := r.Format(); f.SampleRate != s.info.SampleRate || f.Channels != s.info.Channels {
		return 0, fmt.Errorf("%w: %s now has %d Hz, %d channel(s), want %d Hz, %d channel(s)",
			ErrFormatMismatch, path, f.SampleRate, f.Channels, s.info.SampleRate, s.info.Channels)
	}
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			t, cerr := p.next(ctx, n)
			if cerr != nil {
				return total, nil
			}
			for c := range out {
				out[c] = buf[c][:n]
			}
			sink.Samples(Block{Time: t, Channels: out})
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("%s: %w", path, err)
		}
	}
}
