package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/core/shareddata"
	"signalcraft/core/truth"
	"signalcraft/core/wav"
)

// dataDir returns the shared data directory, failing the test naming the labels.csv of
// each folder the recipes read when it is missing.
func dataDir(t *testing.T) string {
	t.Helper()
	for _, d := range []string{dirValve, dirFan, dirCWRU} {
		shareddata.Require(t, d, "labels.csv")
	}
	d, err := shareddata.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// defaults caches the default build of each recipe: several tests inspect the same stream.
var defaults sync.Map // name → *Stream

func buildDefault(t *testing.T, name string) *Stream {
	t.Helper()
	if s, ok := defaults.Load(name); ok {
		return s.(*Stream)
	}
	s, err := Build(name, dataDir(t), Params{})
	if err != nil {
		t.Fatal(err)
	}
	defaults.Store(name, s)
	return s
}

// idx converts stream time to a sample index.
func idx(d time.Duration, rate int) int {
	return int(math.Round(d.Seconds() * float64(rate)))
}

func secs(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// q is quantize for one value.
func q(v float64) float32 {
	x := []float32{float32(v)}
	quantize(x)
	return x[0]
}

// hashSamples returns the SHA-256 of the samples' float32 bits, little-endian.
func hashSamples(x []float32) [32]byte {
	h := sha256.New()
	b := make([]byte, 4*4096)
	for len(x) > 0 {
		n := min(len(x), 4096)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		h.Write(b[:4*n])
		x = x[n:]
	}
	return [32]byte(h.Sum(nil))
}

// TestRecipes builds every recipe with the default Params and checks the rate, the length
// and the truth: contiguous intervals covering the whole stream, learning first, the
// sections in order, and seconds per label as the package comment promises.
func TestRecipes(t *testing.T) {
	t.Parallel()
	const x = 0.02 // crossfade, s
	for _, tc := range []struct {
		name   string
		rate   int
		totals map[truth.Label]float64 // seconds per label
		order  []truth.Label           // labels in stream order, runs merged
		counts map[truth.Label]int     // intervals per label
		check  func(t *testing.T, s *Stream)
	}{
		{
			name: "valve", rate: 16000,
			// 25 clips then 150 clips each shortened by the crossfade at its wrap point, then
			// 50 clips; a boundary is the midpoint of a 20 ms crossfade.
			totals: map[truth.Label]float64{truth.Learning: 250 - 24*x - x/2, truth.Normal: 150 * (10 - 2*x), truth.Fault: 500 - 50*x + x/2},
			order:  []truth.Label{truth.Learning, truth.Normal, truth.Fault},
			counts: map[truth.Label]int{truth.Learning: 1, truth.Normal: 150, truth.Fault: 50},
			check:  checkValve,
		},
		{
			name: "bearing", rate: 16000,
			totals: map[truth.Label]float64{truth.Learning: 300 - 29*x - x/2, truth.Normal: 30 * (10 - x), truth.Fault: 150 - 15*x + x/2},
			order:  []truth.Label{truth.Learning, truth.Normal, truth.Fault},
			// 30 clips, 10 nuisances each splitting a clip in two
			counts: map[truth.Label]int{truth.Learning: 1, truth.Normal: 30 + 2*10, truth.Fault: 15},
		},
		{
			name: "cwru", rate: 12000,
			totals: map[truth.Label]float64{truth.Learning: 12, truth.Normal: 243938.0/12000 - 12 - x/2, truth.Fault: (121991+121265)/12000.0 - 1.5*x},
			order:  []truth.Label{truth.Learning, truth.Normal, truth.Fault},
			counts: map[truth.Label]int{truth.Learning: 1, truth.Normal: 1, truth.Fault: 2},
		},
		{
			name: "sensor", rate: 16000,
			totals: map[truth.Label]float64{truth.Learning: 300 - 29*x - x/2, truth.Normal: 59*10 - (58+14+0.5)*x - 192.5, truth.SensorFault: 192.5},
			// 59 clips from the learning boundary to the end, the last 14 of them re-used and
			// so shortened by the crossfade at their wrap point
			order:  nil, // normal and sensor_fault alternate
			counts: map[truth.Label]int{truth.Learning: 1, truth.SensorFault: len(sensorFaults)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := buildDefault(t, tc.name)
			if s.Name != tc.name || s.Rate != tc.rate {
				t.Fatalf("name %q rate %d, want %q %d", s.Name, s.Rate, tc.name, tc.rate)
			}
			ivs := s.Truth.Intervals
			if ivs[0].Label != truth.Learning || ivs[0].Start != 0 {
				t.Fatalf("first interval %+v, want learning from 0", ivs[0])
			}
			if got, want := s.Truth.End(), s.Duration(); got != want {
				t.Errorf("truth ends at %s, stream at %s", got, want)
			}
			for i, iv := range ivs {
				if i > 0 && iv.Start != ivs[i-1].End {
					t.Errorf("interval %d starts at %s, the previous ends at %s", i, iv.Start, ivs[i-1].End)
				}
				if iv.Note == "" {
					t.Errorf("interval %d (%s at %s) has no note", i, iv.Label, iv.Start)
				}
			}
			var total float64
			for _, l := range truth.Labels {
				got, want := s.Truth.Total(l).Seconds(), tc.totals[l]
				total += want
				if math.Abs(got-want) > 1e-4 {
					t.Errorf("%s: %.4f s, want %.4f s", l, got, want)
				}
			}
			if got := s.Duration().Seconds(); math.Abs(got-total) > 1e-4 {
				t.Errorf("stream is %.4f s, want %.4f s", got, total)
			}
			counts := map[truth.Label]int{}
			var order []truth.Label
			for _, iv := range ivs {
				counts[iv.Label]++
				if len(order) == 0 || order[len(order)-1] != iv.Label {
					order = append(order, iv.Label)
				}
			}
			for l, n := range tc.counts {
				if counts[l] != n {
					t.Errorf("%d %s intervals, want %d", counts[l], l, n)
				}
			}
			if tc.order != nil && !slices.Equal(order, tc.order) {
				t.Errorf("labels run %v, want %v", order, tc.order)
			}
			for i, v := range s.Samples {
				if v < -1 || v > 1 || v != q(float64(v)) {
					t.Fatalf("sample %d = %g is outside [-1, 1] or off the 16-bit grid", i, v)
				}
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

// checkValve: the learning note names the dev-fit clips; every pass of the normal section
// is a permutation of the 25 dev-test normals with shifts that differ between passes; the
// faults are the 50 anomalies in file order.
func checkValve(t *testing.T, s *Stream) {
	if n := s.Truth.Intervals[0].Note; !strings.Contains(n, "25 clips") || !strings.Contains(n, "normal_0000_pat_01.wav") {
		t.Errorf("learning note %q", n)
	}
	passes := map[int][]string{}
	shifts := map[string][]string{}
	var faults []string
	for _, iv := range s.Truth.Intervals[1:] {
		switch iv.Label {
		case truth.Normal:
			var file, shift string
			var pass, of int
			if _, err := fmt.Sscanf(iv.Note, "%s (pass %d of %d, circular shift %s s)", &file, &pass, &of, &shift); err != nil || of != 6 {
				t.Fatalf("normal note %q: %v", iv.Note, err)
			}
			passes[pass] = append(passes[pass], file)
			shifts[file] = append(shifts[file], shift)
		case truth.Fault:
			faults = append(faults, iv.Note)
		}
	}
	if len(passes) != 6 {
		t.Fatalf("%d passes, want 6", len(passes))
	}
	first := slices.Clone(passes[1])
	slices.Sort(first)
	for p := 2; p <= 6; p++ {
		got := slices.Clone(passes[p])
		slices.Sort(got)
		if !slices.Equal(got, first) {
			t.Errorf("pass %d holds %v, not the clips of pass 1", p, got)
		}
		if slices.Equal(passes[p], passes[1]) {
			t.Errorf("pass %d is in the same order as pass 1", p)
		}
	}
	if len(first) != 25 || !strings.Contains(first[0], "normal_0025") || !strings.Contains(first[24], "normal_0049") {
		t.Errorf("normal clips %v, want the 25 dev-test normals 0025..0049", first)
	}
	for f, sh := range shifts {
		if len(slices.Compact(slices.Sorted(slices.Values(sh)))) < 5 {
			t.Errorf("%s: shifts %v repeat", f, sh)
		}
	}
	if len(faults) != 50 || !slices.IsSorted(faults) || !strings.Contains(faults[0], "anomaly_0000") {
		t.Errorf("fault clips %d, not the 50 anomalies in file order: %v", len(faults), faults)
	}
}

// TestDeterminism: the same seed gives bit-identical samples and the same truth; another
// seed gives other samples (except cwru, which has no random element).
func TestDeterminism(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	for _, tc := range []struct {
		name      string
		p         Params
		seedMoves bool
	}{
		{"valve", Params{Shuffles: 1}, true},
		{"bearing", Params{}, true},
		{"cwru", Params{}, false},
		{"sensor", Params{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sums [3][32]byte
			var truths [3]string
			for i, seed := range []uint64{7, 7, 8} {
				p := tc.p
				p.Seed = seed
				s, err := Build(tc.name, dir, p)
				if err != nil {
					t.Fatal(err)
				}
				sums[i] = hashSamples(s.Samples)
				var b strings.Builder
				if err := s.Truth.WriteCSV(&b); err != nil {
					t.Fatal(err)
				}
				truths[i] = b.String()
			}
			if sums[0] != sums[1] || truths[0] != truths[1] {
				t.Errorf("seed 7 twice: samples %x / %x, truths equal %v", sums[0][:6], sums[1][:6], truths[0] == truths[1])
			}
			if moved := sums[2] != sums[0]; moved != tc.seedMoves {
				t.Errorf("seed 8 changed the samples: %v, want %v", moved, tc.seedMoves)
			}
		})
	}
}

// TestSensorFaults checks each sensor fault against the same stream built without faults:
// untouched outside the faults, silence and dropouts exact zeros, the disconnected
// microphone at −85 dBFS, clipping exactly clamp(gain × audio), the DC offset exactly
// +0.3; the kinds and lengths promised, each ≥ 30 s of normal audio from the next and from
// the section's edges. The faults sit at the same places whatever the clip gain.
func TestSensorFaults(t *testing.T) {
	t.Parallel()
	base, err := buildSensor(dataDir(t), mustDefaults(t, Params{}), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		gain       float64 // 0: the default build
		minClipped float64 // fraction of the clipping faults' samples at full scale
	}{
		// The fan is quiet (≈ −40 dBFS RMS), so ×30 takes it to ≈ −10 dBFS and only its
		// peaks reach full scale: about 0.15 % of the samples.
		{"default gain 30", 0, 0.0005},
		{"gain 100", 100, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := buildDefault(t, "sensor")
			gain := float64(DefaultClipGain)
			if tc.gain != 0 {
				gain = tc.gain
				if s, err = Build("sensor", dataDir(t), Params{ClipGain: gain}); err != nil {
					t.Fatal(err)
				}
			}
			checkSensorFaults(t, s, base, gain, tc.minClipped)
		})
	}
}

func checkSensorFaults(t *testing.T, s, base *Stream, gain, minClipped float64) {
	if len(base.Samples) != len(s.Samples) {
		t.Fatalf("base %d samples, stream %d", len(base.Samples), len(s.Samples))
	}
	raw := base.Samples // not quantized: the faults are applied before Build rounds
	rate := s.Rate
	covered := make([]bool, len(s.Samples))
	var notes []string
	prevEnd := time.Duration(0)
	for _, iv := range s.Truth.Intervals {
		if iv.Label == truth.Learning {
			prevEnd = iv.End
			continue
		}
		if iv.Label != truth.SensorFault {
			continue
		}
		notes = append(notes, iv.Note)
		if gap := iv.Start - prevEnd; gap < sensorGap*time.Second {
			t.Errorf("%s at %s: only %s of normal audio before it", iv.Note, iv.Start, gap)
		}
		prevEnd = iv.End
		from, to := idx(iv.Start, rate), idx(iv.End, rate)
		for i := from; i < to; i++ {
			covered[i] = true
		}
		seg, in := s.Samples[from:to], raw[from:to]
		kind, _, _ := strings.Cut(iv.Note, " ")
		t.Run(fmt.Sprintf("%s at %.3f s", iv.Note, iv.Start.Seconds()), func(t *testing.T) {
			switch kind {
			case "silence", "dropout":
				for i, v := range seg {
					if v != 0 {
						t.Fatalf("sample %d = %g, want exact 0", from+i, v)
					}
				}
			case "disconnected":
				db := 20 * math.Log10(rms(seg, 0, len(seg)))
				zeros := 0
				for _, v := range seg {
					if v == 0 {
						zeros++
					}
				}
				if math.Abs(db-disconnectedDBFS) > 0.5 || zeros > len(seg)/2 {
					t.Errorf("RMS %.2f dBFS (want %d ± 0.5), %d exact zeros of %d", db, disconnectedDBFS, zeros, len(seg))
				}
			case "clipping":
				clipped := 0
				for i, v := range seg {
					if want := q(max(-1, min(1, gain*float64(in[i])))); v != want {
						t.Fatalf("sample %d = %g, want clamp(%g × %g) = %g", from+i, v, gain, in[i], want)
					}
					if math.Abs(float64(v)) >= 32767.0/32768 {
						clipped++
					}
				}
				// Log how many 1 s windows core/sensor's default clip threshold (0.1 %) flags.
				frac := float64(clipped) / float64(len(seg))
				flagged, windows := 0, 0
				for w := 0; w+rate <= len(seg); w += rate {
					n := 0
					for _, v := range seg[w : w+rate] {
						if math.Abs(float64(v)) >= 0.999 {
							n++
						}
					}
					windows++
					if float64(n)/float64(rate) > 0.001 {
						flagged++
					}
				}
				t.Logf("%.2f %% of the samples clipped; %d of %d 1 s windows above 0.1 %%", 100*frac, flagged, windows)
				if frac < minClipped {
					t.Errorf("only %.3f %% of the samples clipped, want ≥ %.3g %%", 100*frac, 100*minClipped)
				}
			case "DC":
				var mean, baseMean float64
				for i, v := range seg {
					if want := q(float64(in[i]) + dcOffset); v != want {
						t.Fatalf("sample %d = %g, want %g + 0.3", from+i, v, in[i])
					}
					mean += float64(v)
					baseMean += float64(in[i])
				}
				mean, baseMean = mean/float64(len(seg)), baseMean/float64(len(seg))
				if math.Abs(mean-baseMean-dcOffset) > 1.0/32768 {
					t.Errorf("mean %.6f, base mean %.6f: offset %.6f, want 0.3", mean, baseMean, mean-baseMean)
				}
			default:
				t.Fatalf("unknown fault note %q", iv.Note)
			}
		})
	}
	if gap := s.Truth.End() - prevEnd; gap < sensorGap*time.Second {
		t.Errorf("only %s of normal audio after the last fault", gap)
	}
	slices.Sort(notes)
	var want []string
	for _, f := range sensorFaults {
		want = append(want, f.note(gain))
	}
	slices.Sort(want)
	if !slices.Equal(notes, want) {
		t.Errorf("faults %q, want %q", notes, want)
	}
	for i, v := range s.Samples {
		if !covered[i] && v != q(float64(raw[i])) {
			t.Fatalf("sample %d (%.3f s) outside the faults changed: %g, want %g", i, float64(i)/float64(rate), v, raw[i])
		}
	}
}

func mustDefaults(t *testing.T, p Params) Params {
	t.Helper()
	p, err := p.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWriteFiles: the WAV file holds exactly the samples, the CSV the truth (to the ms).
func TestWriteFiles(t *testing.T) {
	t.Parallel()
	s := buildDefault(t, "cwru")
	dir := t.TempDir()
	wp, cp := filepath.Join(dir, "cwru.wav"), filepath.Join(dir, "cwru.csv")
	if err := s.WriteFiles(wp, cp); err != nil {
		t.Fatal(err)
	}
	f, ch, err := wav.ReadFile(wp)
	if err != nil {
		t.Fatal(err)
	}
	if f.SampleRate != s.Rate || f.Channels != 1 || f.BitsPerSample != 16 || f.Float {
		t.Errorf("format %+v, want 16-bit PCM mono at %d Hz", f, s.Rate)
	}
	if !slices.Equal(ch[0], s.Samples) {
		t.Error("the WAV file does not read back as the stream's samples")
	}
	tr, err := truth.Read(cp)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Intervals) != len(s.Truth.Intervals) {
		t.Fatalf("%d intervals read back, want %d", len(tr.Intervals), len(s.Truth.Intervals))
	}
	for i, iv := range tr.Intervals {
		w := s.Truth.Intervals[i]
		if iv.Label != w.Label || iv.Note != w.Note || (iv.Start-w.Start).Abs() > time.Millisecond || (iv.End-w.End).Abs() > time.Millisecond {
			t.Errorf("interval %d read back as %+v, want %+v", i, iv, w)
		}
	}
	if err := s.WriteFiles(filepath.Join(dir, "no", "such.wav"), cp); err == nil || !strings.Contains(err.Error(), "such.wav") {
		t.Errorf("writing into a missing directory: %v", err)
	}
}

// TestBuildErrors: bad names, bad Params and missing or bad data give errors that wrap the
// package's sentinels and name the field or the file.
func TestBuildErrors(t *testing.T) {
	t.Parallel()
	real := dataDir(t)
	// A data directory whose fan labels.csv lists clips that are not there, and whose CWRU
	// labels.csv has lost the outer-race row.
	broken := t.TempDir()
	for _, d := range []string{dirFan, dirCWRU} {
		if err := os.Mkdir(filepath.Join(broken, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	labels, err := os.ReadFile(filepath.Join(real, dirFan, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(broken, dirFan, "labels.csv"), string(labels))
	cwru, err := os.ReadFile(filepath.Join(real, dirCWRU, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(cwru), "\n") {
		if !strings.Contains(l, "OR007@6") {
			kept = append(kept, l)
		}
	}
	write(t, filepath.Join(broken, dirCWRU, "labels.csv"), strings.Join(kept, "\n"))
	for _, tc := range []struct {
		name, recipe, dir string
		p                 Params
		is                error
		want              string
	}{
		{"unknown recipe", "pump", real, Params{}, ErrUnknownRecipe, `"pump" (recipes: valve, bearing, cwru, sensor)`},
		{"no data dir", "valve", "", Params{}, ErrData, "no data directory"},
		{"missing labels", "valve", t.TempDir(), Params{}, ErrData, filepath.Join(dirValve, "labels.csv")},
		{"missing clip", "sensor", broken, Params{}, ErrData, filepath.Join(broken, dirFan, "normal_id_00_00000000.wav")},
		{"missing row", "cwru", broken, Params{}, ErrData, "0 rows for the outer race @6 0.007 in recording"},
		{"shuffles", "valve", real, Params{Shuffles: 101}, ErrParams, "Shuffles 101"},
		{"defect rate", "bearing", real, Params{DefectHz: -5}, ErrParams, "DefectHz -5"},
		{"resonance", "bearing", real, Params{ResonanceHz: 9000}, ErrParams, "ResonanceHz 9000"},
		{"level", "bearing", real, Params{FaultDB: -80}, ErrParams, "FaultDB -80"},
		{"clip gain", "sensor", real, Params{ClipGain: 1}, ErrParams, "ClipGain 1"},
		{"burst", "bearing", real, Params{Bursts: []time.Duration{time.Millisecond}}, ErrParams, "Bursts[0] 1ms"},
		{"too many impacts", "bearing", real, Params{Impacts: 20}, ErrParams, "20 impacts and 2 bursts in the normal section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.recipe, tc.dir, tc.p)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
