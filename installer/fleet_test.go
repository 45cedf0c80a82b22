package installer

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestFleetPrometheusConfig checks the example Prometheus configuration for many appliances
// with promtool (the configuration, the rules it loads and its file_sd target files) and
// that every target names a distinct appliance.
func TestFleetPrometheusConfig(t *testing.T) {
	tool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (make test-deps does: installer/dev-deps.sh test)")
	}
	cmd := exec.Command(tool, "check", "config", "prometheus.yml")
	cmd.Dir = filepath.Join("prometheus", "fleet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join("prometheus", "fleet", "targets", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no target files under prometheus/fleet/targets")
	}
	seen := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var groups []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		}
		if err := yaml.Unmarshal(b, &groups); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range groups {
			a := g.Labels["appliance"]
			if a == "" || len(g.Targets) != 1 {
				t.Errorf("%s: %v: want one target per appliance label", f, g.Targets)
			}
			if other, dup := seen[a]; dup {
				t.Errorf("%s: appliance %q also names %s", f, a, other)
			}
			seen[a] = g.Targets[0]
		}
	}
}

// TestFleetRelabelDefaultsAppliance applies the configuration's relabel rule as Prometheus
// does (source labels joined by ";", the regex anchored): a target without an appliance
// label is named after its host; one with a label keeps it.
func TestFleetRelabelDefaultsAppliance(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("prometheus", "fleet", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			RelabelConfigs []struct {
				SourceLabels []string `yaml:"source_labels"`
				Regex        string   `yaml:"regex"`
				TargetLabel  string   `yaml:"target_label"`
				Replacement  string   `yaml:"replacement"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "signalcraft" || len(cfg.ScrapeConfigs[0].RelabelConfigs) != 1 {
		t.Fatalf("want one scrape job signalcraft with one relabel rule: %+v", cfg.ScrapeConfigs)
	}
	rc := cfg.ScrapeConfigs[0].RelabelConfigs[0]
	re := regexp.MustCompile("^(?:" + rc.Regex + ")$")
	for _, tc := range []struct{ appliance, address, want string }{
		{"", "10.20.0.31:9477", "10.20.0.31"},
		{"", "sc-press-01.plant-a.lan:9477", "sc-press-01.plant-a.lan"},
		{"press-line-1", "sc-press-01.plant-a.lan:9477", "press-line-1"},
	} {
		got := tc.appliance
		if src := tc.appliance + ";" + tc.address; re.MatchString(src) {
			got = re.ReplaceAllString(src, strings.ReplaceAll(rc.Replacement, "$1", "${1}"))
		}
		if got != tc.want {
			t.Errorf("appliance %q at %s: relabelled %q, want %q", tc.appliance, tc.address, got, tc.want)
		}
	}
}

// TestDashboardTemplatedByAppliance checks that the dashboard selects appliances: an
// appliance variable (multi-select, All matching targets without the label too), and every
// query filtered by it, with per-machine and per-sensor series kept apart by appliance
// (machine ids repeat across appliances). Metric names are checked against the daemon's
// registry by go test ./appliance/daemon (TestMetricsAndHealthEndToEnd).
func TestDashboardTemplatedByAppliance(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("grafana", "signalcraft-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Templating struct {
			List []struct {
				Name, Definition, AllValue string
				Multi, IncludeAll          bool
			} `json:"list"`
		} `json:"templating"`
		Annotations struct {
			List []struct{ Expr string } `json:"list"`
		} `json:"annotations"`
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range dash.Templating.List {
		if v.Name == "appliance" {
			found = true
			if !v.Multi || !v.IncludeAll || v.AllValue != ".*" || !strings.Contains(v.Definition, ", appliance)") {
				t.Errorf("appliance variable %+v: want multi-select, All as .*, values of the appliance label", v)
			}
		}
		if (v.Name == "instance" || v.Name == "machine") && !strings.Contains(v.Definition, `appliance=~"$appliance"`) {
			t.Errorf("variable %s does not follow the selected appliances: %s", v.Name, v.Definition)
		}
	}
	if !found {
		t.Fatal("no appliance variable")
	}
	exprs := map[string]string{}
	for _, a := range dash.Annotations.List {
		if a.Expr != "" {
			exprs[a.Expr] = "annotation"
		}
	}
	for _, p := range dash.Panels {
		for _, q := range p.Targets {
			exprs[q.Expr] = p.Title
		}
	}
	splits := regexp.MustCompile(`by \(([^)]*)\)`)
	for expr, where := range exprs {
		if !strings.Contains(expr, `appliance=~"$appliance"`) {
			t.Errorf("%s: %q is not filtered by appliance", where, expr)
		}
		for _, by := range splits.FindAllStringSubmatch(expr, -1) {
			if (strings.Contains(by[1], "machine") || strings.Contains(by[1], "sensor")) && !strings.Contains(by[1], "appliance") {
				t.Errorf("%s: %q groups by %s without appliance", where, expr, by[1])
			}
		}
	}
}
