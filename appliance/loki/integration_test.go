package loki

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRealLoki pushes a line to the Grafana Loki at LOKI_URL (e.g. http://127.0.0.1:3100;
// LOKI_TENANT_ID for a multi-tenant one) and reads it back through
// /loki/api/v1/query_range. No Loki binary is packaged for Debian (its "loki" package is
// unrelated) nor usable from the Go registry (AGPL), so the test runs only where one is
// set up; docs/FLEET.md says how.
func TestRealLoki(t *testing.T) {
	base := os.Getenv("LOKI_URL")
	if base == "" {
		t.Skip("LOKI_URL is not set: no Grafana Loki to push to (run one, e.g. `docker run -p 3100:3100 grafana/loki`, then LOKI_URL=http://127.0.0.1:3100 go test ./appliance/loki -run TestRealLoki)")
	}
	base = strings.TrimSuffix(base, "/")
	tenant := os.Getenv("LOKI_TENANT_ID")
	var b [6]byte
	_, _ = rand.Read(b[:])
	appliance := "itest-" + hex.EncodeToString(b[:])
	var c counters
	s, err := New(Config{URL: base, Appliance: appliance, TenantID: tenant, Labels: map[string]string{"test": "signalcraft"}}, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute)
	slog.New(s.Handler(nil)).Error("integration test line", "appliance_test", appliance)
	closeShipper(t, s)
	if shipped, _, bad, dropped := c.snapshot(); shipped != 1 {
		t.Fatalf("Loki at %s did not accept the line: %d failed pushes, dropped %v", base, bad, dropped)
	}

	q := url.Values{}
	q.Set("query", fmt.Sprintf(`{app="signalcraft", appliance=%q, level="error"}`, appliance))
	q.Set("start", strconv.FormatInt(start.UnixNano(), 10))
	q.Set("end", strconv.FormatInt(time.Now().Add(time.Minute).UnixNano(), 10))
	q.Set("limit", "10")
	deadline := time.Now().Add(30 * time.Second)
	for {
		found, err := queryRange(base+"/loki/api/v1/query_range?"+q.Encode(), tenant, appliance)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the line pushed to %s did not show in query_range within 30s", base)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func queryRange(u, tenant, appliance string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if tenant != "" {
		req.Header.Set("X-Scope-OrgID", tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Stream map[string]string `json:"stream"`
				Values [][2]string       `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
		return false, fmt.Errorf("query_range: %s: %v (status %q)", resp.Status, err, r.Status)
	}
	for _, st := range r.Data.Result {
		for _, v := range st.Values {
			if strings.Contains(v[1], "integration test line") && strings.Contains(v[1], appliance) && st.Stream["app"] == "signalcraft" {
				return true, nil
			}
		}
	}
	return false, nil
}
