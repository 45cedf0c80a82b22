package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/dataset"
	"signalcraft/core/store"
)

// requestFor builds a valid request for route rt (path parameters filled,
// a body where one is needed), so that only authorization can refuse it.
func (e *env) requestFor(t *testing.T, rt wire.Route, n int) *http.Request {
	t.Helper()
	var path, body string
	switch rt.Path {
	case wire.PathMachine, wire.PathModels, wire.PathScores, wire.PathRelearn, wire.PathRetrain, wire.PathDatasets:
		path = wire.Expand(rt.Path, "pump-1")
	case wire.PathMachineHealth:
		path = wire.Expand(rt.Path, "pump-1")
	case wire.PathCorrelations:
		path = rt.Path + "?limit=5"
	case wire.PathModel:
		path = wire.Expand(rt.Path, "pump-1", "1")
	case wire.PathDataset:
		path = wire.Expand(rt.Path, e.datasetVersion(t))
	case wire.PathPromote: // a fresh candidate each time
		v, err := e.db.SaveCandidate(context.Background(), "pump-1", "gmm", 1, nil, store.ModelInfo{}, "")
		if err != nil {
			t.Fatal(err)
		}
		path = wire.Expand(rt.Path, "pump-1", fmt.Sprint(v))
	case wire.PathRollback: // a new champion to roll back each time
		if _, err := e.db.SaveModel(context.Background(), "pump-1", "gmm", 1, nil, ""); err != nil {
			t.Fatal(err)
		}
		path = wire.Expand(rt.Path, "pump-1")
	case wire.PathEvent, wire.PathAcknowledge, wire.PathLabel:
		path = wire.Expand(rt.Path, fmt.Sprint(e.event))
	case wire.PathToken:
		c, err := createToken(context.Background(), e.db, fmt.Sprintf("victim-%d", n), wire.RoleViewer, time.Time{}, e.clk.Now(), "local:test")
		if err != nil {
			t.Fatal(err)
		}
		path = wire.Expand(rt.Path, fmt.Sprint(c.Token.ID))
	case wire.PathHistory:
		path = wire.Expand(rt.Path, "pump-1")
	case wire.PathEventClips:
		path = wire.Expand(rt.Path, fmt.Sprint(e.event))
	case wire.PathClipAudio, wire.PathClipSpectrogram:
		path = wire.Expand(rt.Path, fmt.Sprint(e.clip))
	case wire.PathAlertAck, wire.PathAlertDeliveries:
		path = wire.Expand(rt.Path, fakeFingerprint)
	case wire.PathSilence:
		sl, err := e.alerting.CreateSilence(context.Background(), alert.Silence{Matchers: alert.Matchers{alert.MustMatcher(alert.MatchEqual, "machine", "pump-1")},
			StartsAt: e.clk.Now(), EndsAt: e.clk.Now().Add(time.Hour), CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		path = wire.Expand(rt.Path, sl.ID)
	case wire.PathReceiverTest:
		path = wire.Expand(rt.Path, "ops-hook")
	case wire.PathJobRetry:
		path = wire.Expand(rt.Path, "2")
	case wire.PathReport, wire.PathReportPDF, wire.PathReportCSV:
		path = wire.Expand(rt.Path, fmt.Sprint(e.doneReport(t)))
	default:
		path = rt.Path
	}
	switch rt.Pattern() {
	case "PUT " + wire.PathMachine:
		m := e.fake.machines[0]
		m.Name = fmt.Sprintf("Pump %d", n)
		b, _ := json.Marshal(m)
		body = string(b)
	case "POST " + wire.PathTokens:
		body = fmt.Sprintf(`{"name":"new-%d","role":"viewer"}`, n)
	case "POST " + wire.PathLabel:
		body = `{"label":"bearing_outer"}`
	case "POST " + wire.PathPromote, "POST " + wire.PathRollback:
		body = `{"reason":"authorization test"}`
	case "POST " + wire.PathAcknowledge, "POST " + wire.PathAlertAck:
		body = `{"comment":"seen"}`
	case "POST " + wire.PathSilences:
		body = fmt.Sprintf(`{"matchers":[{"label":"machine","op":"=","value":"pump-1"}],"ends_at":%q,"comment":"bearing swap %d"}`,
			e.clk.Now().Add(2*time.Hour).Format(time.RFC3339), n)
	case "PUT " + wire.PathMaintenance:
		body = `[{"name":"lunch","days":["mon","tue","wed","thu","fri"],"start":"12:00","end":"13:00","time_zone":"Asia/Seoul","matchers":[]}]`
	case "PUT " + wire.PathRules:
		body = `[{"name":"AnomalyWarning","metric":"anomaly_score","op":">","enter":1,"exit":0.9,"for":"10s","severity":"warning","summary":{"en":"{{.Machine}} sounds unusual","ko":"{{.Machine}} 이상음"}}]`
	case "PUT " + wire.PathReceivers:
		body = `[{"name":"ops-hook","type":"webhook","lang":"ko","send_resolved":true,"settings":{"url":"https://hooks.plant.local/in","secret":"****"}}]`
	case "POST " + wire.PathReceiverTest:
		body = `{"lang":"ko"}`
	case "POST " + wire.PathReports:
		body = `{"lang":"ko"}`
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(rt.Method, e.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestRouteAuthorization calls every route with no token and with each
// role: 401 without a token, 403 for each role below the route's, and
// neither for the others.
func TestRouteAuthorization(t *testing.T) {
	// Every route without a token is more failures than AuthLimits allows
	// one address; the slow-down has its own test (TestAuthSlowDown).
	e := newEnv(t, Options{Auth: AuthLimits{Failures: 1 << 20}})
	n := 0
	for _, rt := range wire.Routes {
		for _, role := range append([]wire.Role{""}, wire.Roles...) {
			name := string(role)
			if name == "" {
				name = "no-token"
			}
			t.Run(rt.Method+" "+strings.TrimPrefix(rt.Path, wire.Prefix)+"/"+name, func(t *testing.T) {
				n++
				req := e.requestFor(t, rt, n)
				if role != "" {
					req.Header.Set("Authorization", "Bearer "+e.tokens[role])
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel() // ends the live stream once its status is in
				resp, err := http.DefaultClient.Do(req.WithContext(ctx))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var want string
				switch {
				case role == "":
					want = wire.CodeUnauthorized
				case !role.Allows(rt.MinRole):
					want = wire.CodeForbidden
				}
				if want == "" {
					// Only the first acknowledgement succeeds; later ones conflict.
					again := (rt.Path == wire.PathAcknowledge || rt.Path == wire.PathAlertAck) && resp.StatusCode == http.StatusConflict
					if resp.StatusCode > 299 && !again {
						b, _ := io.ReadAll(resp.Body)
						t.Fatalf("status %d for role %s, want success: %s", resp.StatusCode, role, b)
					}
					return
				}
				if resp.StatusCode != wire.StatusOf(want) {
					t.Fatalf("status %d, want %d", resp.StatusCode, wire.StatusOf(want))
				}
				var apiErr wire.Error
				if err := json.NewDecoder(resp.Body).Decode(&apiErr); err != nil || apiErr.Code != want {
					t.Errorf("body %+v (%v), want code %s", apiErr, err, want)
				}
			})
		}
	}
}

func TestAuthenticationFailures(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	expiring, err := createToken(ctx, e.db, "short", wire.RoleAdmin, t0.Add(time.Hour), e.clk.Now(), "local:test")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSecret()
	tests := []struct {
		name, header string
	}{
		{"basic auth", "Basic YWRtaW46YWRtaW4="},
		{"not a secret", "Bearer hunter2"},
		{"unknown secret", "Bearer " + other},
		{"empty bearer", "Bearer "},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", e.ts.URL+wire.PathMachines, nil)
		req.Header.Set("Authorization", tt.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: status %d, WWW-Authenticate %q; want 401 with a challenge", tt.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}

	c := e.client("", wire.WithToken(expiring.Secret))
	if _, err := c.Me(ctx); err != nil {
		t.Fatalf("token before expiry: %v", err)
	}
	e.clk.Advance(time.Hour)
	if _, err := c.Me(ctx); !wire.IsCode(err, wire.CodeUnauthorized) {
		t.Errorf("expired token: err = %v, want unauthorized", err)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/nothing", 404},
		{"GET", "/api/v2/machines", 404},
		{"DELETE", wire.PathMachines, 400},
		{"PATCH", wire.Expand(wire.PathEvent, "1"), 400},
	} {
		req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleAdmin])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var apiErr wire.Error
		err = json.NewDecoder(resp.Body).Decode(&apiErr)
		resp.Body.Close()
		if resp.StatusCode != tc.status || err != nil || apiErr.Code != wire.CodeOf(tc.status) {
			t.Errorf("%s %s: status %d body %+v (%v), want %d", tc.method, tc.path, resp.StatusCode, apiErr, err, tc.status)
		}
	}
}

func TestSecretHashing(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, SecretPrefix) || len(s) != len(SecretPrefix)+43 {
		t.Fatalf("secret %q: want sc_ and 43 characters", s)
	}
	s2, _ := NewSecret()
	if s == s2 {
		t.Fatal("two secrets are equal")
	}
	h, err := HashSecret(s)
	if err != nil || len(h) != 32 {
		t.Fatalf("HashSecret = %x, %v", h, err)
	}
	for _, bad := range []string{"", "sc_", s[3:], "xx" + s[2:], s + "A", s[:len(s)-1], s[:10] + "!" + s[11:]} {
		if _, err := HashSecret(bad); err == nil {
			t.Errorf("HashSecret(%q) accepted", bad)
		}
	}
}

// datasetVersion saves a one-item dataset version of pump-1 and returns its id.
func (e *env) datasetVersion(t *testing.T) string {
	t.Helper()
	it := dataset.Item{SHA256: strings.Repeat("ab", 32), Machine: "pump-1", Label: dataset.Normal,
		Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seconds: 10, Source: "import:a.wav"}
	v, _, err := e.db.SaveDatasetVersion(context.Background(), dataset.New("pump-1", []dataset.Item{it}, 0.25), "test")
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}
