package api

import (
	"context"
	"slices"
	"testing"
	"time"

	wire "signalcraft/core/api"
)

// BenchmarkLiveLatency measures the time from the daemon publishing a live
// update to the Go client's Stream callback receiving it, over loopback
// HTTP with a 64-band spectrum, one update in flight at a time. Reported:
// p50 and p99 in microseconds.
func BenchmarkLiveLatency(b *testing.B) {
	e := newEnv(b, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type arrival struct {
		score float64
		at    time.Time
	}
	got := make(chan arrival, 16)
	cl := e.client(wire.RoleViewer)
	go cl.Stream(ctx, "pump-1", func(l wire.Live) { got <- arrival{l.Score, time.Now()} })
	// Wait for the stream to be up.
	for deadline := time.Now().Add(10 * time.Second); ; {
		e.srv.hub.mu.Lock()
		n := len(e.srv.hub.subs)
		e.srv.hub.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("stream did not connect")
		}
		time.Sleep(time.Millisecond)
	}
	lat := make([]time.Duration, 0, b.N)
	l := update("pump-1", 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Score = float64(i + 1)
		start := time.Now()
		e.fake.publish(l)
		for received := false; !received; {
			select {
			case a := <-got:
				if a.score == l.Score { // skip the initial state
					lat = append(lat, a.at.Sub(start))
					received = true
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("update %d not received", i)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
}
