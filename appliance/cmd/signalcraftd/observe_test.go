package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/errtrack/sentrytest"
	"signalcraft/appliance/loki"
	"signalcraft/appliance/metrics"
)

// lokiSink is a loopback push endpoint that keeps every line with its stream's labels.
type lokiSink struct {
	mu    sync.Mutex
	lines []lokiLine
	srv   *httptest.Server
}

type lokiLine struct {
	labels map[string]string
	line   string
}

func newLokiSink(t *testing.T) *lokiSink {
	s := &lokiSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p loki.PushRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if r.URL.Path != loki.PushPath || dec.Decode(&p) != nil {
			http.Error(w, "bad push", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		for _, st := range p.Streams {
			for _, v := range st.Values {
				s.lines = append(s.lines, lokiLine{st.Stream, v[1]})
			}
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *lokiSink) find(msg string) (lokiLine, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.Contains(l.line, `"msg":"`+msg+`"`) {
			return l, true
		}
	}
	return lokiLine{}, false
}

// TestDaemonShipsLogsToLoki runs the daemon in-process with logging.loki set: its log
// lines reach the push endpoint labelled with the configured name, and a stop flushes.
func TestDaemonShipsLogsToLoki(t *testing.T) {
	sink := newLokiSink(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sc.yaml")
	write(t, cfg, simYAML(dir, 0)+`metrics: {listen: "127.0.0.1:0"}
name: press-line-1
logging:
  loki: {url: "`+sink.srv.URL+`", labels: {site: plant-a}, batch_wait: 50ms}
`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &stdout, &stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := sink.find("api listening"); ok { // logged once the daemon runs
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no api listening line reached Loki within 20s:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l, _ := sink.find("starting")
	if l.labels["appliance"] != "press-line-1" || l.labels["app"] != "signalcraft" || l.labels["level"] != "info" || l.labels["site"] != "plant-a" {
		t.Errorf("labels %v", l.labels)
	}
	if !strings.Contains(l.line, `"loki":true`) || !strings.Contains(stdout.String(), "starting") {
		t.Errorf("Loki line %s; stdout:\n%s", l.line, stdout.String())
	}
	// Lines logged while stopping arrive too: Close flushes.
	if _, ok := sink.find("stopping: flushing"); !ok {
		t.Errorf("the shutdown lines did not reach Loki")
	}
}

// TestObservabilityWiring builds the logger main builds from a configuration with both
// sections: an ERROR line goes to stdout, Loki and error tracking; an INFO line to stdout
// and Loki only; the configuration's secrets never reach the error tracker; the metrics
// count what happened.
func TestObservabilityWiring(t *testing.T) {
	const s3Secret = "s3-secret-key-value-77"
	sink := newLokiSink(t)
	ingest := sentrytest.New(t)
	cfg, err := config.Parse([]byte(simYAML(t.TempDir(), 0) + `name: press-line-1
error_tracking: {dsn: "` + ingest.DSN("0123456789abcdef", "") + `", environment: plant-a}
logging:
  loki: {url: "` + sink.srv.URL + `", batch_wait: 10ms}
replication:
  s3: {bucket: sc-backups, access_key_id: AKIAEXAMPLE, secret_access_key: ` + s3Secret + `}
`))
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	var level slog.LevelVar
	met := metrics.New(metrics.Options{Version: "t"})
	obs, err := startObservability(cfg, newLogger(&stdout, "json", &level).Handler(), &level, met)
	if err != nil {
		t.Fatal(err)
	}
	if obs.recovered() == nil {
		t.Fatal("no panic reporter with error tracking on")
	}
	obs.log.Info("machine learned", "machine", "fan-1")
	obs.log.Error("replication failed", "machine", "fan-1", "err", "s3: signature mismatch for key "+s3Secret)
	obs.close()

	for _, msg := range []string{"machine learned", "replication failed"} {
		if !strings.Contains(stdout.String(), msg) {
			t.Errorf("stdout lacks %q", msg)
		}
		if _, ok := sink.find(msg); !ok {
			t.Errorf("Loki lacks %q", msg)
		}
	}
	evs, envs := ingest.WaitEvents(t, 1, 5*time.Second)
	if len(evs) != 1 || evs[0].Message != "replication failed" || evs[0].Environment != "plant-a" || evs[0].Tags["machine"] != "fan-1" ||
		evs[0].Tags["appliance"] != "press-line-1" {
		t.Fatalf("events %+v", evs)
	}
	for _, env := range envs {
		if bytes.Contains(env.Raw, []byte(s3Secret)) {
			t.Errorf("the S3 secret reached the error tracker:\n%s", env.Raw)
		}
	}
	for name, want := range map[string]float64{
		`signalcraft_log_lines_shipped_total`:                          2,
		`signalcraft_error_reports_total{kind="error",outcome="sent"}`: 1,
	} {
		if got := gathered(t, met, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// gathered returns the value of one series of the registry.
func gathered(t *testing.T, met *metrics.Metrics, series string) float64 {
	t.Helper()
	fams, err := met.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	name, labels, _ := strings.Cut(series, "{")
	labels = strings.TrimSuffix(labels, "}")
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels != "" && !strings.Contains(labels, lp.GetName()+`="`+lp.GetValue()+`"`) {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s", series)
	return 0
}
