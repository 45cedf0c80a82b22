package matfile

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"signalcraft/core/shareddata"
)

// leWant is what leFile and leZlibFile hold as real numeric arrays (write_test.go).
var leWant = map[string][]float64{
	"vec":      {-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25},
	"mat_i16":  {1, -4, -2, 5, 3, -32768}, // column-major
	"small_u8": {1, 2, 3},
	"rpm":      {1796},
	"scalar":   {2.5},
	"single":   {0.5, -1.5},
	"i64":      {-(1 << 40), 7},
	"u32":      {4000000000},
	"flag":     {1, 0, 1},
	"empty":    {},
}

func TestReadFile(t *testing.T) {
	tests := []struct {
		file string
		data []byte
		want map[string][]float64
	}{
		{"le.mat", leFile(), leWant},
		{"le_zlib.mat", leZlibFile(), leWant},
		{"be.mat", beFile(), map[string][]float64{
			"be_vec": {-2.5, -0.5, 1.5, -1.5, 0.5, 2.5},
			"be_i32": {-123456},
			"be_u16": {1, 65535, 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got variables %v, want %d", keys(got), len(tt.want))
			}
			for name, want := range tt.want {
				if g, ok := got[name]; !ok || !slices.Equal(g, want) {
					t.Errorf("%s = %v, want %v", name, g, want)
				}
			}
		})
	}
}

func keys(m map[string][]float64) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

func TestDecodeListsEveryVariable(t *testing.T) {
	vars, err := Decode(leZlibFile())
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]string{}
	dims := map[string][]int{}
	for _, v := range vars {
		classes[v.Name] = v.Class
		dims[v.Name] = v.Dims
	}
	wantClass := map[string]string{
		"vec": "double", "mat_i16": "int16", "small_u8": "uint8", "rpm": "uint16", "single": "single",
		"flag": "uint8", "text": "char", "st": "struct", "cel": "cell", "z": "complex double",
	}
	for n, c := range wantClass {
		if classes[n] != c {
			t.Errorf("%s: class %q, want %q", n, classes[n], c)
		}
	}
	if !slices.Equal(dims["mat_i16"], []int{2, 3}) || !slices.Equal(dims["vec"], []int{10, 1}) {
		t.Errorf("dims: mat_i16 %v, vec %v", dims["mat_i16"], dims["vec"])
	}
}

func TestReadVar(t *testing.T) {
	path := filepath.Join(t.TempDir(), "le.mat")
	if err := os.WriteFile(path, leFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadVar(path, "mat_i16")
	if err != nil || !slices.Equal(got, leWant["mat_i16"]) {
		t.Fatalf("ReadVar = %v, %v", got, err)
	}
	tests := []struct {
		name string
		is   error
		want string
	}{
		{"nope", ErrNoVariable, path + `: matfile: no such variable "nope" (the file has cel, empty, flag, i64, mat_i16, rpm, scalar, single, small_u8, st, text, u32, vec, z)`},
		{"text", ErrUnsupported, path + `: variable "text": matfile: unsupported: char array is not real numeric`},
		{"z", ErrUnsupported, path + `: variable "z": matfile: unsupported: complex double array is not real numeric`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadVar(path, tt.name)
			if !errors.Is(err, tt.is) || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
	if _, err := ReadVar(filepath.Join(t.TempDir(), "missing.mat"), "x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func header(text, endian string) []byte {
	b := []byte(text)
	for len(b) < 124 {
		b = append(b, ' ')
	}
	if endian == "MI" {
		return append(b, 0x01, 0x00, 'M', 'I')
	}
	return append(b, 0x00, 0x01, 'I', 'M')
}

func TestDecodeErrors(t *testing.T) {
	le, zl := leFile(), leZlibFile()
	mod := func(b []byte, off int, v ...byte) []byte {
		c := slices.Clone(b)
		copy(c[off:], v)
		return c
	}
	h := header("MATLAB 5.0 MAT-file", "IM")
	tests := []struct {
		name string
		in   []byte
		is   error
		want string
	}{
		{"empty", nil, ErrNotMAT, "matfile: not a MATLAB level-5 MAT-file: 0 bytes, shorter than the 128-byte header"},
		{"level 4 / other", make([]byte, 200), ErrNotMAT, `matfile: not a MATLAB level-5 MAT-file: missing "MATLAB 5.0 MAT-file" header text`},
		{"v7.3", header("MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00", "IM"), ErrUnsupported, "matfile: unsupported: MATLAB 7.3 (HDF5) MAT-file"},
		{"bad endian", mod(h, 126, 'X', 'X'), ErrNotMAT, `matfile: not a MATLAB level-5 MAT-file: endian indicator "XX"`},
		{"bad version", mod(h, 124, 0x00, 0x02), ErrUnsupported, "matfile: unsupported: header version 0x0200"},
		{"header only", h, nil, ""},
		{"truncated", le[:300], ErrCorrupt, "matfile: corrupt: element of type 14 claims 72 bytes, 28 left"},
		{"short tag", append(slices.Clone(h), 1, 2, 3), ErrCorrupt, "matfile: corrupt: 3 bytes left, too short for an element tag"},
		{"bad flags type", mod(le, 136, 7), ErrCorrupt, "matfile: corrupt: array flags element of type 7, 8 bytes"},
		{"negative dim", mod(le, 160, 0xff, 0xff, 0xff, 0xff), ErrCorrupt, "matfile: corrupt: dimension -1"},
		{"dims vs data", mod(le, 160, 9), ErrCorrupt, "matfile: corrupt: variable vec has 10 values, dimensions [9 1] need 9"},
		{"bad zlib", mod(zl, 136, 0, 0, 0, 0), ErrCorrupt, "matfile: corrupt: compressed element: zlib: invalid header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if tt.is == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.is) || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestReadFileNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.mat")
	os.WriteFile(p, []byte("not a mat file"), 0o644)
	_, err := ReadFile(p)
	if !errors.Is(err, ErrNotMAT) || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("err = %v", err)
	}
}

// TestCWRU reads the real CWRU recordings and checks them against labels.csv.
func TestCWRU(t *testing.T) {
	dir := shareddata.Require(t, "cwru-12k-de-0hp")
	fh, err := os.Open(shareddata.Require(t, "cwru-12k-de-0hp", "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if len(rows) < 11 {
		t.Fatalf("labels.csv has %d rows", len(rows))
	}
	for _, row := range rows[1:] {
		file := row[col["file"]]
		t.Run(file, func(t *testing.T) {
			path := filepath.Join(dir, file)
			vars, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range strings.Split(row[col["variables"]], "|") {
				if _, ok := vars[name]; !ok {
					t.Errorf("variable %s missing (have %v)", name, keys(vars))
				}
			}
			n, _ := strconv.Atoi(row[col["n_samples"]])
			de := vars[row[col["de_variable"]]]
			if len(de) != n {
				t.Errorf("%s has %d samples, labels.csv says %d", row[col["de_variable"]], len(de), n)
			}
			var rpm []float64
			for name, v := range vars {
				if strings.HasSuffix(name, "RPM") {
					rpm = v
				}
			}
			wantRPM, _ := strconv.ParseFloat(row[col["rpm"]], 64)
			if len(rpm) != 1 || rpm[0] != wantRPM {
				t.Errorf("RPM = %v, labels.csv says %v", rpm, wantRPM)
			}
			// Accelerometer data in g: finite, zero-mean-ish, not all equal.
			var sum, sumsq float64
			for _, x := range de {
				sum += x
				sumsq += x * x
			}
			mean := sum / float64(len(de))
			rms := sumsq / float64(len(de))
			if mean > 0.1 || mean < -0.1 || rms <= 0 || rms > 100 {
				t.Errorf("implausible DE signal: mean %g, mean square %g", mean, rms)
			}
		})
	}
	// First values of normal_0_97.mat X097_DE_time, from its bytes (f6f6 b989 a03c ab3f ...), as scipy.io.loadmat reads it.
	de, err := ReadVar(filepath.Join(dir, "normal_0_97.mat"), "X097_DE_time")
	if err != nil {
		t.Fatal(err)
	}
	if de[0] != 0.05319692307692307 { // scipy.io.loadmat's value
		t.Errorf("X097_DE_time[0] = %.17g", de[0])
	}
}

func BenchmarkReadVar(b *testing.B) {
	path := shareddata.Require(b, "cwru-12k-de-0hp", "normal_0_97.mat")
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := ReadVar(path, "X097_DE_time"); err != nil {
			b.Fatal(err)
		}
	}
}
