package apiconv

import (
	"fmt"
	"math"
	"testing"

	wire "signalcraft/core/api"
	"signalcraft/core/detect"
	"signalcraft/core/machine"
)

func TestValidateMachine(t *testing.T) {
	ok := wire.Machine{ID: "pump-1", Name: "Pump", Kind: "pump", Line: "A", Sensor: wire.SensorBinding{Source: "mic", Channel: 1},
		Detection: wire.Detection{Model: "gmm", Learning: "1h30m", Quantile: 0.5, Smoothing: 100}}
	if fs := ValidateMachine(ok); len(fs) != 0 {
		t.Fatalf("valid machine: %+v", fs)
	}
	// Window, hop, pooling and persistence left out take the kind's profile.
	listening := func(p detect.Profile) string { p.Model = ""; return p.String() }
	if mc, fs := MachineFromWire(ok); len(fs) != 0 || listening(mc.Detection.Profile()) != listening(detect.RotatingProfile) {
		t.Fatalf("defaults: %v %v", mc.Detection.Profile(), fs)
	}
	valve := ok
	valve.Kind = "valve"
	if mc, _ := MachineFromWire(valve); listening(mc.Detection.Profile()) != listening(detect.TransientProfile) {
		t.Fatalf("valve defaults: %v", mc.Detection.Profile())
	}
	if back := MachineToWire(mustFromWire(t, valve)); back.Detection.Window != "10s" || back.Detection.Persistence != "5s" {
		t.Fatalf("to wire: %+v", back.Detection)
	}
	long := fmt.Sprintf("%0101d", 0)
	tests := []struct {
		name   string
		change func(*wire.Machine)
		fields string
	}{
		{"bad id", func(m *wire.Machine) { m.ID = "Pump 1" }, "[id]"},
		{"long name", func(m *wire.Machine) { m.Name = long }, "[name]"},
		{"long line", func(m *wire.Machine) { m.Line = long }, "[line]"},
		{"long kind", func(m *wire.Machine) { m.Kind = long }, "[kind]"},
		{"no source", func(m *wire.Machine) { m.Sensor.Source = "" }, "[sensor.source]"},
		{"channel", func(m *wire.Machine) { m.Sensor.Channel = -1 }, "[sensor.channel]"},
		{"model", func(m *wire.Machine) { m.Detection.Model = "svm" }, "[detection.model]"},
		{"learning syntax", func(m *wire.Machine) { m.Detection.Learning = "10 minutes" }, "[detection.learning]"},
		{"learning short", func(m *wire.Machine) { m.Detection.Learning = "9s" }, "[detection.learning]"},
		{"learning long", func(m *wire.Machine) { m.Detection.Learning = "721h" }, "[detection.learning]"},
		{"quantile 1", func(m *wire.Machine) { m.Detection.Quantile = 1 }, "[detection.quantile]"},
		{"quantile NaN", func(m *wire.Machine) { m.Detection.Quantile = math.NaN() }, "[detection.quantile]"},
		{"smoothing", func(m *wire.Machine) { m.Detection.Smoothing = 101 }, "[detection.smoothing]"},
		{"window syntax", func(m *wire.Machine) { m.Detection.Window = "ten seconds" }, "[detection.window]"},
		{"window too long", func(m *wire.Machine) { m.Detection.Window = "2m" }, "[detection.window]"},
		{"hop over window", func(m *wire.Machine) { m.Detection.Window, m.Detection.Hop = "1s", "2s" }, "[detection.hop]"},
		{"pooling", func(m *wire.Machine) { m.Detection.Pooling = []string{"max", "max"} }, "[detection.pooling[1]]"},
		{"persistence syntax", func(m *wire.Machine) { m.Detection.Persistence = "long" }, "[detection.persistence]"},
		{"persistence negative", func(m *wire.Machine) { m.Detection.Persistence = "-1s" }, "[detection.persistence]"},
		{"several", func(m *wire.Machine) { m.Detection.Quantile, m.Detection.Smoothing, m.Name = 0.2, 0, long },
			"[name detection.quantile detection.smoothing]"},
	}
	for _, tt := range tests {
		m := ok
		tt.change(&m)
		var got []string
		for _, f := range ValidateMachine(m) {
			got = append(got, f.Field)
		}
		if fmt.Sprint(got) != tt.fields {
			t.Errorf("%s: fields %v, want %s", tt.name, got, tt.fields)
		}
	}
}

func mustFromWire(t *testing.T, w wire.Machine) machine.Machine {
	t.Helper()
	mc, fs := MachineFromWire(w)
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	return mc
}

func TestDiffMachine(t *testing.T) {
	a := wire.Machine{ID: "m", Name: "A", Detection: wire.Detection{Quantile: 0.99, Smoothing: 3}}
	b := a
	if d := DiffMachine(a, b); d != "no change" {
		t.Errorf("diff = %q", d)
	}
	b.Detection.Smoothing, b.Sensor.Channel = 5, 2
	if d := DiffMachine(a, b); d != "detection.smoothing: 3 → 5; sensor.channel: 0 → 2" {
		t.Errorf("diff = %q", d)
	}
}
