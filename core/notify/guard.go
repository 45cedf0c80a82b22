package notify

import (
	"math"
	"time"
)

// bucket is a token bucket: capacity perMinute tokens, refilled at perMinute/60 per second.
type bucket struct {
	perMinute int
	tokens    float64
	last      time.Time
}

// take consumes a token, or reports how long until one is available.
func (b *bucket) take(now time.Time, perMinute int) (ok bool, wait time.Duration) {
	if perMinute <= 0 {
		return true, 0
	}
	if b.perMinute != perMinute || b.last.IsZero() {
		if b.last.IsZero() || b.tokens > float64(perMinute) {
			b.tokens = float64(perMinute)
		}
		b.perMinute = perMinute
		if b.last.IsZero() {
			b.last = now
		}
	}
	rate := float64(perMinute) / 60 // tokens per second
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(perMinute), b.tokens+el*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	need := (1 - b.tokens) / rate
	return false, time.Duration(math.Ceil(need * float64(time.Second)))
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

func (s breakerState) String() string {
	switch s {
	case breakerOpen:
		return "open"
	case breakerHalfOpen:
		return "half-open"
	}
	return "closed"
}

// breaker is a consecutive-failure circuit breaker. After `failures` retryable failures in
// a row it opens for the cool-down; then one trial delivery is let through (half-open):
// success closes it, failure opens it again.
type breaker struct {
	state     breakerState
	fails     int
	openUntil time.Time
	trial     bool // a half-open trial is in flight
}

func breakerSettings(c CircuitBreaker) (int, time.Duration) {
	n, cd := c.Failures, time.Duration(c.CoolDown)
	if n <= 0 {
		n = DefaultBreakerFailures
	}
	if cd <= 0 {
		cd = DefaultBreakerCoolDown
	}
	return n, cd
}

// allow reports whether a delivery may be attempted now, or how long until it may.
func (b *breaker) allow(now time.Time) (bool, time.Duration) {
	switch b.state {
	case breakerOpen:
		if now.Before(b.openUntil) {
			return false, b.openUntil.Sub(now)
		}
		b.state, b.trial = breakerHalfOpen, true
		return true, 0
	case breakerHalfOpen:
		if b.trial {
			return false, time.Second
		}
		b.trial = true
		return true, 0
	}
	return true, 0
}

// record notes the outcome of an attempted delivery. Permanent failures (bad request,
// bad configuration) say nothing about the receiver's health and do not count.
func (b *breaker) record(now time.Time, c CircuitBreaker, failed bool) {
	n, cd := breakerSettings(c)
	b.trial = false
	if !failed {
		b.state, b.fails = breakerClosed, 0
		return
	}
	b.fails++
	if b.state == breakerHalfOpen || b.fails >= n {
		b.state, b.openUntil = breakerOpen, now.Add(cd)
	}
}

// release ends a half-open trial whose outcome says nothing about health.
func (b *breaker) release() { b.trial = false }
