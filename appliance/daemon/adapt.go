package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/detect"
	"signalcraft/core/dsp"
	"signalcraft/core/sensor"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// featureConfig is the feature chain a machine is analysed with at a sample rate: its
// profile's window, hop and pooling over the standard frame analysis. Live analysis,
// adapt and eval (through detect.Profile.Features) build the very same chain.
func featureConfig(mc config.Machine, rate int) detect.FeatureConfig {
	return mc.Detection.Profile().Features(dsp.DefaultConfig(rate))
}

// newChain builds a machine's feature chain with the sensor-fault frame check: a frame a
// sensor fault touches (silence, clipping, a DC offset, a frozen converter) keeps the
// windows holding it out of scoring and learning, however short the fault.
func newChain(mc config.Machine, rate int) (*detect.Chain, error) {
	c, err := detect.NewChain(featureConfig(mc, rate))
	if err != nil {
		return nil, err
	}
	c.SetFrameCheck(sensor.DefaultThresholds().FrameFault)
	return c, nil
}

// legacyFeatures is the chain of models learned before per-machine profiles, which did not
// record theirs: 1-s windows every 0.5 s, per-band maximum.
func legacyFeatures(rate int) detect.FeatureConfig {
	return detect.NewFeatureConfig(dsp.DefaultConfig(rate), time.Second, 500*time.Millisecond)
}

// sameFeatures checks that a learned detector was fed windows of the chain want.
func sameFeatures(det *detect.Detector, want detect.FeatureConfig) error {
	got := det.Config().Features
	if got == nil {
		l := legacyFeatures(want.DSP.SampleRate)
		got = &l
	}
	if !reflect.DeepEqual(*got, want) {
		return fmt.Errorf("%w: it was learned with %s, the machine is now listened to with %s",
			errFeaturesChanged, describeFeatures(*got), describeFeatures(want))
	}
	return nil
}

// errFeaturesChanged: the window, hop or pooling changed since the model was learned.
var errFeaturesChanged = errors.New("the analysis window, hop or pooling changed")

func describeFeatures(fc detect.FeatureConfig) string {
	rate, hop := float64(fc.DSP.SampleRate), float64(fc.DSP.Hop)
	sec := func(frames int) time.Duration {
		return time.Duration(float64(frames) * hop / rate * float64(time.Second)).Round(time.Millisecond)
	}
	st := make([]string, len(fc.Stats))
	for i, s := range fc.Stats {
		st[i] = string(s)
	}
	return fmt.Sprintf("window %v, hop %v, pooling %s at %d Hz", sec(fc.Window), sec(fc.Hop), strings.Join(st, "+"), fc.DSP.SampleRate)
}

// AdaptResult says what Adapt did.
type AdaptResult struct {
	Version    int64 // the new active model version
	Windows    int   // analysis windows learned from the recordings
	Conditions int   // operating conditions the model now knows
}

// Adapt teaches a machine's active model a new operating condition (after maintenance, or
// with a new product) from a few recordings of normal sound in that condition, without
// forgetting the conditions it knows: the detector adds a condition model and scores each
// window by the condition it fits best. The result is saved as a new active model version,
// which a running daemon picks up within seconds. Recordings must be WAV files at the
// sensor's sample rate; for multi-channel files the machine's channel is used.
func Adapt(ctx context.Context, cfg *config.Config, machineID string, paths []string) (AdaptResult, error) {
	var mc *config.Machine
	for i := range cfg.Machines {
		if cfg.Machines[i].ID == machineID {
			mc = &cfg.Machines[i]
		}
	}
	if mc == nil {
		return AdaptResult{}, fmt.Errorf("adapt: machine %q is not in the configuration", machineID)
	}
	if len(paths) == 0 {
		return AdaptResult{}, errors.New("adapt: no recordings given")
	}
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return AdaptResult{}, err
	}
	defer db.Close()
	saved, err := db.ActiveModel(ctx, machineID)
	if errors.Is(err, store.ErrNotFound) {
		return AdaptResult{}, fmt.Errorf("adapt: machine %q has no learned model yet; let it finish learning first", machineID)
	}
	if err != nil {
		return AdaptResult{}, err
	}
	det, err := detect.Restore(saved.Blob)
	if err != nil {
		return AdaptResult{}, fmt.Errorf("adapt: model %d of machine %q: %w", saved.Version, machineID, err)
	}
	sensorID := fmt.Sprintf("%s/%d", mc.Sensor.Source, mc.Sensor.Channel)
	sen, err := db.Sensor(ctx, sensorID)
	if err != nil {
		return AdaptResult{}, fmt.Errorf("adapt: sensor %s: %w", sensorID, err)
	}
	if err := sameFeatures(det, featureConfig(*mc, sen.SampleRate)); err != nil {
		return AdaptResult{}, fmt.Errorf("adapt: model %d of machine %q: %w", saved.Version, machineID, err)
	}
	chain, err := newChain(*mc, sen.SampleRate)
	if err != nil {
		return AdaptResult{}, err
	}
	var windows [][]float64
	for _, p := range paths {
		f, ch, err := wav.ReadFile(p)
		if err != nil {
			return AdaptResult{}, fmt.Errorf("adapt: %w", err)
		}
		if f.SampleRate != sen.SampleRate {
			return AdaptResult{}, fmt.Errorf("adapt: %s: sample rate %d Hz, but sensor %s records at %d Hz", p, f.SampleRate, sensorID, sen.SampleRate)
		}
		c := 0
		if mc.Sensor.Channel < len(ch) {
			c = mc.Sensor.Channel
		}
		chain.Reset()
		n, flagged := len(windows), 0
		chain.Push(ch[c], func(v []float64) {
			if chain.Flagged() > 0 { // a sensor fault in the recording: not normal sound to learn
				flagged++
				return
			}
			windows = append(windows, append([]float64(nil), v...))
		})
		if len(windows) == n {
			if flagged > 0 {
				return AdaptResult{}, fmt.Errorf("adapt: %s: every analysis window holds a sensor fault (silence, clipping or a DC offset)", p)
			}
			return AdaptResult{}, fmt.Errorf("adapt: %s: %.2f s is shorter than one analysis window (%v)", p, float64(len(ch[c]))/float64(f.SampleRate), mc.Detection.Window)
		}
	}
	if err := det.Adapt(windows); err != nil {
		return AdaptResult{}, fmt.Errorf("adapt: machine %q: %w", machineID, err)
	}
	blob, err := det.MarshalBinary()
	if err != nil {
		return AdaptResult{}, err
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	note := fmt.Sprintf("adapted from version %d with %d recording(s): %s", saved.Version, len(paths), strings.Join(names, ", "))
	v, err := db.SaveModel(ctx, machineID, saved.Kind, det.Threshold(), blob, note)
	if err != nil {
		return AdaptResult{}, err
	}
	return AdaptResult{Version: v, Windows: len(windows), Conditions: det.Conditions()}, nil
}
