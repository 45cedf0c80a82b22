package fakeappliance

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	appapi "signalcraft/appliance/api"
	"signalcraft/core/api"
)

func valve() api.Machine {
	return api.Machine{ID: Valve, Name: "Steam valve 5", Kind: "valve", Line: "Line C", Sensor: api.SensorBinding{Source: "mic-c"},
		Detection: api.Detection{Model: "mahalanobis", Learning: "10m0s", Quantile: 0.99, Smoothing: 1}}
}

var profileCases = []struct {
	name string
	edit func(d *api.Detection)
	want []api.FieldError
}{
	{"a valve's defaults", func(*api.Detection) {}, nil},
	{"a profile", func(d *api.Detection) {
		d.Window, d.Hop, d.Pooling, d.Persistence = "2s", "250ms", []string{"std", "delta"}, "0s"
	}, nil},
	{"a window shorter than the kind's hop halves the hop", func(d *api.Detection) { d.Window = "500ms" }, nil},
	{"window too short", func(d *api.Detection) { d.Window = "50ms" },
		[]api.FieldError{{Field: "detection.window", Message: "must be between 100ms and 1m0s"}}},
	{"window not a duration", func(d *api.Detection) { d.Window = "ten" },
		[]api.FieldError{{Field: "detection.window", Message: "must be a duration such as 10m or 1h30m"}}},
	{"hop over the window", func(d *api.Detection) { d.Hop = "11s" },
		[]api.FieldError{{Field: "detection.hop", Message: "must be between 10ms and the window (10s)"}}},
	{"pooling unknown and twice", func(d *api.Detection) { d.Pooling = []string{"mean", "mean", "median"} },
		[]api.FieldError{{Field: "detection.pooling[1]", Message: "must be one of max, mean, std, min, delta, modulation, each once"},
			{Field: "detection.pooling[2]", Message: "must be one of max, mean, std, min, delta, modulation, each once"}}},
	{"persistence too long", func(d *api.Detection) { d.Persistence = "1h" },
		[]api.FieldError{{Field: "detection.persistence", Message: "must be between 0s and 10m0s"}}},
	{"persistence not a duration", func(d *api.Detection) { d.Persistence = "5" },
		[]api.FieldError{{Field: "detection.persistence", Message: "must be a duration such as 10m or 1h30m"}}},
	{"persistence spanning too many windows", func(d *api.Detection) { d.Hop, d.Persistence = "10ms", "10m" },
		[]api.FieldError{{Field: "detection.persistence", Message: "persistence 10m0s: with a hop of 10ms it spans 61002 windows (of 76253), more than 1024"}}},
}

func TestCheckProfile(t *testing.T) {
	for _, tt := range profileCases {
		t.Run(tt.name, func(t *testing.T) {
			m := valve()
			tt.edit(&m.Detection)
			got, fs := check(m)
			if !reflect.DeepEqual(fs, tt.want) {
				t.Fatalf("check = %+v\nwant    %+v", fs, tt.want)
			}
			// What the appliance says about these fields, and stores, is the same.
			var app []api.FieldError
			for _, f := range appapi.ValidateMachine(m) {
				if strings.HasPrefix(f.Field, "detection.") {
					app = append(app, f)
				}
			}
			if !reflect.DeepEqual(fs, app) {
				t.Errorf("fake %+v\nappliance %+v", fs, app)
			}
			if len(fs) == 0 {
				mc, _ := appapi.MachineFromWire(m)
				if stored := appapi.MachineToWire(mc); !reflect.DeepEqual(got.Detection, stored.Detection) {
					t.Errorf("fake stores %+v\nappliance %+v", got.Detection, stored.Detection)
				}
			}
		})
	}
}

func TestMachinesCarryTheirProfile(t *testing.T) {
	_, c := start(t, Options{Start: t0, Now: func() time.Time { return t0 }})
	ctx := context.Background()
	ms, err := c.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]api.Detection{
		Fan:   {Window: "4s", Hop: "1s", Pooling: []string{"max", "mean"}, Persistence: "3s"},
		Pump:  {Window: "2s", Hop: "500ms", Pooling: []string{"mean", "modulation"}, Persistence: "2s"},
		Valve: {Window: "10s", Hop: "2s", Pooling: []string{"max"}, Persistence: "5s"},
	}
	for _, m := range ms {
		w, ok := want[m.ID]
		d := m.Detection
		if ok && (d.Window != w.Window || d.Hop != w.Hop || !reflect.DeepEqual(d.Pooling, w.Pooling) || d.Persistence != w.Persistence) || d.Smoothing != 1 {
			t.Errorf("%s: %+v", m.ID, d)
		}
	}
	m := ms[1]
	m.Detection.Pooling = []string{"max", "avg"}
	if _, err := c.UpdateMachine(ctx, m); !reflect.DeepEqual(fields(t, err), []string{"detection.pooling[1]"}) {
		t.Errorf("pooling avg: %v", err)
	}
	m.Detection.Window, m.Detection.Hop, m.Detection.Pooling, m.Detection.Persistence = "1s", "", nil, "0s"
	got, err := c.UpdateMachine(ctx, m)
	if err != nil || got.Detection.Window != "1s" || got.Detection.Hop != "500ms" || got.Detection.Persistence != "0s" || got.Detection.Pooling[0] != "mean" {
		t.Errorf("UpdateMachine = %+v, %v", got.Detection, err)
	}
}
