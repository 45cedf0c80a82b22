package loki

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkShipper logs b.N lines like the daemon's (a message and four attributes)
// through the shipper to a loopback receiver that reads and discards each push, and
// reports the process's CPU time per line (logging, JSON, batching, the push and the
// receiver's read: an upper bound of the shipper's cost) and the heap a queued line holds.
// docs/BENCHMARKS.md turns it into CPU per 1000 lines/s.
func BenchmarkShipper(b *testing.B) {
	var lines atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var shipped atomic.Int64
	s, err := New(Config{URL: srv.URL, Appliance: "bench", Labels: map[string]string{"site": "plant-a"}},
		Options{OnShipped: func(n int) { shipped.Add(int64(n)) }, OnDropped: func(string, int) { lines.Add(1) }})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(s.Handler(nil)).With("component", "daemon")
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		log.Info("window scored", "machine", "fan-1", "score", 3.25, "threshold", 8.5, "window", i)
		if i%5000 == 4999 {
			// Pace like a daemon rather than outrun the queue (a benchmark loop logs
			// millions of lines a second; a drop would not be a shipped line).
			_ = s.Flush(context.Background())
		}
	}
	if err := s.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if shipped.Load() != int64(b.N) {
		b.Fatalf("shipped %d of %d lines (%d dropped)", shipped.Load(), b.N, lines.Load())
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/line")
}

// BenchmarkQueuedLineHeap fills the queue while Loki does not answer and reports the heap
// one queued line holds, so buffer_lines can be turned into memory.
func BenchmarkQueuedLineHeap(b *testing.B) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hold }))
	defer srv.Close()
	defer close(hold)
	const buffer = 10000
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := New(Config{URL: srv.URL, Appliance: "bench", BufferLines: buffer, BatchLines: 1, BatchWait: time.Hour}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		log := slog.New(s.Handler(nil))
		for j := 0; j < buffer+1; j++ {
			log.Info("window scored", "machine", "fan-1", "score", 3.25, "threshold", 8.5, "window", j)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/buffer, "heap-B/queued-line")
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_ = s.Close(ctx)
		cancel()
	}
}
