package capture

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	const ms = time.Millisecond
	fixed := func(v float64) func() float64 { return func() float64 { return v } }
	def := DefaultBackoff()
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{"first", Backoff{Initial: 250 * ms, Max: 10 * time.Second}, 0, 250 * ms},
		{"doubles", Backoff{Initial: 250 * ms, Max: 10 * time.Second}, 3, 2 * time.Second},
		{"capped", Backoff{Initial: 250 * ms, Max: 10 * time.Second}, 6, 10 * time.Second},
		{"huge attempt stays capped", Backoff{Initial: 250 * ms, Max: 10 * time.Second}, 1 << 30, 10 * time.Second},
		{"jitter low end", Backoff{Initial: time.Second, Max: 10 * time.Second, Jitter: 0.2, Rand: fixed(0)}, 0, 800 * ms},
		{"jitter middle", Backoff{Initial: time.Second, Max: 10 * time.Second, Jitter: 0.2, Rand: fixed(0.5)}, 0, time.Second},
		{"jitter high end", Backoff{Initial: time.Second, Max: 10 * time.Second, Jitter: 0.2, Rand: fixed(0.75)}, 1, 2200 * ms},
		{"default first", Backoff{Initial: def.Initial, Max: def.Max, Jitter: def.Jitter, Rand: fixed(0.5)}, 0, 250 * ms},
		{"default last", Backoff{Initial: def.Initial, Max: def.Max, Jitter: def.Jitter, Rand: fixed(0.5)}, 100, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Delay(tt.attempt); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestBackoffJitterStaysInRange(t *testing.T) {
	b := DefaultBackoff()
	for i := 0; i < 1000; i++ {
		if d := b.Delay(2); d < 800*time.Millisecond || d > 1200*time.Millisecond {
			t.Fatalf("Delay(2) = %v, want 1s ±20%%", d)
		}
	}
}
