package api

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// A FieldChange is one field of a machine's settings that an update changes, with its old
// and new values as text ("" is the kind's default for window, hop and pooling).
type FieldChange struct {
	Field    string // FieldSensorSource, FieldWindow, …
	Old, New string
}

// RelearnChanges lists, in form order, the changes from old to next that make the appliance
// learn the machine's normal sound again: sensor source and channel, model, window, hop and
// pooling (persistence, quantile and smoothing re-tune without relearning). Durations
// compare by value ("2000ms" is "2s"); an empty window, hop or pooling — the kind's default,
// which a client does not know — counts as a change from or to any other value. Pooling is
// shown joined with ", ".
func RelearnChanges(old, next Machine) []FieldChange {
	var out []FieldChange
	add := func(field, a, b string, same bool) {
		if !same {
			out = append(out, FieldChange{Field: field, Old: a, New: b})
		}
	}
	add(FieldSensorSource, old.Sensor.Source, next.Sensor.Source, old.Sensor.Source == next.Sensor.Source)
	add(FieldSensorChannel, strconv.Itoa(old.Sensor.Channel), strconv.Itoa(next.Sensor.Channel), old.Sensor.Channel == next.Sensor.Channel)
	add(FieldModel, old.Detection.Model, next.Detection.Model, old.Detection.Model == next.Detection.Model)
	add(FieldWindow, old.Detection.Window, next.Detection.Window, sameDuration(old.Detection.Window, next.Detection.Window))
	add(FieldHop, old.Detection.Hop, next.Detection.Hop, sameDuration(old.Detection.Hop, next.Detection.Hop))
	add(FieldPooling, strings.Join(old.Detection.Pooling, ", "), strings.Join(next.Detection.Pooling, ", "),
		slices.Equal(old.Detection.Pooling, next.Detection.Pooling))
	return out
}

// sameDuration reports whether two Go durations are equal by value; "" equals only "".
func sameDuration(a, b string) bool {
	if a == b {
		return true
	}
	da, errA := time.ParseDuration(a)
	db, errB := time.ParseDuration(b)
	return a != "" && b != "" && errA == nil && errB == nil && da == db
}
