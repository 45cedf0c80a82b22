package correlate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrConfig is returned for an invalid configuration.
var ErrConfig = errors.New("correlation config")

// Config says how machines are related and episodes judged.
type Config struct {
	// MinMachines and MinShare: a common cause needs at least MinMachines machines, and at
	// least MinShare of those listening, turning anomalous within Span.
	MinMachines int
	MinShare    float64
	// Span is how close together the onsets of one episode are; the episode is judged
	// Span after its first onset.
	Span time.Duration
	// Step is the grid the windows are put on: the machines' window hop.
	Step time.Duration
	// Horizon is how far back the correlations reach.
	Horizon time.Duration
	// MaxLag is the largest lag tried between two machines.
	MaxLag time.Duration
	// MinCoef is the correlation (Pearson, at the best lag, of the levels) that
	// relates two machines' anomalies.
	MinCoef float64
	// Alike is the difference in level rise (dB) under which two machines are equally loud
	// and the earlier onset leads.
	Alike float64
	// MaxSkew is how far (stream time) a machine may lag behind the others before slots
	// are judged without waiting for it (a machine whose source stopped).
	MaxSkew time.Duration
}

// DefaultConfig is ≥ 3 machines and ≥ 60 % of those listening within 2 s, windows every
// 500 ms (the rotating profile's hop), correlations over 30 s at lags up to ±2 s, related
// at 0.6, equally loud within 3 dB.
func DefaultConfig() Config {
	return Config{MinMachines: 3, MinShare: 0.6, Span: 2 * time.Second, Step: 500 * time.Millisecond,
		Horizon: 30 * time.Second, MaxLag: 2 * time.Second, MinCoef: 0.6, Alike: 3, MaxSkew: 30 * time.Second}
}

// Validate checks the configuration; the error names every bad field and its value.
func (c Config) Validate() error {
	var errs []string
	bad := func(field string, v any, why string) {
		errs = append(errs, fmt.Sprintf("%s: %v: %s", field, v, why))
	}
	if c.MinMachines < 2 {
		bad("min_machines", c.MinMachines, "must be at least 2")
	}
	if !(c.MinShare > 0 && c.MinShare <= 1) {
		bad("min_share", c.MinShare, "must be in (0, 1]")
	}
	if c.Step < 10*time.Millisecond {
		bad("step", c.Step, "must be at least 10ms")
	}
	if c.Span < c.Step {
		bad("span", c.Span, "must be at least one step")
	}
	if c.Horizon < 4*c.Step || c.Horizon > 10*time.Minute {
		bad("horizon", c.Horizon, "must be between 4 steps and 10m")
	}
	if c.MaxLag < 0 || c.MaxLag > c.Horizon/2 {
		bad("max_lag", c.MaxLag, "must be between 0 and half the horizon")
	}
	if !(c.MinCoef > 0 && c.MinCoef <= 1) {
		bad("min_coef", c.MinCoef, "must be in (0, 1]")
	}
	if c.Alike < 0 || math.IsNaN(c.Alike) {
		bad("alike", c.Alike, "must not be negative")
	}
	if c.MaxSkew < c.Span {
		bad("max_skew", c.MaxSkew, "must be at least the span")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

// Window is one scored window of a machine.
type Window struct {
	Machine string
	Time    time.Time
	// Listening: the machine's detector scored the window (monitoring, sensor sound).
	Listening bool
	Anomalous bool    // the machine's detector holds an event open
	Score     float64 // anomaly score as a multiple of the threshold
	LevelDBFS float64
}

// Kind is what a verdict says.
type Kind string

// The verdicts.
const (
	// Common: the machines turned anomalous through one plant-wide cause.
	Common Kind = "common"
	// Attributed: the machine heard another machine's fault.
	Attributed Kind = "attributed"
	// Over: the episode ended (no member anomalous for a span).
	Over Kind = "over"
)

// Verdict is a decision on an episode.
type Verdict struct {
	Kind    Kind
	Episode int
	Start   time.Time // the episode's first onset
	At      time.Time // the slot the decision was taken on
	// Machines are those the verdict explains: the common cause's, or the attributed one.
	Machines []string
	// Source is the machine an attributed anomaly was heard from; Lag how much later the
	// attributed machine heard it (best lag), Coef the correlation.
	Source string
	Lag    time.Duration
	Coef   float64
}

// Episode is an episode being followed.
type Episode struct {
	ID      int
	Kind    Kind // Common or Attributed
	Start   time.Time
	Source  string   // Attributed: the leading machine
	Members []string // every machine the episode explains (the source included)
	// Anomalous is how many members are anomalous at the latest judged slot.
	Anomalous int
}

// Pair is the correlation of two machines at their best lag.
type Pair struct {
	A, B string
	// Lag is how much later B follows A (negative: B leads).
	Lag time.Duration
	// Coef is Pearson's correlation at Lag of Signal ("level" or "score"); N its samples.
	Coef   float64
	Signal string
	N      int
}

type sample struct {
	slot      int64
	present   bool
	listening bool
	anomalous bool
	score     float64
	level     float64
}

type stream struct {
	id     string
	ring   []sample
	latest int64 // latest slot delivered; -1 none
	left   bool
	// anomalous is the machine's state at its latest window judged
	anomalous bool
}

func (s *stream) at(slot int64) *sample {
	if slot < 0 {
		return nil
	}
	x := &s.ring[slot%int64(len(s.ring))]
	if x.slot != slot || !x.present {
		return nil
	}
	return x
}

// sums are the running sums of one pair at one lag, for one signal.
type sums struct {
	n                     int
	sx, sy, sxx, syy, sxy float64
}

func (s *sums) add(x, y, sign float64) {
	s.n += int(sign)
	s.sx += sign * x
	s.sy += sign * y
	s.sxx += sign * x * x
	s.syy += sign * y * y
	s.sxy += sign * x * y
}

func (s *sums) coef() float64 {
	if s.n < 4 {
		return 0
	}
	n := float64(s.n)
	vx := s.sxx - s.sx*s.sx/n
	vy := s.syy - s.sy*s.sy/n
	if vx <= 1e-9*n || vy <= 1e-9*n {
		return 0
	}
	return max(-1, min(1, (s.sxy-s.sx*s.sy/n)/math.Sqrt(vx*vy)))
}

type episode struct {
	Episode
	first   int64            // slot of the first onset
	decided bool             // judged (undecided: still gathering onsets)
	onsets  map[string]int64 // member → onset slot
	quiet   int64            // slots in a row with no member anomalous
}

// Correlator follows the machines of an appliance. It is safe for concurrent use.
type Correlator struct {
	cfg                      Config
	span, horizon, lag, skew int64 // in slots

	mu       sync.Mutex
	streams  []*stream
	byID     map[string]int
	origin   time.Time
	started  bool
	done     int64    // the latest slot judged
	pairs    [][]sums // [pair*(2L+1)+lag] level and score
	levels   []sums
	scores   []sums
	episodes []*episode
	seq      int
}

// New returns a correlator of the given machines.
func New(cfg Config, machines []string) (*Correlator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	slots := func(d time.Duration) int64 { return int64(math.Round(float64(d) / float64(cfg.Step))) }
	c := &Correlator{cfg: cfg, span: slots(cfg.Span), horizon: slots(cfg.Horizon), lag: slots(cfg.MaxLag),
		skew: slots(cfg.MaxSkew), byID: map[string]int{}, done: -1}
	// a machine runs at most skew slots ahead of the latest slot judged, and a term leaves
	// the sums horizon+lag slots after it entered
	ringLen := c.horizon + 2*c.lag + c.span + c.skew + 2
	for _, id := range machines {
		if _, dup := c.byID[id]; dup {
			return nil, fmt.Errorf("%w: machine %q listed twice", ErrConfig, id)
		}
		c.byID[id] = len(c.streams)
		s := &stream{id: id, ring: make([]sample, ringLen), latest: -1}
		for i := range s.ring {
			s.ring[i].slot = -1
		}
		c.streams = append(c.streams, s)
	}
	np := len(machines) * (len(machines) - 1) / 2
	c.levels = make([]sums, np*int(2*c.lag+1))
	c.scores = make([]sums, np*int(2*c.lag+1))
	return c, nil
}

// Config returns the configuration.
func (c *Correlator) Config() Config { return c.cfg }

// Machines returns the machines, in the order given to New.
func (c *Correlator) Machines() []string {
	out := make([]string, len(c.streams))
	for i, s := range c.streams {
		out[i] = s.id
	}
	return out
}

func (c *Correlator) slotOf(t time.Time) int64 {
	return int64(math.Round(float64(t.Sub(c.origin)) / float64(c.cfg.Step)))
}

func (c *Correlator) timeOf(slot int64) time.Time {
	return c.origin.Add(time.Duration(slot) * c.cfg.Step)
}

// Add takes a machine's window and returns the verdicts of the slots it completes, in
// order. Windows of an unknown machine, and windows older than the slots already judged,
// are ignored.
func (c *Correlator) Add(w Window) []Verdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.byID[w.Machine]
	if !ok {
		return nil
	}
	if !c.started {
		c.origin, c.started = w.Time, true
	}
	slot := c.slotOf(w.Time)
	s := c.streams[i]
	s.left = false
	if slot <= c.done || slot < 0 {
		return nil
	}
	x := &s.ring[slot%int64(len(s.ring))]
	*x = sample{slot: slot, present: true, listening: w.Listening, anomalous: w.Anomalous && w.Listening,
		score: w.Score, level: w.LevelDBFS}
	if math.IsNaN(x.score) || math.IsInf(x.score, 0) {
		x.score, x.listening = 0, false
	}
	if math.IsInf(x.level, 0) || math.IsNaN(x.level) {
		x.level = -200
	}
	s.latest = max(s.latest, slot)
	return c.advance()
}

// Leave says a machine will send no more windows for now (its recording ended, its
// sensor was lost): slots are judged without waiting for it until it sends again.
func (c *Correlator) Leave(machine string) []Verdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.byID[machine]; ok {
		c.streams[i].left = true
	}
	return c.advance()
}

// advance judges every slot all machines still reporting have delivered; c.mu is held.
func (c *Correlator) advance() []Verdict {
	newest := int64(-1)
	for _, s := range c.streams {
		newest = max(newest, s.latest)
	}
	mark := newest
	for _, s := range c.streams {
		if s.left || s.latest < newest-c.skew {
			continue
		}
		mark = min(mark, s.latest)
	}
	var out []Verdict
	for c.done < mark {
		c.done++
		out = c.judge(c.done, out)
	}
	return out
}

func (c *Correlator) pairIndex(a, b int) int {
	n := len(c.streams)
	return a*n - a*(a+1)/2 + (b - a - 1)
}

// judge takes slot s into the correlations and the episodes.
func (c *Correlator) judge(s int64, out []Verdict) []Verdict {
	L := c.lag
	width := int(2*L + 1)
	n := len(c.streams)
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			base := c.pairIndex(a, b) * width
			for k := -L; k <= L; k++ {
				// the newest term of lag k pairs a at j with b at j+k, max(j, j+k) = s
				j := s - max(k, 0)
				c.term(a, b, j, k, base+int(k+L), 1)
				c.term(a, b, j-c.horizon, k, base+int(k+L), -1)
			}
		}
	}
	return c.episodesAt(s, out)
}

func (c *Correlator) term(a, b int, j, k int64, idx int, sign float64) {
	x, y := c.streams[a].at(j), c.streams[b].at(j+k)
	if x == nil || y == nil {
		return
	}
	c.levels[idx].add(x.level, y.level, sign)
	if x.listening && y.listening {
		c.scores[idx].add(x.score, y.score, sign)
	}
}

// best returns the strongest correlation of machines a and b over the lags, as (lag of b
// after a, coefficient, signal, samples): of their levels, or with scores also of their
// scores. Verdicts use levels only: two machines whose scores step up at the same moment
// correlate whatever the cause, while a sound heard by two microphones raises both levels.
func (c *Correlator) best(a, b int, scores bool) (int64, float64, string, int) {
	flip := int64(1)
	if a > b {
		a, b, flip = b, a, -1
	}
	width := int(2*c.lag + 1)
	base := c.pairIndex(a, b) * width
	var lag int64
	coef, sig, n := math.Inf(-1), "", 0
	for k := -c.lag; k <= c.lag; k++ {
		sets := []struct {
			name string
			s    *sums
		}{{"level", &c.levels[base+int(k+c.lag)]}, {"score", &c.scores[base+int(k+c.lag)]}}
		if !scores {
			sets = sets[:1]
		}
		for _, set := range sets {
			// ties go to the smaller lag: a common sound heard at once is not a lead
			if r := set.s.coef(); r > coef || (r == coef && abs(k) < abs(lag)) {
				lag, coef, sig, n = k, r, set.name, set.s.n
			}
		}
	}
	return flip * lag, coef, sig, n
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// episodesAt finds the onsets of slot s, judges the episodes whose span is over, and ends
// those no member has been anomalous in for a span.
func (c *Correlator) episodesAt(s int64, out []Verdict) []Verdict {
	for i, st := range c.streams {
		// a machine's state is that of its latest window: one with a longer hop than the
		// grid's (a valve's 2 s) is absent from most slots
		cur := st.at(s)
		if cur == nil {
			continue
		}
		was := st.anomalous
		st.anomalous = cur.anomalous
		if cur.anomalous && !was {
			out = c.onset(i, s, out)
		}
	}
	live := c.episodes[:0]
	for _, e := range c.episodes {
		if !e.decided && s >= e.first+c.span {
			out = c.decide(e, s, out)
			if !e.decided {
				continue // not an episode of related machines: forgotten
			}
		}
		if e.decided {
			e.Anomalous = 0
			for _, m := range e.Members {
				if c.streams[c.byID[m]].anomalous {
					e.Anomalous++
				}
			}
			if e.Anomalous == 0 {
				e.quiet++
			} else {
				e.quiet = 0
			}
			if e.quiet > c.span {
				out = append(out, Verdict{Kind: Over, Episode: e.ID, Start: e.Start, At: c.timeOf(s), Machines: slices.Clone(e.Members), Source: e.Source})
				continue
			}
		}
		live = append(live, e)
	}
	clear(c.episodes[len(live):])
	c.episodes = live
	return out
}

// onset handles machine i turning anomalous at slot s: it joins an undecided episode, or a
// decided one it correlates with, or starts a new episode.
func (c *Correlator) onset(i int, s int64, out []Verdict) []Verdict {
	id := c.streams[i].id
	for _, e := range c.episodes {
		if !e.decided {
			if _, in := e.onsets[id]; !in {
				e.onsets[id] = s
			}
			return out
		}
		if slices.Contains(e.Members, id) {
			return out // a member anomalous again within its episode
		}
	}
	for _, e := range c.episodes {
		if !e.decided {
			continue
		}
		// a later onset related to a decided episode: the same cause heard late
		lead := e.Source
		if e.Kind == Common {
			lead = c.closest(i, e.Members)
		}
		lag, coef, _, _ := c.best(c.byID[lead], i, false)
		if coef < c.cfg.MinCoef {
			continue
		}
		e.onsets[id] = s
		e.Members = append(e.Members, id)
		v := Verdict{Kind: e.Kind, Episode: e.ID, Start: e.Start, At: c.timeOf(s), Machines: []string{id}, Coef: coef,
			Lag: time.Duration(lag) * c.cfg.Step}
		if e.Kind == Attributed {
			v.Source = e.Source
		}
		return append(out, v)
	}
	c.seq++
	c.episodes = append(c.episodes, &episode{Episode: Episode{ID: c.seq, Start: c.timeOf(s)}, first: s,
		onsets: map[string]int64{id: s}})
	return out
}

// closest returns the member best correlated with machine i.
func (c *Correlator) closest(i int, members []string) string {
	best, bc := members[0], math.Inf(-1)
	for _, m := range members {
		if _, coef, _, _ := c.best(c.byID[m], i, false); coef > bc {
			best, bc = m, coef
		}
	}
	return best
}

// decide judges an episode whose span is over: common cause, attribution, or nothing (one
// machine alone, or machines unrelated).
func (c *Correlator) decide(e *episode, s int64, out []Verdict) []Verdict {
	members := make([]string, 0, len(e.onsets))
	for _, st := range c.streams { // configuration order: deterministic
		if _, in := e.onsets[st.id]; in {
			members = append(members, st.id)
		}
	}
	if len(members) < 2 {
		return out
	}
	listening := 0
	for _, st := range c.streams {
		for k := e.first - 1; k <= s; k++ {
			if x := st.at(k); x != nil && x.listening {
				listening++
				break
			}
		}
	}
	at := c.timeOf(s)
	if len(members) >= c.cfg.MinMachines && float64(len(members)) >= c.cfg.MinShare*float64(listening) {
		// related: every member correlates with at least one other
		related := 0
		for _, a := range members {
			for _, b := range members {
				if a == b {
					continue
				}
				if _, coef, _, _ := c.best(c.byID[a], c.byID[b], false); coef >= c.cfg.MinCoef {
					related++
					break
				}
			}
		}
		if related == len(members) {
			e.decided, e.Kind, e.Members = true, Common, members
			return append(out, Verdict{Kind: Common, Episode: e.ID, Start: e.Start, At: at, Machines: slices.Clone(members)})
		}
	}
	// attribution: the loudest rise leads; the earliest onset among those alike
	rise := map[string]float64{}
	for _, m := range members {
		rise[m] = c.rise(c.byID[m], e.first, s)
	}
	lead := members[0]
	for _, m := range members[1:] {
		switch d := rise[m] - rise[lead]; {
		case d > c.cfg.Alike:
			lead = m
		case d >= -c.cfg.Alike && e.onsets[m] < e.onsets[lead]:
			lead = m
		case d >= -c.cfg.Alike && e.onsets[m] == e.onsets[lead] && d > 0:
			lead = m
		}
	}
	kept := []string{lead}
	for _, m := range members {
		if m == lead {
			continue
		}
		lag, coef, _, _ := c.best(c.byID[lead], c.byID[m], false)
		if coef < c.cfg.MinCoef || lag < 0 && e.onsets[m] < e.onsets[lead] {
			continue // unrelated, or it plainly heard the sound first
		}
		kept = append(kept, m)
		out = append(out, Verdict{Kind: Attributed, Episode: e.ID, Start: e.Start, At: at, Machines: []string{m},
			Source: lead, Lag: time.Duration(lag) * c.cfg.Step, Coef: coef})
	}
	if len(kept) > 1 {
		e.decided, e.Kind, e.Source, e.Members = true, Attributed, lead, kept
	}
	return out
}

// rise is how much louder (dB) machine i is over the episode's span than over the horizon
// before it.
func (c *Correlator) rise(i int, first, s int64) float64 {
	st := c.streams[i]
	var before, n float64
	for k := first - c.horizon/2; k < first; k++ {
		if x := st.at(k); x != nil {
			before += x.level
			n++
		}
	}
	peak := math.Inf(-1)
	for k := first - 1; k <= s; k++ {
		if x := st.at(k); x != nil {
			peak = max(peak, x.level)
		}
	}
	if n == 0 || math.IsInf(peak, -1) {
		return 0
	}
	return peak - before/n
}

// Live returns the episodes judged and not over, oldest first.
func (c *Correlator) Live() []Episode {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Episode
	for _, e := range c.episodes {
		if e.decided {
			v := e.Episode
			v.Members = slices.Clone(e.Members)
			out = append(out, v)
		}
	}
	return out
}

// Judged returns the time of the latest slot judged (zero before the first).
func (c *Correlator) Judged() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done < 0 {
		return time.Time{}
	}
	return c.timeOf(c.done)
}

// Pairs returns the n most strongly correlated pairs of machines (all with n ≤ 0), at
// their best lag, strongest first; pairs with too few samples are left out.
func (c *Correlator) Pairs(n int) []Pair {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Pair
	for a := range c.streams {
		for b := a + 1; b < len(c.streams); b++ {
			lag, coef, sig, cnt := c.best(a, b, true)
			if cnt < 4 || math.IsInf(coef, -1) {
				continue
			}
			out = append(out, Pair{A: c.streams[a].id, B: c.streams[b].id, Lag: time.Duration(lag) * c.cfg.Step,
				Coef: coef, Signal: sig, N: cnt})
		}
	}
	slices.SortStableFunc(out, func(x, y Pair) int {
		switch {
		case x.Coef > y.Coef:
			return -1
		case x.Coef < y.Coef:
			return 1
		}
		return 0
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
