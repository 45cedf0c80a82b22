package sensor

import (
	"math"
	"testing"
	"time"
)

func tone(n int, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	return x
}

func constant(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func TestClassify(t *testing.T) {
	th := DefaultThresholds()
	clipped := tone(16000, 0.5)
	for i := 0; i < 100; i++ {
		clipped[i*10] = 1
	}
	two := tone(16000, 0.5)
	two[10], two[500] = 1, -1
	three := tone(16000, 0.5)
	three[10], three[500], three[900] = 1, -1, 1
	flat := tone(16000, 0.9) // a preamplifier saturating at 0.5
	for i, v := range flat {
		flat[i] = min(max(v, -0.5), 0.5)
	}
	tests := []struct {
		name string
		x    []float32
		want State
	}{
		{"tone", tone(16000, 0.1), OK},
		{"digital zero", constant(16000, 0), Silent},
		{"very quiet", tone(16000, 1e-4), Silent},
		{"frozen converter", constant(16000, 0.25), Stuck},
		{"clipped", clipped, Clipping},
		{"two stray clipped samples", two, OK},
		{"three clipped samples", three, Clipping},
		{"flattened below full scale", flat, Clipping},
		{"pure loud tone", tone(16000, 0.9), OK},
		{"DC offset", offset(tone(16000, 0.02), 0.3), Offset},
		{"small DC under loud sound", offset(tone(16000, 0.5), 0.06), OK},
		{"empty", nil, OK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := th.Classify(Measure(tc.x, float32(math.NaN()), th.ClipLevel))
			if got != tc.want {
				t.Fatalf("Classify = %s, want %s", got, tc.want)
			}
		})
	}
}

func offset(x []float32, dc float32) []float32 {
	for i := range x {
		x[i] += dc
	}
	return x
}

// TestClassifyFrame judges single 1024-sample frames: a frame is a sensor fault on its own,
// with no confirmation over time.
func TestClassifyFrame(t *testing.T) {
	th := DefaultThresholds()
	frame := func(x []float32) []float64 {
		f := make([]float64, 1024)
		for i := range f {
			f[i] = float64(x[i])
		}
		return f
	}
	one := frame(tone(1024, 0.3))
	one[100] = 1 // one clipped sample spoils a frame's spectrum
	for _, tc := range []struct {
		name string
		x    []float64
		want State
	}{
		{"machine sound", frame(tone(1024, 0.01)), OK},
		{"dropout", make([]float64, 1024), Silent},
		{"one clipped sample", one, Clipping},
		{"loud tone", frame(tone(1024, 0.9)), OK},
		{"DC offset", frame(offset(tone(1024, 0.01), -0.2)), Offset},
		{"frozen", frame(constant(1024, 0.4)), Stuck},
	} {
		if got := th.ClassifyFrame(tc.x); got != tc.want {
			t.Errorf("%s: ClassifyFrame = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestMonitorTransitions(t *testing.T) {
	th := DefaultThresholds()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := NewMonitor(th, 16000, t0)
	if err != nil {
		t.Fatal(err)
	}
	at := t0
	feed := func(x []float32) []Change {
		c := m.Samples(at, x)
		at = at.Add(time.Duration(len(x)) * time.Second / 16000)
		return c
	}
	if c := feed(tone(32000, 0.1)); len(c) != 0 {
		t.Fatalf("healthy tone changed state: %+v", c)
	}
	// Silence needs SilentFor (2 s) before it counts.
	var changes []Change
	for i := 0; i < 6; i++ {
		changes = append(changes, feed(constant(16000, 0))...)
	}
	if len(changes) != 1 || changes[0].To != Silent {
		t.Fatalf("after 6 s of silence got %+v, want one change to silent", changes)
	}
	if got := changes[0].At.Sub(t0); got != 4*time.Second {
		t.Fatalf("silent since %v after start, want 4s (2 s of tone, then 2 s of silence)", got)
	}
	// One healthy window is not enough to recover, two are.
	if c := feed(tone(16000, 0.1)); len(c) != 0 {
		t.Fatalf("recovered after one window: %+v", c)
	}
	if c := feed(tone(16000, 0.1)); len(c) != 1 || c[0].To != OK {
		t.Fatalf("did not recover after two windows: %+v", c)
	}
	// Stuck is immediate.
	if c := feed(constant(16000, 0.3)); len(c) != 1 || c[0].To != Stuck || c[0].From != OK {
		t.Fatalf("stuck: %+v", c)
	}
	// Source-reported loss, then samples flowing again.
	if c, ok := m.Report(Lost, at, "read error"); !ok || c.To != Lost {
		t.Fatalf("report lost: %+v %v", c, ok)
	}
	if _, ok := m.Report(Lost, at, "again"); ok {
		t.Fatal("repeated report changed state")
	}
	if c := feed(tone(16000, 0.1)); len(c) != 1 || c[0].To != OK {
		t.Fatalf("no recovery after loss: %+v", c)
	}
	if s, since := m.State(); s != OK || !since.Equal(at) {
		t.Fatalf("State() = %s since %v, want ok since %v", s, since, at)
	}
}

func TestThresholdsValidate(t *testing.T) {
	bad := DefaultThresholds()
	bad.ClipLevel = 2
	if err := bad.Validate(); err == nil || err.Error() != "sensor: clip_level 2: must be in (0, 1]" {
		t.Fatalf("Validate = %v", err)
	}
	if _, err := NewMonitor(DefaultThresholds(), 0, time.Time{}); err == nil {
		t.Fatal("zero sample rate accepted")
	}
}

func BenchmarkMonitor(b *testing.B) {
	m, _ := NewMonitor(DefaultThresholds(), 16000, time.Time{})
	x := tone(1600, 0.1)
	b.ReportAllocs()
	b.SetBytes(int64(len(x) * 4))
	for b.Loop() {
		m.Samples(time.Time{}, x)
	}
}
