package format

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "0 machines"}, {1, "1 machine"}, {2, "2 machines"}}
	for _, tt := range tests {
		if got := Count(tt.n, "machine", "machines"); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestScore(t *testing.T) {
	for _, tt := range []struct {
		score, thr float64
		want       string
	}{{4.87, 3.4, "1.43×"}, {1.1, 0, "—"}} {
		if got := Score(tt.score, tt.thr); got != tt.want {
			t.Errorf("Score(%v, %v) = %q, want %q", tt.score, tt.thr, got, tt.want)
		}
	}
}
