package apptest

import (
	"context"
	"sync"
	"time"
)

// Clock is a manual clock. The appliance reads the time from it and its simulated sources
// are paced by it, so nothing is heard until the test advances it: Advance(time.Minute)
// makes every source deliver one more minute of sound, as fast as the machine can.
type Clock struct {
	mu       sync.Mutex
	now      time.Time
	wake     chan struct{}       // closed and replaced whenever the time moves
	sleepers map[*time.Time]bool // the wake-up times of the goroutines in Sleep
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock {
	return &Clock{now: t, wake: make(chan struct{}), sleepers: map[*time.Time]bool{}}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep waits until the clock has moved d past its time at the call, or ctx ends.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	until := c.now.Add(d)
	c.sleepers[&until] = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.sleepers, &until)
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		if !c.now.Before(until) {
			c.mu.Unlock()
			return nil
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Sleepers returns how many goroutines sleep until a time still ahead of the clock. One
// whose time has come counts only once it sleeps again: once every simulated source is
// counted, each has delivered its sound up to Now.
func (c *Clock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for until := range c.sleepers {
		if until.After(c.now) {
			n++
		}
	}
	return n
}

// Advance moves the clock forward by d (a negative d is ignored: time does not go back).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	close(c.wake)
	c.wake = make(chan struct{})
}

// Set moves the clock to t if t is later than its time.
func (c *Clock) Set(t time.Time) { c.Advance(t.Sub(c.Now())) }
