package fakeappliance

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"signalcraft/core/api"
)

// The machine checks follow the appliance's (appliance/api ValidateMachine, MachineFromWire
// and config.Machine.Problems): the same fields, order and messages, and the same defaults
// of window, hop, pooling and persistence by kind (core/detect ProfileFor).

var (
	modelKinds   = []string{"mahalanobis", "gmm", "knn"}
	poolingStats = []string{"max", "mean", "std", "min", "delta", "modulation"}
)

// Limits of a listening profile (core/detect).
const (
	minWindow      = 100 * time.Millisecond
	maxWindow      = time.Minute
	maxPersistence = 10 * time.Minute
	maxEnterOf     = 1024
)

// profile is how a machine is listened to.
type profile struct {
	window, hop time.Duration
	pooling     []string
	persistence time.Duration
}

// profileFor returns the default profile of a machine kind: valves are listened to
// with a long window, every other kind with the rotating machines' profile.
func profileFor(kind string) profile {
	if strings.ToLower(strings.TrimSpace(kind)) == "valve" {
		return profile{10 * time.Second, 2 * time.Second, []string{"max"}, 5 * time.Second}
	}
	return profile{2 * time.Second, 500 * time.Millisecond, []string{"mean", "modulation"}, 2 * time.Second}
}

// withProfile returns d with window, hop, pooling and persistence left empty set to the
// defaults of the kind, as the appliance answers a machine.
func withProfile(d api.Detection, kind string) api.Detection {
	p := profileFor(kind)
	if d.Window == "" {
		d.Window = p.window.String()
	}
	if d.Hop == "" {
		d.Hop = p.hop.String()
		if w, err := time.ParseDuration(d.Window); err == nil && p.hop > w && w > 0 {
			d.Hop = (w / 2).String()
		}
	}
	if len(d.Pooling) == 0 {
		d.Pooling = slices.Clone(p.pooling)
	}
	if d.Persistence == "" {
		d.Persistence = p.persistence.String()
	}
	return d
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

// checkMachine checks a machine as the appliance does and returns it as the appliance
// stores and answers it: durations in Go's form, the kind's defaults filled in.
func checkMachine(w api.Machine) (api.Machine, fieldErrs) {
	var fs fieldErrs
	unparsable := map[string]bool{}
	dur := func(field, s string, optional bool) time.Duration {
		if s == "" && optional {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			fs.add(field, "must be a duration such as 10m or 1h30m")
			unparsable[field] = true
		}
		return d
	}
	d := w.Detection
	learning := dur(api.FieldLearning, d.Learning, false)
	window := dur(api.FieldWindow, d.Window, true)
	hop := dur(api.FieldHop, d.Hop, true)
	pooling := slices.Clone(d.Pooling)
	var persistence *time.Duration
	if d.Persistence != "" {
		p := dur(api.FieldPersistence, d.Persistence, false)
		persistence = &p
	}
	if window == 0 && d.Window != "" {
		window = -1 // unparsable or zero: invalid rather than defaulted
	}
	def := profileFor(w.Kind)
	if window == 0 {
		window = def.window
	}
	if hop == 0 {
		hop = def.hop
		if hop > window && window > 0 {
			hop = window / 2
		}
	}
	if len(pooling) == 0 {
		pooling = def.pooling
	}
	if persistence == nil {
		persistence = &def.persistence
	}

	problems := 0
	bad := func(field, why string) {
		problems++
		if !unparsable[field] {
			fs.add(field, "%s", why)
		}
	}
	if !validID(w.ID) {
		bad("id", "must be 1-64 characters of a-z, 0-9, '-' and '_'")
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{{"name", w.Name, 100}, {"kind", w.Kind, 64}, {"line", w.Line, 100}} {
		if len(f.value) > f.max {
			bad(f.field, fmt.Sprintf("must be at most %d characters", f.max))
		}
	}
	if !validID(w.Sensor.Source) {
		bad(api.FieldSensorSource, "must name a configured source")
	}
	if w.Sensor.Channel < 0 || w.Sensor.Channel > 31 {
		bad(api.FieldSensorChannel, "must be between 0 and 31")
	}
	if !slices.Contains(modelKinds, d.Model) {
		bad(api.FieldModel, "must be one of "+strings.Join(modelKinds, ", "))
	}
	if learning < 10*time.Second || learning > 30*24*time.Hour {
		bad(api.FieldLearning, "must be between 10s and 720h")
	}
	if math.IsNaN(d.Quantile) || d.Quantile < 0.5 || d.Quantile >= 1 {
		bad(api.FieldQuantile, "must be at least 0.5 and below 1")
	}
	if d.Smoothing < 1 || d.Smoothing > 100 {
		bad(api.FieldSmoothing, "must be between 1 and 100")
	}
	if window < minWindow || window > maxWindow {
		bad(api.FieldWindow, fmt.Sprintf("must be between %v and %v", minWindow, maxWindow))
	} else if hop < 10*time.Millisecond || hop > window {
		bad(api.FieldHop, fmt.Sprintf("must be between 10ms and the window (%v)", window))
	}
	for i, s := range pooling {
		if !slices.Contains(poolingStats, s) || slices.Index(pooling, s) < i {
			bad(fmt.Sprintf("%s[%d]", api.FieldPooling, i), "must be one of "+strings.Join(poolingStats, ", ")+", each once")
		}
	}
	if *persistence < 0 || *persistence > maxPersistence {
		bad(api.FieldPersistence, fmt.Sprintf("must be between 0s and %v", maxPersistence))
	} else if problems == 0 {
		// An event needs k of the last n windows anomalous (core/detect Profile.Decision).
		k := int(math.Floor(float64(window+*persistence)/float64(hop)+1e-9)) + 2
		if n := int(math.Ceil(1.25 * float64(k))); n > maxEnterOf {
			bad(api.FieldPersistence, fmt.Sprintf("persistence %v: with a hop of %v it spans %d windows (of %d), more than %d",
				*persistence, hop, k, n, maxEnterOf))
		}
	}
	out := w
	out.Detection = api.Detection{Model: d.Model, Learning: learning.String(), Quantile: d.Quantile, Smoothing: d.Smoothing,
		Window: window.String(), Hop: hop.String(), Pooling: pooling, Persistence: persistence.String()}
	return out, fs
}
