package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"signalcraft/appliance/config"
	"signalcraft/appliance/health"
	wire "signalcraft/core/api"
	"signalcraft/core/sensor"
	"signalcraft/core/store"
)

// repoRoot is where installer/ lives, from this package's directory.
const repoRoot = "../.."

// observedConfig is two simulated machines replayed as fast as possible, the API on a unix
// socket, metrics on a loopback port of the system's choosing, and a webhook receiver.
func observedConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	y := fmt.Sprintf(`
data_dir: %s
store: {batch_size: 32, flush_every: 100ms}
api: {socket: %s}
metrics: {listen: "127.0.0.1:0"}
receivers:
  - name: default
    type: webhook
    webhook: {url: "http://127.0.0.1:9/hook"}
sources:
  - id: sim
    kind: simulator
    channels: 2
    realtime: false
    simulator: {seed: 3, duration: 30s}
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 10s}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 10s}}
`, dir, filepath.Join(dir, "api.sock"))
	c, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// promtool returns the path of Prometheus's promtool or fails the test saying how to get it.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (make test-deps does: installer/dev-deps.sh test)")
	}
	return p
}

func httpGet(t *testing.T, c *http.Client, url string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}

// waitUntil polls cond every 20 ms until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMetricsAndHealthEndToEnd runs the daemon in-process on simulated machines and checks
// what its metrics listener serves: /readyz before and after start, /healthz, /health,
// and /metrics through promtool check metrics; then that every metric the Grafana
// dashboard and the Prometheus rules use is one the daemon exports.
func TestMetricsAndHealthEndToEnd(t *testing.T) {
	tool := promtool(t)
	cfg := observedConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(ctx, cfg, Options{Version: "test-1"})
	if err != nil {
		t.Fatal(err)
	}

	// Before Run: the database is open, nothing else.
	if ready, missing := m.Ready(); ready || !slices.Equal(missing, []string{health.PartSources, health.PartAPI}) {
		t.Errorf("before Run: Ready() = %v %q; want false, waiting for sources and api", ready, missing)
	}
	pre := &http.Server{Handler: m.obs.checker.Mux(nil)}
	preLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = pre.Serve(preLn) }()
	if code, body := httpGet(t, http.DefaultClient, "http://"+preLn.Addr().String()+wire.PathReadyz); code != 503 ||
		!strings.Contains(string(body), "sources, api") {
		t.Errorf("/readyz before Run = %d %q; want 503 naming sources and api", code, body)
	}
	pre.Close()

	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitUntil(t, "the metrics listener", 10*time.Second, func() bool { return m.MetricsAddr() != "" })
	base := "http://" + m.MetricsAddr()
	waitUntil(t, "/readyz 200", 10*time.Second, func() bool {
		code, _ := httpGet(t, http.DefaultClient, base+wire.PathReadyz)
		return code == 200
	})
	if code, body := httpGet(t, http.DefaultClient, base+wire.PathHealthz); code != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	waitUntil(t, "the recordings to end", 2*time.Minute, func() bool {
		for _, s := range m.Status() {
			if s.Sensor != sensor.Ended || s.State == wire.StateLearning {
				return false
			}
		}
		return true
	})

	// The API's listener answers the probes without a token (and they are counted).
	unix := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", cfg.API.Socket)
	}}}
	for _, p := range []string{wire.PathHealthz, wire.PathReadyz} {
		if code, body := httpGet(t, unix, "http://appliance"+p); code != 200 {
			t.Errorf("API %s = %d %q", p, code, body)
		}
	}
	// What the replicator will call.
	m.Metrics().SetReplicationLag(3*time.Second, time.Now())

	// /health
	code, body := httpGet(t, http.DefaultClient, base+wire.PathHealthReport)
	var rep wire.HealthReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("/health: %v\n%s", err, body)
	}
	if code != 200 || rep.Status != wire.HealthOK || !rep.Ready || !rep.Database.Writable || rep.Build != "test-1" {
		t.Errorf("/health = %d %+v", code, rep)
	}
	if len(rep.Sensors) != 2 || rep.Sensors[0].State != wire.SensorEnded || rep.Sensors[0].Since.IsZero() {
		t.Errorf("/health sensors %+v", rep.Sensors)
	}
	if len(rep.Models) != 2 || rep.Models[0].State == wire.StateLearning || rep.Models[0].Version < 1 {
		t.Errorf("/health models %+v", rep.Models)
	}
	if rep.Disk.TotalBytes == 0 || rep.Disk.Path != cfg.DataDir || rep.Disk.Error != "" {
		t.Errorf("/health disk %+v", rep.Disk)
	}
	if !rep.Replication.Configured || rep.Replication.Status != wire.ReplicationOK || rep.LastNotification != nil {
		t.Errorf("/health replication %+v, last notification %+v", rep.Replication, rep.LastNotification)
	}

	// /metrics, linted by promtool.
	code, metricsText := httpGet(t, http.DefaultClient, base+wire.PathMetrics)
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(metricsText)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	text := string(metricsText)
	for _, want := range []string{
		`signalcraft_build_info{goversion=`,
		`signalcraft_sensor_frames_captured_total{machine="fan-1",sensor="sim/0"} 480000`,
		`signalcraft_sensor_state{machine="pump-2",sensor="sim/1",state="ended"} 1`,
		`signalcraft_machine_state{machine="fan-1",state="learning"} 0`,
		`signalcraft_machine_model_version{machine="pump-2"} 1`,
		`signalcraft_notifications_total{outcome="failure",receiver="default"} 0`,
		`signalcraft_job_outcomes_total{kind="notify",outcome="success"} 0`,
		`signalcraft_jobs{kind="notify",state="dead"} 0`,
		`signalcraft_api_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`signalcraft_ready 1`,
		`signalcraft_database_writable 1`,
		`signalcraft_health_status{status="ok"} 1`,
		`signalcraft_replication_lag_seconds 3`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n := histogramCount(text, `signalcraft_analysis_latency_seconds_count{machine="fan-1"}`); n < 50 {
		t.Errorf("analysis latency observed %d windows of fan-1; want about 59", n)
	}

	exported := exportedFamilies(t, m)
	checkDashboard(t, exported)
	checkRules(t, tool, exported)
	checkDocumented(t, exported)
}

// checkDocumented checks that docs/METRICS.md lists every signalcraft_ metric.
func checkDocumented(t *testing.T, exported map[string]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "METRICS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range exported {
		if strings.HasPrefix(name, "signalcraft_") && !strings.Contains(string(b), "`"+name+"`") {
			t.Errorf("docs/METRICS.md does not list %s", name)
		}
	}
}

func histogramCount(text, series string) int {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var n int
			fmt.Sscan(rest, &n)
			return n
		}
	}
	return 0
}

// exportedFamilies returns every metric family the daemon's registry describes, whether
// or not it has a series yet, with its type ("histogram", "summary", …) when it has one.
func exportedFamilies(t *testing.T, m *Main) map[string]string {
	t.Helper()
	ch := make(chan *prometheus.Desc, 1024)
	go func() {
		m.Metrics().Registry.Describe(ch)
		close(ch)
	}()
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	out := map[string]string{}
	for d := range ch {
		if s := re.FindStringSubmatch(d.String()); s != nil {
			out[s[1]] = ""
		}
	}
	fams, err := m.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		out[f.GetName()] = strings.ToLower(f.GetType().String())
	}
	if len(out) < 40 {
		t.Fatalf("the registry describes only %d families", len(out))
	}
	return out
}

// metricName matches the metrics of the appliance's registry in a PromQL expression.
var metricName = regexp.MustCompile(`\b(?:signalcraft|go|process)_[a-zA-Z0-9_]+`)

// unknownMetrics returns the metric names in expr that the daemon does not export (the
// _bucket, _sum and _count series of histograms and summaries count as their family).
func unknownMetrics(expr string, exported map[string]string) []string {
	var bad []string
	for _, name := range metricName.FindAllString(expr, -1) {
		if _, ok := exported[name]; ok {
			continue
		}
		known := false
		for suffix, types := range map[string]string{"_bucket": "histogram", "_sum": "histogram summary", "_count": "histogram summary"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && exported[b] != "" && strings.Contains(types, exported[b]) {
				known = true
			}
		}
		if !known {
			bad = append(bad, name)
		}
	}
	return bad
}

// checkDashboard validates the Grafana dashboard's JSON and every PromQL expression in it.
func checkDashboard(t *testing.T, exported map[string]string) {
	t.Helper()
	path := filepath.Join(repoRoot, "installer", "grafana", "signalcraft-dashboard.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
		Annotations struct {
			List []struct {
				Expr string `json:"expr"`
			} `json:"list"`
		} `json:"annotations"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			GridPos struct {
				H, W, X, Y int
			} `json:"gridPos"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) < 10 {
		t.Fatalf("%s: uid %q, title %q, %d panels", path, dash.UID, dash.Title, len(dash.Panels))
	}
	exprs := map[string]string{} // expression → where
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("%s: panel id %d twice", path, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
			t.Errorf("%s: panel %q: gridPos %+v outside the 24 columns", path, p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for _, q := range p.Targets {
			if q.Expr == "" || q.RefID == "" {
				t.Errorf("%s: panel %q: empty expr or refId", path, p.Title)
			}
			exprs[q.Expr] = fmt.Sprintf("panel %q", p.Title)
		}
	}
	for _, v := range dash.Templating.List {
		if v.Definition != "" {
			exprs[v.Definition] = "variable " + v.Name
		}
	}
	for _, a := range dash.Annotations.List {
		if a.Expr != "" {
			exprs[a.Expr] = "annotation"
		}
	}
	used := map[string]bool{}
	for expr, where := range exprs {
		names := metricName.FindAllString(expr, -1)
		if len(names) == 0 {
			t.Errorf("%s: %s: %q uses no SignalCraft metric", path, where, expr)
		}
		for _, n := range names {
			used[n] = true
		}
		if bad := unknownMetrics(expr, exported); len(bad) > 0 {
			t.Errorf("%s: %s uses %q, which the daemon does not export", path, where, bad)
		}
	}
	// The dashboard shows what the issue asked for.
	for _, want := range []string{"signalcraft_machine_score", "signalcraft_machine_threshold", "signalcraft_anomaly_events_total",
		"signalcraft_sensor_state", "signalcraft_sensor_frames_dropped_total", "signalcraft_analysis_latency_seconds_bucket",
		"signalcraft_jobs", "signalcraft_notifications_total", "signalcraft_replication_lag_seconds", "go_memstats_heap_inuse_bytes"} {
		if !used[want] {
			t.Errorf("%s: no panel shows %s", path, want)
		}
	}
}

// checkRules runs promtool check rules and the rules' unit tests, and checks the metrics
// every rule uses.
func checkRules(t *testing.T, tool string, exported map[string]string) {
	t.Helper()
	dir := filepath.Join(repoRoot, "installer", "prometheus")
	for _, args := range [][]string{{"check", "rules", "signalcraft-rules.yml"}, {"test", "rules", "signalcraft-rules.test.yml"}} {
		cmd := exec.Command(tool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "signalcraft-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			if bad := unknownMetrics(r.Expr, exported); len(bad) > 0 {
				t.Errorf("rule %s uses %q, which the daemon does not export", r.Alert, bad)
			}
		}
	}
	sort.Strings(names)
	for _, want := range []string{"SignalCraftApplianceDown", "SignalCraftSensorDroppingFrames", "SignalCraftAnalysisLatencyHigh",
		"SignalCraftDeadJobs", "SignalCraftNotificationsFailing", "SignalCraftReplicationLagHigh", "SignalCraftDiskAlmostFull"} {
		if _, ok := slices.BinarySearch(names, want); !ok {
			t.Errorf("no alerting rule %s (rules: %q)", want, names)
		}
	}
}

// TestDatabaseProbe probes a real database: writable while open, leaving nothing behind;
// not writable (failing) after a batch of scores failed, and once the database is closed.
func TestDatabaseProbe(t *testing.T) {
	cfg := observedConfig(t)
	cfg.API.Socket, cfg.Metrics.Listen = "", ""
	ctx := context.Background()
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.probeDatabase(ctx); err != nil {
		t.Fatalf("probe on an open database: %v", err)
	}
	if _, err := m.db.Setting(ctx, probeKey); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the probe left its row behind: %v", err)
	}
	steps := []struct {
		name     string
		flushErr error
		close    bool
		writable bool
		reason   string
	}{
		{"batch failed", errors.New("disk I/O error"), false, false, "disk I/O error"},
		{"batch committed again", nil, false, true, ""},
		{"database closed", nil, true, false, "write probe"},
	}
	for _, s := range steps {
		m.noteFlush(store.FlushResult{Err: s.flushErr})
		if s.close {
			if err := m.db.Close(); err != nil {
				t.Fatal(err)
			}
		}
		r := m.Health(ctx)
		if r.Database.Writable != s.writable || !strings.Contains(r.Database.Error, s.reason) {
			t.Errorf("%s: database %+v; want writable %v, error containing %q", s.name, r.Database, s.writable, s.reason)
		}
		if !s.writable && (r.Status != wire.HealthFailing || !strings.HasPrefix(r.Reasons[0], "database not writable")) {
			t.Errorf("%s: status %q, reasons %q; want failing for the database", s.name, r.Status, r.Reasons)
		}
	}
}

func TestUnknownMetrics(t *testing.T) {
	exported := map[string]string{"signalcraft_jobs": "gauge", "signalcraft_analysis_latency_seconds": "histogram", "go_goroutines": "gauge",
		"signalcraft_api_request_duration_seconds": ""}
	tests := []struct {
		expr string
		bad  []string
	}{
		{`sum by (kind) (signalcraft_jobs{state="dead"}) > 0`, nil},
		{`histogram_quantile(0.99, rate(signalcraft_analysis_latency_seconds_bucket[5m]))`, nil},
		{`up{job="signalcraft"} == 0 or go_goroutines > 1000`, nil},
		{`rate(signalcraft_jobs_total[5m]) + signalcraft_jobs_bucket`, []string{"signalcraft_jobs_total", "signalcraft_jobs_bucket"}},
		{`process_cpu_seconds_total`, []string{"process_cpu_seconds_total"}},
		{`signalcraft_api_request_duration_seconds_bucket`, []string{"signalcraft_api_request_duration_seconds_bucket"}}, // type unknown: no series yet
	}
	for _, tt := range tests {
		if got := unknownMetrics(tt.expr, exported); !slices.Equal(got, tt.bad) {
			t.Errorf("unknownMetrics(%q) = %q; want %q", tt.expr, got, tt.bad)
		}
	}
}
