package mlops

import (
	"context"
	"fmt"
	"time"

	"signalcraft/core/detect"
)

// Metrics is how a detector did on held-back clips, judged as the daemon judges a stream:
// every clip scored from its first window by a fresh copy of the detector, with the
// machine's smoothing and persistence rule, and an event counted where the detector opens
// one.
type Metrics struct {
	NormalHours        float64  `json:"normal_hours"` // normal sound scored
	FalseAlarms        int      `json:"false_alarms"` // events opened on it
	FalseAlarmsPerHour float64  `json:"false_alarms_per_hour"`
	Faults             int      `json:"faults"`   // labelled fault clips
	Detected           int      `json:"detected"` // of them, with at least one event
	Recall             *float64 `json:"recall,omitempty"`
}

// Evaluate measures det on clips without changing it.
func Evaluate(ctx context.Context, m Machine, det *detect.Detector, clips []Clip, th *Throttle) (Metrics, error) {
	var r Metrics
	var normal time.Duration
	origin := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // a clip's own time; only differences matter
	for _, c := range clips {
		d, err := det.Fresh()
		if err != nil {
			return Metrics{}, fmt.Errorf("mlops: evaluate: %w", err)
		}
		events := 0
		length, err := m.windows(ctx, th, c.Path, func(at time.Duration, v []float64) {
			if res := d.Push(origin.Add(at), v); res.Opened != nil {
				events++
			}
		})
		if err != nil {
			return Metrics{}, fmt.Errorf("mlops: evaluate: %w", err)
		}
		if c.Fault {
			r.Faults++
			if events > 0 {
				r.Detected++
			}
			continue
		}
		normal += length
		r.FalseAlarms += events
	}
	r.NormalHours = normal.Hours()
	if r.NormalHours > 0 {
		r.FalseAlarmsPerHour = float64(r.FalseAlarms) / r.NormalHours
	}
	if r.Faults > 0 {
		rec := float64(r.Detected) / float64(r.Faults)
		r.Recall = &rec
	}
	return r, nil
}
