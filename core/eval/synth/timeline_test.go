package synth

import (
	"errors"
	"math"
	"slices"
	"testing"

	"signalcraft/core/truth"
)

func constant(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// TestAssemble checks the joins: lengths, crossfade shape, boundaries at the crossfade
// midpoints, hard cuts, learning clips merged into one span, and zeros kept exact.
func TestAssemble(t *testing.T) {
	const rate = 16000
	f := xfadeLen(rate)
	if f != 320 {
		t.Fatalf("crossfade %d samples at 16 kHz, want 320 (20 ms)", f)
	}
	for _, tc := range []struct {
		name  string
		clips []clip
		n     int
		spans []span
		check func(t *testing.T, x []float32)
	}{
		{
			name: "crossfade",
			clips: []clip{
				{parts: [][]float32{constant(1000, 1)}, label: truth.Learning, note: "a"},
				{parts: [][]float32{constant(1000, -1)}, label: truth.Normal, note: "b"},
			},
			n:     2000 - f,
			spans: []span{{0, 1000 - f/2, truth.Learning, "a"}, {1000 - f/2, 2000 - f, truth.Normal, "b"}},
			check: func(t *testing.T, x []float32) {
				o := 1000 - f
				if x[o-1] != 1 || x[o+f] != -1 {
					t.Errorf("around the crossfade: %g, %g", x[o-1], x[o+f])
				}
				for k := o; k < o+f; k++ {
					if x[k] >= x[k-1] || x[k] <= -1 || x[k] >= 1 {
						t.Fatalf("crossfade not a smooth fall at %d: %g after %g", k, x[k], x[k-1])
					}
				}
				// symmetric about the midpoint, which the boundary sits on
				for k := range f / 2 {
					if a, b := x[o+k], x[o+f-1-k]; math.Abs(float64(a+b)) > 1e-6 {
						t.Fatalf("crossfade not symmetric: %g, %g", a, b)
					}
				}
			},
		},
		{
			name: "zeros stay zero, learning merged, shifted parts",
			clips: []clip{
				{parts: [][]float32{constant(1000, 0)}, label: truth.Learning, note: "a.wav"},
				{parts: [][]float32{constant(1000, 0)}, label: truth.Learning, note: "b.wav"},
				{parts: [][]float32{constant(500, 0), constant(500, 0)}, label: truth.Normal, note: "c.wav shifted"},
			},
			n: 3000 - 3*f,
			spans: []span{
				{0, 2000 - f - f/2, truth.Learning, "2 clips in file order: a.wav to b.wav"},
				{2000 - f - f/2, 3000 - 3*f, truth.Normal, "c.wav shifted"},
			},
			check: func(t *testing.T, x []float32) {
				for i, v := range x {
					if v != 0 {
						t.Fatalf("sample %d = %g, want 0", i, v)
					}
				}
			},
		},
		{
			name: "hard cut",
			clips: []clip{
				{parts: [][]float32{constant(1000, 0.5)}, label: truth.Learning, note: "first 12 s"},
				{parts: [][]float32{constant(700, -0.5)}, cut: true, label: truth.Normal, note: "the rest"},
			},
			n:     1700,
			spans: []span{{0, 1000, truth.Learning, "first 12 s"}, {1000, 1700, truth.Normal, "the rest"}},
			check: func(t *testing.T, x []float32) {
				if x[999] != 0.5 || x[1000] != -0.5 {
					t.Errorf("cut at 1000: %g, %g", x[999], x[1000])
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, spans, err := assemble(rate, tc.clips)
			if err != nil {
				t.Fatal(err)
			}
			if len(x) != tc.n {
				t.Errorf("%d samples, want %d", len(x), tc.n)
			}
			if !slices.Equal(spans, tc.spans) {
				t.Errorf("spans %+v, want %+v", spans, tc.spans)
			}
			tc.check(t, x)
		})
	}
	_, _, err := assemble(rate, []clip{{parts: [][]float32{constant(f-1, 0)}, note: "short.wav"}})
	if !errors.Is(err, ErrData) {
		t.Errorf("a part shorter than the crossfade: %v", err)
	}
}

// TestSplice: an inserted segment becomes its own span and the clip keeps its note on
// both sides; a segment across a boundary trims both clips.
func TestSplice(t *testing.T) {
	base := []span{{0, 100, truth.Learning, "l"}, {100, 200, truth.Normal, "a"}, {200, 300, truth.Normal, "b"}}
	ins := []span{{120, 130, truth.Normal, "impact"}, {190, 210, truth.SensorFault, "silence"}, {290, 300, truth.SensorFault, "dropout"}}
	want := []span{
		{0, 100, truth.Learning, "l"},
		{100, 120, truth.Normal, "a"}, {120, 130, truth.Normal, "impact"}, {130, 190, truth.Normal, "a"},
		{190, 210, truth.SensorFault, "silence"},
		{210, 290, truth.Normal, "b"}, {290, 300, truth.SensorFault, "dropout"},
	}
	if got := splice(base, ins); !slices.Equal(got, want) {
		t.Errorf("splice:\n got %+v\nwant %+v", got, want)
	}
}

// TestPlace: over many seeds the segments keep their margins and gaps, start on whole
// milliseconds and spread over the section; too many segments are refused.
func TestPlace(t *testing.T) {
	const rate = 16000
	lengths := []int{800, 16000, 4800}
	from, to := 1000, 1000+60*rate
	margin, gap := 5*rate, 10*rate
	var firsts []int
	for seed := range uint64(200) {
		starts, err := place(newRNG(seed, "test"), rate, from, to, lengths, margin, gap)
		if err != nil {
			t.Fatal(err)
		}
		if starts[0] < from+margin || starts[2]+lengths[2] > to-margin {
			t.Fatalf("seed %d: %v outside the margins", seed, starts)
		}
		for i, s := range starts {
			if s%(rate/1000) != 0 {
				t.Fatalf("seed %d: start %d not on a millisecond", seed, s)
			}
			if i > 0 && s-(starts[i-1]+lengths[i-1]) < gap {
				t.Fatalf("seed %d: %v closer than the gap", seed, starts)
			}
		}
		firsts = append(firsts, starts[0])
	}
	slices.Sort(firsts)
	if spread := firsts[len(firsts)-1] - firsts[0]; spread < 5*rate {
		t.Errorf("first start varies over only %d samples across seeds", spread)
	}
	if _, err := place(newRNG(1, "test"), rate, from, from+30*rate, lengths, margin, gap); !errors.Is(err, ErrParams) {
		t.Errorf("segments that cannot fit: %v", err)
	}
}

// TestRNG: the derived draws stay in range and have the right moments, and purposes are
// independent sequences.
func TestRNG(t *testing.T) {
	r := newRNG(1, "a")
	const n = 100000
	var sum, sq float64
	counts := make([]int, 7)
	for range n {
		u := r.float64()
		if u < 0 || u >= 1 {
			t.Fatalf("float64 %g outside [0, 1)", u)
		}
		v := r.norm()
		sum += v
		sq += v * v
		counts[r.intn(7)]++
	}
	if m, s := sum/n, math.Sqrt(sq/n); math.Abs(m) > 0.02 || math.Abs(s-1) > 0.02 {
		t.Errorf("norm: mean %.3f sd %.3f", m, s)
	}
	for i, c := range counts {
		if math.Abs(float64(c)-n/7) > 0.05*n/7 {
			t.Errorf("intn(7) drew %d %d times", i, c)
		}
	}
	if newRNG(1, "a").src.Uint64() == newRNG(1, "b").src.Uint64() {
		t.Error("two purposes share a sequence")
	}
	p := newRNG(3, "p").perm(10)
	if s := slices.Sorted(slices.Values(p)); !slices.Equal(s, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("perm %v", p)
	}
}
