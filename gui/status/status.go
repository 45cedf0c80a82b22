// Package status provides the one-word verdict the desktop client shows for
// a machine ("Normal", "Learning 42%", "Sounds wrong!", "Check microphone",
// "No signal"), worked out from its latest live update. It knows nothing of
// Fyne, colours or languages.
package status

import (
	"time"

	"signalcraft/core/api"
)

// Kind is a machine's verdict, ordered from least to most urgent.
type Kind int

// Verdicts.
const (
	NoSignal Kind = iota // no update for a while, or the sensor is lost
	Learning             // learning what normal sounds like
	Normal               // monitoring, score below the threshold
	CheckMic             // the sensor is silent, clipping or stuck
	Anomaly              // the machine sounds wrong
)

// Key returns the i18n message key of the verdict's word.
func (k Kind) Key() string {
	switch k {
	case Learning:
		return "status.learning"
	case Normal:
		return "status.normal"
	case CheckMic:
		return "status.checkmic"
	case Anomaly:
		return "status.anomaly"
	}
	return "status.nosignal"
}

// Stale is how old the latest update may be before a machine shows
// NoSignal: the appliance sends several updates a second.
const Stale = 10 * time.Second

// Of returns the verdict for a machine whose latest update is l, at time
// now. ok is false when no update has arrived yet.
func Of(l api.Live, ok bool, now time.Time) Kind {
	if !ok || now.Sub(l.Time) > Stale {
		return NoSignal
	}
	switch l.Sensor {
	case api.SensorLost, api.SensorReconnecting, api.SensorEnded:
		return NoSignal
	}
	if l.State == api.StateAnomaly {
		return Anomaly
	}
	switch l.Sensor {
	case api.SensorSilent, api.SensorClipping, api.SensorOffset, api.SensorStuck:
		return CheckMic
	}
	if l.State == api.StateLearning {
		return Learning
	}
	return Normal
}

// Percent returns learning progress as a whole percentage, 0..100.
func Percent(l api.Live) int {
	p := int(l.Progress*100 + 0.5)
	return max(0, min(100, p))
}
