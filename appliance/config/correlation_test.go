package config

import (
	"strings"
	"testing"
	"time"
)

func TestCorrelationErrorsNameTheField(t *testing.T) {
	tests := []struct {
		yaml, want string
	}{
		{"correlation: {min_machines: 1}", `correlation.min_machines 1`},
		{"correlation: {min_share: 0}", `correlation.min_share 0`},
		{"correlation: {span: 10ms}", `correlation.span 10ms`},
		{"correlation: {horizon: 1h}", `correlation.horizon 1h0m0s`},
		{"correlation: {max_lag: 20s}", `correlation.max_lag 20s`},
		{"correlation: {min_coef: 1.5}", `correlation.min_coef 1.5`},
		{"correlation: {alike_db: -1}", `correlation.alike_db -1`},
		{"correlation: {hold: 1s}", `correlation.hold 1s`},
		{"correlation: {enable: true}", `unknown field "enable" in correlation`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(base + tt.yaml + "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one containing %q", tt.yaml, err, tt.want)
		}
	}
	c, err := Parse([]byte(base + "correlation: {enabled: true, span: 3s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultCorrelation()
	want.Enabled, want.Span = true, 3*time.Second
	if c.Correlation != want {
		t.Errorf("parsed %+v, want %+v", c.Correlation, want)
	}
	cc := c.Correlation.Correlate(500 * time.Millisecond)
	if err := cc.Validate(); err != nil || cc.Span != 3*time.Second || cc.Step != 500*time.Millisecond {
		t.Errorf("core config %+v: %v", cc, err)
	}
}
