package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/core/detect"
)

const base = `
data_dir: /tmp/sc
sources:
  - id: mic
    kind: portaudio
    device: "USB Audio: - (hw:1,0)"
    sample_rate: 48000
    channels: 2
machines:
  - id: fan-1
    name: Fan 1
    sensor: {source: mic, channel: 0}
`

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Machines[0]
	if d := m.Detection; d.Model != "mahalanobis" || d.Learning != 10*time.Minute ||
		d.Quantile != 0.99 || d.Smoothing != 1 || d.Persistence == nil {
		t.Fatalf("detection defaults not applied: %+v", m.Detection)
	}
	// A machine of no known kind listens like a rotating machine.
	if got, want := m.Detection.Profile().String(), detect.RotatingProfile.String(); got != want {
		t.Fatalf("profile %s, want %s", got, want)
	}
	valve, err := Parse([]byte(strings.Replace(base, "name: Fan 1", "name: Valve 1\n    kind: Valve", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := valve.Machines[0].Detection.Profile().String(), detect.TransientProfile.String(); got != want {
		t.Fatalf("valve profile %s, want %s", got, want)
	}
	if c.Store.BatchSize != 256 || c.Store.FlushEvery != time.Second || c.LogLevel != "info" {
		t.Fatalf("top-level defaults not applied: %+v", c)
	}
	if got := c.DatabasePath(); got != "/tmp/sc/signalcraft.db" {
		t.Fatalf("DatabasePath = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		replace [2]string // applied to base
		append  string
		want    string
	}{
		{"unknown top-level key", [2]string{"data_dir:", "datadir:"}, "",
			`line 2: unknown field "datadir" in the top level (known fields: data_dir, database, log_level, store, api, sources, machines, language, alerting, receivers, log_format, metrics, replication, clips, retention, retraining, correlation)`},
		{"unknown nested key", [2]string{"name: Fan 1", "nmae: Fan 1"}, "",
			`line 11: unknown field "nmae" in machines[0] (known fields: id, name, kind, line, sensor, detection, diagnosis)`},
		{"unknown key in binding", [2]string{"channel: 0}", "chanel: 0}"}, "",
			`unknown field "chanel" in machines[0].sensor`},
		{"bad type", [2]string{"channels: 2", "channels: two"}, "",
			"cannot unmarshal !!str `two` into int"},
		{"bad duration", [2]string{"", ""}, "    detection: {learning: soon}\n", `soon`},
		{"bad model", [2]string{"", ""}, "    detection: {model: autoencoder}\n",
			`machines[0].detection.model "autoencoder": must be one of mahalanobis, gmm, knn`},
		{"short learning", [2]string{"", ""}, "    detection: {learning: 1s}\n",
			`machines[0].detection.learning 1s: must be between 10s and 720h`},
		{"bad quantile", [2]string{"", ""}, "    detection: {quantile: 1.5}\n",
			`machines[0].detection.quantile 1.5: must be at least 0.5 and below 1`},
		{"window too long", [2]string{"", ""}, "    detection: {window: 2m}\n",
			`machines[0].detection.window 2m0s: must be between 100ms and 1m0s`},
		{"hop longer than the window", [2]string{"", ""}, "    detection: {window: 1s, hop: 2s}\n",
			`machines[0].detection.hop 2s: must be between 10ms and the window (1s)`},
		{"unknown pooling", [2]string{"", ""}, "    detection: {pooling: [max, median]}\n",
			`machines[0].detection.pooling[1] "median": must be one of max, mean, std, min, delta, modulation, each once`},
		{"negative persistence", [2]string{"", ""}, "    detection: {persistence: -1s}\n",
			`machines[0].detection.persistence -1s: must be between 0s and 10m0s`},
		{"persistence of too many windows", [2]string{"", ""}, "    detection: {window: 1s, hop: 10ms, persistence: 9m}\n",
			`machines[0].detection.persistence 9m0s: persistence 9m0s: with a hop of 10ms it spans`},
		{"negative shaft speed", [2]string{"", ""}, "    diagnosis: {shaft_rpm: -1}\n",
			`machines[0].diagnosis.shaft_rpm -1: must be between 0 (no fault classifier) and 60000`},
		{"unknown classifier", [2]string{"", ""}, "    diagnosis: {shaft_rpm: 1797, model: cnn}\n",
			`machines[0].diagnosis.model "cnn": must be one of svm, rf, rf+svm`},
		{"classifier without a shaft speed", [2]string{"", ""}, "    diagnosis: {model: rf}\n",
			`machines[0].diagnosis.model "rf": needs diagnosis.shaft_rpm`},
		{"unknown source", [2]string{"source: mic,", "source: mike,"}, "",
			`machines[0].sensor.source "mike": no source has this id`},
		{"channel out of range", [2]string{"channel: 0}", "channel: 2}"}, "",
			`machines[0].sensor.channel 2: source "mic" has channels 0 to 1`},
		{"bad rate", [2]string{"48000", "22050"}, "",
			`sources[0].sample_rate 22050: must be 16000, 44100 or 48000`},
		{"no device", [2]string{`device: "USB Audio: - (hw:1,0)"`, `device: ""`}, "",
			`sources[0].device "": the exact device name is needed (list them with: signalcraftd devices)`},
		{"bad kind", [2]string{"kind: portaudio", "kind: alsa"}, "",
			`sources[0].kind "alsa": must be portaudio, wav or simulator`},
		{"bad machine id", [2]string{"id: fan-1", "id: Fan 1"}, "",
			`machines[0].id "Fan 1": must be 1-64 characters`},
		{"bad log level", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nlog_level: loud"}, "",
			`log_level "loud": must be one of debug, info, warn, error`},
		{"duplicate binding", [2]string{"", ""},
			"  - id: fan-2\n    sensor: {source: mic, channel: 0}\n",
			`machines[1].sensor "mic channel 0": already bound to machine "fan-1"`},
		{"duplicate key", [2]string{"name: Fan 1", "name: Fan 1\n    name: Fan 2"}, "",
			`machines[0].name is given twice`},
		{"bad listen", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\napi: {listen: '8443'}"}, "",
			`api.listen "8443": must be host:port or :port, e.g. :8443`},
		{"bad log format", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nlog_format: xml"}, "",
			`log_format "xml": must be text or json`},
		{"bad metrics listen", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nmetrics: {listen: '9477'}"}, "",
			`metrics.listen "9477": must be host:port, e.g. 127.0.0.1:9477`},
		{"bad language", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nlanguage: fr"}, "",
			`language "fr": must be en or ko`},
		{"bad alert rule", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nalerting: {rules: [{name: x, severity: loud}]}"}, "",
			`alerting`},
		{"receivers inside alerting", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nalerting: {receivers: [{name: x}]}"}, "",
			`receivers are configured in the top-level receivers section`},
		{"bad receiver", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nreceivers: [{name: ops, type: pigeon}]"}, "",
			`receivers[0] "ops"`},
		{"unknown receiver key", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nreceivers: [{name: ops, type: webhook, hook: {url: x}}]"}, "",
			`unknown field "hook" in receivers[0]`},
		{"batch size", [2]string{"data_dir: /tmp/sc", "data_dir: /tmp/sc\nstore: {batch_size: 0}"}, "",
			`store.batch_size 0: must be between 1 and 100000`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := base
			if tc.replace[0] != "" {
				if !strings.Contains(y, tc.replace[0]) {
					t.Fatalf("test bug: %q not in base", tc.replace[0])
				}
				y = strings.Replace(y, tc.replace[0], tc.replace[1], 1)
			}
			y += tc.append
			_, err := Parse([]byte(y))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", y)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "signalcraft.yaml")
	if err := os.WriteFile(p, []byte("bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": ") {
		t.Fatalf("Load error %v does not start with the file name", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file error %v does not name the file", err)
	}
	if _, err := Parse(nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty file: %v", err)
	}
}

func TestDemo(t *testing.T) {
	c, err := Demo(t.TempDir(), t.TempDir()) // no recordings beside: simulator only
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Machines) != 3 || len(c.Sources) != 1 {
		t.Fatalf("demo without recordings: %d machines, %d sources", len(c.Machines), len(c.Sources))
	}
	sim := c.Sources[0].Simulator
	if sim == nil || len(sim.Faults) != 1 || sim.Faults[0].Start <= c.Machines[1].Detection.Learning {
		t.Fatalf("the demo fault must start after learning: %+v", sim)
	}
	shared := t.TempDir()
	for _, d := range []string{"dcase2020-id00", "dcase2022-valve-sec00-source"} {
		if err := os.Mkdir(filepath.Join(shared, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c, err = Demo(t.TempDir(), shared)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Machines) != 5 || len(c.Sources) != 3 || !*c.Sources[1].Realtime {
		t.Fatalf("demo with recordings: %d machines, %d sources", len(c.Machines), len(c.Sources))
	}
}

func TestAlertConfig(t *testing.T) {
	c, err := Parse([]byte(base + `
language: ko
receivers:
  - name: ops
    type: webhook
    webhook: {url: "http://127.0.0.1:9/hook"}
alerting:
  route:
    receiver: ops
    group_by: [machine]
    routes:
      - matchers: ['severity="critical"']
        receiver: pager
`))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := c.AlertConfig()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range ac.Receivers {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "ops,pager" {
		t.Fatalf("alert receivers %v, want ops (configured) and pager (log only)", names)
	}
	if len(ac.Rules) == 0 {
		t.Fatal("an alerting section without rules must keep the default rules")
	}
	d, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if ac, err := d.AlertConfig(); err != nil || len(ac.Receivers) != 1 || ac.Receivers[0].Name != "default" {
		t.Fatalf("default alerting: %+v, %v", ac.Receivers, err)
	}
}

func TestRetrainingErrorsNameTheField(t *testing.T) {
	tests := []struct {
		yaml, want string
	}{
		{"retraining: {cpu_share: 2}", "retraining.cpu_share"},
		{"retraining: {every: 10m}", "retraining.every"},
		{"retraining: {test_fraction: 0.9}", "retraining.test_fraction"},
		{"retraining: {labels: -1}", "retraining.labels"},
		{"retraining: {drift_psi: -0.1}", "retraining.drift_psi"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(base + tt.yaml + "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one naming %s", tt.yaml, err, tt.want)
		}
	}
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Retraining != DefaultRetraining() {
		t.Errorf("defaults %+v, want %+v", c.Retraining, DefaultRetraining())
	}
}

// TestLoadReportsAllErrors checks that one run lists every invalid field, each with its
// path and value, instead of stopping at the first.
func TestLoadReportsAllErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear in the message
	}{
		{"three fields", strings.NewReplacer("sample_rate: 48000", "sample_rate: 8000",
			"channels: 2", "channels: 2\nlog_level: loud",
			"channel: 0}", "channel: 5}").Replace(base),
			[]string{"3 problems", `sources[0].sample_rate 8000`, `log_level "loud"`, `machines[0].sensor.channel 5`}},
		{"machine fields and a missing source", strings.NewReplacer("id: fan-1", "id: Fan 1",
			"source: mic", "source: nope").Replace(base),
			[]string{"2 problems", `machines[0].id "Fan 1"`, `machines[0].sensor.source "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sc.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %q does not wrap ErrInvalid or name the file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("no *FieldError in %v", err)
			}
		})
	}
}
