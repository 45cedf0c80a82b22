package source

import (
	"context"
	"time"
)

// Clock is the time a paced source follows. Tests inject a fake so they never sleep.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the system's clock.
type WallClock struct{}

// SystemClock returns the system's clock.
func SystemClock() WallClock { return WallClock{} }

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer stamps blocks with the time of their first sample and, in real time, waits until
// a block's last sample would have been recorded before it is delivered, as a microphone
// does. Targets are absolute (start + samples/rate), so pacing does not drift.
type pacer struct {
	clock    Clock
	realtime bool
	rate     int
	start    time.Time
	pos      int64 // samples delivered
}

func newPacer(c Clock, realtime bool, rate int) *pacer {
	if c == nil {
		c = WallClock{}
	}
	return &pacer{clock: c, realtime: realtime, rate: rate, start: c.Now()}
}

// at returns the time of sample pos.
func (p *pacer) at(pos int64) time.Time {
	sec := pos / int64(p.rate)
	rem := pos % int64(p.rate)
	return p.start.Add(time.Duration(sec)*time.Second + time.Duration(rem)*time.Second/time.Duration(p.rate))
}

// next waits (in real time) until a block of n samples is due and returns its time.
// The error is ctx.Err() when ctx ends first.
func (p *pacer) next(ctx context.Context, n int) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	t := p.at(p.pos)
	if p.realtime {
		if d := p.at(p.pos + int64(n)).Sub(p.clock.Now()); d > 0 {
			if err := p.clock.Sleep(ctx, d); err != nil {
				return time.Time{}, err
			}
		}
	}
	p.pos += int64(n)
	return t, nil
}
