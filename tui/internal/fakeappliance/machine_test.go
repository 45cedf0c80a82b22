package fakeappliance

import (
	"context"
	"math"
	"reflect"
	"testing"

	appapi "signalcraft/appliance/api"
	"signalcraft/core/api"
)

func pumpMachine() api.Machine {
	return api.Machine{ID: "pump-2", Name: "Coolant pump 2", Kind: "pump", Line: "line-a",
		Sensor:    api.SensorBinding{Source: "mic", Channel: 1},
		Detection: api.Detection{Model: "mahalanobis", Learning: "10m0s", Quantile: 0.99, Smoothing: 1}}
}

// machineCases are machines the fake must judge as the appliance does.
var machineCases = []struct {
	name string
	edit func(m *api.Machine)
	want []api.FieldError // as the appliance says them
}{
	{"defaults", func(*api.Machine) {}, nil},
	{"a valve's defaults", func(m *api.Machine) { m.Kind = "Valve" }, nil},
	{"a profile", func(m *api.Machine) {
		m.Detection.Window, m.Detection.Hop, m.Detection.Pooling, m.Detection.Persistence = "10s", "1s", []string{"max", "mean"}, "0s"
	}, nil},
	{"a window shorter than the kind's hop halves the hop", func(m *api.Machine) { m.Detection.Window = "400ms" }, nil},
	{"window too long", func(m *api.Machine) { m.Detection.Window = "2m" },
		[]api.FieldError{{Field: "detection.window", Message: "must be between 100ms and 1m0s"}}},
	{"window 0s", func(m *api.Machine) { m.Detection.Window = "0s" },
		[]api.FieldError{{Field: "detection.window", Message: "must be between 100ms and 1m0s"}}},
	{"window not a duration", func(m *api.Machine) { m.Detection.Window = "10" },
		[]api.FieldError{{Field: "detection.window", Message: "must be a duration such as 10m or 1h30m"}}},
	{"hop over the window", func(m *api.Machine) { m.Detection.Window, m.Detection.Hop = "1s", "2s" },
		[]api.FieldError{{Field: "detection.hop", Message: "must be between 10ms and the window (1s)"}}},
	{"hop too short", func(m *api.Machine) { m.Detection.Hop = "5ms" },
		[]api.FieldError{{Field: "detection.hop", Message: "must be between 10ms and the window (2s)"}}},
	{"hop 0s is the default", func(m *api.Machine) { m.Detection.Hop = "0s" }, nil},
	{"hop not a duration", func(m *api.Machine) { m.Detection.Hop = "fast" },
		[]api.FieldError{{Field: "detection.hop", Message: "must be a duration such as 10m or 1h30m"}}},
	{"pooling unknown and twice", func(m *api.Machine) { m.Detection.Pooling = []string{"max", "avg", "max"} },
		[]api.FieldError{{Field: "detection.pooling[1]", Message: "must be one of max, mean, std, min, delta, modulation, each once"},
			{Field: "detection.pooling[2]", Message: "must be one of max, mean, std, min, delta, modulation, each once"}}},
	{"persistence too long", func(m *api.Machine) { m.Detection.Persistence = "11m" },
		[]api.FieldError{{Field: "detection.persistence", Message: "must be between 0s and 10m0s"}}},
	{"persistence negative", func(m *api.Machine) { m.Detection.Persistence = "-1s" },
		[]api.FieldError{{Field: "detection.persistence", Message: "must be between 0s and 10m0s"}}},
	{"persistence not a duration", func(m *api.Machine) { m.Detection.Persistence = "2 s" },
		[]api.FieldError{{Field: "detection.persistence", Message: "must be a duration such as 10m or 1h30m"}}},
	{"persistence spanning too many windows", func(m *api.Machine) { m.Detection.Hop, m.Detection.Persistence = "10ms", "10s" },
		[]api.FieldError{{Field: "detection.persistence", Message: "persistence 10s: with a hop of 10ms it spans 1202 windows (of 1503), more than 1024"}}},
	{"persistence at the most windows", func(m *api.Machine) { m.Detection.Hop, m.Detection.Persistence = "10ms", "6.17s" }, nil},
	{"persistence one hop over", func(m *api.Machine) { m.Detection.Hop, m.Detection.Persistence = "10ms", "6.18s" },
		[]api.FieldError{{Field: "detection.persistence", Message: "persistence 6.18s: with a hop of 10ms it spans 820 windows (of 1025), more than 1024"}}},
	{"several", func(m *api.Machine) {
		m.Detection.Quantile, m.Detection.Learning, m.Detection.Window, m.Detection.Pooling = 1.5, "5s", "50ms", []string{"mean", "p90"}
	}, []api.FieldError{{Field: "detection.learning", Message: "must be between 10s and 720h"},
		{Field: "detection.quantile", Message: "must be at least 0.5 and below 1"},
		{Field: "detection.window", Message: "must be between 100ms and 1m0s"},
		{Field: "detection.pooling[1]", Message: "must be one of max, mean, std, min, delta, modulation, each once"}}},
	{"other fields", func(m *api.Machine) {
		m.Sensor.Source, m.Sensor.Channel, m.Detection.Model, m.Detection.Smoothing, m.Detection.Quantile = "Mic!", 32, "svm", 0, math.NaN()
	}, []api.FieldError{{Field: "sensor.source", Message: "must name a configured source"},
		{Field: "sensor.channel", Message: "must be between 0 and 31"},
		{Field: "detection.model", Message: "must be one of mahalanobis, gmm, knn"},
		{Field: "detection.quantile", Message: "must be at least 0.5 and below 1"},
		{Field: "detection.smoothing", Message: "must be between 1 and 100"}}},
}

func TestCheckMachine(t *testing.T) {
	for _, tt := range machineCases {
		t.Run(tt.name, func(t *testing.T) {
			m := pumpMachine()
			tt.edit(&m)
			_, fs := checkMachine(m)
			if !reflect.DeepEqual([]api.FieldError(fs), tt.want) {
				t.Errorf("checkMachine = %+v\nwant        %+v", fs, tt.want)
			}
		})
	}
}

// The fake answers as the appliance's own validation (appliance/api) does: the same field
// errors, and a valid machine stored with the same defaults.
func TestCheckMachineAgreesWithAppliance(t *testing.T) {
	for _, tt := range machineCases {
		t.Run(tt.name, func(t *testing.T) {
			m := pumpMachine()
			tt.edit(&m)
			got, fs := checkMachine(m)
			want := appapi.ValidateMachine(m)
			if len(fs) != len(want) || len(fs) > 0 && !reflect.DeepEqual([]api.FieldError(fs), want) {
				t.Fatalf("fake %+v\nappliance %+v", fs, want)
			}
			if len(fs) > 0 {
				return
			}
			mc, _ := appapi.MachineFromWire(m)
			if stored := appapi.MachineToWire(mc); !reflect.DeepEqual(got, stored) {
				t.Errorf("fake stores %+v\nappliance %+v", got.Detection, stored.Detection)
			}
		})
	}
}

func TestPutMachine(t *testing.T) {
	fx := NewFixture()
	fx.Me.Role = api.RoleAdmin
	s := New(fx)
	defer s.Close()
	c, err := api.NewClient(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ms, err := c.Machines(ctx)
	if err != nil || len(ms) != 3 {
		t.Fatalf("Machines = %d, %v", len(ms), err)
	}
	if d := ms[1].Detection; d.Window != "2s" || d.Hop != "500ms" || !reflect.DeepEqual(d.Pooling, []string{"mean", "modulation"}) || d.Persistence != "2s" || d.Smoothing != 1 {
		t.Errorf("pump's detection %+v, want the rotating profile and smoothing 1", d)
	}
	m := ms[1]
	m.Detection.Window, m.Detection.Pooling = "3s", []string{"max", "bogus"}
	_, err = c.UpdateMachine(ctx, m)
	var ae *api.Error
	if !api.IsCode(err, api.CodeInvalid) || !asAPIError(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "detection.pooling[1]" {
		t.Fatalf("UpdateMachine(pooling bogus) = %v", err)
	}
	m.Detection.Pooling, m.Detection.Hop, m.Detection.Persistence = nil, "", "" // the kind's defaults
	got, err := c.UpdateMachine(ctx, m)
	if err != nil || got.Detection.Window != "3s" || got.Detection.Hop != "500ms" || got.Detection.Persistence != "2s" || len(got.Detection.Pooling) != 2 {
		t.Fatalf("UpdateMachine = %+v, %v", got.Detection, err)
	}
	if s.Machines()[1].Detection.Window != "3s" {
		t.Error("not stored")
	}
	s.mu.Lock()
	s.data.Me.Role = api.RoleOperator
	s.mu.Unlock()
	if _, err := c.UpdateMachine(ctx, m); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("operator's UpdateMachine = %v, want forbidden", err)
	}
}

func asAPIError(err error, target **api.Error) bool {
	e, ok := err.(*api.Error)
	*target = e
	return ok
}
