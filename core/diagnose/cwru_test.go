package diagnose

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/core/matfile"
	"signalcraft/core/shareddata"
)

// The CWRU evaluation: 12 kHz drive-end, 0 hp, 4 classes with the learning loop's labels.
// Leakage-free folds: train on two fault diameters, test on the third (all 3 rotations); the
// normal recording is split in halves (first half trains, second half tests, in every fold).
// Windows of 1 s with 0.5 s hop, cut only after the split.

var csvDir = flag.String("csv", "", "write the CWRU fold features as CSV files into this directory (for testdata/sklearn_compare.py)")

const (
	cwruDir  = "cwru-12k-de-0hp"
	cwruRate = 12000
	winLen   = 12000
	hopLen   = 6000
	seed     = 11
)

var classOf = map[string]string{
	"none": "normal", "ball": "bearing_ball", "inner_race": "bearing_inner_race", "outer_race@6": "bearing_outer_race",
}

type recording struct {
	file, label, diameter string
	rpm                   float64
	x                     []float32
}

// speedRatios simulate other speeds: CWRU at 1–3 hp runs at 1772/1750/1730 rpm, i.e.
// 0.986/0.974/0.963 of the 0 hp speed; ±3 % and ±5 % bracket that both ways.
var speedRatios = []float64{0.95, 0.97, 1.03, 1.05}

var diameters = []string{"0.007", "0.014", "0.021"}

func loadCWRU(tb testing.TB) []recording {
	tb.Helper()
	path := shareddata.Require(tb, cwruDir, "labels.csv")
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var recs []recording
	for _, r := range rows[1:] {
		file := r[col["file"]]
		label, ok := classOf[r[col["fault_location"]]]
		if !ok {
			tb.Fatalf("%s: unknown fault_location %q", path, r[col["fault_location"]])
		}
		rpm, err := strconv.ParseFloat(r[col["rpm"]], 64)
		if err != nil {
			tb.Fatalf("%s: %s rpm: %v", path, file, err)
		}
		v, err := matfile.ReadVar(shareddata.Require(tb, cwruDir, file), r[col["de_variable"]])
		if err != nil {
			tb.Fatal(err)
		}
		x := make([]float32, len(v))
		for i, s := range v {
			x[i] = float32(s)
		}
		recs = append(recs, recording{file: file, label: label, diameter: r[col["fault_diameter_in"]], rpm: rpm, x: x})
	}
	return recs
}

// resample plays x at ratio× speed (cubic interpolation): every frequency, shaft speed and
// defect frequency included, is scaled by ratio. Structural resonances move too, which real
// speed changes do not do, so this is a harsher test for the spectral-shape features.
func resample(x []float32, ratio float64) []float32 {
	n := int(float64(len(x)-3) / ratio)
	y := make([]float32, n)
	for i := range y {
		t := float64(i)*ratio + 1
		k := int(t)
		u := t - float64(k)
		p0, p1, p2, p3 := float64(x[k-1]), float64(x[k]), float64(x[k+1]), float64(x[k+2])
		y[i] = float32(p1 + 0.5*u*(p2-p0+u*(2*p0-5*p1+4*p2-p3+u*(3*(p1-p2)+p3-p0))))
	}
	return y
}

func windows(tb testing.TB, fe FrontEnd, x []float32, label, group string) []Example {
	var ex []Example
	for s := 0; s+winLen <= len(x); s += hopLen {
		v, err := fe.Features(x[s : s+winLen])
		if err != nil {
			tb.Fatal(err)
		}
		ex = append(ex, Example{X: v, Label: label, Group: group})
	}
	return ex
}

type fold struct {
	name    string
	train   []Example
	test    []Example
	shifted map[float64][]Example // test set played at another speed, front end told so
	fe      FrontEnd
}

var (
	foldsOnce sync.Once
	folds     []fold
)

func cwruFolds(tb testing.TB) []fold {
	foldsOnce.Do(func() {
		recs := loadCWRU(tb)
		fe := FrontEnd{Rate: cwruRate, ShaftHz: 1797.0 / 60, Window: time.Second}
		feFor := func(r recording, ratio float64) FrontEnd {
			f := fe
			f.ShaftHz = r.rpm / 60 * ratio
			return f
		}
		type part struct {
			r     recording
			x     []float32
			group string
		}
		// Features per recording part, computed once and shared by the folds.
		feats := map[string][]Example{}
		shifted := map[string]map[float64][]Example{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var parts []part
		for _, r := range recs {
			if r.label == "normal" {
				h := len(r.x) / 2
				parts = append(parts, part{r, r.x[:h], r.file + "#first"}, part{r, r.x[h:], r.file + "#second"})
			} else {
				parts = append(parts, part{r, r.x, r.file})
			}
		}
		for _, p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ex := windows(tb, feFor(p.r, 1), p.x, p.r.label, p.group)
				sh := map[float64][]Example{}
				for _, ratio := range speedRatios {
					sh[ratio] = windows(tb, feFor(p.r, ratio), resample(p.x, ratio), p.r.label, p.group)
				}
				mu.Lock()
				feats[p.group], shifted[p.group] = ex, sh
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, d := range diameters {
			f := fold{name: "test " + d, shifted: map[float64][]Example{}, fe: fe}
			for _, p := range parts {
				isTest := p.r.diameter == d || strings.HasSuffix(p.group, "#second")
				if p.r.label == "normal" && !isTest || p.r.label != "normal" && p.r.diameter != d {
					f.train = append(f.train, feats[p.group]...)
				}
				if isTest {
					f.test = append(f.test, feats[p.group]...)
					for _, ratio := range speedRatios {
						f.shifted[ratio] = append(f.shifted[ratio], shifted[p.group][ratio]...)
					}
				}
			}
			folds = append(folds, f)
		}
	})
	if len(folds) != len(diameters) {
		tb.Fatal("CWRU folds could not be built")
	}
	return folds
}

// Floors measured when the test was written (seed 11, this front end), rounded down by about
// 0.02; docs/MODELS.md has the full table. Means over the 3 diameter folds (shifted: over the
// 3 folds × 4 speed ratios); "argmax" ignores MinConfidence, "accuracy" counts Unknown as wrong.
var floors = map[string]struct{ argmax, accuracy, shifted float64 }{
	KindRF:       {0.66, 0.66, 0.69}, // measured 0.680, 0.680, 0.712
	KindSVM:      {0.97, 0.97, 0.89}, // measured 0.996, 0.996, 0.914
	KindEnsemble: {0.87, 0.87, 0.83}, // measured 0.890, 0.890, 0.857
}

func TestCWRUFolds(t *testing.T) {
	fs := cwruFolds(t)
	for _, kind := range []string{KindRF, KindSVM, KindEnsemble} {
		t.Run(kind, func(t *testing.T) {
			var argSum, accSum, shSum, shArgSum, f1Sum float64
			var shN int
			for _, f := range fs {
				m, err := Train(context.Background(), f.train, f.fe, Options{Kind: kind, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				r := Evaluate(m, f.test)
				raw := argmax(m, f.test)
				argSum += raw.Accuracy
				accSum += r.Accuracy
				f1Sum += r.MacroF1
				line := fmt.Sprintf("%s | %s | argmax %.3f | acc %.3f | F1 %.3f | unknown %d | train %v (fit %v) | predict %v | %d B | minconf %.2f (held-out acc %.2f, wrong caught %.2f, right refused %.2f)",
					kind, f.name, raw.Accuracy, r.Accuracy, r.MacroF1, r.Unknown, r.TrainTime.Round(time.Millisecond), m.FitTime.Round(time.Millisecond),
					r.PredictTime, r.ModelBytes, m.MinConfidence, m.Calibration.Accuracy, m.Calibration.WrongCaught, m.Calibration.RightRefused)
				for _, ratio := range speedRatios {
					rs := Evaluate(m, f.shifted[ratio])
					ra := argmax(m, f.shifted[ratio])
					shSum += rs.Accuracy
					shArgSum += ra.Accuracy
					shN++
					line += fmt.Sprintf("\n    speed×%.2f argmax %.3f acc %.3f F1 %.3f unknown %d", ratio, ra.Accuracy, rs.Accuracy, rs.MacroF1, rs.Unknown)
				}
				t.Logf("%s\n    confusion %v (rows/cols %v, last column unknown)", line, r.Confusion, r.Classes)
			}
			n := float64(len(fs))
			arg, acc, sh := argSum/n, accSum/n, shSum/float64(shN)
			t.Logf("SUMMARY %s: argmax %.3f, accuracy %.3f, macro-F1 %.3f; speed-shifted argmax %.3f, accuracy %.3f",
				kind, arg, acc, f1Sum/n, shArgSum/float64(shN), sh)
			if fl := floors[kind]; arg < fl.argmax || acc < fl.accuracy || sh < fl.shifted {
				t.Errorf("%s: argmax %.3f (floor %.3f), accuracy %.3f (floor %.3f), speed-shifted %.3f (floor %.3f)",
					kind, arg, fl.argmax, acc, fl.accuracy, sh, fl.shifted)
			}
		})
	}
}

// argmax evaluates m with the Unknown rule switched off.
func argmax(m *Model, test []Example) Report {
	c := *m
	c.MinConfidence = 0
	return Evaluate(&c, test)
}

// TestExportCSV writes each fold's train/test features (and the speed-shifted test sets) for
// the scikit-learn side-by-side: go test ./core/diagnose -run ExportCSV -csv /tmp/diag.
func TestExportCSV(t *testing.T) {
	if *csvDir == "" {
		t.Skip("no -csv directory")
	}
	if err := os.MkdirAll(*csvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fs := cwruFolds(t)
	names := fs[0].fe.Names()
	write := func(name string, ex []Example) {
		f, err := os.Create(filepath.Join(*csvDir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(f)
		w.Write(append(append([]string{}, names...), "label", "group"))
		for _, e := range ex {
			row := make([]string, 0, len(e.X)+2)
			for _, v := range e.X {
				row = append(row, strconv.FormatFloat(v, 'g', 17, 64))
			}
			w.Write(append(row, e.Label, e.Group))
		}
		w.Flush()
		if err := w.Error(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range fs {
		write(fmt.Sprintf("fold%d_train.csv", i), f.train)
		write(fmt.Sprintf("fold%d_test.csv", i), f.test)
		for _, ratio := range speedRatios {
			write(fmt.Sprintf("fold%d_test_speed%.2f.csv", i, ratio), f.shifted[ratio])
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	f := cwruFolds(t)[1]
	for _, kind := range []string{KindRF, KindSVM, KindEnsemble} {
		m, err := Train(context.Background(), f.train, f.fe, Options{Kind: kind, Seed: seed, Trees: 20})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range f.test {
			p1, p2 := m.PredictFeatures(e.X), m2.PredictFeatures(e.X)
			if p1.Label != p2.Label || math.Abs(p1.Confidence-p2.Confidence) > 0 {
				t.Fatalf("%s: prediction changed after round trip: %+v vs %+v", kind, p1, p2)
			}
		}
		// Same seed, same model: training is deterministic despite the parallel forest.
		m3, err := Train(context.Background(), f.train, f.fe, Options{Kind: kind, Seed: seed, Trees: 20})
		if err != nil {
			t.Fatal(err)
		}
		b3, _ := m3.MarshalBinary()
		m3.TrainTime, m3.FitTime = m.TrainTime, m.FitTime
		b3, _ = m3.MarshalBinary()
		if string(b3) != string(b) {
			t.Errorf("%s: two trainings with the same seed differ", kind)
		}
	}
	if _, err := Unmarshal([]byte("nope")); err == nil {
		t.Error("Unmarshal accepted garbage")
	}
}
