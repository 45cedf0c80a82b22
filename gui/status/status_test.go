package status

import (
	"testing"
	"time"

	"signalcraft/core/api"
)

func TestOf(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	fresh := now.Add(-time.Second)
	tests := []struct {
		name string
		l    api.Live
		ok   bool
		want Kind
	}{
		{"nothing yet", api.Live{}, false, NoSignal},
		{"normal", api.Live{Time: fresh, State: api.StateMonitoring, Sensor: api.SensorOK}, true, Normal},
		{"learning", api.Live{Time: fresh, State: api.StateLearning, Sensor: api.SensorOK}, true, Learning},
		{"anomaly", api.Live{Time: fresh, State: api.StateAnomaly, Sensor: api.SensorOK}, true, Anomaly},
		{"anomaly while clipping", api.Live{Time: fresh, State: api.StateAnomaly, Sensor: api.SensorClipping}, true, Anomaly},
		{"silent", api.Live{Time: fresh, State: api.StateMonitoring, Sensor: api.SensorSilent}, true, CheckMic},
		{"stuck while learning", api.Live{Time: fresh, State: api.StateLearning, Sensor: api.SensorStuck}, true, CheckMic},
		{"lost", api.Live{Time: fresh, State: api.StateAnomaly, Sensor: api.SensorLost}, true, NoSignal},
		{"reconnecting", api.Live{Time: fresh, State: api.StateMonitoring, Sensor: api.SensorReconnecting}, true, NoSignal},
		{"recording ended", api.Live{Time: fresh, State: api.StateMonitoring, Sensor: api.SensorEnded}, true, NoSignal},
		{"stale", api.Live{Time: now.Add(-Stale - time.Second), State: api.StateMonitoring, Sensor: api.SensorOK}, true, NoSignal},
	}
	for _, tt := range tests {
		if got := Of(tt.l, tt.ok, now); got != tt.want {
			t.Errorf("%s: Of() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		p    float64
		want int
	}{{0, 0}, {0.42, 42}, {0.999, 100}, {1.5, 100}, {-1, 0}} {
		if got := Percent(api.Live{Progress: tt.p}); got != tt.want {
			t.Errorf("Percent(%v) = %d, want %d", tt.p, got, tt.want)
		}
	}
}

func TestKeysDistinct(t *testing.T) {
	seen := map[string]Kind{}
	for k := NoSignal; k <= Anomaly; k++ {
		if o, dup := seen[k.Key()]; dup {
			t.Errorf("%v and %v share key %q", k, o, k.Key())
		}
		seen[k.Key()] = k
	}
}
