package detect

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"signalcraft/core/dsp"
)

// Profile is how a machine is listened to: the analysis window, the distance between
// windows, how a window's frames are pooled into one vector, and how long a sound must stay
// anomalous before an event opens. The daemon, `signalcraftd adapt` and `signalcraftd eval`
// all build their feature chain and decision rule from a machine's Profile, so a machine is
// judged live exactly as it is evaluated.
type Profile struct {
	// Model is the model kind learned of the machine's normal sound.
	Model   Kind          `json:"model"`
	Window  time.Duration `json:"window"`
	Hop     time.Duration `json:"hop"`
	Pooling []Stat        `json:"pooling"`
	// Persistence is how long an anomalous sound must last to open an event. A sound
	// that makes a window anomalous does so for every window that contains it, one window
	// length; Persistence is counted beyond that, so one knock or a burst shorter than
	// Persistence never opens an event. See Decision.
	Persistence time.Duration `json:"persistence"`
}

// Machine kinds with a profile of their own; any other kind gets the rotating profile.
var (
	// TransientKinds make short sounds (a valve opening and closing) in a steady
	// background: their anomalies are in the transients, which a long window pooled with
	// the per-band maximum keeps (see docs/EVALUATION.md). Only valves were measured;
	// other machines of this sort (presses, solenoids) can set the profile explicitly.
	TransientKinds = []string{"valve"}
)

// Profiles measured per machine kind (docs/EVALUATION.md, "Profiles").
var (
	TransientProfile = Profile{Model: KindGMM, Window: 10 * time.Second, Hop: 2 * time.Second,
		Pooling: []Stat{StatMax}, Persistence: 5 * time.Second}
	RotatingProfile = Profile{Model: KindMahalanobis, Window: 2 * time.Second, Hop: 500 * time.Millisecond,
		Pooling: []Stat{StatMean, StatModulation}, Persistence: 2 * time.Second}
)

// ProfileFor returns the default profile of a machine kind (case-insensitive): the
// transient profile for TransientKinds, the rotating profile (fans, pumps, motors,
// bearings, compressors, gearboxes, …) for every other kind.
func ProfileFor(kind string) Profile {
	p := RotatingProfile
	if slices.Contains(TransientKinds, strings.ToLower(strings.TrimSpace(kind))) {
		p = TransientProfile
	}
	p.Pooling = slices.Clone(p.Pooling)
	return p
}

// Profile limits.
const (
	MinWindow      = 100 * time.Millisecond
	MaxWindow      = time.Minute
	MaxPersistence = 10 * time.Minute
)

// Validate reports the first invalid field, naming it and its value, wrapping ErrConfig.
func (p Profile) Validate() error {
	switch {
	case p.Model != "" && !slices.Contains(Kinds(), p.Model):
		return fmt.Errorf("%w: model %q: must be one of mahalanobis, gmm, knn", ErrConfig, p.Model)
	case p.Window < MinWindow || p.Window > MaxWindow:
		return fmt.Errorf("%w: window %v: must be between %v and %v", ErrConfig, p.Window, MinWindow, MaxWindow)
	case p.Hop < 10*time.Millisecond || p.Hop > p.Window:
		return fmt.Errorf("%w: hop %v: must be between 10ms and the window (%v)", ErrConfig, p.Hop, p.Window)
	case len(p.Pooling) == 0:
		return fmt.Errorf("%w: pooling []: name at least one of max, mean, std, min, delta", ErrConfig)
	case p.Persistence < 0 || p.Persistence > MaxPersistence:
		return fmt.Errorf("%w: persistence %v: must be between 0s and %v", ErrConfig, p.Persistence, MaxPersistence)
	}
	for _, s := range p.Pooling {
		if !s.valid() {
			return fmt.Errorf("%w: pooling %q: must be one of max, mean, std, min, delta, modulation", ErrConfig, s)
		}
	}
	if len(frameStats(p.Pooling)) == 0 {
		return fmt.Errorf("%w: pooling %v: name at least one of max, mean, std, min, delta besides modulation", ErrConfig, p.Pooling)
	}
	if k, n := p.Decision(); n > MaxEnterOf {
		return fmt.Errorf("%w: persistence %v: with a hop of %v it spans %d windows (of %d), more than %d",
			ErrConfig, p.Persistence, p.Hop, k, n, MaxEnterOf)
	}
	return nil
}

// Features returns the feature chain of the profile on frames analysed with c.
func (p Profile) Features(c dsp.Config) FeatureConfig {
	fc := NewFeatureConfig(c, p.Window, p.Hop)
	fc.Stats = slices.Clone(p.Pooling)
	return fc
}

// Decision returns the persistence rule of the profile: an event needs k of the last n
// windows anomalous. A sound lasting d makes about (window + d)/hop + 1 windows anomalous,
// so k = ⌊(window + persistence)/hop⌋ + 2 is never reached by a sound shorter than
// Persistence; n = ⌈1.25·k⌉ lets a sustained anomaly that fades in and out for a window
// or two still count. With no persistence and a window of one hop, k = n = 1 would decide
// on a single window; k is at least 2 so that one window is never enough.
func (p Profile) Decision() (k, n int) {
	if p.Hop <= 0 {
		return 1, 1
	}
	k = int(math.Floor(float64(p.Window+p.Persistence)/float64(p.Hop)+1e-9)) + 2
	n = int(math.Ceil(1.25 * float64(k)))
	return k, n
}

// Apply sets the window span and the persistence rule of the profile, and the feature
// groups of its chain fc, on a detector configuration.
func (p Profile) Apply(dc DetectorConfig, fc FeatureConfig) DetectorConfig {
	dc.EnterWindows, dc.EnterOf = p.Decision()
	dc.Window = p.Window
	dc.Model.Groups = fc.Groups()
	return dc
}

// String is the profile in the configuration's words.
func (p Profile) String() string {
	st := make([]string, len(p.Pooling))
	for i, s := range p.Pooling {
		st[i] = string(s)
	}
	s := fmt.Sprintf("window %v, hop %v, pooling %s, persistence %v", p.Window, p.Hop, strings.Join(st, "+"), p.Persistence)
	if p.Model != "" {
		s = string(p.Model) + ", " + s
	}
	return s
}
