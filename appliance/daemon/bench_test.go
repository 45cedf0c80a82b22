package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	wire "signalcraft/core/api"
)

// BenchmarkEndToEnd runs the real daemon on a live 8-channel simulated source (16 kHz),
// serving its API on a unix socket to 3 streaming clients, for 20 s per iteration. It
// reports the delay from a window's last sample reaching the appliance to a client
// receiving its score (p50/p99 over every new score every client received) and the
// daemon's memory: Go heap in use and the process's resident set.
//
//	go test -run '^$' -bench EndToEnd -benchtime 1x ./appliance/daemon
func BenchmarkEndToEnd(b *testing.B) {
	const channels, clients = 8, 3
	for b.Loop() {
		dir := b.TempDir()
		var ms strings.Builder
		for c := range channels {
			fmt.Fprintf(&ms, "  - {id: m%d, sensor: {source: sim, channel: %d}, detection: {learning: 10s}}\n", c, c)
		}
		cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
api: {socket: %s}
sources:
  - {id: sim, kind: simulator, channels: %d, simulator: {seed: 5}}
machines:
%s`, dir, filepath.Join(dir, "api.sock"), channels, ms.String())))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		m, err := New(ctx, cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		for i := 0; ; i++ {
			if c, err := net.Dial("unix", cfg.API.Socket); err == nil {
				c.Close()
				break
			}
			if i == 200 {
				b.Fatal("API socket never came up")
			}
			time.Sleep(10 * time.Millisecond)
		}
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		sctx, stop := context.WithTimeout(ctx, 20*time.Second)
		for range clients {
			c, err := wire.NewClient("", wire.WithUnixSocket(cfg.API.Socket))
			if err != nil {
				b.Fatal(err)
			}
			wg.Go(func() {
				seen := map[string]time.Time{}
				_ = c.Stream(sctx, "", func(l wire.Live) {
					now := time.Now()
					if l.SampleArrived.IsZero() || seen[l.MachineID].Equal(l.SampleArrived) {
						return // no new score in this update
					}
					seen[l.MachineID] = l.SampleArrived
					mu.Lock()
					lat = append(lat, now.Sub(l.SampleArrived))
					mu.Unlock()
				})
			})
		}
		wg.Wait()
		stop()
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		rss := residentMB()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		if len(lat) < channels*clients*20 {
			b.Fatalf("only %d scores received", len(lat))
		}
		slices.Sort(lat)
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
		b.ReportMetric(q(0.5), "p50_ms")
		b.ReportMetric(q(0.99), "p99_ms")
		b.ReportMetric(float64(len(lat)), "scores")
		b.ReportMetric(float64(mem.HeapInuse)/(1<<20), "heap_MB")
		b.ReportMetric(rss, "rss_MB")
	}
}

// residentMB reads the process's resident set size from /proc.
func residentMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
