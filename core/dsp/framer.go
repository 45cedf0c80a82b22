package dsp

import "fmt"

// Framer turns a stream of samples into overlapping frames of Size samples that start every
// Hop samples: frame k covers stream samples [k·Hop, k·Hop+Size). It matches
// librosa.util.frame (center=False): the first frame is emitted once Size samples have
// arrived and no padding is ever added. A Hop larger than Size skips the samples between
// frames.
//
// A Framer is not safe for concurrent use. Push never allocates.
type Framer struct {
	size, hop int
	buf       []float64 // buf[:n] holds the samples of the frame being filled
	n         int
	skip      int // samples still to drop before the next frame starts (hop > size)
}

// NewFramer returns a Framer for frames of size samples every hop samples. It panics if size
// or hop is not positive: those are programming errors, validated earlier by [Config.Validate].
func NewFramer(size, hop int) *Framer {
	if size <= 0 || hop <= 0 {
		panic(fmt.Sprintf("dsp: NewFramer(%d, %d): size and hop must be positive", size, hop))
	}
	return &Framer{size: size, hop: hop, buf: make([]float64, size)}
}

// Push appends samples to the stream and calls emit for every frame completed by them, in
// order. The frame slice is reused: it is valid only during the call and must not be kept
// or modified.
func (f *Framer) Push(samples []float32, emit func(frame []float64)) {
	for len(samples) > 0 {
		if f.skip > 0 {
			k := min(f.skip, len(samples))
			f.skip -= k
			samples = samples[k:]
			continue
		}
		k := min(f.size-f.n, len(samples))
		dst := f.buf[f.n : f.n+k]
		for i, v := range samples[:k] {
			dst[i] = float64(v)
		}
		f.n += k
		samples = samples[k:]
		if f.n < f.size {
			return
		}
		emit(f.buf)
		if f.hop < f.size {
			f.n = copy(f.buf, f.buf[f.hop:])
		} else {
			f.n = 0
			f.skip = f.hop - f.size
		}
	}
}

// Reset discards buffered samples so that the next Push starts a new stream.
func (f *Framer) Reset() {
	f.n = 0
	f.skip = 0
}

// Size returns the frame length in samples.
func (f *Framer) Size() int { return f.size }

// Hop returns the distance between frame starts in samples.
func (f *Framer) Hop() int { return f.hop }
