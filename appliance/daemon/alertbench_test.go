package daemon

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/source"
)

// burstSource is a live (real-time) source of `channels` machines: steady noise, then from
// `quiet` on, an anomalous burst (a loud 2 kHz whine) of `burst` every `every`, channel c
// offset by c·every/channels. It records when each burst's first block is handed over.
type burstSource struct {
	rate, channels      int
	quiet, burst, every time.Duration

	mu     sync.Mutex
	onsets map[int][]time.Time // channel → wall-clock onset times
}

func (s *burstSource) Info() source.Info {
	return source.Info{Name: "bursts", SampleRate: s.rate, Channels: s.channels}
}

func (s *burstSource) inBurst(c int, t time.Duration) bool {
	if t < s.quiet {
		return false
	}
	off := t - s.quiet - time.Duration(c)*s.every/time.Duration(s.channels)
	return off >= 0 && off%s.every < s.burst
}

func (s *burstSource) Run(ctx context.Context, sink source.Sink) error {
	const block = 1600 // 100 ms at 16 kHz
	r := rand.New(rand.NewPCG(1, 2))
	chans := make([][]float32, s.channels)
	for c := range chans {
		chans[c] = make([]float32, block)
	}
	start := time.Now()
	was := make([]bool, s.channels)
	sink.Status(source.Running, nil)
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n+1) * block * time.Second / time.Duration(s.rate))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(due)):
		}
		t0 := time.Duration(n) * block * time.Second / time.Duration(s.rate)
		for c := range chans {
			burst := s.inBurst(c, t0)
			for i := range chans[c] {
				v := 0.05 * r.NormFloat64()
				if burst {
					v += 0.5 * math.Sin(2*math.Pi*2000*float64(n*block+i)/float64(s.rate))
				}
				chans[c][i] = float32(v)
			}
			if burst && !was[c] {
				s.mu.Lock()
				s.onsets[c] = append(s.onsets[c], time.Now())
				s.mu.Unlock()
			}
			was[c] = burst
		}
		sink.Samples(source.Block{Time: start.Add(t0), Channels: chans})
	}
}

// BenchmarkAlertLatency measures anomaly onset in the audio → webhook received on loopback:
// 8 live machines whose sound turns anomalous in staggered bursts, one anomaly rule with
// for: 0, a webhook receiver. Each firing notification is matched to its machine's latest
// onset before it.
//
//	go test -run '^$' -bench AlertLatency -benchtime 1x ./appliance/daemon
func BenchmarkAlertLatency(b *testing.B) {
	const channels = 8
	for b.Loop() {
		var mu sync.Mutex
		type arrival struct {
			machine string
			at      time.Time
		}
		var got []arrival
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			at := time.Now()
			var body strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := r.Body.Read(buf)
				body.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if strings.Contains(body.String(), `"status":"firing"`) {
				for c := range channels {
					if strings.Contains(body.String(), fmt.Sprintf(`"machine":"m%d"`, c)) {
						mu.Lock()
						got = append(got, arrival{fmt.Sprintf("m%d", c), at})
						mu.Unlock()
					}
				}
			}
		}))
		var ms strings.Builder
		for c := range channels {
			fmt.Fprintf(&ms, "  - {id: m%d, sensor: {source: bursts, channel: %d}, detection: {learning: 10s}}\n", c, c)
		}
		cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
api: {socket: ""}
sources:
  - {id: bursts, kind: simulator, channels: %d}
machines:
%sreceivers:
  - {name: hook, type: webhook, webhook: {url: "%s"}}
alerting:
  rules:
    - name: Anomaly
      expr: {metric: anomaly_score, op: ">", enter: 1, exit: 0.9}
      severity: critical
      for: 0s
  route: {receiver: hook, group_by: [machine], group_wait: 0s, group_interval: 100ms, send_resolved: false}
`, b.TempDir(), channels, ms.String(), hook.URL)))
		if err != nil {
			b.Fatal(err)
		}
		src := &burstSource{rate: 16000, channels: channels, quiet: 14 * time.Second,
			burst: 1500 * time.Millisecond, every: 6 * time.Second, onsets: map[int][]time.Time{}}
		ctx, cancel := context.WithCancel(context.Background())
		m, err := New(ctx, cfg, Options{OpenSource: func(config.Source) (source.Source, error) { return src, nil }})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		time.Sleep(14*time.Second + 40*time.Second)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		hook.Close()

		var lat []time.Duration
		mu.Lock()
		src.mu.Lock()
		for _, a := range got {
			var c int
			fmt.Sscanf(a.machine, "m%d", &c)
			var onset time.Time
			for _, o := range src.onsets[c] {
				if o.Before(a.at) {
					onset = o
				}
			}
			if !onset.IsZero() {
				lat = append(lat, a.at.Sub(onset))
			}
		}
		onsets := 0
		for _, os := range src.onsets {
			onsets += len(os)
		}
		src.mu.Unlock()
		mu.Unlock()
		if len(lat) < 50 {
			b.Fatalf("only %d alerts arrived for %d onsets", len(lat), onsets)
		}
		slices.Sort(lat)
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
		b.ReportMetric(q(0.5), "p50_ms")
		b.ReportMetric(q(0.99), "p99_ms")
		b.ReportMetric(float64(len(lat)), "alerts")
		b.ReportMetric(float64(onsets), "onsets")
	}
}
