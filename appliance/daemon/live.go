package daemon

import (
	"math"
	"sync"
	"time"

	wire "signalcraft/core/api"
)

// liveEvery is how often each machine publishes its live state: a little faster than the
// 5 updates/s clients are promised, so timer jitter never takes it below.
const liveEvery = 160 * time.Millisecond

// Live spectrum bands: log-spaced from spectrumFMin to the Nyquist frequency.
const (
	spectrumBands = 64
	spectrumFMin  = 40.0
)

// hub fans live updates out to subscribers. Subscribers must not block.
type hub struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(wire.Live)
}

// Subscribe calls fn with every live update until cancel is called.
func (h *hub) Subscribe(fn func(wire.Live)) (cancel func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[int]func(wire.Live){}
	}
	id := h.next
	h.next++
	h.subs[id] = fn
	return func() {
		h.mu.Lock()
		delete(h.subs, id)
		h.mu.Unlock()
	}
}

func (h *hub) publish(l wire.Live) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, fn := range h.subs {
		fn(l)
	}
}

// bandMap sums power-spectrum bins into log-spaced bands.
type bandMap struct {
	lo, hi     []int // bin range [lo, hi) of each band
	fmin, fmax float64
	norm       float64 // a full-scale sine's peak bin power: its band reads 0 dB
}

func newBandMap(rate, frameSize, bands int, fmin float64) bandMap {
	fmax := float64(rate) / 2
	binHz := float64(rate) / float64(frameSize)
	nbins := frameSize/2 + 1
	// The Hann window sums to frameSize/2, so a sine of amplitude 1 peaks at (frameSize/4)² in
	// the power spectrum.
	q := float64(frameSize) / 4
	m := bandMap{lo: make([]int, bands), hi: make([]int, bands), fmin: fmin, fmax: fmax, norm: q * q}
	ratio := math.Pow(fmax/fmin, 1/float64(bands))
	f := fmin
	for b := range bands {
		lo := int(math.Round(f / binHz))
		f *= ratio
		hi := max(int(math.Round(f/binHz)), lo+1) // every band holds at least one bin
		if b == bands-1 {
			hi = nbins // the top band ends at Nyquist, inclusive
		}
		m.lo[b], m.hi[b] = min(lo, nbins-1), min(hi, nbins)
	}
	return m
}

// levels writes each band's power in dB relative to full scale into out (len(out) == bands),
// floored at -120 dB.
func (m bandMap) levels(power []float64, out []float32) {
	for b := range m.lo {
		var sum float64
		for _, p := range power[m.lo[b]:m.hi[b]] {
			sum += p
		}
		out[b] = float32(10 * math.Log10(sum/m.norm+1e-12))
	}
}
