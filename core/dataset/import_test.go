package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/core/shareddata"
	"signalcraft/core/wav"
)

func TestImportSharedValve(t *testing.T) {
	dir := shareddata.Require(t, "dcase2022-valve-sec00-source")
	shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv")
	o := Objects{Dir: t.TempDir()}
	items, err := ImportWith(dir, "valve-1", "valve", o, ImportOptions{Fault: "leak", Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 100 {
		t.Fatalf("%d items, want 100", len(items))
	}
	counts := map[string]int{}
	for i, it := range items {
		counts[it.Label]++
		if it.Seconds != 10 {
			t.Errorf("%s: %v s, want 10", it.Source, it.Seconds)
		}
		if want := t0.Add(time.Duration(i) * 10 * time.Second); !it.Start.Equal(want) {
			t.Errorf("%s: start %v, want %v (import time + index × 10 s)", it.Source, it.Start, want)
		}
		if !strings.HasPrefix(it.Source, "import:section_00_source_test_") || it.Machine != "valve-1" || it.Split != "" {
			t.Errorf("item %+v", it)
		}
		if strings.Contains(it.Source, "anomaly") != (it.Label == "leak") {
			t.Errorf("%s labelled %s", it.Source, it.Label)
		}
		if err := o.Verify(it.SHA256); err != nil {
			t.Error(err)
		}
	}
	if counts[Normal] != 50 || counts["leak"] != 50 {
		t.Errorf("labels %v, want 50 normal and 50 leak", counts)
	}
	m := New("valve-1", items, 0.2)
	if n, f := len(m.Select(Normal, Test)), len(m.Select("leak", Test)); n != 10 || f != 10 {
		t.Errorf("test split holds %d normal and %d leak items, want 10 and 10", n, f)
	}
	// The test items are the last rows of each class in labels.csv.
	for _, it := range m.Select(Normal, Test) {
		if it.Source < "import:section_00_source_test_normal_0040" {
			t.Errorf("%s is in the test split, but the last rows should be", it.Source)
		}
	}

	// Importing again, elsewhere (through Import, without the kind), gives the same version id.
	again, err := Import(dir, "valve-1", "leak", Objects{Dir: t.TempDir()}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if New("valve-1", again, 0.2).ID() != m.ID() {
		t.Error("the same import on another object directory gave another id")
	}
}

func TestImportSharedDCASE2020(t *testing.T) {
	dir := shareddata.Require(t, "dcase2020-id00")
	items, err := Import(dir, "fan-1", "", Objects{Dir: t.TempDir()}, t0) // fault "" → Other
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 76 || items[0].Label != Other || items[0].Source != "import:anomaly_id_00_00000000.wav" {
		t.Fatalf("%d items, first %+v", len(items), items[0])
	}
}

func TestImportErrors(t *testing.T) {
	wavBytes := func() []byte {
		var b bytes.Buffer
		if err := wav.Encode(&b, 16000, [][]float32{make([]float32, 1600)}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}()
	for _, tc := range []struct {
		name   string
		files  map[string]string // name → content; "WAV" is a valid recording
		kind   string
		fault  string
		want   []string // substrings of the error
		target error
	}{
		{name: "no labels.csv", files: map[string]string{"a.wav": "WAV"}, want: []string{"labels.csv"}},
		{name: "missing file", files: map[string]string{"labels.csv": "file,label\na.wav,normal\ngone.wav,normal\n", "a.wav": "WAV"},
			want: []string{"line 3", "gone.wav"}},
		{name: "unknown label", files: map[string]string{"labels.csv": "file,label\na.wav,broken\n", "a.wav": "WAV"},
			want: []string{"line 2", `"broken"`}},
		{name: "not a WAV", files: map[string]string{"labels.csv": "file,label\na.wav,normal\nb.wav,anomaly\n", "a.wav": "WAV", "b.wav": "plain text"},
			want: []string{"line 3", "b.wav"}, target: ErrNotWAV},
		{name: "MATLAB file", files: map[string]string{"labels.csv": "file,label\nx.mat,fault\n", "x.mat": "MATLAB 5.0 MAT-file"},
			want: []string{"x.mat", "convert it to WAV"}, target: ErrNotWAV},
		{name: "fault not of the kind", kind: "valve", fault: "cavitation",
			files: map[string]string{"labels.csv": "file,label\na.wav,normal\n", "a.wav": "WAV"},
			want:  []string{`"cavitation"`, `"valve"`}, target: ErrLabel},
		{name: "no label column", files: map[string]string{"labels.csv": "file,class\na.wav,normal\n", "a.wav": "WAV"},
			want: []string{`"label"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				b := []byte(content)
				if content == "WAV" {
					b = wavBytes
				}
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			kind := tc.kind
			if kind == "" {
				kind = "pump"
			}
			_, err := ImportWith(dir, "m-1", kind, Objects{Dir: t.TempDir()}, ImportOptions{Fault: tc.fault})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("error %q is not %v", err, tc.target)
			}
		})
	}
}

func TestImportCWRURefused(t *testing.T) {
	dir := shareddata.Require(t, "cwru-12k-de-0hp")
	_, err := Import(dir, "motor-1", "bearing_ball", Objects{Dir: t.TempDir()}, t0)
	if !errors.Is(err, ErrNotWAV) || !strings.Contains(err.Error(), ".mat") || !strings.Contains(err.Error(), "CWRU") {
		t.Errorf("Import of CWRU = %v, want ErrNotWAV naming the .mat file and saying the layout is CWRU's", err)
	}
	// Import refuses a fault label outside the taxonomy, and normal.
	for _, fault := range []string{"broken", Normal} {
		if _, err := Import(dir, "motor-1", fault, Objects{Dir: t.TempDir()}, t0); !errors.Is(err, ErrLabel) {
			t.Errorf("Import with fault %q = %v, want ErrLabel", fault, err)
		}
	}
}
