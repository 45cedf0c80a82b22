package source

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// ErrInvalidConfig is wrapped by SimulatorConfig.Validate's errors.
var ErrInvalidConfig = errors.New("invalid simulator config")

// Defaults of a simulated bearing fault.
const (
	DefaultFaultOrder  = 3.5848 // BPFO of an SKF 6205 in multiples of shaft speed (the CWRU bearing)
	DefaultResonanceHz = 3000.0 // structural resonance the impacts ring at
)

// SimulatorConfig describes simulated machines, one per channel.
type SimulatorConfig struct {
	Name       string // Info().Name; default "simulator"
	SampleRate int
	Channels   int
	ShaftHz    float64 // nominal shaft speed; each machine runs within ±3 % of it
	Seed       int64   // channel c's machine is seeded with (Seed, c)
	Realtime   bool    // pace delivery like a live microphone
	// Duration ends the source after that much signal; 0 runs until the context ends.
	Duration time.Duration
	Block    time.Duration // block length; 0 means DefaultBlock
	Faults   []SimFault
}

// SimFault is a developing bearing fault on one channel: periodic impacts that ring at a
// resonance, absent before Start, growing linearly over Ramp to Level.
type SimFault struct {
	Channel int
	Start   time.Duration // after the source starts (in signal time)
	Ramp    time.Duration // time to grow to full level; 0 means at once
	Level   float64       // impact peak relative to the machine's RMS level
	// Order is the impact rate in multiples of shaft speed; 0 means DefaultFaultOrder.
	Order float64
	// ResonanceHz is the ringing frequency; 0 means DefaultResonanceHz (or 0.3 × rate if lower).
	ResonanceHz float64
}

func invalid(field string, value any, why string) error {
	return fmt.Errorf("%w: %s = %v: %s", ErrInvalidConfig, field, value, why)
}

// Validate checks the configuration; errors name the field and its value.
func (c SimulatorConfig) Validate() error {
	if c.SampleRate < 4000 || c.SampleRate > 384000 {
		return invalid("SampleRate", c.SampleRate, "must be between 4000 and 384000")
	}
	if c.Channels < 1 || c.Channels > 64 {
		return invalid("Channels", c.Channels, "must be between 1 and 64")
	}
	if !(c.ShaftHz >= 1) || c.ShaftHz > float64(c.SampleRate)/20 {
		return invalid("ShaftHz", c.ShaftHz, fmt.Sprintf("must be between 1 and %d (SampleRate/20)", c.SampleRate/20))
	}
	if c.Duration < 0 {
		return invalid("Duration", c.Duration, "must not be negative")
	}
	if c.Block < 0 || c.Block > 10*time.Second {
		return invalid("Block", c.Block, "must be between 0 and 10s")
	}
	for i, f := range c.Faults {
		p := fmt.Sprintf("Faults[%d].", i)
		switch {
		case f.Channel < 0 || f.Channel >= c.Channels:
			return invalid(p+"Channel", f.Channel, fmt.Sprintf("must be between 0 and %d", c.Channels-1))
		case f.Start < 0:
			return invalid(p+"Start", f.Start, "must not be negative")
		case f.Ramp < 0:
			return invalid(p+"Ramp", f.Ramp, "must not be negative")
		case !(f.Level > 0) || f.Level > 10:
			return invalid(p+"Level", f.Level, "must be above 0 and at most 10")
		case f.Order < 0 || f.Order > 50 || math.IsNaN(f.Order):
			return invalid(p+"Order", f.Order, "must be between 0 (default) and 50")
		case f.ResonanceHz < 0 || f.ResonanceHz >= 0.45*float64(c.SampleRate) || math.IsNaN(f.ResonanceHz):
			return invalid(p+"ResonanceHz", f.ResonanceHz, fmt.Sprintf("must be between 0 (default) and %g (0.45 × SampleRate)", 0.45*float64(c.SampleRate)))
		}
	}
	return nil
}

// Simulator synthesises rotating machines: shaft harmonics with natural wander, coloured
// broadband noise and, optionally, a developing bearing fault. Its output depends only on
// the configuration, never on the clock or the block size.
type Simulator struct {
	cfg   SimulatorConfig
	clock Clock
	block int
}

var _ Source = (*Simulator)(nil)

// NewSimulator validates cfg. A nil clock means SystemClock().
func NewSimulator(cfg SimulatorConfig, clock Clock) (*Simulator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Faults = slices.Clone(cfg.Faults)
	if cfg.Block == 0 {
		cfg.Block = DefaultBlock
	}
	if cfg.Name == "" {
		cfg.Name = "simulator"
	}
	block := max(1, int(int64(cfg.SampleRate)*int64(cfg.Block)/int64(time.Second)))
	return &Simulator{cfg: cfg, clock: clock, block: block}, nil
}

// Info describes the stream.
func (s *Simulator) Info() Info {
	return Info{Name: s.cfg.Name, SampleRate: s.cfg.SampleRate, Channels: s.cfg.Channels}
}

// Run synthesises blocks until ctx ends or, with a Duration, the signal is complete
// (then it reports Ended).
func (s *Simulator) Run(ctx context.Context, sink Sink) error {
	machines := s.machines()
	p := newPacer(s.clock, s.cfg.Realtime, s.cfg.SampleRate)
	buf := make([][]float32, s.cfg.Channels)
	for c := range buf {
		buf[c] = make([]float32, s.block)
	}
	limit := int64(-1)
	if s.cfg.Duration > 0 {
		limit = int64(math.Round(s.cfg.Duration.Seconds() * float64(s.cfg.SampleRate)))
	}
	sink.Status(Running, nil)
	for pos := int64(0); limit < 0 || pos < limit; {
		n := s.block
		if limit >= 0 {
			n = int(min(int64(n), limit-pos))
		}
		t, err := p.next(ctx, n)
		if err != nil {
			return nil
		}
		for c, m := range machines {
			buf[c] = buf[c][:n]
			m.fill(buf[c])
		}
		sink.Samples(Block{Time: t, Channels: buf})
		pos += int64(n)
	}
	sink.Status(Ended, nil)
	return nil
}

// machines builds the per-channel generators.
func (s *Simulator) machines() []*machine {
	ms := make([]*machine, s.cfg.Channels)
	for c := range ms {
		ms[c] = newMachine(s.cfg, c)
	}
	for i, f := range s.cfg.Faults {
		ms[f.Channel].addFault(f, s.cfg.Seed, f.Channel, i, float64(s.cfg.SampleRate))
	}
	return ms
}

// machine generates one channel. All state advances per sample, so the output does not
// depend on how it is cut into blocks.
type machine struct {
	rng  *rand.Rand
	rate float64
	n    int64 // samples generated

	shaftHz float64
	phase   float64   // shaft phase in cycles, wrapped to [0, 1)
	harmAmp []float64 // amplitude of harmonic k+1
	harmCos []float64 // cos and sin of harmonic k+1's phase offset
	harmSin []float64

	// Slow wander of speed and level: AR(1) processes of standard deviation wanderStd.
	wanderF, wanderA     float64
	wanderPole, wanderIn float64

	// Coloured noise: one-pole low-passed white (scaled to unit variance) plus a little white.
	noiseLP, noisePole, noiseNorm, noiseGain float64

	rms    float64 // nominal RMS of the healthy machine
	faults []*bearingFault
}

const wanderStd = 0.5

func newMachine(cfg SimulatorConfig, ch int) *machine {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(ch)))
	rate := float64(cfg.SampleRate)
	m := &machine{
		rng:        rng,
		rate:       rate,
		shaftHz:    cfg.ShaftHz * (1 + 0.03*(2*rng.Float64()-1)),
		wanderPole: math.Exp(-2 * math.Pi * 0.2 / rate), // wanders over seconds
		noisePole:  math.Exp(-2 * math.Pi * (300 + 700*rng.Float64()) / rate),
	}
	m.wanderIn = wanderStd * math.Sqrt(1-m.wanderPole*m.wanderPole)
	m.noiseNorm = math.Sqrt((1 + m.noisePole) / (1 - m.noisePole))
	base := 0.05 + 0.05*rng.Float64() // fundamental amplitude
	decay := 0.55 + 0.25*rng.Float64()
	var power float64
	for k := 1; k <= 12 && float64(k)*m.shaftHz < 0.45*rate; k++ {
		a := base * math.Pow(decay, float64(k-1)) * (0.5 + rng.Float64())
		ph := 2 * math.Pi * rng.Float64()
		m.harmAmp = append(m.harmAmp, a)
		m.harmCos = append(m.harmCos, math.Cos(ph))
		m.harmSin = append(m.harmSin, math.Sin(ph))
		power += a * a / 2
	}
	// Broadband noise at about a third of the tonal RMS.
	noiseRMS := 0.35 * math.Sqrt(power)
	m.noiseGain = noiseRMS / math.Sqrt(1+0.1*0.1)
	m.rms = math.Sqrt(power + noiseRMS*noiseRMS)
	return m
}

// fill writes the next len(dst) samples.
func (m *machine) fill(dst []float32) {
	for i := range dst {
		// Wander: speed within about ±0.3 %, level within about ±5 %.
		m.wanderF = m.wanderPole*m.wanderF + m.wanderIn*m.rng.NormFloat64()
		m.wanderA = m.wanderPole*m.wanderA + m.wanderIn*m.rng.NormFloat64()
		speed := m.shaftHz * (1 + 0.003*math.Tanh(m.wanderF))
		m.phase += speed / m.rate
		m.phase -= math.Floor(m.phase)
		// Harmonics by rotation: (ck, sk) = (cos kθ, sin kθ).
		c1, s1 := math.Cos(2*math.Pi*m.phase), math.Sin(2*math.Pi*m.phase)
		ck, sk := c1, s1
		var x float64
		for k, a := range m.harmAmp {
			x += a * (sk*m.harmCos[k] + ck*m.harmSin[k]) // sin(kθ + φk)
			ck, sk = ck*c1-sk*s1, sk*c1+ck*s1
		}
		x *= 1 + 0.05*math.Tanh(m.wanderA)
		m.noiseLP = m.noisePole*m.noiseLP + (1-m.noisePole)*m.rng.NormFloat64()
		x += m.noiseGain * (m.noiseNorm*m.noiseLP + 0.1*m.rng.NormFloat64())
		for _, f := range m.faults {
			x += f.sample(m.n, speed/m.shaftHz)
		}
		m.n++
		dst[i] = float32(max(-1, min(1, x)))
	}
}

// bearingFault rings a two-pole resonator with an impulse at every impact.
type bearingFault struct {
	start, ramp int64   // samples
	level       float64 // impact peak amplitude at full level
	interval    float64 // samples between impacts at nominal speed
	next        float64 // sample index of the next impact
	a1, a2, g   float64 // resonator y[n] = a1 y[n-1] + a2 y[n-2] + g x[n]
	y1, y2      float64
	rng         *rand.Rand // its own, so adding a fault leaves the healthy sound unchanged
}

func (m *machine) addFault(f SimFault, seed int64, ch, index int, rate float64) {
	order := f.Order
	if order == 0 {
		order = DefaultFaultOrder
	}
	fr := f.ResonanceHz
	if fr == 0 {
		fr = min(DefaultResonanceHz, 0.3*rate)
	}
	w := 2 * math.Pi * fr / rate
	r := math.Exp(-1 / (0.0008 * rate)) // rings down with a 0.8 ms time constant
	interval := rate / (order * m.shaftHz)
	m.faults = append(m.faults, &bearingFault{
		start:    int64(f.Start.Seconds() * rate),
		ramp:     int64(f.Ramp.Seconds() * rate),
		level:    f.Level * m.rms,
		interval: interval,
		next:     f.Start.Seconds() * rate,
		a1:       2 * r * math.Cos(w),
		a2:       -r * r,
		g:        math.Sin(w), // impulse response r^k sin((k+1)w): unit peak
		rng:      rand.New(rand.NewPCG(uint64(seed), 1<<63|uint64(ch)<<32|uint64(index))),
	})
}

// sample advances the fault by one sample at sample index n; speedRatio scales the impact
// rate with the machine's current speed.
func (f *bearingFault) sample(n int64, speedRatio float64) float64 {
	var x float64
	if n >= f.start && float64(n) >= f.next {
		amp := f.level
		if f.ramp > 0 && n-f.start < f.ramp {
			amp *= float64(n-f.start) / float64(f.ramp)
		}
		x = amp * (0.8 + 0.4*f.rng.Float64())
		// Rolling elements slip a little: impacts are not perfectly periodic.
		f.next += f.interval / speedRatio * (1 + 0.01*f.rng.NormFloat64())
	}
	y := f.a1*f.y1 + f.a2*f.y2 + f.g*x
	f.y2, f.y1 = f.y1, y
	return y
}
