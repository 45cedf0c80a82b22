package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// benchAppliance serves the routes a FleetWatcher uses for machines machines; its live stream
// sends the given number of updates (each with a 64-band spectrum, as the appliance sends
// them) as fast as the client reads, then holds the connection open.
func benchAppliance(machines, updates int) *httptest.Server {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	ms := make([]Machine, machines)
	for i := range ms {
		ms[i] = Machine{ID: fmt.Sprintf("machine-%d", i), Name: fmt.Sprintf("Machine %d", i), Kind: "pump"}
	}
	lag := 1.0
	health := Health{Status: HealthOK, Report: &HealthReport{Status: HealthOK,
		Replication: HealthReplication{Configured: true, Status: ReplicationOK, LagSeconds: &lag}}}
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	// the stream is encoded before the benchmark's timer starts: only the client is measured
	spec := make([]float32, 64)
	for i := range spec {
		spec[i] = -40 + float32(i)/3
	}
	var buf bytes.Buffer
	for n := 1; n <= updates; n++ {
		l := Live{MachineID: ms[n%machines].ID, Time: t0.Add(time.Duration(n) * time.Millisecond), State: StateMonitoring,
			Progress: 1, Sensor: SensorOK, LevelDBFS: -31.5, Score: 0.8, Smoothed: 0.75, Threshold: 1.2,
			Spectrum: spec, SpectrumFMinHz: 20, SpectrumFMaxHz: 8000, Seq: uint64(n)}
		b, _ := json.Marshal(l)
		fmt.Fprintf(&buf, "id: %d\nevent: live\ndata: %s\n\n", n, b)
	}
	stream := buf.Bytes()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathMe:
			reply(w, Identity{Actor: "bench", Role: RoleViewer})
		case PathMachines:
			reply(w, ms)
		case PathLiveNow:
			reply(w, []Live{})
		case PathHealth:
			reply(w, health)
		case PathAlerts:
			reply(w, []Alert{})
		case PathLive:
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write(stream)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
}

// BenchmarkFleetLiveUpdate is a fleet client's cost per live update: reading it off the SSE
// stream, decoding it and recording it (what the terminal and desktop fleet views do for
// every update of every appliance, before drawing). One op is one update.
func BenchmarkFleetLiveUpdate(b *testing.B) {
	srv := benchAppliance(8, b.N)
	defer srv.Close()
	c, err := NewClient(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	var seen atomic.Int64
	w, err := NewFleetWatcher([]FleetMember{{Name: "a", Client: c}}, FleetOptions{Poll: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ch := w.Changed()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	go w.Run(ctx)
	for seen.Load() < int64(b.N) {
		<-ch
		var last uint64
		for _, fm := range w.Snapshot()[0].Machines {
			last = max(last, fm.Live.Seq)
		}
		seen.Store(int64(last))
	}
	b.StopTimer()
}

// BenchmarkFleetMemory is a fleet client's heap per watched appliance of 8 machines, once
// each appliance's machines have a live state: the watcher's state, the HTTP connections and
// the live streams' buffers and goroutines. Reported as heap-B/appliance (and goroutines per
// appliance); one op watches 20 appliances.
func BenchmarkFleetMemory(b *testing.B) {
	const n, machines = 20, 8
	srvs := make([]*httptest.Server, n)
	for i := range srvs {
		srvs[i] = benchAppliance(machines, 4*machines)
		defer srvs[i].Close()
	}
	var perApp, gor float64
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		var members []FleetMember
		for i, s := range srvs {
			c, err := NewClient(s.URL)
			if err != nil {
				b.Fatal(err)
			}
			members = append(members, FleetMember{Name: fmt.Sprint("appliance-", i), Client: c})
		}
		w, err := NewFleetWatcher(members, FleetOptions{Poll: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		ch := w.Changed()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
	wait:
		for {
			<-ch
			for _, a := range w.Snapshot() {
				for _, fm := range a.Machines {
					if fm.Live.Seq < uint64(3*machines) {
						continue wait
					}
				}
			}
			break
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		perApp = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		gor = float64(runtime.NumGoroutine()-g0) / n
		cancel()
		<-done
		for _, s := range srvs {
			s.CloseClientConnections()
		}
	}
	b.ReportMetric(perApp, "heap-B/appliance")
	b.ReportMetric(gor, "goroutines/appliance")
}
