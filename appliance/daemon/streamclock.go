package daemon

import (
	"sync"
	"time"
)

// streamClock is the daemon's time for analysis and alerting when it replays recordings as
// fast as possible (every source realtime: false): the time of the latest sound analysed,
// so that `for:` durations, group waits, events and sensor changes happen at the same
// moments of the recording as in a real-time run, whatever the replay speed. Once every
// source has ended, time goes on from there at the wall clock's pace (silences expire,
// groups flush), and Advance can move it on at once (the stream evaluation does).
type streamClock struct {
	wall func() time.Time

	mu      sync.Mutex
	t       time.Time // latest stream time
	ended   bool
	endWall time.Time // wall time when the sources ended
}

func newStreamClock(start time.Time, wall func() time.Time) *streamClock {
	return &streamClock{t: start, wall: wall}
}

// Now returns the stream time.
func (c *streamClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return c.t.Add(max(0, c.wall().Sub(c.endWall)))
	}
	return c.t
}

// observe moves the clock to t if t is later.
func (c *streamClock) observe(t time.Time) {
	c.mu.Lock()
	if !c.ended && t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// end says every source has ended: from now on time follows the wall clock.
func (c *streamClock) end() {
	c.mu.Lock()
	if !c.ended {
		c.ended, c.endWall = true, c.wall()
	}
	c.mu.Unlock()
}

// Advance moves the clock on by d and returns the new time.
func (c *streamClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	if c.ended {
		return c.t.Add(max(0, c.wall().Sub(c.endWall)))
	}
	return c.t
}
