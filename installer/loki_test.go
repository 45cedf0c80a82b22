package installer

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The journald → Loki configurations read the unit the package installs, label streams as
// the daemon's own shipper does (app, appliance, level) and push to Loki's push path. No
// Alloy or Promtail binary is available to load them here; these checks keep them in step
// with the unit and the shipper.
const unitName = "signalcraftd.service"

func TestAlloyConfig(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "systemd", unitName)); err != nil {
		t.Fatalf("the configurations follow %s: %v", unitName, err)
	}
	b, err := os.ReadFile(filepath.Join("loki", "signalcraft.alloy"))
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?m)//.*$`).ReplaceAllString(string(b), "")
	if strings.Count(src, "{") != strings.Count(src, "}") || strings.Count(src, "[") != strings.Count(src, "]") ||
		strings.Count(src, "(") != strings.Count(src, ")") {
		t.Fatal("unbalanced brackets")
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^(loki\.[a-z.]+) "([a-z_]+)" \{`).FindAllStringSubmatch(src, -1) {
		defined[m[1]+"."+m[2]] = true
	}
	for _, want := range []string{"loki.source.journal.signalcraftd", "loki.process.signalcraftd", "loki.write.plant", "loki.relabel.journal"} {
		if !defined[want] {
			t.Errorf("no block %s", want)
		}
	}
	for _, m := range regexp.MustCompile(`(loki\.[a-z]+\.[a-z_]+)\.(receiver|rules)`).FindAllStringSubmatch(src, -1) {
		if !defined[m[1]] {
			t.Errorf("%s refers to a block that is not defined", m[0])
		}
	}
	for _, want := range []string{`"_SYSTEMD_UNIT=` + unitName + `"`, `app       = "signalcraft"`, `appliance = `,
		`values = { level = "" }`, `"/loki/api/v1/push"`} {
		if !strings.Contains(src, want) {
			t.Errorf("signalcraft.alloy lacks %s", want)
		}
	}
}

func TestPromtailConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("loki", "promtail.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Clients []struct {
			URL string `yaml:"url"`
		} `yaml:"clients"`
		ScrapeConfigs []struct {
			Journal struct {
				Matches string            `yaml:"matches"`
				Labels  map[string]string `yaml:"labels"`
			} `yaml:"journal"`
			PipelineStages []map[string]any `yaml:"pipeline_stages"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Clients) != 1 || !strings.HasSuffix(c.Clients[0].URL, "/loki/api/v1/push") {
		t.Errorf("clients %+v", c.Clients)
	}
	if len(c.ScrapeConfigs) != 1 {
		t.Fatalf("scrape configs %+v", c.ScrapeConfigs)
	}
	j := c.ScrapeConfigs[0].Journal
	if j.Matches != "_SYSTEMD_UNIT="+unitName || j.Labels["app"] != "signalcraft" || j.Labels["appliance"] == "" {
		t.Errorf("journal %+v", j)
	}
	var stages []string
	for _, s := range c.ScrapeConfigs[0].PipelineStages {
		for k := range s {
			stages = append(stages, k)
		}
	}
	if strings.Join(stages, ",") != "json,template,labels" {
		t.Errorf("pipeline stages %v", stages)
	}
}
