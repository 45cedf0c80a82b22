package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"signalcraft/appliance/config"
	"signalcraft/core/detect"
	"signalcraft/core/dsp"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// featureConfig is the feature chain of live analysis at a sample rate; recordings used to
// adapt a model must go through the very same chain.
func featureConfig(rate int) detect.FeatureConfig {
	return detect.NewFeatureConfig(dsp.DefaultConfig(rate), windowLength, windowHop)
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
	chain, err := detect.NewChain(featureConfig(sen.SampleRate))
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
		n := len(windows)
		chain.Push(ch[c], func(v []float64) { windows = append(windows, append([]float64(nil), v...)) })
		if len(windows) == n {
			return AdaptResult{}, fmt.Errorf("adapt: %s: %.2f s is shorter than one analysis window (%v)", p, float64(len(ch[c]))/float64(f.SampleRate), windowLength)
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
