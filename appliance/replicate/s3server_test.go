package replicate

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
