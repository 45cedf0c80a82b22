package mlops

import "time"

// Throttle bounds the processor time of background work: after each piece of work that
// took d, Do sleeps d·(1−Share)/Share, so the work uses at most Share of one core on
// average and capture and scoring, which run on their own goroutines, keep the rest.
// A nil Throttle or a Share of 1 or more does not sleep.
type Throttle struct {
	Share float64
	// Busy and Slept add up the time spent working and sleeping (for metrics and tests).
	Busy, Slept time.Duration
	sleep       func(time.Duration)
	now         func() time.Time
}

// NewThrottle returns a Throttle allowing share of one core.
func NewThrottle(share float64) *Throttle {
	return &Throttle{Share: share, sleep: time.Sleep, now: time.Now}
}

// Do runs fn, then sleeps in proportion to the time it took.
func (t *Throttle) Do(fn func() error) error {
	if t == nil {
		return fn()
	}
	start := t.now()
	err := fn()
	d := t.now().Sub(start)
	t.Busy += d
	if t.Share > 0 && t.Share < 1 {
		pause := time.Duration(float64(d) * (1 - t.Share) / t.Share)
		t.Slept += pause
		t.sleep(pause)
	}
	return err
}
