package config

import "testing"

func TestMetricsAndLogFormat(t *testing.T) {
	tests := []struct {
		name, extra        string
		wantListen, wantFm string
	}{
		{"defaults", "", DefaultMetricsListen, "text"},
		{"disabled", "metrics: {listen: \"\"}\n", "", "text"},
		{"any port", "metrics: {listen: \":9100\"}\nlog_format: json\n", ":9100", "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(base + tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			if c.Metrics.Listen != tt.wantListen || c.LogFormat != tt.wantFm {
				t.Fatalf("metrics.listen %q, log_format %q; want %q, %q", c.Metrics.Listen, c.LogFormat, tt.wantListen, tt.wantFm)
			}
		})
	}
}
