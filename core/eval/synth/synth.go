package synth

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"signalcraft/core/truth"
	"signalcraft/core/wav"
)

// Sentinel errors; every error from Build wraps one of them.
var (
	// ErrUnknownRecipe means Build was asked for a name Recipes does not list.
	ErrUnknownRecipe = errors.New("synth: unknown recipe")
	// ErrParams means a Params field is out of range, or the requested insertions do not fit.
	ErrParams = errors.New("synth: bad parameters")
	// ErrData means a recording or a labels.csv is missing, unreadable or not as expected;
	// the message names the file.
	ErrData = errors.New("synth: bad data")
)

// Stream is a built test stream: mono samples on the 16-bit grid of the WAV file it is
// written to, and the ground truth of every sample.
type Stream struct {
	Name    string
	Rate    int       // samples per second
	Samples []float32 // in [-1, 1], each a multiple of 1/32768 (exactly what WriteFiles stores)
	Truth   *truth.Truth
}

// Duration returns the length of the stream.
func (s *Stream) Duration() time.Duration { return sampleTime(len(s.Samples), s.Rate) }

// WriteFiles writes the samples as a 16-bit PCM mono WAV file at wavPath and the truth as
// CSV at csvPath (the two files `signalcraftd eval --stream F.wav --truth F.csv` reads).
// Errors name the file.
func (s *Stream) WriteFiles(wavPath, csvPath string) error {
	f, err := os.Create(wavPath)
	if err != nil {
		return err
	}
	if err := wav.Encode(f, s.Rate, [][]float32{s.Samples}); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", wavPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", wavPath, err)
	}
	if err := s.Truth.WriteFile(csvPath); err != nil {
		return fmt.Errorf("%s: %w", csvPath, err)
	}
	return nil
}

// Params are the knobs of the recipes. The zero value gives the defaults; each field says
// which recipe reads it. Seed drives every random choice, and the same Params give
// bit-identical samples (see the package comment for the one caveat across CPUs).
type Params struct {
	// Seed seeds every random choice (valve permutations and shifts, bearing nuisance
	// times and shapes and defect jitter, sensor fault positions). 0 is a seed like any other.
	Seed uint64

	// Shuffles is the number of passes over the valve dev-test normal clips, each a fresh
	// seeded permutation with seeded circular shifts. Default 6; at most 100.
	Shuffles int

	// Impacts is the number of isolated impacts in the bearing normal section. Default 8;
	// negative for none.
	Impacts int
	// Bursts are the lengths of the band-limited noise bursts in the bearing normal
	// section, each from 20 ms to 10 s. Nil means the default {300 ms, 1 s}; an empty non-nil
	// slice means none.
	Bursts []time.Duration

	// DefectHz is the bearing defect's impulse rate. Default 107.4 Hz: BPFO 3.5848 × the
	// 29.95 Hz shaft of the CWRU rig (1797 rpm).
	DefectHz float64
	// ResonanceHz is the frequency of the damped resonance each defect impulse excites.
	// Default 3000 Hz.
	ResonanceHz float64
	// Ramp is how long the defect's amplitude grows linearly from 0 to its final level.
	// Default 60 s; negative for a step onset.
	Ramp time.Duration
	// ClipGain is the gain applied before the hard clip at ±1 in the sensor recipe's
	// clipping faults, from 2 to 1000. Default 30. The fan is quiet (≈ −40 dBFS RMS), so 30
	// clips only its peaks, ≈ 0.15 % of the samples (sporadic clipping: core/sensor calls a
	// second with 3 clipped samples clipping, and one clipped sample keeps its frame's
	// windows out of scoring); 100 clips ≈ 33 %.
	ClipGain float64

	// FaultDB is the defect's final RMS relative to the RMS of the base audio of the fault
	// section, in dB, from −60 to +20. 0 means the default −10 dB (ask for 0.001 to get 0 dB).
	FaultDB float64
}

// Defaults.
const (
	DefaultShuffles    = 6
	DefaultImpacts     = 8
	DefaultDefectHz    = 107.4
	DefaultResonanceHz = 3000
	DefaultRamp        = 60 * time.Second
	DefaultFaultDB     = -10
	DefaultClipGain    = 30
)

// DefaultBursts returns the default burst lengths.
func DefaultBursts() []time.Duration { return []time.Duration{300 * time.Millisecond, time.Second} }

// withDefaults fills zero fields and checks the ranges that do not depend on the data.
func (p Params) withDefaults() (Params, error) {
	if p.Shuffles == 0 {
		p.Shuffles = DefaultShuffles
	}
	if p.Impacts == 0 {
		p.Impacts = DefaultImpacts
	}
	if p.Impacts < 0 {
		p.Impacts = 0
	}
	if p.Bursts == nil {
		p.Bursts = DefaultBursts()
	}
	if p.DefectHz == 0 {
		p.DefectHz = DefaultDefectHz
	}
	if p.ResonanceHz == 0 {
		p.ResonanceHz = DefaultResonanceHz
	}
	if p.Ramp == 0 {
		p.Ramp = DefaultRamp
	}
	if p.Ramp < 0 {
		p.Ramp = 0
	}
	if p.FaultDB == 0 {
		p.FaultDB = DefaultFaultDB
	}
	if p.ClipGain == 0 {
		p.ClipGain = DefaultClipGain
	}
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s %v: %s", ErrParams, field, v, want)
	}
	switch {
	case p.Shuffles < 0 || p.Shuffles > 100:
		return p, bad("Shuffles", p.Shuffles, "want 1 to 100 (0 for the default 6)")
	case p.Impacts > 1000:
		return p, bad("Impacts", p.Impacts, "want at most 1000")
	case !(p.DefectHz > 0 && p.DefectHz <= 1000):
		return p, bad("DefectHz", p.DefectHz, "want a rate above 0 and at most 1000 Hz")
	case !(p.ResonanceHz >= 100 && p.ResonanceHz <= 7500):
		return p, bad("ResonanceHz", p.ResonanceHz, "want 100 to 7500 Hz (below the 8 kHz Nyquist frequency of the bearing recipe)")
	case !(p.FaultDB >= -60 && p.FaultDB <= 20):
		return p, bad("FaultDB", p.FaultDB, "want −60 to +20 dB")
	case !(p.ClipGain >= 2 && p.ClipGain <= 1000):
		return p, bad("ClipGain", p.ClipGain, "want 2 to 1000")
	}
	for i, b := range p.Bursts {
		if b < 20*time.Millisecond || b > 10*time.Second {
			return p, bad(fmt.Sprintf("Bursts[%d]", i), b, "want a length from 20ms to 10s")
		}
	}
	return p, nil
}

// recipe builds one stream from the data directory.
type recipe struct {
	name  string
	build func(dataDir string, p Params) (*Stream, error)
}

var recipes = []recipe{
	{"valve", buildValve},
	{"bearing", func(dir string, p Params) (*Stream, error) { return buildBearing(dir, p, bearingAll) }},
	{"cwru", buildCWRU},
	{"sensor", func(dir string, p Params) (*Stream, error) { return buildSensor(dir, p, true) }},
}

// Recipes returns the names Build accepts, in the order the package comment describes them.
func Recipes() []string {
	names := make([]string, len(recipes))
	for i, r := range recipes {
		names[i] = r.name
	}
	return names
}

// Build builds the named stream from the recordings under dataDir (the shared data
// directory, see core/shareddata). The same name, data and Params give bit-identical
// samples. Errors wrap ErrUnknownRecipe, ErrParams or ErrData and name the file at fault.
func Build(name, dataDir string, p Params) (*Stream, error) {
	var r *recipe
	for i := range recipes {
		if recipes[i].name == name {
			r = &recipes[i]
		}
	}
	if r == nil {
		return nil, fmt.Errorf("%w %q (recipes: %s)", ErrUnknownRecipe, name, strings.Join(Recipes(), ", "))
	}
	if dataDir == "" {
		return nil, fmt.Errorf("%w: %s: no data directory given", ErrData, name)
	}
	p, err := p.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s, err := r.build(dataDir, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.Name = name
	quantize(s.Samples)
	if err := s.Truth.Validate(); err != nil { // a bug here, not bad data
		return nil, fmt.Errorf("%s: built an invalid truth: %w", name, err)
	}
	return s, nil
}

// quantize clamps x to [-1, 1] and rounds it to the 16-bit grid exactly as wav.Encode
// does, so that the file holds Samples and reads back as Samples (and zero stays zero).
func quantize(x []float32) {
	for i, v := range x {
		q := math.Round(float64(v) * 32768)
		switch {
		case q != q:
			q = 0
		case q > math.MaxInt16:
			q = math.MaxInt16
		case q < math.MinInt16:
			q = math.MinInt16
		}
		x[i] = float32(q / 32768)
	}
}

// sampleTime converts a sample index to stream time, rounded to the nanosecond.
func sampleTime(n, rate int) time.Duration {
	return time.Duration((int64(n)*int64(time.Second) + int64(rate)/2) / int64(rate))
}
