package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"signalcraft/appliance/capture"
	"signalcraft/appliance/config"
	"signalcraft/appliance/source"
)

// openSource builds the source a configuration entry describes.
func openSource(c config.Source, host *capture.Host, o Options) (source.Source, error) {
	switch c.Kind {
	case config.KindPortAudio:
		return capture.New(capture.Config{Device: c.Device, SampleRate: c.SampleRate, Channels: c.Channels,
			FramesPerBuffer: c.SampleRate / 20}, capture.WithHost(host), capture.WithClock(o.Now),
			capture.WithLogger(o.Logger.With("source", c.ID)))
	case config.KindWAV:
		var paths []string
		for _, p := range c.Paths {
			got, err := expandPath(p)
			if err != nil {
				return nil, fmt.Errorf("source %q: %w", c.ID, err)
			}
			paths = append(paths, got...)
		}
		s, err := source.NewWAV(paths, source.WAVOptions{Realtime: *c.Realtime, Loop: c.Loop, Clock: o.Clock})
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", c.ID, err)
		}
		if got := s.Info().Channels; got < c.Channels {
			return nil, fmt.Errorf("source %q: sources[].channels %d: the recordings have %d channel(s)", c.ID, c.Channels, got)
		}
		return s, nil
	case config.KindSimulator:
		sc := source.SimulatorConfig{SampleRate: c.SampleRate, Channels: c.Channels,
			ShaftHz: c.Simulator.ShaftHz, Seed: c.Simulator.Seed, Realtime: *c.Realtime, Duration: c.Simulator.Duration}
		for _, f := range c.Simulator.Faults {
			sc.Faults = append(sc.Faults, source.SimFault{Channel: f.Channel, Start: f.Start, Ramp: f.Ramp, Level: f.Level})
		}
		return source.NewSimulator(sc, o.Clock)
	}
	return nil, fmt.Errorf("source %q: kind %q: not supported", c.ID, c.Kind)
}

// expandPath turns a file, a folder or a glob into WAV file paths in name order.
func expandPath(p string) ([]string, error) {
	if strings.ContainsAny(p, "*?[") {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("paths %q: %w", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("paths %q: no file matches", p)
		}
		sort.Strings(m)
		return m, nil
	}
	return source.ExpandWAVPaths(p)
}

// fanout is the Sink of one source: it copies each bound channel into its machine's ring
// and forwards status changes. For a live source it never blocks (the ring drops the oldest
// samples and counts them); for a recording replayed as fast as possible (lossless) it waits
// for the analysis instead, since dropping samples there would be wrong.
type fanout struct {
	rate     int
	lossless bool            // wait for room instead of dropping
	ctx      context.Context // ends the wait when the daemon stops; set by Run
	mu       sync.RWMutex    // guards targets: machines are rebound while running
	targets  []*fanTarget
}

func (f *fanout) add(channel int, m *machine) {
	f.mu.Lock()
	f.targets = append(f.targets, &fanTarget{channel: channel, m: m})
	f.mu.Unlock()
}

func (f *fanout) remove(m *machine) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets = slices.DeleteFunc(f.targets, func(t *fanTarget) bool { return t.m == m })
}

type fanTarget struct {
	channel int
	m       *machine
}

func (f *fanout) Samples(b source.Block) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, t := range f.targets {
		if t.channel < len(b.Channels) {
			t.m.clock.mark(t.m.ring.Stats().Written, len(b.Channels[t.channel]), b.Time, t.m.now())
			if f.lossless {
				_ = t.m.ring.WriteWait(f.ctx, b.Channels[t.channel]) // fails only when stopping
			} else {
				t.m.ring.Write(b.Channels[t.channel])
			}
		}
	}
}

func (f *fanout) Status(s source.Status, err error) {
	f.mu.RLock()
	for _, t := range f.targets {
		msg := statusMsg{s: s, err: err}
		if s == source.Ended && f.lossless {
			// the end of a replay must reach the machine: it finishes learning, and the
			// alert engine learns that silence from now on is not missing data
			select {
			case t.m.status <- msg:
			case <-f.ctx.Done():
			}
			continue
		}
		select {
		case t.m.status <- msg:
		default: // the machine has a backlog of status changes; the newest matter less than not blocking
		}
	}
	f.mu.RUnlock()
}

type statusMsg struct {
	s   source.Status
	err error
}

// sampleClock maps positions in a channel's sample stream to times, from the latest block,
// and remembers when recent blocks arrived, to measure end-to-end latency.
type sampleClock struct {
	mu       sync.Mutex
	rate     float64
	pos      uint64
	at       time.Time
	arrivals [64]arrival // ring of the latest blocks
	next     int
}

type arrival struct {
	end uint64 // stream position just after the block's last sample
	at  time.Time
}

// mark records a block of n samples starting at stream position pos, whose first sample was
// taken at time at and which reached the appliance at arrived.
func (c *sampleClock) mark(pos uint64, n int, at, arrived time.Time) {
	c.mu.Lock()
	c.pos, c.at = pos, at
	c.arrivals[c.next] = arrival{end: pos + uint64(n), at: arrived}
	c.next = (c.next + 1) % len(c.arrivals)
	c.mu.Unlock()
}

// timeOf returns the time of sample pos.
func (c *sampleClock) timeOf(pos uint64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := (float64(pos) - float64(c.pos)) / c.rate
	return c.at.Add(time.Duration(d * float64(time.Second)))
}

// arrivedAt returns when the block holding sample pos reached the appliance (zero if it is
// older than the blocks remembered).
func (c *sampleClock) arrivedAt(pos uint64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best arrival
	for _, a := range c.arrivals {
		if a.end > pos && (best.at.IsZero() || a.end < best.end) {
			best = a
		}
	}
	return best.at
}

var _ source.Sink = (*fanout)(nil)
