package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/errtrack"
	"signalcraft/appliance/errtrack/sentrytest"
	wire "signalcraft/core/api"
)

// TestPanicReachesErrorTracking is the acceptance test: a panic in a handler of the
// real API server reaches a Sentry-compatible endpoint (a fake on loopback that parses the
// envelopes) with the stack frames of our code, and no secret reaches it: not the caller's
// token (sent in its Authorization header and put in the panic message), not the DSN's
// legacy secret key, not a configured S3 key. The client gets 500 "internal error", the
// panic is logged once at ERROR, and the server goes on serving.
func TestPanicReachesErrorTracking(t *testing.T) {
	const (
		dsnSecret = "legacy-dsn-secret-0042"
		s3Secret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	ingest := sentrytest.New(t)
	tr, err := errtrack.New(errtrack.Options{DSN: ingest.DSN("0123456789abcdef", dsnSecret), Release: "9.9.9",
		Appliance: "press-line-1", Host: "host-a", Secrets: []string{s3Secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(time.Second)
	var logs bytes.Buffer
	log := slog.New(tr.Handler(slog.NewJSONHandler(&logs, nil)))
	e := newEnv(t, Options{Logger: log, Recovered: tr.Panic})
	token := e.tokens[wire.RoleViewer]
	e.fake.devicesPanic = fmt.Sprintf("device scan broke (caller sent %q, s3 key %s)", "Bearer "+token, s3Secret)

	c := e.client(wire.RoleViewer)
	_, err = c.Devices(context.Background())
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeInternal || we.Message != "internal error" {
		t.Fatalf("Devices after a panic: %v; want internal error", err)
	}
	if _, err := c.Machines(context.Background()); err != nil {
		t.Fatalf("the server stopped serving after a panic: %v", err)
	}
	if !tr.Flush(5 * time.Second) {
		t.Fatal("flush timed out")
	}
	evs, envs := ingest.WaitEvents(t, 1, 5*time.Second)
	if len(evs) != 1 {
		t.Fatalf("%d events; want 1 (the ERROR line of the recovered panic makes none)", len(evs))
	}
	ev := evs[0]
	if ev.Level != "fatal" || ev.Tags["appliance"] != "press-line-1" || ev.Tags["version"] != "9.9.9" ||
		ev.Tags["route"] != "GET "+wire.PathDevices || ev.Contexts["panic"]["path"] != wire.PathDevices {
		t.Errorf("event level %q tags %v contexts %v", ev.Level, ev.Tags, ev.Contexts)
	}
	x := ev.Exception.Values[0]
	if !strings.Contains(x.Value, "device scan broke") || !strings.Contains(x.Value, "Bearer [Filtered]") {
		t.Errorf("exception value %q", x.Value)
	}
	var frames []string
	handler, fake := false, false
	for _, f := range x.Stacktrace.Frames {
		frames = append(frames, f.Module+"."+f.Function)
		if f.Module == "signalcraft/appliance/api" && f.Function == "(*Server).devices" && f.InApp {
			handler = true // the route's handler
		}
		if f.Module == "signalcraft/appliance/api" && strings.Contains(f.Function, "deps") && strings.HasSuffix(f.AbsPath, "fake_test.go") {
			fake = true // the panicking dependency
		}
	}
	if !handler || !fake {
		t.Errorf("the stack lacks the handler (%v) or the panicking function (%v):\n%s", handler, fake, strings.Join(frames, "\n"))
	}
	for _, env := range envs {
		var hdr bytes.Buffer
		_ = env.Headers.Write(&hdr)
		for _, s := range []string{token, "Bearer " + token, dsnSecret, s3Secret} {
			if bytes.Contains(env.Raw, []byte(s)) || strings.Contains(hdr.String(), s) {
				t.Errorf("the endpoint received the secret %q:\n%s\n%s", s, hdr.String(), env.Raw)
			}
		}
	}
	// Logged once, at ERROR, with the event id.
	if n := strings.Count(logs.String(), `"msg":"api handler panicked"`); n != 1 ||
		!strings.Contains(logs.String(), `"`+LogReportedKey+`":"`+ev.EventID+`"`) {
		t.Errorf("log (%d panic lines, want 1 with event %s):\n%s", n, ev.EventID, logs.String())
	}
	if LogReportedKey != errtrack.ReportedKey {
		t.Errorf("LogReportedKey %q != errtrack.ReportedKey %q", LogReportedKey, errtrack.ReportedKey)
	}
}

// TestPanicWithoutErrorTracking: error tracking off, a panic is still a logged 500.
func TestPanicWithoutErrorTracking(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e.fake.devicesPanic = errors.New("boom")
	req, _ := http.NewRequest("GET", e.ts.URL+wire.PathDevices, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(logs.String(), "api handler panicked") {
		t.Errorf("status %d, log:\n%s", resp.StatusCode, logs.String())
	}
}
