package daemon

import (
	"testing"
	"time"
)

// The learning tape cuts learning sound into pieces, tells the loop to forget the old sound
// when learning starts afresh, keeps a last piece of 5 s or more, and drops (counting) what
// the loop has no room for.
func TestLearnTape(t *testing.T) {
	out := make(chan tapeMsg, 4)
	tp := newLearnTape("m1", 100, 10*time.Second, out) // 1000 samples a piece
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	block := make([]float32, 300)
	for i := 0; i < 8; i++ { // 2400 samples: 2 full pieces, 400 left
		tp.feed(true, at.Add(time.Duration(i)*3*time.Second), block)
	}
	if m := <-out; !m.reset {
		t.Fatalf("first message %+v, want the reset of a new learning period", m)
	}
	for k := 0; k < 2; k++ {
		m := <-out
		if m.reset || len(m.samples) != 1000 || !m.start.Equal(at.Add(time.Duration(k)*10*time.Second)) {
			t.Fatalf("piece %d: %d samples from %v", k, len(m.samples), m.start)
		}
	}
	tp.feed(false, time.Time{}, nil) // 400 samples = 4 s: less than 5 s, not kept
	select {
	case m := <-out:
		t.Fatalf("a 4-s last piece was sent: %d samples", len(m.samples))
	default:
	}
	for i := 0; i < 6; i++ { // a new learning period: reset, then 6 pieces into a queue of 4
		tp.feed(true, at, make([]float32, 1000))
	}
	if tp.Dropped() != 3 {
		t.Errorf("dropped %d pieces, want 3 (a queue of 4 holding the reset and 3 pieces)", tp.Dropped())
	}
}
