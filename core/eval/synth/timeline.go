package synth

import (
	"fmt"
	"math"
	"sort"

	"signalcraft/core/truth"
)

// Crossfade is the length of the raised-cosine crossfade at every join between clips (and
// at the wrap point of a circularly shifted clip): long enough that a join never clicks,
// short enough that the overlap holds no audible doubling.
const Crossfade = 20 // milliseconds

// clip is one labelled item of a stream: one or more parts of audio joined by crossfades
// (two parts for a circularly shifted clip), and how it joins the previous clip.
type clip struct {
	parts [][]float32
	// cut joins the clip to the previous one without a crossfade: the two are consecutive
	// parts of one recording, so the audio is continuous already.
	cut   bool
	label truth.Label
	note  string
}

// span is a labelled interval of samples [from, to).
type span struct {
	from, to int
	label    truth.Label
	note     string
}

// xfadeLen returns the crossfade length in samples at rate (even, so the midpoint is a sample).
func xfadeLen(rate int) int { return rate * Crossfade / 1000 / 2 * 2 }

// assemble concatenates the clips with crossfades and returns the samples and one span per
// clip, except that the leading learning clips share one span. Each span boundary is the midpoint of the crossfade between the two clips (or the
// cut). Every part must be at least one crossfade long.
func assemble(rate int, clips []clip) ([]float32, []span, error) {
	f := xfadeLen(rate)
	w := make([]float64, f) // weight of the incoming part
	for k := range w {
		w[k] = 0.5 - 0.5*math.Cos(math.Pi*(float64(k)+0.5)/float64(f))
	}
	total := 0
	for ci, c := range clips {
		for pi, p := range c.parts {
			if len(p) < f {
				return nil, nil, fmt.Errorf("%w: %s: a part of %d samples is shorter than the %d ms crossfade", ErrData, c.note, len(p), Crossfade)
			}
			total += len(p)
			if (ci > 0 || pi > 0) && !(pi == 0 && c.cut) {
				total -= f
			}
		}
	}
	out := make([]float32, 0, total)
	spans := make([]span, 0, len(clips))
	for ci, c := range clips {
		for pi, p := range c.parts {
			boundary := len(out)
			switch {
			case ci == 0 && pi == 0, pi == 0 && c.cut:
				out = append(out, p...)
			default:
				o := len(out) - f
				boundary = o + f/2
				for k := range f {
					out[o+k] = float32(float64(out[o+k])*(1-w[k]) + float64(p[k])*w[k])
				}
				out = append(out, p[f:]...)
			}
			if pi == 0 {
				if ci > 0 {
					spans[ci-1].to = boundary
				}
				spans = append(spans, span{from: boundary, label: c.label, note: c.note})
			}
		}
	}
	if len(spans) > 0 {
		spans[len(spans)-1].to = len(out)
	}
	return out, mergeLearning(spans), nil
}

// mergeLearning merges the leading learning spans into one (a truth has exactly one
// learning interval), noted as the count of clips and the first and last note.
func mergeLearning(spans []span) []span {
	n := 0
	for n < len(spans) && spans[n].label == truth.Learning {
		n++
	}
	if n < 2 {
		return spans
	}
	m := span{from: spans[0].from, to: spans[n-1].to, label: truth.Learning,
		note: fmt.Sprintf("%d clips in file order: %s to %s", n, spans[0].note, spans[n-1].note)}
	return append([]span{m}, spans[n:]...)
}

// splice replaces the parts of base covered by ins (sorted, disjoint) with the spans of
// ins, so that an inserted segment is its own interval and the clip around it keeps its
// note on both sides.
func splice(base, ins []span) []span {
	out := make([]span, 0, len(base)+2*len(ins))
	out = append(out, ins...)
	for _, b := range base {
		from := b.from
		for _, s := range ins {
			if s.to <= from || s.from >= b.to {
				continue
			}
			if s.from > from {
				out = append(out, span{from, s.from, b.label, b.note})
			}
			from = max(from, s.to)
		}
		if from < b.to {
			out = append(out, span{from, b.to, b.label, b.note})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from < out[j].from })
	return out
}

// toTruth converts spans of samples at rate into a Truth.
func toTruth(spans []span, rate int) *truth.Truth {
	t := &truth.Truth{Intervals: make([]truth.Interval, len(spans))}
	for i, s := range spans {
		t.Intervals[i] = truth.Interval{Start: sampleTime(s.from, rate), End: sampleTime(s.to, rate), Label: s.label, Note: s.note}
	}
	return t
}

// section returns the sample range from the start of the first span with label l to the
// end of the last one.
func section(spans []span, l truth.Label) (from, to int) {
	from = -1
	for _, s := range spans {
		if s.label == l {
			if from < 0 {
				from = s.from
			}
			to = s.to
		}
	}
	return from, to
}

// rms returns the root mean square of x[from:to], clipped to x.
func rms(x []float32, from, to int) float64 {
	from, to = max(from, 0), min(to, len(x))
	if to <= from {
		return 0
	}
	var s float64
	for _, v := range x[from:to] {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(to-from))
}
