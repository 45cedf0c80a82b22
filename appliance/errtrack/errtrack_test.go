package errtrack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"signalcraft/appliance/errtrack"
	"signalcraft/appliance/errtrack/sentrytest"
)

const (
	apiToken   = "sc_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
	dsnSecret  = "dsn-legacy-secret-9f8e7d"
	s3Secret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	smtpPass   = "smtp-pa55word-xyz"
	hookSecret = "hmac-webhook-secret-123"
)

var allSecrets = []string{apiToken, dsnSecret, s3Secret, smtpPass, hookSecret}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) report(kind, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[kind+"/"+outcome]++
}

func (c *counts) get(k string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.m[k] }

func newTracker(t *testing.T, srv *sentrytest.Server, clk *clock, c *counts, perMinute int) *errtrack.Tracker {
	t.Helper()
	tr, err := errtrack.New(errtrack.Options{
		DSN: srv.DSN("publickey0123", dsnSecret), Environment: "test", Release: "1.2.3",
		ErrorsPerMinute: perMinute, Appliance: "press-line-1", Host: "sc-host-7",
		Secrets: []string{s3Secret, smtpPass, hookSecret}, Now: clk.Now, OnReport: c.report,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(time.Second) })
	return tr
}

// assertNoSecret checks the raw bytes and the headers of every request the endpoint saw.
func assertNoSecret(t *testing.T, envs []sentrytest.Envelope, extra ...string) {
	t.Helper()
	for _, env := range envs {
		var hdr bytes.Buffer
		_ = env.Headers.Write(&hdr)
		for _, s := range append(allSecrets, extra...) {
			if bytes.Contains(env.Raw, []byte(s)) || strings.Contains(hdr.String(), s) {
				t.Errorf("the endpoint received the secret %q:\n%s\n%s", s, hdr.String(), env.Raw)
			}
		}
	}
}

// panicky is our code that panics; its frame must be in the event.
func panicky(auth string) {
	var m map[string]int
	if auth != "" {
		panic(fmt.Sprintf("request failed: Authorization: Bearer %s, smtp password %s", auth, smtpPass))
	}
	m["x"]++
}

func recovered(tr *errtrack.Tracker, auth string) (id string) {
	defer func() {
		if v := recover(); v != nil {
			id = tr.Panic(context.Background(), v, map[string]any{"machine": "fan-1", "route": "GET /api/v1/devices"})
		}
	}()
	panicky(auth)
	return ""
}

func TestPanicReachesEndpoint(t *testing.T) {
	srv := sentrytest.New(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var c counts
	tr := newTracker(t, srv, clk, &c, 10)

	if id := recovered(tr, apiToken); id == "" {
		t.Fatal("Panic returned no event id")
	}
	if id := recovered(tr, ""); id == "" { // a runtime error (nil map)
		t.Fatal("Panic returned no event id")
	}
	if !tr.Flush(5 * time.Second) {
		t.Fatal("flush timed out")
	}
	evs, envs := srv.WaitEvents(t, 2, 5*time.Second)
	assertNoSecret(t, envs)
	for i, ev := range evs {
		if ev.Level != "fatal" || ev.Release != "signalcraft@1.2.3" || ev.Environment != "test" || ev.ServerName != "press-line-1" {
			t.Errorf("event %d: level %q release %q environment %q server %q", i, ev.Level, ev.Release, ev.Environment, ev.ServerName)
		}
		if ev.Tags["appliance"] != "press-line-1" || ev.Tags["version"] != "1.2.3" || ev.Tags["machine"] != "fan-1" || ev.Tags["host"] != "sc-host-7" {
			t.Errorf("event %d tags %v", i, ev.Tags)
		}
		if ev.Contexts["panic"]["route"] != "GET /api/v1/devices" {
			t.Errorf("event %d contexts %v", i, ev.Contexts)
		}
		if len(ev.Exception.Values) != 1 {
			t.Fatalf("event %d: %d exceptions", i, len(ev.Exception.Values))
		}
		frames := ev.Exception.Values[0].Stacktrace.Frames
		var names []string
		found := false
		for _, f := range frames {
			names = append(names, f.Module+"."+f.Function)
			if f.Module == "signalcraft/appliance/errtrack_test" && f.Function == "panicky" && f.Lineno > 0 && f.InApp &&
				strings.HasSuffix(f.AbsPath, "errtrack_test.go") {
				found = true
			}
			if f.Module == "signalcraft/appliance/errtrack" {
				t.Errorf("event %d has the tracker's own frame %s", i, f.Function)
			}
		}
		if !found {
			t.Errorf("event %d: no frame of panicky in %v", i, names)
		}
	}
	// Events may arrive in any order.
	var scrubbed, runtimeErr bool
	for _, ev := range evs {
		x := ev.Exception.Values[0]
		switch {
		case strings.Contains(x.Value, "Authorization: Bearer [Filtered]") && strings.Contains(x.Value, "smtp password [Filtered]") && x.Type == "panic":
			scrubbed = true
		case strings.Contains(x.Value, "nil map") && strings.HasPrefix(x.Type, "runtime."):
			runtimeErr = true
		}
	}
	if !scrubbed || !runtimeErr {
		t.Errorf("want the scrubbed panic message and the runtime error: %+v", evs)
	}
	// The envelope's header names the DSN without its legacy secret.
	if dsn, _ := envs[0].Header["dsn"].(string); dsn != "" && strings.Contains(dsn, dsnSecret) {
		t.Errorf("envelope header dsn %q", dsn)
	}
	if got := c.get("panic/sent"); got != 2 {
		t.Errorf("panic/sent counted %d, want 2", got)
	}
}

func TestErrorLogsBecomeEvents(t *testing.T) {
	srv := sentrytest.New(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var c counts
	tr := newTracker(t, srv, clk, &c, 3)
	var out bytes.Buffer
	log := slog.New(tr.Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn})))

	log.Info("not shown and not sent")
	log.Warn("shown, not sent")
	log.With("component", "notify").WithGroup("smtp").Error("delivery failed", "receiver", "ops-mail", "machine", "pump-2",
		"err", errors.New("535 auth failed for user plant password="+smtpPass),
		"authorization", "Bearer "+apiToken, "url", "https://user:"+hookSecret+"@hooks.example/x", "attempt", 3)
	log.Error("panic already reported", errtrack.ReportedKey, "abc123")
	if !tr.Flush(5 * time.Second) {
		t.Fatal("flush timed out")
	}
	evs, envs := srv.WaitEvents(t, 1, 5*time.Second)
	assertNoSecret(t, envs)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1 (INFO, WARN and reported records make none)", len(evs))
	}
	ev := evs[0]
	logCtx := ev.Contexts["log"]
	if ev.Level != "error" || ev.Message != "delivery failed" || ev.Logger != "slog" ||
		logCtx["component"] != "notify" || logCtx["smtp.receiver"] != "ops-mail" || logCtx["smtp.attempt"] != float64(3) ||
		logCtx["smtp.authorization"] != errtrack.Filtered || ev.Tags["appliance"] != "press-line-1" {
		t.Errorf("event %+v", ev)
	}
	if v := ev.Exception.Values[0].Value; !strings.Contains(v, "535 auth failed") || !strings.Contains(v, "password="+errtrack.Filtered) {
		t.Errorf("exception value %q", v)
	}
	found := false
	for _, f := range ev.Exception.Values[0].Stacktrace.Frames {
		if f.Function == "TestErrorLogsBecomeEvents" {
			found = true
		}
		if f.Module == "log/slog" {
			t.Errorf("slog frame %s in the stack", f.Function)
		}
	}
	if !found {
		t.Error("the stack does not show the logging call site")
	}
	for _, line := range []string{"shown, not sent", "delivery failed", "panic already reported"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the wrapped handler did not get %q:\n%s", line, out.String())
		}
	}
	if strings.Contains(out.String(), "not shown") {
		t.Errorf("the wrapped handler's level was not kept:\n%s", out.String())
	}

	// The budget: 3 a minute, 1 used. Five more errors: 2 sent, 3 held back.
	for i := range 5 {
		log.Error("disk probe failed", "i", i)
	}
	if got, limited := c.get("error/sent"), c.get("error/rate_limited"); got != 3 || limited != 3 {
		t.Errorf("sent %d, rate limited %d; want 3 and 3", got, limited)
	}
	clk.Advance(20 * time.Second) // one token back
	log.Error("disk probe failed", "i", 5)
	log.Error("disk probe failed", "i", 6)
	if got, limited := c.get("error/sent"), c.get("error/rate_limited"); got != 4 || limited != 4 {
		t.Errorf("after 20s: sent %d, rate limited %d; want 4 and 4", got, limited)
	}
	tr.Flush(5 * time.Second)
	evs, envs = srv.WaitEvents(t, 4, 5*time.Second)
	assertNoSecret(t, envs)
}

func TestNilTrackerIsOff(t *testing.T) {
	var tr *errtrack.Tracker
	var out bytes.Buffer
	h := slog.NewTextHandler(&out, nil)
	if tr.Handler(h) != slog.Handler(h) {
		t.Error("a nil tracker wraps the handler")
	}
	if id := tr.Panic(context.Background(), "x", nil); id != "" || !tr.Flush(time.Millisecond) {
		t.Error("a nil tracker reported")
	}
	func() {
		defer func() {
			if v := recover(); v != "again" {
				t.Errorf("Repanic of a nil tracker: recovered %v, want the panic again", v)
			}
		}()
		func() {
			defer tr.Repanic()
			panic("again")
		}()
	}()
	if _, err := errtrack.New(errtrack.Options{DSN: "https://sentry.example/1"}); err == nil {
		t.Error("a DSN without a key was accepted")
	}
}

func TestScrubber(t *testing.T) {
	sc := errtrack.NewScrubber(s3Secret, "ab") // "ab" is too short to scrub
	for _, tc := range []struct{ in, want string }{
		{"Authorization: Bearer " + apiToken, "Authorization: Bearer [Filtered]"},
		{"token " + apiToken + " refused", "token [Filtered] refused"},
		{"secret_access_key=" + s3Secret, "secret_access_key=[Filtered]"},
		{"s3 said " + s3Secret, "s3 said [Filtered]"},
		{"dial https://u:pw@host/x", "dial https://[Filtered]@host/x"},
		{"dsn https://abc123@o1.ingest.sentry.io/42", "dsn https://[Filtered]@o1.ingest.sentry.io/42"},
		{`{"password": "hunter22"}`, `{"password": "[Filtered]"}`},
		{"key AKIAIOSFODNN7EXAMPLE used", "key [Filtered] used"},
		{"cookie=session-abcdef", "cookie=[Filtered]"},
		{"machine fan-1 about to fail", "machine fan-1 about to fail"},
		{"abba", "abba"},
	} {
		if got := sc.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	ev := &sentry.Event{
		Message: "failed with " + s3Secret,
		Tags:    map[string]string{"machine": "fan-1", "api_token": "x"},
		Request: &sentry.Request{URL: "https://appliance:8443/api/v1/machines?token=abc", QueryString: "token=abc",
			Cookies: "sid=1", Data: `{"password":"p"}`,
			Headers: map[string]string{"Authorization": "Bearer " + apiToken, "Cookie": "sid=1", "User-Agent": "tui/1", "X-Api-Key": "k"}},
		Contexts:    map[string]sentry.Context{"log": {"smtp_password": "p", "nested": map[string]any{"webhook_secret": hookSecret, "n": 1}, "list": []any{"Bearer " + apiToken}}},
		Breadcrumbs: []*sentry.Breadcrumb{{Message: "GET with Bearer " + apiToken, Data: map[string]any{"authorization": "x"}}},
		User:        sentry.User{IPAddress: "10.0.0.5", Email: "op@example.com"},
		Exception:   []sentry.Exception{{Value: "boom " + s3Secret, Stacktrace: &sentry.Stacktrace{Frames: []sentry.Frame{{ContextLine: `secret := "` + hookSecret + `"`}}}}},
	}
	sc.Event(ev)
	b := fmt.Sprintf("%+v %+v %+v %+v %+v", ev, *ev.Request, ev.Contexts, *ev.Breadcrumbs[0], ev.Exception)
	for _, s := range []string{s3Secret, apiToken, hookSecret, "token=abc", "sid=1", "10.0.0.5", "op@example.com", `"p"`} {
		if strings.Contains(b, s) {
			t.Errorf("the scrubbed event still holds %q: %s", s, b)
		}
	}
	if ev.Tags["machine"] != "fan-1" || ev.Tags["api_token"] != errtrack.Filtered || ev.Request.Headers["User-Agent"] != "tui/1" ||
		ev.Request.Headers["X-Api-Key"] != errtrack.Filtered || ev.Contexts["log"]["nested"].(map[string]any)["n"] != 1 ||
		ev.Request.URL != "https://appliance:8443/api/v1/machines" {
		t.Errorf("scrubbed too much or too little: tags %v headers %v contexts %v url %q", ev.Tags, ev.Request.Headers, ev.Contexts, ev.Request.URL)
	}
}
