package synth

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// rng draws every random number of a recipe. It uses only the raw output of PCG (a fixed,
// documented algorithm) and derives floats, integers and normals itself, so a stream built
// today is the stream built after a Go upgrade that changes math/rand/v2's helpers.
type rng struct{ src *rand.PCG }

// newRNG returns the generator for one purpose of one seed: each purpose ("valve
// shuffle", "impacts", ...) has its own sequence, so adding a draw to one never moves
// another.
func newRNG(seed uint64, purpose string) *rng {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return &rng{rand.NewPCG(seed, h.Sum64())}
}

// float64 returns a uniform number in [0, 1).
func (r *rng) float64() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// uniform returns a uniform number in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.float64() }

// intn returns a uniform integer in [0, n), n > 0, without modulo bias.
func (r *rng) intn(n int) int {
	limit := math.MaxUint64 - math.MaxUint64%uint64(n)
	for {
		if v := r.src.Uint64(); v < limit {
			return int(v % uint64(n))
		}
	}
}

// norm returns a standard normal number (Box–Muller, one of the pair).
func (r *rng) norm() float64 {
	u := 1 - r.float64() // (0, 1]
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float64())
}

// perm returns a uniform permutation of 0..n-1 (Fisher–Yates).
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// place returns start positions (in samples, on whole milliseconds) for segments of the
// given lengths, in the given order, inside [from, to): at least margin samples from
// either end and at least gap samples of untouched audio between one segment's end and the
// next one's start. The free room left over is spread at random (uniformly over all valid
// placements). It fails when the segments do not fit.
func place(r *rng, rate, from, to int, lengths []int, margin, gap int) ([]int, error) {
	if len(lengths) == 0 {
		return nil, nil
	}
	need := 2*margin + (len(lengths)-1)*gap
	for _, l := range lengths {
		need += l
	}
	ms := rate / 1000
	slack := (to - from - need) / ms // whole milliseconds of free room
	if slack < 0 {
		return nil, fmt.Errorf("%w: %d segments of %.1f s in all, %.0f s apart and %.0f s from the edges, need %.1f s, but the section is %.1f s",
			ErrParams, len(lengths), float64(need-2*margin-(len(lengths)-1)*gap)/float64(rate), float64(gap)/float64(rate),
			float64(margin)/float64(rate), float64(need)/float64(rate), float64(to-from)/float64(rate))
	}
	u := make([]int, len(lengths))
	for i := range u {
		u[i] = r.intn(slack + 1)
	}
	slices.Sort(u)
	// Start on a whole millisecond of the section so that CSV times (ms precision) are exact.
	base := from + margin
	base += (ms - base%ms) % ms
	starts := make([]int, len(lengths))
	off := base
	for i, l := range lengths {
		starts[i] = off + u[i]*ms
		off += l + gap
	}
	if last := len(lengths) - 1; starts[last]+lengths[last] > to-margin {
		return nil, fmt.Errorf("%w: segments do not fit after rounding to milliseconds", ErrParams)
	}
	return starts, nil
}

// dbGain converts decibels to an amplitude ratio.
func dbGain(db float64) float64 { return math.Pow(10, db/20) }

// impact returns a mechanical knock of n samples: a damped sinusoid at resHz (a struck
// panel or bracket ringing) plus a broadband click in the first millisecond (the contact
// itself), decaying to −60 dB by the end and tapered to exactly 0, with peak |x| = 1.
func impact(r *rng, rate, n int, resHz float64) []float64 {
	x := make([]float64, n)
	tau := float64(n) / float64(rate) / math.Log(1000) // −60 dB at the end
	tauClick := 0.0003
	clickLen := rate / 1000
	phase := r.uniform(0, 2*math.Pi)
	for i := range x {
		t := float64(i) / float64(rate)
		x[i] = math.Exp(-t/tau) * math.Sin(2*math.Pi*resHz*t+phase)
		if i < clickLen {
			x[i] += 0.8 * math.Exp(-t/tauClick) * r.norm()
		}
	}
	taper := min(n/4, rate/500) // 2 ms to reach exactly zero
	for i := range taper {
		x[n-1-i] *= float64(i) / float64(taper)
	}
	normalizePeak(x)
	return x
}

// burst returns n samples of band-limited noise: white Gaussian noise through two cascaded
// band-pass biquads (about one octave wide around centreHz), with 10 ms raised-cosine
// fades, scaled to an RMS of 1.
func burst(r *rng, rate, n int, centreHz float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.norm()
	}
	for range 2 {
		bandPass(x, rate, centreHz, math.Sqrt2)
	}
	fade := min(n/2, rate/100)
	for i := range fade {
		g := 0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/float64(fade))
		x[i] *= g
		x[n-1-i] *= g
	}
	var s float64
	for _, v := range x {
		s += v * v
	}
	if s > 0 {
		g := 1 / math.Sqrt(s/float64(n))
		for i := range x {
			x[i] *= g
		}
	}
	return x
}

// bandPass filters x in place with an RBJ cookbook band-pass biquad (0 dB peak gain).
func bandPass(x []float64, rate int, f0, q float64) {
	w0 := 2 * math.Pi * f0 / float64(rate)
	alpha := math.Sin(w0) / (2 * q)
	a0 := 1 + alpha
	b0, b2 := alpha/a0, -alpha/a0
	a1, a2 := -2*math.Cos(w0)/a0, (1-alpha)/a0
	var x1, x2, y1, y2 float64
	for i, v := range x {
		y := b0*v + b2*x2 - a1*y1 - a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, y
		x[i] = y
	}
}

func normalizePeak(x []float64) {
	var pk float64
	for _, v := range x {
		pk = max(pk, math.Abs(v))
	}
	if pk > 0 {
		for i := range x {
			x[i] /= pk
		}
	}
}

// defectTrain returns n samples of a bearing defect's vibration at unit amplitude: an
// impulse every 1/rateHz seconds (each interval jittered by a normal 1 % of the period,
// as rolling elements slip), each impulse ringing a resonance at resHz that decays with a
// time constant tau seconds. Impulse times are not rounded to samples.
func defectTrain(r *rng, rate, n int, rateHz, resHz, tau, jitter float64) []float64 {
	x := make([]float64, n)
	period := float64(rate) / rateHz // samples
	ring := int(math.Ceil(10 * tau * float64(rate)))
	for t0 := r.uniform(0, period); t0 < float64(n); {
		first := int(math.Ceil(t0))
		for i := first; i < min(n, first+ring); i++ {
			dt := (float64(i) - t0) / float64(rate)
			x[i] += math.Exp(-dt/tau) * math.Sin(2*math.Pi*resHz*dt)
		}
		j := max(-3, min(3, r.norm())) // bounded, so intervals stay positive
		t0 += period * (1 + jitter*j)
	}
	return x
}
