package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Clips configures the audio clips saved around anomaly events (appliance/clips).
type Clips struct {
	// Enabled saves a clip for every anomaly event (default true).
	Enabled bool `yaml:"enabled"`
	// PreRoll is the sound kept from before the event starts (default 10s).
	PreRoll time.Duration `yaml:"pre_roll"`
	// PostRoll is the least sound kept after the event starts (default 10s); while the
	// event goes on the clip grows, up to MaxPostRoll after the start (default 60s).
	PostRoll    time.Duration `yaml:"post_roll"`
	MaxPostRoll time.Duration `yaml:"max_post_roll"`
	// MaxAge: older clips are deleted (default 720h), except the KeepPerMachine newest of
	// each machine.
	MaxAge Age `yaml:"max_age"`
	// Quota is the total size the clips are pruned to, oldest first (default 2GB), except
	// the KeepPerMachine newest of each machine.
	Quota ByteSize `yaml:"quota"`
	// HardLimit: a clip that would take the total above it is not saved (default
	// Quota + 25%). MinFree: nor one that would leave less free space than this on the
	// file system (default 256MB). Analysis goes on; /health reports it.
	HardLimit ByteSize `yaml:"hard_limit"`
	MinFree   ByteSize `yaml:"min_free"`
	// KeepPerMachine newest clips of every machine are never pruned (default 5).
	KeepPerMachine int `yaml:"keep_per_machine"`
	// PruneEvery is how often old clips are pruned (default 10m); a clip that needs room
	// prunes at once.
	PruneEvery time.Duration `yaml:"prune_every"`
	// Upload sends every clip to the replication bucket under <prefix>clips/ through the
	// job queue.
	Upload bool `yaml:"upload"`
}

// Retention says how long measurements are kept in the database.
type Retention struct {
	Scores    Age `yaml:"scores"`     // raw window scores (default 30d)
	Rollups1m Age `yaml:"rollups_1m"` // one-minute rollups (default 90d)
	Rollups1h Age `yaml:"rollups_1h"` // one-hour rollups (default 5y)
	// Every is how often the pruner runs (default 1h).
	Every time.Duration `yaml:"every"`
}

// DefaultClips returns the clip defaults.
func DefaultClips() Clips {
	return Clips{Enabled: true, PreRoll: 10 * time.Second, PostRoll: 10 * time.Second, MaxPostRoll: time.Minute,
		MaxAge: Age(720 * time.Hour), Quota: 2 * GB, MinFree: 256 * MB, KeepPerMachine: 5, PruneEvery: 10 * time.Minute}
}

// DefaultRetention returns the retention defaults.
func DefaultRetention() Retention {
	return Retention{Scores: 30 * Day, Rollups1m: 90 * Day, Rollups1h: 5 * Year, Every: time.Hour}
}

// Limit returns the hard limit: HardLimit, or Quota + 25% when it is not set.
func (c Clips) Limit() ByteSize {
	if c.HardLimit > 0 {
		return c.HardLimit
	}
	return c.Quota + c.Quota/4
}

func (c Clips) validate() error {
	switch {
	case c.PreRoll < 0 || c.PreRoll > time.Minute:
		return fieldErr("clips.pre_roll", c.PreRoll, "must be between 0s and 1m")
	case c.PostRoll < time.Second || c.PostRoll > 10*time.Minute:
		return fieldErr("clips.post_roll", c.PostRoll, "must be between 1s and 10m")
	case c.MaxPostRoll < c.PostRoll || c.MaxPostRoll > 10*time.Minute:
		return fieldErr("clips.max_post_roll", c.MaxPostRoll, fmt.Sprintf("must be between post_roll (%v) and 10m", c.PostRoll))
	case c.MaxAge < Age(time.Hour):
		return fieldErr("clips.max_age", c.MaxAge, "must be at least 1h")
	case c.Quota < 64*KB:
		return fieldErr("clips.quota", c.Quota, "must be at least 64KB")
	case c.HardLimit != 0 && c.HardLimit < c.Quota:
		return fieldErr("clips.hard_limit", c.HardLimit, fmt.Sprintf("must not be below the quota (%v)", c.Quota))
	case c.MinFree < 0:
		return fieldErr("clips.min_free", c.MinFree, "must not be negative")
	case c.KeepPerMachine < 0 || c.KeepPerMachine > 1000:
		return fieldErr("clips.keep_per_machine", c.KeepPerMachine, "must be between 0 and 1000")
	case c.PruneEvery < time.Second:
		return fieldErr("clips.prune_every", c.PruneEvery, "must be at least 1s")
	}
	return nil
}

func (r Retention) validate() error {
	switch {
	case r.Scores < Day:
		return fieldErr("retention.scores", r.Scores, "must be at least 1d")
	case r.Rollups1m < r.Scores:
		return fieldErr("retention.rollups_1m", r.Rollups1m, fmt.Sprintf("must not be shorter than retention.scores (%v)", r.Scores))
	case r.Rollups1h < r.Rollups1m:
		return fieldErr("retention.rollups_1h", r.Rollups1h, fmt.Sprintf("must not be shorter than retention.rollups_1m (%v)", r.Rollups1m))
	case r.Every < time.Minute:
		return fieldErr("retention.every", r.Every, "must be at least 1m")
	}
	return nil
}

// Age is a duration that YAML may also give in days, weeks or years: 30d, 2w, 5y (a year is
// 365 days), besides Go durations such as 720h.
type Age time.Duration

// Day and Year are the units of Age.
const (
	Day  = Age(24 * time.Hour)
	Week = 7 * Day
	Year = 365 * Day
)

// ParseAge parses 30d, 2w, 5y, 1.5d or a Go duration (720h, 90m).
func ParseAge(s string) (Age, error) {
	s = strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		unit   Age
	}{{"d", Day}, {"w", Week}, {"y", Year}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || f*float64(u.unit) > math.MaxInt64 {
				return 0, fmt.Errorf("bad age %q: want e.g. 30d, 2w, 5y or 720h", s)
			}
			return Age(f * float64(u.unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad age %q: want e.g. 30d, 2w, 5y or 720h", s)
	}
	return Age(d), nil
}

// UnmarshalYAML reads an Age from a string.
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseAge(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*a = v
	return nil
}

// MarshalYAML writes the Age back as String does.
func (a Age) MarshalYAML() (any, error) { return a.String(), nil }

// String gives whole days as 30d, whole years as 5y, and anything else as a Go duration.
func (a Age) String() string {
	switch {
	case a > 0 && a%Year == 0:
		return fmt.Sprintf("%dy", a/Year)
	case a > 0 && a%Day == 0:
		return fmt.Sprintf("%dd", a/Day)
	}
	return time.Duration(a).String()
}

// Duration returns the Age as a time.Duration.
func (a Age) Duration() time.Duration { return time.Duration(a) }

// ByteSize is a size in bytes that YAML gives as 2GB, 500MB, 200KB, 1.5GiB or a plain number.
// KB, MB, GB and TB are powers of 1000; KiB, MiB, GiB and TiB powers of 1024.
type ByteSize int64

// Units of ByteSize.
const (
	KB ByteSize = 1000
	MB          = 1000 * KB
	GB          = 1000 * MB
	TB          = 1000 * GB
)

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseByteSize parses 2GB, 500MB, 1.5GiB, 200KB, 1024B or 1024 (case-insensitive units).
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult, num := 1.0, s
	for _, u := range byteUnits {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			mult, num = u.mult, strings.TrimSpace(s[:len(s)-len(u.suffix)])
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("bad size %q: want e.g. 2GB, 500MB or 1.5GiB", s)
	}
	return ByteSize(math.Round(f * mult)), nil
}

// UnmarshalYAML reads a ByteSize from a number or a string with a unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// MarshalYAML writes the size back as String does.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// String gives the size in the largest decimal unit that divides it: 2GB, 250MB, 1234B.
func (b ByteSize) String() string {
	for _, u := range []struct {
		s string
		v ByteSize
	}{{"TB", TB}, {"GB", GB}, {"MB", MB}, {"KB", KB}} {
		if b != 0 && b%u.v == 0 {
			return fmt.Sprintf("%d%s", b/u.v, u.s)
		}
	}
	return fmt.Sprintf("%dB", int64(b))
}
