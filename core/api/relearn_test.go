package api

import (
	"reflect"
	"testing"
)

func TestRelearnChanges(t *testing.T) {
	base := Machine{ID: "p", Sensor: SensorBinding{Source: "mic", Channel: 1},
		Detection: Detection{Model: "mahalanobis", Learning: "10m0s", Quantile: 0.99, Smoothing: 1,
			Window: "2s", Hop: "500ms", Pooling: []string{"mean"}, Persistence: "2s"}}
	for _, tc := range []struct {
		name string
		edit func(*Machine)
		want []FieldChange
	}{
		{"re-tuning only", func(m *Machine) {
			m.Detection.Quantile, m.Detection.Smoothing, m.Detection.Persistence, m.Name = 0.9, 3, "5s", "x"
		}, nil},
		{"same window written otherwise", func(m *Machine) { m.Detection.Window = "2000ms" }, nil},
		{"window to the default", func(m *Machine) { m.Detection.Window = "" }, []FieldChange{{FieldWindow, "2s", ""}}},
		{"everything", func(m *Machine) {
			m.Sensor = SensorBinding{Source: "mic2", Channel: 0}
			m.Detection.Model, m.Detection.Hop, m.Detection.Pooling = "gmm", "1s", []string{"mean", "modulation"}
		}, []FieldChange{{FieldSensorSource, "mic", "mic2"}, {FieldSensorChannel, "1", "0"}, {FieldModel, "mahalanobis", "gmm"},
			{FieldHop, "500ms", "1s"}, {FieldPooling, "mean", "mean, modulation"}}},
	} {
		next := base
		next.Detection.Pooling = append([]string(nil), base.Detection.Pooling...)
		tc.edit(&next)
		if got := RelearnChanges(base, next); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
