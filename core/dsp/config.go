package dsp

import (
	"errors"
	"fmt"
)

// MelScale selects the Hz↔mel conversion used to place the mel filters.
type MelScale int

const (
	// MelSlaney is the Slaney (Auditory Toolbox) scale: linear below 1 kHz, logarithmic
	// above. It is librosa's default (htk=False).
	MelSlaney MelScale = iota
	// MelHTK is the HTK scale 2595·log10(1 + f/700) (librosa htk=True).
	MelHTK
)

// String returns "slaney" or "htk".
func (s MelScale) String() string {
	switch s {
	case MelSlaney:
		return "slaney"
	case MelHTK:
		return "htk"
	}
	return fmt.Sprintf("MelScale(%d)", int(s))
}

// ErrConfig is the sentinel wrapped by every configuration error returned by
// [Config.Validate] and [NewExtractor]; test with errors.Is.
var ErrConfig = errors.New("dsp: invalid config")

// ConfigError names the offending field (in the snake_case spelling of the appliance
// configuration file) and its value. It unwraps to [ErrConfig].
type ConfigError struct {
	Field  string
	Value  any
	Reason string
}

// Error formats as "dsp: frame_size 1000: not a power of two".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("dsp: %s %v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns [ErrConfig].
func (e *ConfigError) Unwrap() error { return ErrConfig }

// Config describes the analysis. The zero value is not valid; start from [DefaultConfig].
type Config struct {
	SampleRate int      // Hz
	FrameSize  int      // n_fft and window length, a power of two (e.g. 1024 at 16 kHz)
	Hop        int      // samples between frame starts (e.g. 512)
	Mels       int      // mel bands (e.g. 64 or 128)
	FMin, FMax float64  // mel range in Hz; FMax 0 means SampleRate/2
	Scale      MelScale // MelSlaney (librosa default) or MelHTK
	MFCC       int      // number of MFCC coefficients kept (e.g. 20); 0 disables MFCC
}

// DefaultConfig returns the configuration used by the appliance for sampleRate: a frame of
// the largest power of two not longer than 64 ms (1024 at 16 kHz, 2048 at 44.1/48 kHz), 50 %
// overlap, 128 Slaney mel bands over 0..sampleRate/2 and 20 MFCCs.
func DefaultConfig(sampleRate int) Config {
	n := 16
	for n*2 <= sampleRate*64/1000 {
		n *= 2
	}
	return Config{
		SampleRate: sampleRate,
		FrameSize:  n,
		Hop:        n / 2,
		Mels:       128,
		Scale:      MelSlaney,
		MFCC:       20,
	}
}

// fmax returns the effective upper mel frequency.
func (c Config) fmax() float64 {
	if c.FMax == 0 {
		return float64(c.SampleRate) / 2
	}
	return c.FMax
}

// Validate reports the first invalid field as a *[ConfigError] wrapping [ErrConfig].
func (c Config) Validate() error {
	bad := func(field string, v any, reason string) error {
		return &ConfigError{Field: field, Value: v, Reason: reason}
	}
	switch {
	case c.SampleRate <= 0:
		return bad("sample_rate", c.SampleRate, "must be positive")
	case c.FrameSize < 16:
		return bad("frame_size", c.FrameSize, "must be at least 16")
	case c.FrameSize&(c.FrameSize-1) != 0:
		return bad("frame_size", c.FrameSize, "not a power of two")
	case c.Hop <= 0:
		return bad("hop", c.Hop, "must be positive")
	case c.Mels <= 0:
		return bad("mels", c.Mels, "must be positive")
	case c.FMin < 0 || c.FMin != c.FMin:
		return bad("fmin", c.FMin, "must be non-negative")
	case c.FMax < 0 || c.FMax != c.FMax:
		return bad("fmax", c.FMax, "must be non-negative (0 means sample_rate/2)")
	case c.fmax() > float64(c.SampleRate)/2:
		return bad("fmax", c.FMax, fmt.Sprintf("above the Nyquist frequency %g Hz", float64(c.SampleRate)/2))
	case c.fmax() <= c.FMin:
		return bad("fmax", c.FMax, fmt.Sprintf("must be above fmin %g", c.FMin))
	case c.Scale != MelSlaney && c.Scale != MelHTK:
		return bad("scale", int(c.Scale), "unknown mel scale")
	case c.MFCC < 0:
		return bad("mfcc", c.MFCC, "must be non-negative")
	case c.MFCC > c.Mels:
		return bad("mfcc", c.MFCC, fmt.Sprintf("more than mels %d", c.Mels))
	}
	return nil
}
