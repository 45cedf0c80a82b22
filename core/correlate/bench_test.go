package correlate

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSlot is one window hop of an appliance of n machines: one window of every machine,
// which completes and judges one slot — the correlations of every pair at every lag (default
// horizon 30 s, lags ±2 s: 9 lags, 2 signals) and the episodes; O(n² · lags).
func BenchmarkSlot(b *testing.B) {
	for _, n := range []int{2, 4, 8, 16, 32} {
		b.Run(fmt.Sprintf("machines=%d", n), func(b *testing.B) {
			var ids []string
			var ms [][]Window
			for i := range n {
				id := fmt.Sprintf("m%d", i)
				ids = append(ids, id)
				ms = append(ms, series(id, uint64(i), 400, -30, rise{at: 300, n: 20, db: 10, open: 2}))
			}
			c, err := New(DefaultConfig(), ids)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at := t0.Add(time.Duration(i) * 500 * time.Millisecond)
				for m := range n {
					w := ms[m][i%400]
					w.Time = at
					c.Add(w)
				}
			}
		})
	}
}
