package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	testDSN      = "https://0123456789abcdef@sentry.plant.example:9000/42"
	dsnKey       = "0123456789abcdef"
	lokiPassword = "loki-pass-never-shown"
)

func TestObserveDefaults(t *testing.T) {
	c, err := Parse([]byte(base + `
name: press-line-1
error_tracking: {dsn: "` + testDSN + `"}
logging:
  loki: {url: "http://loki.plant:3100", labels: {site: plant-a}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ApplianceName() != "press-line-1" {
		t.Errorf("ApplianceName = %q", c.ApplianceName())
	}
	e := c.ErrorTracking
	if !e.Enabled() || e.Environment != "production" || e.SampleRate != 1 || e.ErrorsPerMinute != 10 {
		t.Errorf("error_tracking defaults not applied: %+v", e)
	}
	l := c.Logging.Loki
	if l == nil || l.BatchWait != time.Second || l.BatchLines != 1000 || l.BufferLines != 10000 ||
		l.Timeout != 10*time.Second || l.MaxRetries != 5 || l.Labels["site"] != "plant-a" {
		t.Errorf("logging.loki defaults not applied: %+v", l)
	}
	// Left out: both off.
	c, err = Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.ErrorTracking.Enabled() || c.Logging.Loki != nil || c.ApplianceName() == "" {
		t.Errorf("defaults without the sections: %+v %+v name %q", c.ErrorTracking, c.Logging, c.ApplianceName())
	}
}

func TestObserveErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad name", "name: 'press line'\n", `name "press line": must be 1-63`},
		{"dsn without key", "error_tracking: {dsn: 'https://sentry.example/1'}\n", `error_tracking.dsn "[redacted]": must be a Sentry DSN`},
		{"dsn without project", "error_tracking: {dsn: 'https://" + dsnKey + "@sentry.example/'}\n", `error_tracking.dsn "[redacted]": must be a Sentry DSN`},
		{"sample rate", "error_tracking: {dsn: '" + testDSN + "', sample_rate: 1.5}\n", `error_tracking.sample_rate 1.5: must be above 0 and at most 1`},
		{"rate limit", "error_tracking: {dsn: '" + testDSN + "', errors_per_minute: 1000}\n", `error_tracking.errors_per_minute 1000`},
		{"settings without dsn", "error_tracking: {environment: test}\n", `error_tracking.dsn "": is needed`},
		{"unknown key", "error_tracking: {dns: x}\n", `unknown field "dns" in error_tracking`},
		{"loki url", "logging: {loki: {url: 'loki:3100'}}\n", `logging.loki.url "loki:3100": must be an http://`},
		{"loki url credentials", "logging: {loki: {url: 'http://u:" + lokiPassword + "@loki'}}\n", `logging.loki.url`},
		{"reserved label", "logging: {loki: {url: 'http://loki', labels: {appliance: x}}}\n", `logging.loki.labels.appliance "x": is set by the appliance`},
		{"bad label", "logging: {loki: {url: 'http://loki', labels: {1x: y}}}\n", `logging.loki.labels.1x "y": a label name`},
		{"buffer below batch", "logging: {loki: {url: 'http://loki', batch_lines: 500, buffer_lines: 100}}\n", `logging.loki.buffer_lines 100: must be between batch_lines (500)`},
		{"batch wait", "logging: {loki: {url: 'http://loki', batch_wait: 5ms}}\n", `logging.loki.batch_wait 5ms`},
		{"password alone", "logging: {loki: {url: 'http://loki', password: " + lokiPassword + "}}\n", `logging.loki.username "": username and password go together`},
		{"unknown loki key", "logging: {loki: {url: 'http://loki', label: {}}}\n", `unknown field "label" in logging.loki`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base + tc.yaml))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant one containing %q", err, tc.want)
			}
			for _, secret := range []string{dsnKey, lokiPassword} {
				if strings.Contains(err.Error(), secret) && tc.name != "loki url credentials" {
					t.Fatalf("error shows a secret: %v", err)
				}
			}
		})
	}
}

// TestObserveSecretsNeverPrint shows the parsed configuration every way it could be
// printed: none shows the DSN's key or the Loki password.
func TestObserveSecretsNeverPrint(t *testing.T) {
	c, err := Parse([]byte(base + `
error_tracking: {dsn: "` + testDSN + `"}
logging:
  loki: {url: "http://loki.plant:3100", username: plant, password: ` + lokiPassword + `}
`))
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, shown := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", *c), string(j), string(y),
		fmt.Sprint(c.ErrorTracking), fmt.Sprint(*c.Logging.Loki)} {
		for _, secret := range []string{dsnKey, lokiPassword} {
			if strings.Contains(shown, secret) {
				t.Fatalf("the configuration shows a secret:\n%s", shown)
			}
		}
	}
	if string(c.ErrorTracking.DSN) != testDSN || string(c.Logging.Loki.Password) != lokiPassword {
		t.Fatal("the secrets were not read")
	}
}
