package alert

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Well-known label names.
const (
	LabelAlertName = "alertname"
	LabelMachine   = "machine"
	LabelLine      = "line"
	LabelSensor    = "sensor"
	LabelSeverity  = "severity"
)

// Labels is a set of label name/value pairs.
type Labels map[string]string

// String renders the labels sorted by name, as {a="1", b="2"}.
func (l Labels) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(l)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// Fingerprint is a stable hash of the labels (FNV-1a 64 over the sorted pairs, as
// Prometheus does), as 16 hex digits.
func (l Labels) Fingerprint() string {
	h := fnv.New64a()
	sep := []byte{0xff}
	for _, k := range slices.Sorted(maps.Keys(l)) {
		h.Write([]byte(k))
		h.Write(sep)
		h.Write([]byte(l[k]))
		h.Write(sep)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func hashString(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())
}
