// Package mlops is the appliance's learning loop without its I/O: it trains a challenger
// detector from the normal recordings of a dataset version, measures a detector on the
// held-back recordings the way the daemon would judge them (false alarms per hour of
// normal sound, faults detected), decides whether a challenger replaces the champion, and
// measures feature drift. The daemon (appliance/daemon) runs it as jobs; docs/mlo_pipeline.md
// explains the loop.
package mlops

import (
	"context"
	"fmt"
	"time"

	"signalcraft/core/detect"
	"signalcraft/core/eval"
	"signalcraft/core/wav"
)

// Clip is one recording of a dataset: a WAV file, normal or a labelled fault.
type Clip struct {
	Path  string
	Label string // "normal" or a fault label
	Fault bool
	// From and To bound the part of the recording the label holds for (an event's span in
	// its clip, without the clip's pre-roll); To 0 is the end. The fault classifier learns
	// from that part only; detectors hear the whole clip.
	From, To time.Duration
}

// bounds returns the labelled part of a clip of n samples at rate, as sample indices.
func (c Clip) bounds(n, rate int) (from, to int) {
	at := func(d time.Duration) int { return min(n, max(0, int(d.Seconds()*float64(rate)))) }
	from, to = at(c.From), n
	if c.To > 0 {
		to = max(from, at(c.To))
	}
	return from, to
}

// Machine is what a detector of one machine needs to turn its sound into windows: the
// profile its chain is built from and the sample rate of its sensor.
type Machine struct {
	Profile detect.Profile
	Rate    int
}

// read decodes a clip's WAV at the machine's rate; the first channel is the machine's
// sound (clips and imports are mono; a multichannel file gives its first channel).
func (m Machine) read(path string) ([]float32, error) {
	f, ch, err := wav.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.SampleRate != m.Rate {
		return nil, fmt.Errorf("mlops: %s: sample rate %d Hz, the machine runs at %d Hz", path, f.SampleRate, m.Rate)
	}
	if len(ch) == 0 {
		return nil, fmt.Errorf("mlops: %s: no channels", path)
	}
	return ch[0], nil
}

// Span is the least sound on which the machine's decision rule can open an event: a
// window and n hops, n being the persistence rule's (detect.Profile.Decision).
func (m Machine) Span() time.Duration {
	_, n := m.Profile.Decision()
	return m.Profile.Window + time.Duration(n)*m.Profile.Hop
}

// windows streams a clip through the machine's chain (eval.StreamWindows, the daemon's
// path), calls emit with each window and its end time from the clip's start, and returns
// the length of sound streamed. A clip shorter than Span is played again from its start
// until it covers Span — as a sound that goes on would be heard — so that a 10-s clip can
// be judged by a machine whose persistence rule needs 30 s.
func (m Machine) windows(ctx context.Context, th *Throttle, path string, emit func(at time.Duration, v []float64)) (time.Duration, error) {
	x, err := m.read(path)
	if err != nil {
		return 0, err
	}
	if len(x) == 0 {
		return 0, fmt.Errorf("mlops: %s: no samples", path)
	}
	if need := int(m.Span().Seconds()*float64(m.Rate)) + 1; len(x) < need {
		loop := make([]float32, 0, need+len(x))
		for len(loop) < need {
			loop = append(loop, x...)
		}
		x = loop
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	length := time.Duration(float64(len(x)) / float64(m.Rate) * float64(time.Second))
	return length, th.Do(func() error {
		return eval.StreamWindows(m.Profile, m.Rate, x, func(end int, v []float64) {
			emit(time.Duration(float64(end)/float64(m.Rate)*float64(time.Second)), v)
		})
	})
}
