package api

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"signalcraft/appliance/config"
	wire "signalcraft/core/api"
)

// ValidateMachine checks a machine's configuration field by field and
// returns every problem, named by its JSON path, so a form can mark each
// field. The rules are those of the configuration file (appliance/config);
// whether sensor.source exists and its channel is free is the daemon's to
// check in UpdateMachine.
func ValidateMachine(m wire.Machine) []wire.FieldError {
	var fs []wire.FieldError
	bad := func(field, format string, args ...any) {
		fs = append(fs, wire.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !validID(m.ID) {
		bad("id", "must be 1-64 characters of a-z, 0-9, '-' and '_'")
	}
	if len(m.Name) > 100 {
		bad("name", "must be at most 100 characters")
	}
	if len(m.Kind) > 64 {
		bad("kind", "must be at most 64 characters")
	}
	if len(m.Line) > 100 {
		bad("line", "must be at most 100 characters")
	}
	if !validID(m.Sensor.Source) {
		bad("sensor.source", "must name a configured source")
	}
	if m.Sensor.Channel < 0 || m.Sensor.Channel > 31 {
		bad("sensor.channel", "must be between 0 and 31")
	}
	d := m.Detection
	if !slices.Contains(config.ModelKinds, d.Model) {
		bad("detection.model", "must be one of %s", strings.Join(config.ModelKinds, ", "))
	}
	if l, err := time.ParseDuration(d.Learning); err != nil {
		bad("detection.learning", "must be a duration such as 10m or 1h30m")
	} else if l < 10*time.Second || l > 30*24*time.Hour {
		bad("detection.learning", "must be between 10s and 720h")
	}
	if math.IsNaN(d.Quantile) || d.Quantile < 0.5 || d.Quantile >= 1 {
		bad("detection.quantile", "must be at least 0.5 and below 1")
	}
	if d.Smoothing < 1 || d.Smoothing > 100 {
		bad("detection.smoothing", "must be between 1 and 100")
	}
	return fs
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// diffMachine describes what changed between two configurations of a
// machine, for the audit log: "detection.quantile: 0.99 → 0.995; name: …".
func diffMachine(old, new wire.Machine) string {
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
