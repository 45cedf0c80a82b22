package dataset

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Splits of an item.
const (
	Train = "train"
	Test  = "test"
)

// Errors of the package; returned errors wrap them with the file, item or value concerned.
var (
	ErrLabel    = errors.New("dataset: unknown label")
	ErrInvalid  = errors.New("dataset: invalid")
	ErrHash     = errors.New("dataset: hash mismatch")
	ErrNotFound = errors.New("dataset: object not found")
)

// TimeLayout is how Canonical writes times: RFC 3339, milliseconds, UTC.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Item is one labelled recording of a machine.
type Item struct {
	SHA256  string    `json:"sha256"`  // hex SHA-256 of the WAV file's bytes (the object's name)
	Machine string    `json:"machine"` // the machine id
	Label   string    `json:"label"`   // Normal or a fault label
	Split   string    `json:"split"`   // Train or Test (assigned by AssignSplit)
	Start   time.Time `json:"start"`   // time of the first sample, UTC, ms precision
	Seconds float64   `json:"seconds"` // duration
	Source  string    `json:"source"`  // "learning", "event:42", "import:<file name>"
}

// Validate reports the first field of it a manifest cannot hold.
func (it Item) Validate() error {
	switch {
	case !ValidSHA256(it.SHA256):
		return fmt.Errorf("%w: item %q: sha256 %q is not 64 lowercase hex digits", ErrInvalid, it.Source, it.SHA256)
	case it.Machine == "":
		return fmt.Errorf("%w: item %q: empty machine", ErrInvalid, it.Source)
	case it.Label == "":
		return fmt.Errorf("%w: item %q: empty label", ErrInvalid, it.Source)
	case it.Split != Train && it.Split != Test && it.Split != "":
		return fmt.Errorf("%w: item %q: split %q (want %s or %s)", ErrInvalid, it.Source, it.Split, Train, Test)
	case it.Start.IsZero():
		return fmt.Errorf("%w: item %q: zero start", ErrInvalid, it.Source)
	case it.Seconds < 0 || math.IsNaN(it.Seconds) || math.IsInf(it.Seconds, 0):
		return fmt.Errorf("%w: item %q: seconds %v", ErrInvalid, it.Source, it.Seconds)
	case it.Source == "":
		return fmt.Errorf("%w: item %s: empty source", ErrInvalid, it.SHA256)
	}
	return nil
}

// ValidSHA256 reports whether s is 64 lowercase hex digits.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// compareItems orders items by (Start, SHA256, Source): the order of a manifest.
func compareItems(a, b Item) int {
	return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.SHA256, b.SHA256), cmp.Compare(a.Source, b.Source))
}

// Manifest is an immutable dataset version: the items of one machine, sorted by
// (Start, SHA256, Source). Its ID is the hex SHA-256 of Canonical(): the same content always
// gives the same id, on any appliance.
type Manifest struct {
	Machine string `json:"machine"`
	Items   []Item `json:"items"`
}

// New builds the manifest of a machine from items (which it does not modify): each item's
// Machine is set to machine, its Start is made UTC and truncated to the millisecond (what
// Canonical keeps), the items are sorted and AssignSplit assigns their split.
func New(machine string, items []Item, testFraction float64) Manifest {
	out := make([]Item, len(items))
	for i, it := range items {
		it.Machine = machine
		it.Start = it.Start.UTC().Truncate(time.Millisecond)
		out[i] = it
	}
	slices.SortStableFunc(out, compareItems)
	AssignSplit(out, testFraction)
	return Manifest{Machine: machine, Items: out}
}

// Validate reports the first item the manifest cannot hold, or a manifest not in its order.
func (m Manifest) Validate() error {
	if m.Machine == "" {
		return fmt.Errorf("%w: manifest without a machine", ErrInvalid)
	}
	for i, it := range m.Items {
		if err := it.Validate(); err != nil {
			return err
		}
		if it.Machine != m.Machine {
			return fmt.Errorf("%w: item %q belongs to machine %q, not %q", ErrInvalid, it.Source, it.Machine, m.Machine)
		}
		if i > 0 && compareItems(m.Items[i-1], it) > 0 {
			return fmt.Errorf("%w: item %q out of order", ErrInvalid, it.Source)
		}
	}
	return nil
}

// canonicalItem fixes the field order and the time format of an item in Canonical.
type canonicalItem struct {
	SHA256  string  `json:"sha256"`
	Machine string  `json:"machine"`
	Label   string  `json:"label"`
	Split   string  `json:"split"`
	Start   string  `json:"start"`
	Seconds float64 `json:"seconds"`
	Source  string  `json:"source"`
}

// Canonical returns the bytes the manifest's id is the hash of: compact JSON
// {"machine":…,"items":[{"sha256","machine","label","split","start","seconds","source"}…]}
// in that field order, times in TimeLayout (RFC 3339, milliseconds, UTC), items in the
// manifest's order. json.Unmarshal reads it back into a Manifest.
func (m Manifest) Canonical() []byte {
	items := make([]canonicalItem, len(m.Items))
	for i, it := range m.Items {
		items[i] = canonicalItem{SHA256: it.SHA256, Machine: it.Machine, Label: it.Label, Split: it.Split,
			Start: it.Start.UTC().Format(TimeLayout), Seconds: it.Seconds, Source: it.Source}
	}
	b, err := json.Marshal(struct {
		Machine string          `json:"machine"`
		Items   []canonicalItem `json:"items"`
	}{m.Machine, items})
	if err != nil {
		panic("dataset: canonical manifest: " + err.Error()) // strings and finite floats always marshal
	}
	return b
}

// ID returns the manifest's version id: the hex SHA-256 of Canonical().
func (m Manifest) ID() string {
	sum := sha256.Sum256(m.Canonical())
	return hex.EncodeToString(sum[:])
}

// Select returns the items with the label and split given; "" selects every label or split.
func (m Manifest) Select(label, split string) []Item {
	var out []Item
	for _, it := range m.Items {
		if (label == "" || it.Label == label) && (split == "" || it.Split == split) {
			out = append(out, it)
		}
	}
	return out
}

// Counts are the totals of a manifest.
type Counts struct {
	Items, Normal, Faults int
	Seconds               float64
}

// Counts returns the number of items, of normal and fault items, and their total duration.
func (m Manifest) Counts() Counts {
	var c Counts
	for _, it := range m.Items {
		c.Items++
		if it.Label == Normal {
			c.Normal++
		} else {
			c.Faults++
		}
		c.Seconds += it.Seconds
	}
	return c
}

// TestCount is how many of a label class of n items AssignSplit puts in the test split:
// round(testFraction·n) (testFraction clamped to [0, 1]), at least one when n ≥ 2 and at most
// n-1, so the class keeps at least one training item; none when n < 2.
func TestCount(n int, testFraction float64) int {
	if n < 2 {
		return 0
	}
	if math.IsNaN(testFraction) || testFraction < 0 {
		testFraction = 0
	}
	k := int(math.Round(min(testFraction, 1) * float64(n)))
	return min(max(k, 1), n-1)
}

// AssignSplit sets the Split of every item by time, per label class: within each label, the
// latest TestCount(n, testFraction) items by (Start, SHA256, Source) are Test and the others
// Train, so no test item is older than a training item of its class (a time split: a model
// is judged on sound recorded after the sound it learned from). The items' order is kept.
func AssignSplit(items []Item, testFraction float64) {
	byLabel := map[string][]int{}
	for i, it := range items {
		byLabel[it.Label] = append(byLabel[it.Label], i)
	}
	for _, idx := range byLabel {
		slices.SortStableFunc(idx, func(a, b int) int { return compareItems(items[a], items[b]) })
		k := TestCount(len(idx), testFraction)
		for j, i := range idx {
			if j >= len(idx)-k {
				items[i].Split = Test
			} else {
				items[i].Split = Train
			}
		}
	}
}

// key identifies an item across versions: the same recording from the same source.
func key(it Item) string { return it.Source + "\x00" + it.SHA256 }

// Diff compares version a with a later version b: the items of b that a lacks (added), the
// items of a that b lacks (removed), and the items in both whose label changed (relabelled,
// as in b). Items are matched by (Source, SHA256); a change of split alone is not reported.
// Each list is in manifest order.
func Diff(a, b Manifest) (added, removed, relabelled []Item) {
	inA := make(map[string]Item, len(a.Items))
	for _, it := range a.Items {
		inA[key(it)] = it
	}
	inB := make(map[string]bool, len(b.Items))
	for _, it := range b.Items {
		inB[key(it)] = true
		old, ok := inA[key(it)]
		switch {
		case !ok:
			added = append(added, it)
		case old.Label != it.Label:
			relabelled = append(relabelled, it)
		}
	}
	for _, it := range a.Items {
		if !inB[key(it)] {
			removed = append(removed, it)
		}
	}
	return added, removed, relabelled
}
