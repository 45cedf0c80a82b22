package cnn

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// tone returns one window of a sine at hz plus white noise.
func tone(rng *rand.Rand, rate, n int, hz float64) []float32 {
	x := make([]float32, n)
	ph := rng.Float64() * 2 * math.Pi
	for i := range x {
		x[i] = float32(math.Sin(2*math.Pi*hz*float64(i)/float64(rate)+ph) + 0.3*rng.NormFloat64())
	}
	return x
}

func toneExamples(seed uint64, perClass int) ([]Example, Config) {
	c := Config{Rate: 8000, Window: 500 * time.Millisecond, Mels: 32, Seed: 1, Epochs: 8, BatchSize: 8}
	rng := rand.New(rand.NewPCG(seed, 2))
	var ex []Example
	for i := range perClass {
		for _, cl := range []struct {
			label string
			hz    float64
		}{{"low", 300}, {"mid", 1200}, {"high", 3000}} {
			ex = append(ex, Example{X: tone(rng, c.Rate, c.Rate/2, cl.hz), Label: cl.label, Group: cl.label + string(rune('a'+i))})
		}
	}
	return ex, c
}

func TestTrainSeparatesTones(t *testing.T) {
	train, c := toneExamples(1, 8)
	test, _ := toneExamples(2, 4)
	n, err := Train(context.Background(), train, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Classes(); len(got) != 3 || got[0] != "high" || got[1] != "low" || got[2] != "mid" {
		t.Fatalf("classes %v, want sorted [high low mid]", got)
	}
	for i, e := range test {
		classes, p, err := n.Proba(e.X)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		var sum float64
		for k, v := range p {
			sum += v
			if v > p[best] {
				best = k
			}
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("example %d: probabilities sum to %g", i, sum)
		}
		if classes[best] != e.Label {
			t.Errorf("example %d: predicted %s (%v), want %s", i, classes[best], p, e.Label)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	ex, c := toneExamples(3, 3)
	c.Epochs = 2
	var enc [2][]byte
	for i := range enc {
		n, err := Train(context.Background(), ex, c)
		if err != nil {
			t.Fatal(err)
		}
		if enc[i], err = n.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(enc[0], enc[1]) {
		t.Fatal("two trainings with the same seed differ")
	}
	// The number of goroutines must not change the result.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	n3, err := Train(context.Background(), ex, c)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := n3.MarshalBinary(); !bytes.Equal(enc[0], b) {
		t.Fatal("training on 3 goroutines differs from the default")
	}
	runtime.GOMAXPROCS(1)
	n1, err := Train(context.Background(), ex, c)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := n1.MarshalBinary(); !bytes.Equal(enc[0], b) {
		t.Fatal("training on 1 goroutine differs from the default")
	}
	c.Seed++
	n, err := Train(context.Background(), ex, c)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := n.MarshalBinary()
	if bytes.Equal(enc[0], other) {
		t.Fatal("another seed gave the same model")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	ex, c := toneExamples(4, 2)
	c.Epochs = 1
	n, err := Train(context.Background(), ex, c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	_, p1, _ := n.Proba(ex[0].X)
	_, p2, _ := m.Proba(ex[0].X)
	for k := range p1 {
		if p1[k] != p2[k] {
			t.Fatalf("decoded model gives %v, original %v", p2, p1)
		}
	}
	for _, bad := range [][]byte{nil, []byte("SCCNN"), b[:len(b)-1], append(append([]byte{}, b[:20]...), 0xff)} {
		if _, err := Unmarshal(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Unmarshal of %d bytes: %v, want ErrFormat", len(bad), err)
		}
	}
	flipped := bytes.Clone(b)
	flipped[len(flipped)/2] ^= 1
	if _, err := Unmarshal(flipped); !errors.Is(err, ErrFormat) {
		t.Errorf("Unmarshal of a corrupted model: %v, want ErrFormat", err)
	}
}

func TestTrainErrors(t *testing.T) {
	ex, c := toneExamples(5, 1)
	tests := []struct {
		name string
		ex   []Example
		c    Config
		want error
	}{
		{"no rate", ex, Config{}, ErrConfig},
		{"few mels", ex, Config{Rate: 8000, Window: 500 * time.Millisecond, Mels: 4}, ErrConfig},
		{"tiny window", ex, Config{Rate: 8000, Window: time.Millisecond}, ErrConfig},
		{"no examples", nil, c, ErrData},
		{"one class", ex[:1], c, ErrData},
		{"short example", append([]Example{{X: make([]float32, 10), Label: "x"}}, ex...), c, ErrData},
		{"no label", append([]Example{{X: make([]float32, 4000)}}, ex...), c, ErrData},
	}
	for _, tt := range tests {
		if _, err := Train(context.Background(), tt.ex, tt.c); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, ex, c); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestGradient compares the backward pass with central finite differences of the loss.
func TestGradient(t *testing.T) {
	fr, err := newFront(8000, 250*time.Millisecond, 16)
	if err != nil {
		t.Fatal(err)
	}
	n := newNet(fr, []string{"a", "b", "c"}, [3]int{3, 4, 5})
	rng := rand.New(rand.NewPCG(7, 7))
	n.lay.init(n.params, rng)
	for i := range n.params { // non-zero biases too
		n.params[i] += float32(0.05 * rng.NormFloat64())
	}
	ws := newWorkspace(&n.lay, fr)
	if err := ws.fe.patch(tone(rng, 8000, fr.samples, 900), ws.in); err != nil {
		t.Fatal(err)
	}
	const label, weight = 1, 1.5
	g := make([]float32, n.lay.size)
	n.lay.forward(n.params, ws)
	n.lay.backward(n.params, ws, label, weight, g)
	loss := func() float64 {
		n.lay.forward(n.params, ws)
		return -weight * math.Log(float64(ws.prob[label]))
	}
	checked := 0
	for i := 0; i < n.lay.size; i += 1 + i%7 {
		const eps = 1e-3
		old := n.params[i]
		n.params[i] = old + eps
		up := loss()
		n.params[i] = old - eps
		down := loss()
		n.params[i] = old
		num := (up - down) / (2 * eps)
		if d := math.Abs(num - float64(g[i])); d > 2e-3+0.05*math.Abs(num) {
			t.Errorf("param %d: backward %g, finite difference %g", i, g[i], num)
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("checked only %d parameters", checked)
	}
}

func TestProbaWrongLength(t *testing.T) {
	ex, c := toneExamples(6, 1)
	c.Epochs = 1
	n, err := Train(context.Background(), ex, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.Proba(make([]float32, 3)); !errors.Is(err, ErrInput) {
		t.Fatalf("got %v, want ErrInput", err)
	}
}

func TestProbaConcurrent(t *testing.T) {
	ex, c := toneExamples(8, 1)
	c.Epochs = 1
	n, err := Train(context.Background(), ex, c)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := n.Proba(ex[0].X)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				_, p, err := n.Proba(ex[0].X)
				if err != nil || p[0] != want[0] {
					t.Errorf("concurrent Proba: %v %v, want %v", p, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
