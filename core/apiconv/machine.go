package apiconv

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/machine"
)

// ValidateMachine checks a machine's configuration field by field and
// returns every problem, named by its JSON path, so a form can mark each
// field. The rules are those of the configuration file (core/machine's
// Problems); whether sensor.source exists and its channel is free is the
// daemon's to check in UpdateMachine.
func ValidateMachine(m wire.Machine) []wire.FieldError {
	mc, fs := MachineFromWire(m)
	for _, p := range mc.Problems() {
		if slices.ContainsFunc(fs, func(f wire.FieldError) bool { return f.Field == p.Path }) {
			continue // already reported as unparsable
		}
		fs = append(fs, wire.FieldError{Field: p.Path, Message: p.Reason})
	}
	return fs
}

// MachineFromWire converts the API's form of a machine into the configuration's. A duration
// that does not parse is reported as a field error (and left 0); window, hop, pooling and
// persistence left empty take the defaults of the machine's kind.
func MachineFromWire(w wire.Machine) (machine.Machine, []wire.FieldError) {
	var fs []wire.FieldError
	dur := func(field, s string, optional bool) time.Duration {
		if s == "" && optional {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			fs = append(fs, wire.FieldError{Field: field, Message: "must be a duration such as 10m or 1h30m"})
		}
		return d
	}
	d := machine.Detection{Model: w.Detection.Model, Learning: dur(wire.FieldLearning, w.Detection.Learning, false),
		Quantile: w.Detection.Quantile, Smoothing: w.Detection.Smoothing,
		Window: dur(wire.FieldWindow, w.Detection.Window, true), Hop: dur(wire.FieldHop, w.Detection.Hop, true),
		Pooling: slices.Clone(w.Detection.Pooling)}
	if w.Detection.Persistence != "" {
		p := dur(wire.FieldPersistence, w.Detection.Persistence, false)
		d.Persistence = &p
	}
	if d.Window == 0 && w.Detection.Window != "" {
		d.Window = -1 // unparsable: keep it invalid rather than defaulted
	}
	machine.DefaultProfile(&d, w.Kind)
	var g machine.Diagnosis
	if w.Diagnosis != nil {
		g = machine.Diagnosis{ShaftRPM: w.Diagnosis.ShaftRPM, Model: w.Diagnosis.Model}
		if b := w.Diagnosis.Bearing; b != nil {
			g.Bearing = &machine.BearingOrders{BPFO: b.BPFO, BPFI: b.BPFI, BSF: b.BSF, FTF: b.FTF}
		}
		g.Default()
	}
	return machine.Machine{ID: w.ID, Name: w.Name, Kind: w.Kind, Line: w.Line,
		Sensor: machine.Binding{Source: w.Sensor.Source, Channel: w.Sensor.Channel}, Detection: d, Diagnosis: g}, fs
}

// MachineToWire converts the configuration's form of a machine into the API's.
func MachineToWire(mc machine.Machine) wire.Machine {
	d := mc.Detection
	w := wire.Detection{Model: d.Model, Learning: d.Learning.String(), Quantile: d.Quantile, Smoothing: d.Smoothing,
		Window: d.Window.String(), Hop: d.Hop.String(), Pooling: slices.Clone(d.Pooling)}
	if d.Persistence != nil {
		w.Persistence = d.Persistence.String()
	}
	out := wire.Machine{ID: mc.ID, Name: mc.Name, Kind: mc.Kind, Line: mc.Line,
		Sensor: wire.SensorBinding{Source: mc.Sensor.Source, Channel: mc.Sensor.Channel}, Detection: w}
	if mc.Diagnosis.Enabled() {
		out.Diagnosis = &wire.MachineDiagnosis{ShaftRPM: mc.Diagnosis.ShaftRPM, Model: mc.Diagnosis.Model}
		if b := mc.Diagnosis.Bearing; b != nil {
			out.Diagnosis.Bearing = &wire.BearingOrders{BPFO: b.BPFO, BPFI: b.BPFI, BSF: b.BSF, FTF: b.FTF}
		}
	}
	return out
}

// DiffMachine describes what changed between two configurations of a
// machine, for the audit log: "detection.quantile: 0.99 → 0.995; name: …".
func DiffMachine(old, new wire.Machine) string {
	a, b := flatten(old), flatten(new)
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if a[k] != b[k] {
			parts = append(parts, fmt.Sprintf("%s: %s → %s", k, a[k], b[k]))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

// flatten maps a value's JSON form to dotted paths and JSON-encoded leaves.
func flatten(v any) map[string]string {
	out := map[string]string{}
	b, _ := json.Marshal(v)
	var tree any
	_ = json.Unmarshal(b, &tree)
	var walk func(prefix string, t any)
	walk = func(prefix string, t any) {
		if m, ok := t.(map[string]any); ok {
			for k, v := range m {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, v)
			}
			return
		}
		leaf, _ := json.Marshal(t)
		out[prefix] = string(leaf)
	}
	walk("", tree)
	return out
}
