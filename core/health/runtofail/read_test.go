package runtofail

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseFloat(t *testing.T) {
	for _, s := range []string{"0.552", "-0.146", "12", "+3.5", "-0.000", "1e-3", "6.5664e+04", "123456789012345678901.5"} {
		got, err := parseFloat([]byte(s))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want, _ := strconv.ParseFloat(s, 64)
		if got != want {
			t.Errorf("parseFloat(%q) = %v, want %v", s, got, want)
		}
	}
	if _, err := parseFloat([]byte("abc")); err == nil {
		t.Error("parseFloat(abc) accepted")
	}
}

// writeTarGz writes members name → content into a tar.gz.
func writeTarGz(t *testing.T, members map[string]string, order []string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range order {
		body := members[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFEMTO(t *testing.T) {
	p := writeTarGz(t, map[string]string{
		"Learning_set/Bearing1_1/acc_00001.csv":  "9,39,39,6.5664e+04,0.552,-0.146\n9,39,39,65703,0.501,-0.48\r\n",
		"Learning_set/Bearing1_1/temp_00001.csv": "9,39,39,0,30.1\n",
		"Learning_set/Bearing1_1/acc_00002.csv":  "9,39,49,65664,1,2\n",
	}, []string{"Learning_set/Bearing1_1/acc_00001.csv", "Learning_set/Bearing1_1/temp_00001.csv", "Learning_set/Bearing1_1/acc_00002.csv"})
	var got []string
	err := ReadFEMTO(p, func(idx int, h, v []float64) error {
		got = append(got, fmt.Sprint(idx, h, v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1 [0.552 0.501] [-0.146 -0.48]", "2 [1] [2]"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	bad := writeTarGz(t, map[string]string{"B/acc_00001.csv": "1,2,3\n"}, []string{"B/acc_00001.csv"})
	if err := ReadFEMTO(bad, func(int, []float64, []float64) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "acc_00001.csv") {
		t.Errorf("short line: %v, want an error naming the archive and the member", err)
	}
	if err := ReadFEMTO(filepath.Join(t.TempDir(), "none.tar.gz"), nil); err == nil || !strings.Contains(err.Error(), "none.tar.gz") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadIMS(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ims.csv")
	csv := ",Bearing 1,Bearing 2\n2004-02-12 10:52:39,0.06,0.07\n2004-02-12 11:02:39,0.07,0.07\n2004-02-12 11:12:39,0.08,0.07\n2004-02-12 11:22:39,0.001,0.07\n"
	if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadIMS(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 4 || s.Life() != 20*time.Minute || s.Points[2].RMS != 0.08 {
		t.Errorf("series %+v: want 4 points, life 20 min (the stopped last row after the end)", s)
	}
	if _, err := ReadIMS(p, "Bearing 9"); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("unknown column: %v, want an error naming the file", err)
	}
}
