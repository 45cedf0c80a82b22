package mlops

import (
	"context"
	"fmt"
	"time"

	"signalcraft/core/detect"
)

// TrainResult is a challenger and what went into it.
type TrainResult struct {
	Detector *detect.Detector
	Windows  int           // normal windows it was fitted on
	Audio    time.Duration // normal sound they came from
	Took     time.Duration // wall time, throttle pauses included
}

// Train fits a challenger on the normal clips: every clip through the machine's chain, the
// windows a sensor fault touches left out, then detect.Train with the machine's detector
// settings. Fault clips are not given to it (the normal model learns normal sound only).
func Train(ctx context.Context, m Machine, cfg detect.DetectorConfig, normal []Clip, th *Throttle) (TrainResult, error) {
	start := time.Now()
	var X [][]float64
	var audio time.Duration
	for _, c := range normal {
		if c.Fault {
			return TrainResult{}, fmt.Errorf("mlops: train: %s is labelled %q, not normal", c.Path, c.Label)
		}
		length, err := m.windows(ctx, th, c.Path, func(_ time.Duration, v []float64) {
			X = append(X, append([]float64(nil), v...))
		})
		if err != nil {
			return TrainResult{}, fmt.Errorf("mlops: train: %w", err)
		}
		audio += length
	}
	var d *detect.Detector
	err := th.Do(func() (err error) {
		d, err = detect.Train(cfg, X)
		return err
	})
	if err != nil {
		return TrainResult{}, fmt.Errorf("mlops: train on %d clips: %w", len(normal), err)
	}
	return TrainResult{Detector: d, Windows: len(X), Audio: audio, Took: time.Since(start)}, nil
}
