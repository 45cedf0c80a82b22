// Package cnn provides a small convolutional network that classifies machine faults from
// log-mel patches: one window of samples becomes a (frames × mels) image through core/dsp,
// standardised per patch, then three 3×3 convolution layers (ReLU; max-pool after the first
// two), global average pooling and a dense softmax layer.
//
// Everything is hand-written in pure Go with float32 parameters: explicit forward and
// backward passes and Adam. Training spreads each mini-batch over GOMAXPROCS goroutines, yet
// the result depends only on the examples and the Config (the seed included), not on the
// number of cores: each example's gradient is computed into its own slot and the slots are
// summed in a fixed order.
package cnn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Sentinel errors; returned errors wrap one of them.
var (
	ErrConfig = errors.New("cnn: invalid config")
	ErrData   = errors.New("cnn: invalid training data")
	ErrInput  = errors.New("cnn: invalid input")
	ErrFormat = errors.New("cnn: invalid model encoding")
)

// Config describes the front end and the training. Zero fields take the defaults listed.
type Config struct {
	Rate         int           // sample rate in Hz (required)
	Window       time.Duration // samples per example: Rate·Window; default 1 s
	Mels         int           // mel bands, 32–64; default 40
	Seed         uint64        // initial weights and batch order
	Epochs       int           // default 40
	BatchSize    int           // default 16
	LearningRate float64       // Adam step size; default 0.003
}

func (c Config) withDefaults() Config {
	if c.Window == 0 {
		c.Window = time.Second
	}
	if c.Mels == 0 {
		c.Mels = 40
	}
	if c.Epochs == 0 {
		c.Epochs = 40
	}
	if c.BatchSize == 0 {
		c.BatchSize = 16
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.003
	}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%w: %s %v: %s", ErrConfig, field, v, why)
	}
	c = c.withDefaults()
	f, err := newFront(c.Rate, c.Window, c.Mels)
	switch {
	case c.Rate <= 0:
		return bad("rate", c.Rate, "must be positive")
	case c.Window < 0:
		return bad("window", c.Window, "must be positive")
	case c.Mels < 8 || c.Mels > 128:
		return bad("mels", c.Mels, "must be within 8..128")
	case c.Epochs < 0:
		return bad("epochs", c.Epochs, "must be positive")
	case c.BatchSize < 0:
		return bad("batch_size", c.BatchSize, "must be positive")
	case c.LearningRate < 0 || math.IsNaN(c.LearningRate) || math.IsInf(c.LearningRate, 0):
		return bad("learning_rate", c.LearningRate, "must be a positive number")
	case err != nil:
		return bad("window", c.Window, err.Error())
	case f.frames < 4:
		return bad("window", c.Window, fmt.Sprintf("only %d analysis frames; need at least 4", f.frames))
	}
	return nil
}

// Example is one labelled window. Group names the recording it was cut from: callers split
// train and test by Group (never windows of one recording on both sides); Train itself does
// not use it.
type Example struct {
	X     []float32
	Label string
	Group string
}

// channels of the three convolution layers.
var defaultChannels = [3]int{16, 32, 32}

// Net is a trained classifier. Proba is safe for concurrent use.
type Net struct {
	front   front
	classes []string
	ch      [3]int
	params  []float32
	lay     layout
	pool    sync.Pool // *workspace
}

// Classes returns the class labels in the order Proba reports them.
func (n *Net) Classes() []string { return slices.Clone(n.classes) }

// Window returns the number of samples Proba expects.
func (n *Net) Window() int { return n.front.samples }

// Rate returns the sample rate the Net was trained for.
func (n *Net) Rate() int { return n.front.rate }

func newNet(fr front, classes []string, ch [3]int) *Net {
	n := &Net{front: fr, classes: classes, ch: ch}
	n.lay = newLayout(fr.frames, fr.mels, ch, len(classes))
	n.params = make([]float32, n.lay.size)
	return n
}

func (n *Net) workspace() *workspace {
	if w, ok := n.pool.Get().(*workspace); ok {
		return w
	}
	return newWorkspace(&n.lay, n.front)
}

// Proba returns the class labels and their probabilities for one window of exactly
// Window() samples.
func (n *Net) Proba(x []float32) (classes []string, p []float64, err error) {
	if len(x) != n.front.samples {
		return nil, nil, fmt.Errorf("%w: %d samples, want %d", ErrInput, len(x), n.front.samples)
	}
	w := n.workspace()
	defer n.pool.Put(w)
	if err := w.fe.patch(x, w.in); err != nil {
		return nil, nil, err
	}
	n.lay.forward(n.params, w)
	p = make([]float64, len(n.classes))
	for i, v := range w.prob {
		p[i] = float64(v)
	}
	return n.Classes(), p, nil
}

// Train fits a Net to ex. Every example must hold Rate·Window samples and a non-empty label;
// at least two distinct labels are needed. Each class weighs the same in the loss whatever
// its number of examples. Train stops with ctx's error when ctx is done.
func Train(ctx context.Context, ex []Example, c Config) (*Net, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	fr, _ := newFront(c.Rate, c.Window, c.Mels)
	if len(ex) == 0 {
		return nil, fmt.Errorf("%w: no examples", ErrData)
	}
	var classes []string
	for i, e := range ex {
		if len(e.X) != fr.samples {
			return nil, fmt.Errorf("%w: example %d (%s): %d samples, want %d", ErrData, i, e.Group, len(e.X), fr.samples)
		}
		if e.Label == "" {
			return nil, fmt.Errorf("%w: example %d (%s): empty label", ErrData, i, e.Group)
		}
		if !slices.Contains(classes, e.Label) {
			classes = append(classes, e.Label)
		}
	}
	if len(classes) < 2 {
		return nil, fmt.Errorf("%w: only one class %q", ErrData, classes[0])
	}
	slices.Sort(classes)
	n := newNet(fr, classes, defaultChannels)

	labels := make([]int, len(ex))
	count := make([]int, len(classes))
	for i, e := range ex {
		labels[i], _ = slices.BinarySearch(classes, e.Label)
		count[labels[i]]++
	}
	weight := make([]float32, len(classes))
	for k, m := range count {
		weight[k] = float32(len(ex)) / float32(len(classes)*m)
	}

	workers := max(1, runtime.GOMAXPROCS(0))
	wss := make([]*workspace, workers)
	for i := range wss {
		wss[i] = newWorkspace(&n.lay, fr)
	}

	// The front end runs once: the patches do not change between epochs.
	patchLen := fr.frames * fr.mels
	patches := make([]float32, len(ex)*patchLen)
	errs := make([]error, workers)
	parallel(workers, len(ex), func(w, i int) {
		if err := wss[w].fe.patch(ex[i].X, patches[i*patchLen:(i+1)*patchLen]); err != nil && errs[w] == nil {
			errs[w] = err
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	n.lay.init(n.params, rng)

	bs := min(c.BatchSize, len(ex))
	grads := make([]float32, bs*n.lay.size)
	sum := make([]float32, n.lay.size)
	opt := newAdam(n.lay.size, float32(c.LearningRate))
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	for epoch := 0; epoch < c.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < len(order); start += bs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			batch := order[start:min(start+bs, len(order))]
			parallel(workers, len(batch), func(w, j int) {
				i := batch[j]
				ws := wss[w]
				copy(ws.in, patches[i*patchLen:(i+1)*patchLen])
				g := grads[j*n.lay.size : (j+1)*n.lay.size]
				clear(g)
				n.lay.forward(n.params, ws)
				n.lay.backward(n.params, ws, labels[i], weight[labels[i]], g)
			})
			clear(sum)
			for j := range batch {
				g := grads[j*n.lay.size : (j+1)*n.lay.size]
				for k, v := range g {
					sum[k] += v
				}
			}
			scale := 1 / float32(len(batch))
			for k := range sum {
				sum[k] *= scale
			}
			opt.step(n.params, sum)
		}
	}
	return n, nil
}

// parallel calls f(worker, i) for i in [0,n) on `workers` goroutines, striding i by worker so
// each worker's state is used by one goroutine only.
func parallel(workers, n int, f func(w, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

type adam struct {
	m, v       []float32
	lr         float32
	b1t, b2t   float64
	b1, b2, ep float32
}

func newAdam(n int, lr float32) *adam {
	return &adam{m: make([]float32, n), v: make([]float32, n), lr: lr, b1: 0.9, b2: 0.999, ep: 1e-8, b1t: 1, b2t: 1}
}

func (a *adam) step(p, g []float32) {
	a.b1t *= float64(a.b1)
	a.b2t *= float64(a.b2)
	lr := float32(float64(a.lr) * math.Sqrt(1-a.b2t) / (1 - a.b1t))
	for i, gi := range g {
		m := a.b1*a.m[i] + (1-a.b1)*gi
		v := a.b2*a.v[i] + (1-a.b2)*gi*gi
		a.m[i], a.v[i] = m, v
		p[i] -= lr * m / (float32(math.Sqrt(float64(v))) + a.ep)
	}
}
