package fakeappliance

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"signalcraft/core/api"
)

// How a machine is listened to — window, hop, pooling and persistence — checked as the
// appliance checks it (appliance/api MachineFromWire and config.Machine.Problems: the same
// fields and messages) and filled with the defaults of the machine's kind as the appliance
// answers it (core/detect ProfileFor).

// PoolingStats are the statistics detection.pooling may name.
var PoolingStats = []string{"max", "mean", "std", "min", "delta", "modulation"}

// Limits of a listening profile (core/detect).
const (
	minWindow      = 100 * time.Millisecond
	maxWindow      = time.Minute
	maxPersistence = 10 * time.Minute
	maxEnterOf     = 1024
)

type profile struct {
	window, hop time.Duration
	pooling     []string
	persistence time.Duration
}

// profileFor returns the default profile of a machine kind: valves are listened to with a
// long window, every other kind with the rotating machines' profile.
func profileFor(kind string) profile {
	if strings.ToLower(strings.TrimSpace(kind)) == "valve" {
		return profile{10 * time.Second, 2 * time.Second, []string{"max"}, 5 * time.Second}
	}
	return profile{2 * time.Second, 500 * time.Millisecond, []string{"mean", "modulation"}, 2 * time.Second}
}

// checkProfile checks d's window, hop, pooling and persistence for a machine of kind and
// returns d with them as the appliance stores them: Go durations, empty ones the kind's
// defaults. other says whether the machine's other fields have problems, which (as on the
// appliance) keep the 1024-window check from running.
func checkProfile(d api.Detection, kind string, other bool) (api.Detection, []api.FieldError) {
	var fs []api.FieldError
	add := func(f, msg string) { fs = append(fs, api.FieldError{Field: f, Message: msg}) }
	unparsable := map[string]bool{}
	dur := func(field, s string, optional bool) time.Duration {
		if s == "" && optional {
			return 0
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			add(field, "must be a duration such as 10m or 1h30m")
			unparsable[field] = true
		}
		return v
	}
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
	def := profileFor(kind)
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
			add(field, why)
		}
	}
	if window < minWindow || window > maxWindow {
		bad(api.FieldWindow, fmt.Sprintf("must be between %v and %v", minWindow, maxWindow))
	} else if hop < 10*time.Millisecond || hop > window {
		bad(api.FieldHop, fmt.Sprintf("must be between 10ms and the window (%v)", window))
	}
	for i, s := range pooling {
		if !slices.Contains(PoolingStats, s) || slices.Index(pooling, s) < i {
			bad(fmt.Sprintf("%s[%d]", api.FieldPooling, i), "must be one of "+strings.Join(PoolingStats, ", ")+", each once")
		}
	}
	if *persistence < 0 || *persistence > maxPersistence {
		bad(api.FieldPersistence, fmt.Sprintf("must be between 0s and %v", maxPersistence))
	} else if problems == 0 && !other {
		// An event needs k of the last n windows anomalous (core/detect Profile.Decision).
		k := int(math.Floor(float64(window+*persistence)/float64(hop)+1e-9)) + 2
		if n := int(math.Ceil(1.25 * float64(k))); n > maxEnterOf {
			bad(api.FieldPersistence, fmt.Sprintf("persistence %v: with a hop of %v it spans %d windows (of %d), more than %d",
				*persistence, hop, k, n, maxEnterOf))
		}
	}
	d.Window, d.Hop, d.Pooling, d.Persistence = window.String(), hop.String(), pooling, persistence.String()
	return d, fs
}
