package dataset

import (
	"fmt"
	"slices"
	"strings"

	"signalcraft/core/api"
)

// Normal is the label of normal sound; every other label names a fault type.
const Normal = "normal"

// Other is the fault label every machine kind accepts: a fault whose type is not known.
const Other = "other"

// Faults are the fault labels of the taxonomy, in the order clients offer them: the API's
// list (core/api.FaultLabels), so what an operator can pick is what datasets know.
var Faults = slices.Clone(api.FaultLabels)

var bearing = []string{"bearing_outer_race", "bearing_inner_race", "bearing_ball"}

// faultsByKind lists the faults each machine kind can have (appliance/config's kinds);
// FaultsFor returns them in the order of Faults and always with Other.
var faultsByKind = map[string][]string{
	"fan":        append(slices.Clone(bearing), "imbalance", "misalignment", "looseness", "belt", "electrical"),
	"pump":       append(slices.Clone(bearing), "imbalance", "misalignment", "looseness", "cavitation", "leak", "electrical"),
	"valve":      {"leak"},
	"motor":      append(slices.Clone(bearing), "imbalance", "misalignment", "looseness", "belt", "electrical"),
	"bearing":    bearing,
	"compressor": append(slices.Clone(bearing), "imbalance", "misalignment", "looseness", "leak", "belt", "electrical"),
	"gearbox":    append(slices.Clone(bearing), "imbalance", "misalignment", "looseness"),
	"slider":     {"misalignment", "looseness"},
}

// FaultsFor returns the fault labels of a machine kind (case-insensitive), in the order of
// Faults. A kind the taxonomy does not know (or "") accepts every fault.
func FaultsFor(kind string) []string {
	own, ok := faultsByKind[strings.ToLower(strings.TrimSpace(kind))]
	if !ok {
		return slices.Clone(Faults)
	}
	var out []string
	for _, f := range Faults {
		if f == Other || slices.Contains(own, f) {
			out = append(out, f)
		}
	}
	return out
}

// ValidLabel reports whether label is Normal or a fault of the machine kind; the error
// (wrapping ErrLabel) names the label, the kind and the labels it accepts.
func ValidLabel(kind, label string) error {
	if label == Normal {
		return nil
	}
	fs := FaultsFor(kind)
	if slices.Contains(fs, label) {
		return nil
	}
	return fmt.Errorf("%w %q for machine kind %q (want %s or one of %s)", ErrLabel, label, kind, Normal, strings.Join(fs, ", "))
}
