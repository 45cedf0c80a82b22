// Package ring provides a single-producer single-consumer ring buffer of float32 samples
// sitting between capture and analysis. The producer (capture) never waits: when the
// consumer falls behind, the oldest unread samples are overwritten and counted as overruns.
package ring

import (
	"context"
	"sync"
	"sync/atomic"
)

// Buffer is a ring of samples for one channel. Write and Read may run on different
// goroutines; Stats may be called from anywhere.
type Buffer struct {
	mu      sync.Mutex
	data    []float32
	w, r    uint64 // total samples written / read; w-r ≤ len(data)
	signal  chan struct{}
	space   chan struct{} // signalled after reads, for WriteWait
	overrun atomic.Uint64
}

// New returns a buffer holding capacity samples.
func New(capacity int) *Buffer {
	if capacity < 1 {
		capacity = 1
	}
	return &Buffer{data: make([]float32, capacity), signal: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// Write appends samples without ever blocking. Samples the reader has not consumed yet are
// overwritten when the buffer is full; each lost sample counts as an overrun.
func (b *Buffer) Write(x []float32) {
	n := uint64(len(b.data))
	b.mu.Lock()
	if uint64(len(x)) > n { // keep only the newest samples that fit
		skip := uint64(len(x)) - n
		b.overrun.Add(skip + (b.w - b.r)) // the unread backlog and the head of x are lost
		b.w += skip
		b.r = b.w
		x = x[skip:]
	}
	for len(x) > 0 {
		i := b.w % n
		c := copy(b.data[i:], x)
		x = x[c:]
		b.w += uint64(c)
	}
	if lost := b.w - b.r; lost > n {
		b.overrun.Add(lost - n)
		b.r = b.w - n
	}
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// WriteWait writes x without losing samples: it waits until the reader has made room.
// It is for sources that are not live (a recording replayed as fast as possible), where
// waiting is right and dropping is wrong. It returns ctx's error if ctx ends first.
func (b *Buffer) WriteWait(ctx context.Context, x []float32) error {
	n := len(b.data)
	for len(x) > 0 {
		chunk := x[:min(len(x), n)]
		for {
			b.mu.Lock()
			free := n - int(b.w-b.r)
			b.mu.Unlock()
			if free >= len(chunk) {
				break
			}
			select {
			case <-b.space:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		b.Write(chunk)
		x = x[len(chunk):]
	}
	return nil
}

// Read copies up to len(dst) unread samples into dst and returns how many it copied.
func (b *Buffer) Read(dst []float32) int {
	n, _ := b.ReadAt(dst)
	return n
}

// ReadAt is Read that also returns the position of the first copied sample in the stream
// of all samples ever written (so a reader can time samples even after overruns).
func (b *Buffer) ReadAt(dst []float32) (int, uint64) {
	n := uint64(len(b.data))
	b.mu.Lock()
	defer b.mu.Unlock()
	pos := b.r
	avail := b.w - b.r
	want := min(uint64(len(dst)), avail)
	var got uint64
	for got < want {
		i := b.r % n
		end := min(n, i+(want-got))
		c := copy(dst[got:], b.data[i:end])
		got += uint64(c)
		b.r += uint64(c)
	}
	if got > 0 {
		select {
		case b.space <- struct{}{}:
		default:
		}
	}
	return int(got), pos
}

// Ready is signalled after writes; a reader waits on it when Read returns 0.
func (b *Buffer) Ready() <-chan struct{} { return b.signal }

// Len is the number of unread samples.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.w - b.r)
}

// Stats are a buffer's counters.
type Stats struct {
	Written  uint64 // samples written since creation
	Overruns uint64 // samples overwritten before they were read
}

// Stats returns the counters.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	w := b.w
	b.mu.Unlock()
	return Stats{Written: w, Overruns: b.overrun.Load()}
}
