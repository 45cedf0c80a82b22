package cnn

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"signalcraft/core/matfile"
	"signalcraft/core/shareddata"
)

// The CWRU evaluation: 12 kHz drive-end accelerometer at 0 hp (../shared/data/cwru-12k-de-0hp,
// Case Western Reserve University Bearing Data Center). Windows of 1 s every 0.5 s. The split
// is by recording, never by window: train on two fault diameters, test on the third; the
// normal recording's first half trains and its second half tests.

var evalFlag = flag.Bool("cnn.eval", false, "run the full CWRU evaluation (3 folds, ±4 % speed) and print the numbers for docs/MODELS.md (CNN on log-mel)")

const (
	cwruDir  = "cwru-12k-de-0hp"
	cwruRate = 12000
)

type recording struct {
	file, label, diameter string
	x                     []float32
}

var cwruLabels = map[string]string{
	"none":         "normal",
	"ball":         "bearing_ball",
	"inner_race":   "bearing_inner_race",
	"outer_race@6": "bearing_outer_race",
}

func loadCWRU(tb testing.TB) []recording {
	tb.Helper()
	dir := shareddata.Require(tb, cwruDir)
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", f.Name(), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var recs []recording
	for _, r := range rows[1:] {
		label, ok := cwruLabels[r[col["fault_location"]]]
		if !ok {
			tb.Fatalf("labels.csv: unknown fault_location %q", r[col["fault_location"]])
		}
		path := shareddata.Require(tb, cwruDir, r[col["file"]])
		v, err := matfile.ReadVar(path, r[col["de_variable"]])
		if err != nil {
			tb.Fatal(err)
		}
		x := make([]float32, len(v))
		for i, s := range v {
			x[i] = float32(s)
		}
		recs = append(recs, recording{file: r[col["file"]], label: label, diameter: r[col["fault_diameter_in"]], x: x})
	}
	if len(recs) != 10 {
		tb.Fatalf("labels.csv lists %d recordings, want 10", len(recs))
	}
	return recs
}

// windows cuts x into 1-s windows every 0.5 s.
func windows(x []float32, label, group string) []Example {
	const win, hop = cwruRate, cwruRate / 2
	var ex []Example
	for s := 0; s+win <= len(x); s += hop {
		ex = append(ex, Example{X: x[s : s+win], Label: label, Group: group})
	}
	return ex
}

// split returns the fold that tests on fault diameter testDiam; speed (1 = none) resamples
// every test recording so that its frequencies scale by speed, as if the shaft ran that much
// faster.
func split(recs []recording, testDiam string, speed float64) (train, test []Example) {
	for _, r := range recs {
		if r.label == "normal" {
			half := len(r.x) / 2
			train = append(train, windows(r.x[:half], r.label, r.file+"#1")...)
			test = append(test, windows(resample(r.x[half:], speed), r.label, r.file+"#2")...)
			continue
		}
		if r.diameter == testDiam {
			test = append(test, windows(resample(r.x, speed), r.label, r.file)...)
		} else {
			train = append(train, windows(r.x, r.label, r.file)...)
		}
	}
	return train, test
}

// resample returns y[n] = x(n·speed) by Hann-windowed sinc interpolation (16 taps each side),
// low-passed below the new Nyquist frequency when speed > 1.
func resample(x []float32, speed float64) []float32 {
	if speed == 1 {
		return x
	}
	const half = 16
	cut := min(1, 1/speed)
	y := make([]float32, int(float64(len(x))/speed))
	for n := range y {
		t := float64(n) * speed
		c := int(math.Floor(t))
		var s float64
		for k := c - half + 1; k <= c+half; k++ {
			if k < 0 || k >= len(x) {
				continue
			}
			d := t - float64(k)
			w := 0.5 + 0.5*math.Cos(math.Pi*d/half)
			arg := math.Pi * d * cut
			sinc := cut
			if arg != 0 {
				sinc = cut * math.Sin(arg) / arg
			}
			s += float64(x[k]) * sinc * w
		}
		y[n] = float32(s)
	}
	return y
}

func cwruConfig() Config {
	return Config{Rate: cwruRate, Window: time.Second, Mels: 40, Seed: 1, Epochs: 15, BatchSize: 16, LearningRate: 0.003}
}

type score struct {
	correct, total int
	confusion      map[[2]string]int
}

func evaluate(tb testing.TB, n *Net, test []Example) score {
	s := score{confusion: map[[2]string]int{}}
	for _, e := range test {
		classes, p, err := n.Proba(e.X)
		if err != nil {
			tb.Fatal(err)
		}
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		s.total++
		if classes[best] == e.Label {
			s.correct++
		}
		s.confusion[[2]string{e.Label, classes[best]}]++
	}
	return s
}

func (s score) acc() float64 { return float64(s.correct) / float64(s.total) }

func (s score) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d = %.1f %%;", s.correct, s.total, 100*s.acc())
	for _, want := range []string{"normal", "bearing_ball", "bearing_inner_race", "bearing_outer_race"} {
		fmt.Fprintf(&b, " %s→", want)
		for _, got := range []string{"normal", "bearing_ball", "bearing_inner_race", "bearing_outer_race"} {
			fmt.Fprintf(&b, "%d,", s.confusion[[2]string{want, got}])
		}
	}
	return b.String()
}

// TestCWRUHeldOutDiameter trains on fault diameters 0.007 and 0.021 in and tests on 0.014 in
// (and on the second half of the normal recording). Measured when written
// (seed 1, 15 epochs): 38/76 = 50.0 % — normal and ball all right, inner race all called
// outer race and outer race all called ball: a log-mel CNN does not carry what it learns from
// 0.007/0.021 in defects to 0.014 in. The floor keeps that result from getting worse; the
// run is deterministic, so any change of the number means the model or front end changed.
func TestCWRUHeldOutDiameter(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a CNN on CWRU (several seconds)")
	}
	recs := loadCWRU(t)
	train, test := split(recs, "0.014", 1)
	n, err := Train(context.Background(), train, cwruConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := evaluate(t, n, test)
	t.Logf("held-out 0.014 in: %v", s)
	const floor = 0.45 // measured 0.500
	if s.acc() < floor {
		t.Fatalf("accuracy %.3f below the measured floor %.2f: %v", s.acc(), floor, s)
	}
}

// TestCWRUEval prints every number of docs/MODELS.md "CNN on log-mel": go test ./core/diagnose/cnn/
// -run CWRUEval -v -timeout 30m -args -cnn.eval. Accuracy moves a lot with the seed on these
// folds, so every fold is trained with seeds 1..5 and the mean is reported with the spread.
func TestCWRUEval(t *testing.T) {
	if !*evalFlag {
		t.Skip("run with -cnn.eval")
	}
	recs := loadCWRU(t)
	t.Logf("GOMAXPROCS %d", runtime.GOMAXPROCS(0))
	speeds := []float64{1, 0.96, 1.04}
	for _, d := range []string{"0.007", "0.014", "0.021"} {
		train, _ := split(recs, d, 1)
		tests := make([][]Example, len(speeds))
		for i, sp := range speeds {
			_, tests[i] = split(recs, d, sp)
		}
		sum := make([]float64, len(speeds))
		lo, hi := []float64{1, 1, 1}, []float64{0, 0, 0}
		var took time.Duration
		const seeds = 5
		for seed := uint64(1); seed <= seeds; seed++ {
			c := cwruConfig()
			c.Seed = seed
			start := time.Now()
			n, err := Train(context.Background(), train, c)
			if err != nil {
				t.Fatal(err)
			}
			took += time.Since(start)
			line := fmt.Sprintf("test diameter %s seed %d:", d, seed)
			for i := range speeds {
				s := evaluate(t, n, tests[i])
				sum[i] += s.acc()
				lo[i], hi[i] = min(lo[i], s.acc()), max(hi[i], s.acc())
				line += fmt.Sprintf(" speed %.2f %v |", speeds[i], s)
			}
			t.Log(line)
		}
		t.Logf("test diameter %s: %d train / %d test windows, mean training %v", d, len(train), len(tests[0]), (took / seeds).Round(time.Millisecond))
		for i, sp := range speeds {
			t.Logf("  speed %.2f: mean %.1f %% (min %.1f, max %.1f)", sp, 100*sum[i]/seeds, 100*lo[i], 100*hi[i])
		}
	}
}

func BenchmarkCNNTrain(b *testing.B) {
	recs := loadCWRU(b)
	train, _ := split(recs, "0.014", 1)
	c := cwruConfig()
	b.ReportMetric(float64(len(train)), "windows")
	for b.Loop() {
		if _, err := Train(context.Background(), train, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCNNPredict(b *testing.B) {
	recs := loadCWRU(b)
	train, test := split(recs, "0.014", 1)
	c := cwruConfig()
	c.Epochs = 1
	n, err := Train(context.Background(), train, c)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := n.Proba(test[i%len(test)].X); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
