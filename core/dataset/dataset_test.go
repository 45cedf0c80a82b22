package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fixedItems are the items of the golden manifest, deliberately out of order.
func fixedItems() []Item {
	return []Item{
		{SHA256: sha("c"), Label: Normal, Start: t0.Add(20 * time.Second), Seconds: 10, Source: "learning"},
		{SHA256: sha("a"), Label: Normal, Start: t0, Seconds: 10, Source: "import:a.wav"},
		{SHA256: sha("e"), Label: "leak", Start: t0.Add(time.Hour), Seconds: 12.5, Source: "event:42"},
		{SHA256: sha("b"), Label: Normal, Start: t0.Add(10*time.Second + 123456789), Seconds: 10, Source: "import:b.wav"},
		{SHA256: sha("d"), Label: "leak", Start: t0.Add(30 * time.Minute), Seconds: 7.25, Source: "event:41"},
		{SHA256: sha("f"), Label: Other, Start: t0.Add(2 * time.Hour), Seconds: 3, Source: "event:43"},
	}
}

func TestCanonicalGolden(t *testing.T) {
	m := New("valve-1", fixedItems(), 0.25)
	got := append(m.Canonical(), '\n')
	got = append(got, []byte(m.ID()+"\n")...)
	path := filepath.Join("testdata", "manifest.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("canonical bytes and id changed: a dataset version id must never change for the same content\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	m := New("valve-1", fixedItems(), 0.25)
	var back Manifest
	if err := json.Unmarshal(m.Canonical(), &back); err != nil {
		t.Fatal(err)
	}
	if back.ID() != m.ID() {
		t.Errorf("id after a JSON round trip %s, want %s", back.ID(), m.ID())
	}
	if err := back.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if !strings.Contains(string(m.Canonical()), `"start":"2025-03-01T12:00:10.123Z"`) {
		t.Errorf("canonical times are not RFC 3339 ms UTC: %s", m.Canonical())
	}
}

// TestSameContentSameID builds the same dataset twice, as two appliances would: the objects
// in two directories, the items in another order and with times in another zone.
func TestSameContentSameID(t *testing.T) {
	contents := []string{"one", "two", "three", "four", "five"}
	build := func(order []int, zone *time.Location) Manifest {
		o := Objects{Dir: t.TempDir()}
		var items []Item
		for _, i := range order {
			s, _, err := o.Put(strings.NewReader(contents[i]))
			if err != nil {
				t.Fatal(err)
			}
			label := Normal
			if i == 4 {
				label = "leak"
			}
			items = append(items, Item{SHA256: s, Label: label, Start: t0.Add(time.Duration(i) * 10 * time.Second).In(zone),
				Seconds: 10, Source: fmt.Sprintf("import:%d.wav", i)})
		}
		return New("valve-1", items, 0.25)
	}
	seoul := time.FixedZone("KST", 9*3600)
	a := build([]int{0, 1, 2, 3, 4}, time.UTC)
	b := build([]int{4, 2, 0, 3, 1}, seoul)
	if a.ID() != b.ID() {
		t.Fatalf("same content, different ids:\n%s\n%s", a.Canonical(), b.Canonical())
	}
	c := build([]int{0, 1, 2, 3, 4}, time.UTC)
	c.Items[0].Label = "leak"
	if c.ID() == a.ID() {
		t.Error("a relabelled item did not change the id")
	}
}

func TestTestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		frac float64
		want int
	}{
		{0, 0.25, 0}, {1, 0.25, 0}, {1, 1, 0}, {2, 0.25, 1}, {2, 0, 1}, {2, 1, 1},
		{4, 0.25, 1}, {10, 0.25, 3}, {10, 0.2, 2}, {50, 0.3, 15}, {10, -1, 1}, {10, 5, 9},
	} {
		if got := TestCount(tc.n, tc.frac); got != tc.want {
			t.Errorf("TestCount(%d, %v) = %d, want %d", tc.n, tc.frac, got, tc.want)
		}
	}
}

func TestAssignSplit(t *testing.T) {
	var items []Item
	// 8 normal, 3 leak, 1 other, interleaved in time and given out of order.
	for i := 7; i >= 0; i-- {
		items = append(items, Item{SHA256: sha(fmt.Sprint("n", i)), Label: Normal, Start: t0.Add(time.Duration(i) * time.Minute), Source: fmt.Sprint("n", i)})
	}
	for i := range 3 {
		items = append(items, Item{SHA256: sha(fmt.Sprint("l", i)), Label: "leak", Start: t0.Add(time.Duration(i)*time.Minute + 30*time.Second), Source: fmt.Sprint("l", i)})
	}
	items = append(items, Item{SHA256: sha("o"), Label: Other, Start: t0.Add(time.Hour), Source: "o"})
	AssignSplit(items, 0.25)
	want := map[string]string{
		"n0": Train, "n1": Train, "n2": Train, "n3": Train, "n4": Train, "n5": Train, "n6": Test, "n7": Test,
		"l0": Train, "l1": Train, "l2": Test,
		"o": Train,
	}
	for _, it := range items {
		if it.Split != want[it.Source] {
			t.Errorf("%s: split %q, want %q", it.Source, it.Split, want[it.Source])
		}
	}
	if items[0].Source != "n7" {
		t.Errorf("AssignSplit reordered the items: first is %s", items[0].Source)
	}
}

func TestSelect(t *testing.T) {
	m := New("valve-1", fixedItems(), 0.25)
	for _, tc := range []struct {
		label, split string
		want         []string
	}{
		{"", "", []string{"import:a.wav", "import:b.wav", "learning", "event:41", "event:42", "event:43"}},
		{Normal, "", []string{"import:a.wav", "import:b.wav", "learning"}},
		{Normal, Test, []string{"learning"}},
		{Normal, Train, []string{"import:a.wav", "import:b.wav"}},
		{"leak", Test, []string{"event:42"}},
		{"", Test, []string{"learning", "event:42"}},
		{"belt", "", nil},
	} {
		var got []string
		for _, it := range m.Select(tc.label, tc.split) {
			got = append(got, it.Source)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Select(%q, %q) = %v, want %v", tc.label, tc.split, got, tc.want)
		}
	}
	if c := m.Counts(); c != (Counts{Items: 6, Normal: 3, Faults: 3, Seconds: 52.75}) {
		t.Errorf("Counts = %+v", c)
	}
}

func TestDiff(t *testing.T) {
	a := New("valve-1", fixedItems(), 0.25)
	items := fixedItems()
	items = slices.DeleteFunc(items, func(it Item) bool { return it.Source == "event:43" }) // label cleared
	for i := range items {
		if items[i].Source == "event:41" {
			items[i].Label = Normal // relabelled as a false alarm
		}
	}
	items = append(items, Item{SHA256: sha("g"), Label: Normal, Start: t0.Add(3 * time.Hour), Seconds: 10, Source: "learning"})
	b := New("valve-1", items, 0.25)
	added, removed, relabelled := Diff(a, b)
	names := func(its []Item) (out []string) {
		for _, it := range its {
			out = append(out, it.Source+"="+it.Label)
		}
		return out
	}
	for _, tc := range []struct {
		what string
		got  []Item
		want []string
	}{
		{"added", added, []string{"learning=normal"}},
		{"removed", removed, []string{"event:43=other"}},
		{"relabelled", relabelled, []string{"event:41=normal"}},
	} {
		if !slices.Equal(names(tc.got), tc.want) {
			t.Errorf("%s = %v, want %v", tc.what, names(tc.got), tc.want)
		}
	}
	if x, y, z := Diff(a, a); len(x)+len(y)+len(z) != 0 {
		t.Errorf("Diff of a version with itself: %v %v %v", x, y, z)
	}
}

func TestFaultsFor(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"valve", []string{"leak", "other"}},
		{"Valve ", []string{"leak", "other"}},
		{"bearing", []string{"bearing_outer_race", "bearing_inner_race", "bearing_ball", "other"}},
		{"pump", []string{"bearing_outer_race", "bearing_inner_race", "bearing_ball", "imbalance", "misalignment", "looseness", "cavitation", "leak", "electrical", "other"}},
		{"slider", []string{"misalignment", "looseness", "other"}},
		{"", Faults},
		{"turbine", Faults},
	} {
		if got := FaultsFor(tc.kind); !slices.Equal(got, tc.want) {
			t.Errorf("FaultsFor(%q) = %v, want %v", tc.kind, got, tc.want)
		}
	}
	for _, k := range []string{"fan", "pump", "valve", "motor", "bearing", "compressor", "gearbox", "slider"} {
		fs := FaultsFor(k)
		if !slices.Contains(fs, Other) {
			t.Errorf("kind %s does not accept %q", k, Other)
		}
		for _, f := range fs {
			if !slices.Contains(Faults, f) {
				t.Errorf("kind %s: fault %q is not in the taxonomy", k, f)
			}
		}
	}
}

func TestValidLabel(t *testing.T) {
	for _, tc := range []struct {
		kind, label string
		ok          bool
	}{
		{"valve", Normal, true}, {"valve", "leak", true}, {"valve", "other", true},
		{"valve", "cavitation", false}, {"fan", "bearing_ball", true}, {"fan", "bearing", false},
		{"pump", "cavitation", true}, {"", "belt", true}, {"fan", "", false}, {"fan", "Normal", false},
	} {
		err := ValidLabel(tc.kind, tc.label)
		if (err == nil) != tc.ok {
			t.Errorf("ValidLabel(%q, %q) = %v, want ok=%v", tc.kind, tc.label, err, tc.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrLabel) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.label)) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.kind)) {
				t.Errorf("ValidLabel(%q, %q) error %q does not name the label and the kind", tc.kind, tc.label, err)
			}
		}
	}
}

func TestItemValidate(t *testing.T) {
	good := Item{SHA256: sha("x"), Machine: "m", Label: Normal, Split: Train, Start: t0, Seconds: 1, Source: "learning"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Item){
		"sha256":  func(it *Item) { it.SHA256 = strings.ToUpper(it.SHA256) },
		"machine": func(it *Item) { it.Machine = "" },
		"label":   func(it *Item) { it.Label = "" },
		"split":   func(it *Item) { it.Split = "dev" },
		"start":   func(it *Item) { it.Start = time.Time{} },
		"seconds": func(it *Item) { it.Seconds = -1 },
		"source":  func(it *Item) { it.Source = "" },
	} {
		it := good
		mod(&it)
		if err := it.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}
