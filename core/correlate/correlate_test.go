package correlate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// rise is a sound added to one machine: from slot at, for n slots, dB louder; the machine's
// detector holds an event open from slot at+open to at+n (open < 0: it never does).
type rise struct {
	at, n int
	db    float64
	open  int
}

// series builds a machine's windows: a level wandering ±1 dB around base (its own noise,
// seeded per machine) and a score around 0.4, with the rises added.
func series(id string, seed uint64, slots int, base float64, rises ...rise) []Window {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]Window, slots)
	for i := range out {
		w := Window{Machine: id, Time: t0.Add(time.Duration(i) * 500 * time.Millisecond), Listening: true,
			LevelDBFS: base + r.NormFloat64()*0.7, Score: 0.4 + r.Float64()*0.2}
		for _, x := range rises {
			if i >= x.at && i < x.at+x.n {
				// a shaped rise (louder in its middle), so its timing shows in the correlation
				shape := 0.6 + 0.4*math.Sin(math.Pi*float64(i-x.at)/float64(x.n))
				w.LevelDBFS += x.db * shape
				w.Score += x.db / 5
				if x.open >= 0 && i >= x.at+x.open {
					w.Anomalous = true
				}
			}
		}
		out[i] = w
	}
	return out
}

// feed gives the correlator every machine's windows interleaved (machine i delayed by
// skew[i] windows, as machines on their own goroutines run apart) and returns the verdicts.
func feed(c *Correlator, ms [][]Window, skew []int) []Verdict {
	var out []Verdict
	n := len(ms[0])
	maxSkew := slices.Max(append([]int{0}, skew...))
	for step := 0; step < n+maxSkew; step++ {
		for i, w := range ms {
			k := step
			if skew != nil {
				k -= skew[i]
			}
			if k >= 0 && k < n {
				out = append(out, c.Add(w[k])...)
			}
		}
	}
	return out
}

// describe writes verdicts as comparable lines, with the lag if lags is set.
func describe(vs []Verdict, lags bool) []string {
	var out []string
	for _, v := range vs {
		s := fmt.Sprintf("%s %s", v.Kind, strings.Join(v.Machines, "+"))
		if v.Source != "" && v.Kind == Attributed {
			s += " from " + v.Source
			if lags {
				s += fmt.Sprintf(" lag %v", v.Lag)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestVerdicts(t *testing.T) {
	const slots = 160 // 80 s
	tests := []struct {
		name     string
		machines func() [][]Window
		cfg      func(*Config)
		lags     bool // the lags are clear enough to check
		want     []string
	}{
		{
			name: "a disturbance every microphone hears is one common cause",
			machines: func() [][]Window {
				return [][]Window{
					series("fan-1", 1, slots, -30, rise{at: 100, n: 8, db: 12, open: 2}),
					series("fan-2", 2, slots, -34, rise{at: 100, n: 8, db: 10, open: 3}),
					series("valve-1", 3, slots, -40, rise{at: 101, n: 8, db: 9, open: 2}),
					series("pump-1", 4, slots, -28, rise{at: 101, n: 8, db: 11, open: 2}),
				}
			},
			want: []string{"common fan-1+fan-2+valve-1+pump-1", "over fan-1+fan-2+valve-1+pump-1"},
		},
		{
			name: "a fault heard next door is attributed to the louder machine",
			machines: func() [][]Window {
				return [][]Window{
					series("fan-1", 1, slots, -30, rise{at: 100, n: 30, db: 12, open: 3}),
					series("fan-2", 2, slots, -34, rise{at: 101, n: 30, db: 4, open: 3}),
					series("valve-1", 3, slots, -40),
					series("pump-1", 4, slots, -28),
				}
			},
			lags: true,
			want: []string{"attributed fan-2 from fan-1 lag 500ms", "over fan-1+fan-2"},
		},
		{
			name: "the louder machine leads even when its detector opens later",
			machines: func() [][]Window {
				return [][]Window{
					series("fan-1", 1, slots, -30, rise{at: 100, n: 30, db: 3, open: 1}),
					series("fan-2", 2, slots, -34, rise{at: 100, n: 30, db: 14, open: 3}),
					series("valve-1", 3, slots, -40),
				}
			},
			want: []string{"attributed fan-1 from fan-2", "over fan-2+fan-1"},
		},
		{
			name: "two anomalies at once with unrelated sound are left alone",
			machines: func() [][]Window {
				w1 := series("fan-1", 1, slots, -30, rise{at: 100, n: 30, db: 12, open: 3})
				w2 := series("fan-2", 2, slots, -34, rise{at: 100, n: 30, db: 0, open: 3})
				return [][]Window{w1, w2, series("valve-1", 3, slots, -40), series("pump-1", 4, slots, -28)}
			},
			want: nil,
		},
		{
			name: "a lone anomaly is no episode",
			machines: func() [][]Window {
				return [][]Window{
					series("fan-1", 1, slots, -30, rise{at: 100, n: 30, db: 12, open: 3}),
					series("fan-2", 2, slots, -34), series("valve-1", 3, slots, -40),
				}
			},
			want: nil,
		},
		{
			name: "three of six listening is not most of the plant: the loudest leads",
			machines: func() [][]Window {
				return [][]Window{
					series("m1", 1, slots, -30, rise{at: 100, n: 20, db: 15, open: 2}),
					series("m2", 2, slots, -30, rise{at: 100, n: 20, db: 6, open: 3}),
					series("m3", 3, slots, -30, rise{at: 101, n: 20, db: 5, open: 3}),
					series("m4", 4, slots, -30), series("m5", 5, slots, -30), series("m6", 6, slots, -30),
				}
			},
			want: []string{"attributed m2 from m1", "attributed m3 from m1", "over m1+m2+m3"},
		},
		{
			name: "a machine that joins late is attributed to the episode's source",
			machines: func() [][]Window {
				return [][]Window{
					series("fan-1", 1, slots, -30, rise{at: 100, n: 30, db: 12, open: 2}),
					series("fan-2", 2, slots, -34, rise{at: 100, n: 30, db: 5, open: 2}),
					series("valve-1", 3, slots, -40, rise{at: 100, n: 30, db: 4, open: 12}),
				}
			},
			cfg:  func(c *Config) { c.MinMachines = 4 },
			want: []string{"attributed fan-2 from fan-1", "attributed valve-1 from fan-1", "over fan-1+fan-2+valve-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			ms := tt.machines()
			var ids []string
			for _, m := range ms {
				ids = append(ids, m[0].Machine)
			}
			for _, skew := range [][]int{nil, []int{0, 7, 3, 12, 1, 5}[:len(ms)]} {
				c, err := New(cfg, ids)
				if err != nil {
					t.Fatal(err)
				}
				got := describe(feed(c, ms, skew), tt.lags)
				if !slices.Equal(got, tt.want) {
					t.Errorf("skew %v: verdicts\n%q\nwant\n%q", skew, got, tt.want)
				}
			}
		})
	}
}

// A machine with a longer window hop (a valve's 2 s among fans' 500 ms) is absent from most
// slots: it turns anomalous once, not at each of its windows, and joins the episode.
func TestSparseMachine(t *testing.T) {
	valve := series("valve-1", 3, 160, -40, rise{at: 100, n: 12, db: 12, open: 1})
	var sparse []Window
	for i, w := range valve {
		if i%4 == 0 {
			sparse = append(sparse, w)
		}
	}
	ms := [][]Window{
		series("fan-1", 1, 160, -30, rise{at: 100, n: 12, db: 12, open: 2}),
		series("fan-2", 2, 160, -34, rise{at: 100, n: 12, db: 10, open: 2}),
	}
	c, _ := New(DefaultConfig(), []string{"fan-1", "fan-2", "valve-1"})
	var vs []Verdict
	for i := range 160 {
		for _, m := range ms {
			vs = append(vs, c.Add(m[i])...)
		}
		if i%4 == 0 {
			vs = append(vs, c.Add(sparse[i/4])...)
		}
	}
	got := describe(vs, false)
	want := []string{"common fan-1+fan-2+valve-1", "over fan-1+fan-2+valve-1"}
	if !slices.Equal(got, want) {
		t.Errorf("verdicts %q, want %q", got, want)
	}
}

func TestVerdictTimes(t *testing.T) {
	ms := [][]Window{
		series("a", 1, 120, -30, rise{at: 60, n: 8, db: 12, open: 2}),
		series("b", 2, 120, -30, rise{at: 60, n: 8, db: 12, open: 2}),
		series("c", 3, 120, -30, rise{at: 61, n: 8, db: 12, open: 2}),
	}
	c, err := New(DefaultConfig(), []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	vs := feed(c, ms, nil)
	if len(vs) != 2 || vs[0].Kind != Common {
		t.Fatalf("verdicts %q", describe(vs, false))
	}
	// first onset at slot 62 (31 s); judged a span (2 s) later
	if got, want := vs[0].Start, t0.Add(31*time.Second); !got.Equal(want) {
		t.Errorf("start %v, want %v", got, want)
	}
	if got, want := vs[0].At, t0.Add(33*time.Second); !got.Equal(want) {
		t.Errorf("decided at %v, want %v", got, want)
	}
	if live := c.Live(); len(live) != 0 {
		t.Errorf("episodes still live after the end: %+v", live)
	}
}

func TestLiveEpisode(t *testing.T) {
	ms := [][]Window{
		series("a", 1, 80, -30, rise{at: 60, n: 30, db: 12, open: 2}),
		series("b", 2, 80, -30, rise{at: 60, n: 30, db: 12, open: 2}),
		series("c", 3, 80, -30, rise{at: 60, n: 30, db: 12, open: 2}),
	}
	c, _ := New(DefaultConfig(), []string{"a", "b", "c"})
	feed(c, ms, nil)
	live := c.Live()
	if len(live) != 1 || live[0].Kind != Common || live[0].Anomalous != 3 || len(live[0].Members) != 3 {
		t.Fatalf("live %+v", live)
	}
	if got, want := c.Judged(), t0.Add(79*500*time.Millisecond); !got.Equal(want) {
		t.Errorf("judged up to %v, want %v", got, want)
	}
}

// A machine that stops sending (its source ended) does not hold the others back once it
// has left, or once it lags by more than MaxSkew.
func TestMachineThatStops(t *testing.T) {
	a := series("a", 1, 200, -30)
	b := series("b", 2, 200, -30)
	for _, leave := range []bool{true, false} {
		c, _ := New(DefaultConfig(), []string{"a", "b"})
		var at100 time.Time
		for i := range 200 {
			c.Add(a[i])
			if i < 50 {
				c.Add(b[i])
			}
			if i == 50 && leave {
				c.Leave("b")
			}
			if i == 100 {
				at100 = c.Judged()
			}
		}
		slot := func(n int) time.Time { return t0.Add(time.Duration(n) * 500 * time.Millisecond) }
		want := 49 // waiting for b: 51 slots behind is within MaxSkew (60)
		if leave {
			want = 100
		}
		if !at100.Equal(slot(want)) {
			t.Errorf("left %v: judged up to %v with a at slot 100, want slot %d", leave, at100, want)
		}
		if got := c.Judged(); !got.Equal(slot(199)) { // b more than MaxSkew behind: not waited for
			t.Errorf("left %v: judged up to %v at the end, want slot 199", leave, got)
		}
	}
}

func TestPairs(t *testing.T) {
	// b hears a's sound 2 windows later; c is its own
	r := rand.New(rand.NewPCG(9, 9))
	var a, b, c []Window
	lv := make([]float64, 100)
	for i := range lv {
		lv[i] = -30 + 6*r.NormFloat64()
	}
	for i := range 100 {
		at := t0.Add(time.Duration(i) * 500 * time.Millisecond)
		a = append(a, Window{Machine: "a", Time: at, Listening: true, LevelDBFS: lv[i]})
		prev := -30.0
		if i >= 2 {
			prev = lv[i-2]
		}
		b = append(b, Window{Machine: "b", Time: at, Listening: true, LevelDBFS: prev - 12 + 0.3*r.NormFloat64()})
		c = append(c, Window{Machine: "c", Time: at, Listening: true, LevelDBFS: -40 + r.NormFloat64()})
	}
	co, _ := New(DefaultConfig(), []string{"a", "b", "c"})
	feed(co, [][]Window{a, b, c}, nil)
	ps := co.Pairs(0)
	if len(ps) != 3 {
		t.Fatalf("pairs %+v", ps)
	}
	p := ps[0]
	if p.A != "a" || p.B != "b" || p.Lag != time.Second || p.Coef < 0.95 || p.Signal != "level" || p.N != 60 {
		t.Errorf("strongest pair %+v, want a→b at 1s, coefficient > 0.95 over 60 windows", p)
	}
	for _, q := range ps[1:] {
		if math.Abs(q.Coef) > 0.5 {
			t.Errorf("unrelated pair %+v correlates", q)
		}
	}
	if got := co.Pairs(1); len(got) != 1 || got[0] != p {
		t.Errorf("Pairs(1) = %+v", got)
	}
	// reverse lag when asked the other way round
	if lag, _, _, _ := co.best(1, 0, false); lag != -2 {
		t.Errorf("lag of a after b %d, want -2", lag)
	}
}

// The running sums equal a direct computation over the horizon.
func TestRunningSumsMatchDirect(t *testing.T) {
	cfg := DefaultConfig()
	ms := [][]Window{series("a", 1, 300, -30, rise{at: 200, n: 20, db: 8, open: -1}),
		series("b", 2, 300, -33, rise{at: 203, n: 20, db: 8, open: -1})}
	c, _ := New(cfg, []string{"a", "b"})
	feed(c, ms, nil)
	H, L := int(c.horizon), int(c.lag)
	s := 299
	for k := -L; k <= L; k++ {
		var xs, ys []float64
		for j := s - max(k, 0) - H + 1; j <= s-max(k, 0); j++ {
			xs = append(xs, ms[0][j].LevelDBFS)
			ys = append(ys, ms[1][j+k].LevelDBFS)
		}
		want := pearson(xs, ys)
		got := c.levels[k+L].coef()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("lag %d: running %v, direct %v", k, got, want)
		}
	}
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{"defaults", func(*Config) {}, nil},
		{"one machine", func(c *Config) { c.MinMachines = 1 }, []string{"min_machines: 1: must be at least 2"}},
		{"share", func(c *Config) { c.MinShare = 1.5; c.MinCoef = 0 }, []string{"min_share: 1.5", "min_coef: 0"}},
		{"grid", func(c *Config) { c.Step = time.Millisecond; c.MaxLag = time.Hour },
			[]string{"step: 1ms", "max_lag: 1h0m0s"}},
		{"span", func(c *Config) { c.Span = 0; c.MaxSkew = -1 }, []string{"span: 0s", "max_skew: -1ns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v, want ErrConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := New(DefaultConfig(), []string{"a", "a"}); !errors.Is(err, ErrConfig) {
		t.Errorf("duplicate machine: %v", err)
	}
}
