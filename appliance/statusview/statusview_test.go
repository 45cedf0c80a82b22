package statusview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRenderGolden(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 40, 12, 0, time.UTC)
	rows := []Row{
		{Machine: "fan-1", State: "learning", Progress: 0.42, Sensor: "ok", LevelDBFS: -23.41},
		{Machine: "pump-2", State: "anomaly", Sensor: "ok", LevelDBFS: -21.9, Score: 18.33, Threshold: 4.61,
			History: []float64{2, 2.1, 2.3, 5, 9, 14, 18.3}, Events: 1, LastEvent: "18:39:58 anomaly (peak 19.0)"},
		{Machine: "conveyor-motor-3", State: "monitoring", Sensor: "lost", LevelDBFS: -120, Score: 1.95, Threshold: 4.9,
			History: []float64{1, 1.2, 0.9}},
	}
	for _, color := range []bool{false, true} {
		name := "plain.golden"
		if color {
			name = "color.golden"
		}
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, now, rows, Options{Color: color, Width: 10}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Fatalf("render differs from %s:\n%s\nwant:\n%s", path, b.String(), want)
			}
		})
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		values    []float64
		threshold float64
		width     int
		want      string
	}{
		{nil, 1, 3, "   "},
		{[]float64{0, 0.75, 1.5}, 1, 3, "▁▅█"},
		{[]float64{5, 6, 7, 8}, 1, 2, "██"}, // keeps the newest values
		{[]float64{2, 4, 8}, 1, 3, "▃▅█"},
	}
	for _, tc := range tests {
		if got := Sparkline(tc.values, tc.threshold, tc.width, false); got != tc.want {
			t.Errorf("Sparkline(%v, %v, %d) = %q, want %q", tc.values, tc.threshold, tc.width, got, tc.want)
		}
	}
}
