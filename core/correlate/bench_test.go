package correlate

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkAdd is one window of one machine on an appliance of n machines, with the default
// horizon (30 s) and lags (±2 s): every n-th Add judges a slot, O(n² · lags).
func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{4, 8, 16} {
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
				k, m := (i/n)%400, i%n
				w := ms[m][k]
				w.Time = t0.Add(time.Duration(i/n) * 500 * time.Millisecond)
				c.Add(w)
			}
		})
	}
}
