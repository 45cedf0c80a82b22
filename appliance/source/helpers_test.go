package source

import (
	"context"
	"sync"
	"time"
)

// fakeClock advances only when a source sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// blockingClock's Sleep waits for the context: a source paced by it makes no progress
// until cancelled.
type blockingClock struct {
	now     time.Time
	sleptCh chan struct{}
	once    sync.Once
}

func (c *blockingClock) Now() time.Time { return c.now }

func (c *blockingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.once.Do(func() { close(c.sleptCh) })
	<-ctx.Done()
	return ctx.Err()
}

type statusEvent struct {
	s   Status
	err error
}

// recorder is a Sink that copies what it receives.
type recorder struct {
	clock    Clock // if set, the time each block arrived is recorded
	blocks   []Block
	arrived  []time.Time
	statuses []statusEvent
	onBlock  func(n int) // called after each block with the number received so far
}

func (r *recorder) Samples(b Block) {
	c := make([][]float32, len(b.Channels))
	for i, ch := range b.Channels {
		c[i] = append([]float32(nil), ch...)
	}
	r.blocks = append(r.blocks, Block{Time: b.Time, Channels: c})
	if r.clock != nil {
		r.arrived = append(r.arrived, r.clock.Now())
	}
	if r.onBlock != nil {
		r.onBlock(len(r.blocks))
	}
}

func (r *recorder) Status(s Status, err error) { r.statuses = append(r.statuses, statusEvent{s, err}) }

// samples concatenates the received blocks per channel.
func (r *recorder) samples() [][]float32 {
	if len(r.blocks) == 0 {
		return nil
	}
	out := make([][]float32, len(r.blocks[0].Channels))
	for _, b := range r.blocks {
		for c := range out {
			out[c] = append(out[c], b.Channels[c]...)
		}
	}
	return out
}
