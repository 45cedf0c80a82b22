package capture

import (
	"math/rand/v2"
	"time"
)

// Backoff is the delay before each reconnect attempt: Initial doubled per failed attempt,
// capped at Max, then spread by ±Jitter (a fraction) so that several appliances losing
// power together do not retry in lock-step.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Jitter  float64        // 0 … 1
	Rand    func() float64 // uniform in [0, 1); nil means math/rand/v2
}

// DefaultBackoff waits 250 ms, 500 ms, 1 s … up to 10 s, ±20 %.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 250 * time.Millisecond, Max: 10 * time.Second, Jitter: 0.2}
}

// Delay returns the wait before attempt number attempt (0 for the first).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Initial
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	if b.Jitter > 0 {
		r := b.Rand
		if r == nil {
			r = rand.Float64
		}
		d = time.Duration(float64(d) * (1 + b.Jitter*(2*r()-1)))
	}
	if d < 0 {
		d = 0
	}
	return d
}
