package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeDir(t *testing.T, csv string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	if csv != "" {
		if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		csv   string
		files []string
		want  []string // substrings of the error
	}{
		{"no labels.csv", "", nil, []string{"labels.csv"}},
		{"missing column", "file,split\na.wav,dev-fit\n", []string{"a.wav"}, []string{"line 1", `"label"`}},
		{"unknown format", "file,label\na.wav,normal\n", []string{"a.wav"}, []string{"line 1", "suggested_split"}},
		{"bad label", "file,label,suggested_split\na.wav,normal,dev-fit\nb.wav,weird,dev-test\n", []string{"a.wav", "b.wav"}, []string{"line 3", `"weird"`}},
		{"missing file", "file,label,suggested_split\na.wav,normal,dev-fit\nb.wav,normal,dev-test\n", []string{"a.wav"}, []string{"line 3", "b.wav"}},
		{"path escape", "file,label,suggested_split\n../x.wav,normal,dev-fit\n", nil, []string{"line 2", "bad file name"}},
		{"anomaly in fit", "file,label,suggested_split\na.wav,anomaly,dev-fit\n", []string{"a.wav"}, []string{"line 2", "anomaly in fit"}},
		{"too few to hold out", "file,label,suggested_split\na.wav,normal,dev-fit\n", []string{"a.wav"}, []string{"too few fit rows"}},
		{"cwru no normal", "file,label,de_variable\nf.mat,fault,X1\n", []string{"f.mat"}, []string{"no normal recording"}},
		{"cwru empty var", "file,label,de_variable\nn.mat,normal,\n", []string{"n.mat"}, []string{"line 2", "de_variable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, tc.csv, tc.files...)
			_, err := Load(dir)
			if !errors.Is(err, ErrDataset) {
				t.Fatalf("got %v, want ErrDataset", err)
			}
			for _, w := range append(tc.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadSplits(t *testing.T) {
	csv := "file,label,suggested_split\n"
	var files []string
	for _, f := range []string{"n0", "n1", "n2", "n3", "n4", "n5"} {
		csv += f + ".wav,normal,dev-fit\n"
		files = append(files, f+".wav")
	}
	csv += "a.wav,anomaly,dev-smoke\n"
	files = append(files, "a.wav")
	ds, err := Load(writeDir(t, csv, files...))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != FormatDCASE || len(ds.Fit) != 4 || len(ds.Test) != 3 || ds.Note == "" {
		t.Fatalf("fit %d test %d note %q", len(ds.Fit), len(ds.Test), ds.Note)
	}
	if filepath.Base(ds.Test[0].Path) != "n4.wav" || !ds.Test[2].Anomaly {
		t.Errorf("held out %v", ds.Test)
	}
}
