package dsp

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/*.json with testdata/gen_golden.py (needs /usr/bin/python3 with numpy and scipy)")

// Golden comparisons use |got − want| <= relTol·|want| + absTol, with relTol = 1e-4 and
// absTol = absFloor × the largest |want| of the compared vector (absFloor for a scalar). The
// absolute floor only matters for values near zero (e.g. a power bin 200 dB below the peak
// or an MFCC that happens to be ~0), whose float64 rounding error is relative to the
// vector's scale, not to the value itself.
const (
	relTol   = 1e-4
	absFloor = 1e-9
)

func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		cmd := exec.Command("/usr/bin/python3", filepath.Join("testdata", "gen_golden.py"))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "gen_golden.py:", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("golden file: %v (regenerate with go test ./core/dsp -update)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

func near(got, want, atol float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return false
	}
	return math.Abs(got-want) <= relTol*math.Abs(want)+atol
}

func checkScalar(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want, absFloor) {
		t.Errorf("%s = %.10g, want %.10g (rel err %.2g)", what, got, want, math.Abs(got-want)/math.Abs(want))
	}
}

func checkVector(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: len %d, want %d", what, len(got), len(want))
		return
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	bad := 0
	for i := range want {
		if !near(got[i], want[i], absFloor*scale) {
			if bad < 3 {
				t.Errorf("%s[%d] = %.10g, want %.10g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want))
	}
}

type goldenFrame struct {
	Power, Mel, LogMel, MFCC                     []float64
	RMS, DBFS, Peak, Crest, Kurtosis, ZCR        float64
	Centroid, Bandwidth, Rolloff, Flatness, Flux float64
}

type goldenStream struct {
	SampleRate int    `json:"sample_rate"`
	FrameSize  int    `json:"frame_size"`
	Hop        int    `json:"hop"`
	Mels       int    `json:"mels"`
	MFCC       int    `json:"mfcc"`
	Scale      string `json:"scale"`
	Samples    []float64
	Frames     []goldenFrame
}

func scaleOf(t *testing.T, s string) MelScale {
	t.Helper()
	switch s {
	case "slaney":
		return MelSlaney
	case "htk":
		return MelHTK
	}
	t.Fatalf("unknown scale %q in golden file", s)
	return 0
}

// TestGoldenFrames streams the golden signal through a Framer in uneven blocks and compares
// every feature of every frame with the numpy/scipy reference.
func TestGoldenFrames(t *testing.T) {
	for _, name := range []string{"frames_16k.json", "frames_48k.json", "frames_16k_htk.json"} {
		t.Run(name, func(t *testing.T) {
			var g goldenStream
			loadJSON(t, name, &g)
			c := Config{SampleRate: g.SampleRate, FrameSize: g.FrameSize, Hop: g.Hop, Mels: g.Mels,
				MFCC: g.MFCC, Scale: scaleOf(t, g.Scale)}
			e, err := NewExtractor(c)
			if err != nil {
				t.Fatal(err)
			}
			f := NewFrame(c)
			samples := make([]float32, len(g.Samples))
			for i, v := range g.Samples {
				samples[i] = float32(v)
			}
			fr := NewFramer(c.FrameSize, c.Hop)
			i := 0
			emit := func(x []float64) {
				if i >= len(g.Frames) {
					t.Fatalf("framer emitted more than the %d golden frames", len(g.Frames))
				}
				e.Process(x, f)
				w := g.Frames[i]
				p := fmt.Sprintf("frame %d ", i)
				checkVector(t, p+"Power", f.Power, w.Power)
				checkVector(t, p+"Mel", f.Mel, w.Mel)
				checkVector(t, p+"LogMel", f.LogMel, w.LogMel)
				checkVector(t, p+"MFCC", f.MFCC, w.MFCC)
				for _, s := range []struct {
					n         string
					got, want float64
				}{
					{"RMS", f.RMS, w.RMS}, {"DBFS", f.DBFS, w.DBFS}, {"Peak", f.Peak, w.Peak},
					{"Crest", f.Crest, w.Crest}, {"Kurtosis", f.Kurtosis, w.Kurtosis}, {"ZCR", f.ZCR, w.ZCR},
					{"Centroid", f.Centroid, w.Centroid}, {"Bandwidth", f.Bandwidth, w.Bandwidth},
					{"Rolloff", f.Rolloff, w.Rolloff}, {"Flatness", f.Flatness, w.Flatness}, {"Flux", f.Flux, w.Flux},
				} {
					checkScalar(t, p+s.n, s.got, s.want)
				}
				i++
			}
			for off, k := 0, 1; off < len(samples); k = k*3 + 7 { // blocks of 1, 10, 37, 118, ...
				end := min(off+k%700+1, len(samples))
				fr.Push(samples[off:end], emit)
				off = end
			}
			if i != len(g.Frames) {
				t.Errorf("framer emitted %d frames, want %d", i, len(g.Frames))
			}
		})
	}
}

func TestGoldenMelFilterbank(t *testing.T) {
	var cases []struct {
		SR, NFFT, NMels int
		FMin, FMax      float64
		Scale           string
		Rows            []struct {
			Start int
			W     []float64
		}
	}
	loadJSON(t, "melfb.json", &cases)
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d_%d_%d_%s", c.SR, c.NFFT, c.NMels, c.Scale), func(t *testing.T) {
			got := MelFilterbank(c.SR, c.NFFT, c.NMels, c.FMin, c.FMax, scaleOf(t, c.Scale))
			if len(got) != c.NMels {
				t.Fatalf("%d filters, want %d", len(got), c.NMels)
			}
			for i, row := range c.Rows {
				want := make([]float64, c.NFFT/2+1)
				copy(want[row.Start:], row.W)
				checkVector(t, fmt.Sprintf("filter %d", i), got[i], want)
			}
		})
	}
}

type goldenHelpers struct {
	PowerToDB []struct {
		S         []float64
		Ref, Amin float64
		TopDB     float64 `json:"top_db"`
		Out       []float64
	} `json:"power_to_db"`
	DCT   struct{ In, Out []float64 }
	Bands struct {
		SR, NFFT             int
		Power                []float64
		Octave, Third, Sixth []Band
	}
}

func TestGoldenPowerToDB(t *testing.T) {
	var h goldenHelpers
	loadJSON(t, "helpers.json", &h)
	for i, c := range h.PowerToDB {
		out := make([]float64, len(c.S))
		PowerToDB(c.S, c.Ref, c.Amin, c.TopDB, out)
		checkVector(t, fmt.Sprintf("case %d", i), out, c.Out)
		// in place
		inplace := append([]float64(nil), c.S...)
		PowerToDB(inplace, c.Ref, c.Amin, c.TopDB, inplace)
		checkVector(t, fmt.Sprintf("case %d in place", i), inplace, c.Out)
	}
}

func TestGoldenDCT(t *testing.T) {
	var h goldenHelpers
	loadJSON(t, "helpers.json", &h)
	for _, n := range []int{len(h.DCT.Out), 13, 1} {
		out := make([]float64, n)
		DCTOrtho(h.DCT.In, out)
		checkVector(t, fmt.Sprintf("first %d", n), out, h.DCT.Out[:n])
	}
	// The Extractor's table gives the same result.
	m := dctMatrix(len(h.DCT.In), len(h.DCT.In))
	out := make([]float64, len(h.DCT.In))
	for k := range out {
		for i, v := range h.DCT.In {
			out[k] += m[k*len(h.DCT.In)+i] * v
		}
	}
	checkVector(t, "table", out, h.DCT.Out)
}

func TestGoldenBandLevels(t *testing.T) {
	var h goldenHelpers
	loadJSON(t, "helpers.json", &h)
	b := h.Bands
	for _, c := range []struct {
		fraction int
		want     []Band
	}{{1, b.Octave}, {3, b.Third}, {6, b.Sixth}} {
		got := BandLevels(b.Power, b.SR, b.NFFT, c.fraction)
		if len(got) != len(c.want) {
			t.Fatalf("fraction %d: %d bands, want %d", c.fraction, len(got), len(c.want))
		}
		for i, w := range c.want {
			p := fmt.Sprintf("1/%d octave band %d ", c.fraction, i)
			checkScalar(t, p+"Center", got[i].Center, w.Center)
			checkScalar(t, p+"Low", got[i].Low, w.Low)
			checkScalar(t, p+"High", got[i].High, w.High)
			checkScalar(t, p+"Level", got[i].Level, w.Level)
		}
	}
}

func TestGoldenEnvelope(t *testing.T) {
	var cases []struct {
		SR        int
		X, Mag    []float64
		F0        float64
		Harmonics int
		Tol       float64
		Energy    float64
	}
	loadJSON(t, "envelope.json", &cases)
	for _, c := range cases {
		t.Run(fmt.Sprint(len(c.X)), func(t *testing.T) {
			x := make([]float64, len(c.X))
			for i, v := range c.X {
				x[i] = float64(float32(v))
			}
			freqs, mag := EnvelopeSpectrum(x, c.SR)
			checkVector(t, "mag", mag, c.Mag)
			if len(freqs) != len(mag) {
				t.Fatalf("len(freqs) %d != len(mag) %d", len(freqs), len(mag))
			}
			checkScalar(t, "freqs[last]", freqs[len(freqs)-1], float64(len(freqs)-1)*float64(c.SR)/float64(len(x)))
			checkScalar(t, "FaultEnergy", FaultEnergy(freqs, mag, c.F0, c.Harmonics, c.Tol), c.Energy)
			// The modulation frequency dominates the envelope spectrum.
			best := 1
			for k := range mag {
				if mag[k] > mag[best] {
					best = k
				}
			}
			if df := float64(c.SR) / float64(len(x)); math.Abs(freqs[best]-c.F0) > df {
				t.Errorf("envelope peak at %.1f Hz, want %.1f ± %.1f Hz", freqs[best], c.F0, df)
			}
		})
	}
}
