package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/api"
	"signalcraft/appliance/config"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/notify"
	"signalcraft/core/store"
)

// hookSecret is the webhook receiver's HMAC key, which only admins may read.
const hookSecret = "whsec-0123456789abcdef"

// alertAPIYAML is a live two-machine simulator (learning for longer than the test runs)
// serving its API on a unix socket and on loopback TCP, with one rule on a metric only the
// test observes, routed at once (group_wait 0) to a webhook.
func alertAPIYAML(dir string, port int, hookURL string) string {
	return fmt.Sprintf(`
data_dir: %[1]s
api: {socket: %[1]s/api.sock, listen: "127.0.0.1:%[2]d"}
store: {batch_size: 16, flush_every: 100ms}
sources:
  - id: sim
    kind: simulator
    channels: 2
    simulator: {seed: 2}
machines:
  - {id: fan-1, sensor: {source: sim, channel: 0}, detection: {learning: 10m}}
  - {id: pump-2, sensor: {source: sim, channel: 1}, detection: {learning: 10m}}
receivers:
  - name: hook
    type: webhook
    send_resolved: true
    webhook: {url: "%[3]s", secret: %[4]q}
alerting:
  rules:
    - name: Probe
      expr: {metric: "band_energy_db:probe", op: ">", enter: 10, exit: 5}
      severity: critical
      for: 0s
      annotations:
        en: {summary: "{{.Machine}}: probe high", description: "probe {{.Value}}"}
        ko: {summary: "{{.Machine}}: 프로브 높음", description: "프로브 {{.Value}}"}
  route: {receiver: hook, group_by: [machine], group_wait: 0s, group_interval: 1m, repeat_interval: 4h}
`, dir, port, hookURL, hookSecret)
}

// alertAPIEnv is a running daemon with an admin client on its unix socket and a viewer
// client over TLS.
type alertAPIEnv struct {
	m      *Main
	admin  *wire.Client
	viewer *wire.Client
	hook   *hookReceiver
}

func startAlertAPI(t *testing.T) *alertAPIEnv {
	t.Helper()
	dir := t.TempDir()
	hook := &hookReceiver{delivered: map[string]int{}}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg, err := config.Parse([]byte(alertAPIYAML(dir, port, hs.URL)))
	if err != nil {
		t.Fatal(err)
	}
	_, fp, err := api.LoadOrCreateCert(dir, nil, time.Now) // the daemon loads this one
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := api.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := api.HashSecret(secret)
	if _, err := m.db.CreateToken(ctx, store.Token{Name: "wall-display", Role: string(wire.RoleViewer)}, hash); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("unix", cfg.API.Socket)
		if err == nil {
			c.Close()
			if c, err = net.Dial("tcp", cfg.API.Listen); err == nil {
				c.Close()
				break
			}
		}
		if i == 100 {
			t.Fatalf("the API never accepted a connection: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	admin, err := wire.NewClient("", wire.WithUnixSocket(cfg.API.Socket))
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := wire.NewClient("https://"+cfg.API.Listen, wire.WithToken(secret), wire.WithTLSFingerprint(fp))
	if err != nil {
		t.Fatal(err)
	}
	return &alertAPIEnv{m: m, admin: admin, viewer: viewer, hook: hook}
}

// waitFor polls cond every 20 ms until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fieldsOf returns the field names of a 422, or fails.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *wire.Error
	if !errors.As(err, &e) || e.Status() != 422 {
		t.Fatalf("err = %v, want a 422 naming fields", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// probe makes the Probe rule fire for pump-2 at once and returns its alert.
func (e *alertAPIEnv) probe(t *testing.T, ctx context.Context) wire.Alert {
	t.Helper()
	e.m.alerts.observe(alert.Observation{Time: time.Now(), Machine: "pump-2", Sensor: "sim/1",
		Values: map[string]float64{"band_energy_db:probe": 20}})
	var got wire.Alert
	waitFor(t, "the probe alert fires", func() bool {
		as, err := e.admin.Alerts(ctx, wire.AlertFilter{State: wire.AlertFiring, Machine: "pump-2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) == 1 {
			got = as[0]
		}
		return len(as) == 1
	})
	return got
}

func TestAlertingAPIAlertsSilencesAndJobs(t *testing.T) {
	e := startAlertAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	a := e.probe(t, ctx)
	if a.Rule != "Probe" || a.Severity != wire.SeverityCritical || a.Summary != "pump-2: probe high" || a.FiredAt == nil || a.Value != 20 {
		t.Fatalf("alert %+v", a)
	}
	// Every language's annotations come rendered, so clients need not render the templates.
	if got := a.Annotations["ko"]; got["summary"] != "pump-2: 프로브 높음" || got["description"] != "프로브 20" || a.Annotations["en"]["summary"] != "pump-2: probe high" {
		t.Errorf("annotations %+v", a.Annotations)
	}

	// The notification goes out as a job; the alert lists it as a delivery.
	var ds []wire.Delivery
	waitFor(t, "the firing notification is delivered", func() bool {
		var err error
		if ds, err = e.viewer.AlertDeliveries(ctx, a.Fingerprint); err != nil {
			t.Fatal(err)
		}
		return len(ds) == 1 && ds[0].State == "done"
	})
	if d := ds[0]; d.Receiver != "hook" || d.Kind != "firing" || d.Attempts != 1 || d.DoneAt == nil || d.JobID == 0 {
		t.Errorf("delivery %+v", d)
	}
	if _, err := e.viewer.AlertDeliveries(ctx, "ffffffffffffffff"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("deliveries of an unknown alert: %v", err)
	}

	// Jobs: the notify kind counts the done delivery.
	jobs, err := e.viewer.Jobs(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(jobs.Stats, func(s wire.JobStats) bool { return s.Kind == JobNotify })
	if i < 0 || jobs.Stats[i].Done != 1 || jobs.Stats[i].Dead != 0 || len(jobs.Recent) != 1 || jobs.Recent[0].ID != ds[0].JobID {
		t.Errorf("jobs %+v", jobs)
	}
	if dead, err := e.viewer.Jobs(ctx, JobNotify, "dead"); err != nil || len(dead.Recent) != 0 {
		t.Errorf("dead jobs %+v, %v", dead, err)
	}
	if err := e.admin.RetryJob(ctx, ds[0].JobID); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("retrying a done job: %v, want conflict", err)
	}

	// Acknowledge: once; a viewer may not.
	if _, err := e.viewer.AcknowledgeAlert(ctx, a.Fingerprint, "x"); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("viewer acknowledging: %v", err)
	}
	acked, err := e.admin.AcknowledgeAlert(ctx, a.Fingerprint, "checking the pump")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(acked.AcknowledgedBy, "local:") || acked.AckComment != "checking the pump" || acked.AcknowledgedAt == nil {
		t.Errorf("acknowledged alert %+v", acked)
	}
	if _, err := e.admin.AcknowledgeAlert(ctx, a.Fingerprint, "again"); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("second acknowledgement: %v, want conflict", err)
	}
	if _, err := e.admin.AcknowledgeAlert(ctx, "ffffffffffffffff", ""); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("acknowledging an unknown alert: %v", err)
	}

	// Silences: invalid fields, then create, see it mute the alert, list, expire.
	_, err = e.admin.CreateSilence(ctx, wire.Silence{Matchers: []wire.Matcher{{Label: "machine", Op: "==", Value: "pump-2"},
		{Label: "rule", Op: "=~", Value: "(Probe"}}, EndsAt: time.Now().Add(-time.Minute)})
	if got, want := fieldsOf(t, err), []string{"matchers[0].op", "matchers[1].value", "ends_at"}; !slices.Equal(got, want) {
		t.Errorf("invalid silence: fields %q, want %q", got, want)
	}
	s, err := e.admin.CreateSilence(ctx, wire.Silence{Matchers: []wire.Matcher{{Label: "machine", Op: "=", Value: "pump-2"}},
		EndsAt: time.Now().Add(time.Hour), Comment: "bearing swap"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == "" || s.State != "active" || !strings.HasPrefix(s.CreatedBy, "local:") || s.Comment != "bearing swap" {
		t.Errorf("created silence %+v", s)
	}
	waitFor(t, "the silence mutes the alert", func() bool {
		as, err := e.viewer.Alerts(ctx, wire.AlertFilter{Machine: "pump-2"})
		if err != nil {
			t.Fatal(err)
		}
		return len(as) == 1 && as[0].Silenced && slices.Contains(as[0].MutedBy, "silence:"+s.ID)
	})
	ss, err := e.viewer.Silences(ctx)
	if err != nil || len(ss) != 1 || ss[0].ID != s.ID || ss[0].Matchers[0] != (wire.Matcher{Label: "machine", Op: "=", Value: "pump-2"}) {
		t.Fatalf("silences %+v, %v", ss, err)
	}
	if err := e.viewer.ExpireSilence(ctx, s.ID); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("viewer expiring a silence: %v", err)
	}
	if err := e.admin.ExpireSilence(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if ss, err = e.viewer.Silences(ctx); err != nil || len(ss) != 1 || ss[0].State != "expired" {
		t.Errorf("after expiry: %+v, %v", ss, err)
	}
	if err := e.admin.ExpireSilence(ctx, s.ID); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("expiring twice: %v, want conflict", err)
	}
	if err := e.admin.ExpireSilence(ctx, "999"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("expiring an unknown silence: %v, want not found", err)
	}

	// Every change is in the audit log, with the silence's id.
	entries, err := e.admin.Audit(ctx, wire.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, en.Action+" "+en.Target)
	}
	want := []string{"silence.expire silence/" + s.ID, "silence.create silence/" + s.ID, "alert.acknowledge alert/" + a.Fingerprint}
	if !slices.Equal(got, want) {
		t.Errorf("audit log %q, want %q", got, want)
	}
	// The acknowledgement and the silence are in the saved state.
	raw, err := e.m.db.AlertState(ctx)
	if err != nil || !strings.Contains(string(raw), `"comment":"checking the pump"`) || !strings.Contains(string(raw), `"comment":"bearing swap"`) {
		t.Errorf("saved alert state lacks the acknowledgement or the silence (%v): %.300s", err, raw)
	}
}

func TestAlertingAPISettings(t *testing.T) {
	e := startAlertAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Rules: an invalid severity is a field error; a valid change applies and is stored.
	rules, err := e.viewer.Rules(ctx)
	if err != nil || len(rules) != 1 || rules[0].Name != "Probe" || rules[0].For != "0s" || rules[0].Exit != 5 ||
		rules[0].Summary["ko"] != "{{.Machine}}: 프로브 높음" {
		t.Fatalf("rules %+v, %v", rules, err)
	}
	bad := slices.Clone(rules)
	bad[0].Severity = "fatal"
	_, err = e.admin.SetRules(ctx, bad)
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"rules[0].severity"}) {
		t.Errorf("invalid severity: fields %q", got)
	}
	if _, err := e.viewer.SetRules(ctx, rules); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("viewer setting rules: %v", err)
	}
	next := append(slices.Clone(rules), wire.AlertRule{Name: "Loud", Metric: "level_dbfs", Op: ">", Enter: -3, For: "5s",
		Severity: wire.SeverityWarning, Summary: map[string]string{"en": "{{.Machine}} is loud"}})
	next[0].Summary = map[string]string{"en": "{{.Machine}}: probe above {{.Threshold}}", "ko": "{{.Machine}}: 프로브"}
	applied, err := e.admin.SetRules(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 2 || applied[1].Name != "Loud" || applied[1].For != "5s" || applied[0].Summary["en"] != next[0].Summary["en"] {
		t.Fatalf("applied rules %+v", applied)
	}
	stored, err := e.m.alerts.Rules(ctx)
	if err != nil || stored[0].Annotations["en"]["description"] != "probe {{.Value}}" {
		t.Errorf("the probe rule lost its description: %+v, %v", stored, err)
	}
	a := e.probe(t, ctx) // the rebuilt engine evaluates the new templates
	if a.Summary != "pump-2: probe above 10" {
		t.Errorf("summary after the rules changed: %q", a.Summary)
	}

	// Receivers: masked for a viewer, clear for an admin; sent back masked, the secret stays.
	rv, err := e.viewer.Receivers(ctx)
	if err != nil || len(rv) != 1 || rv[0].Settings["secret"] != "****" || !strings.HasPrefix(rv[0].Settings["url"].(string), "http://127.0.0.1:") {
		t.Fatalf("receivers for a viewer: %+v, %v", rv, err)
	}
	ra, err := e.admin.Receivers(ctx)
	if err != nil || ra[0].Settings["secret"] != hookSecret {
		t.Fatalf("receivers for an admin: %+v, %v", ra, err)
	}
	rv[0].Lang = "ko"
	back, err := e.admin.SetReceivers(ctx, rv)
	if err != nil {
		t.Fatal(err)
	}
	if back[0].Lang != "ko" || back[0].Settings["secret"] != hookSecret {
		t.Errorf("round trip of a masked secret: %+v", back)
	}
	e.m.alerts.mu.Lock()
	kept := e.m.alerts.receivers["hook"]
	e.m.alerts.mu.Unlock()
	if kept.Lang != "ko" || kept.Webhook == nil || kept.Webhook.Secret != hookSecret {
		t.Errorf("the daemon's hook receiver after the round trip: %+v", kept)
	}
	badURL := slices.Clone(ra)
	badURL[0].Settings = map[string]any{"url": "ftp://example.com/x"}
	_, err = e.admin.SetReceivers(ctx, badURL)
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"receivers[0].settings.url"}) {
		t.Errorf("invalid url: fields %q", got)
	}

	// A test notification goes out in the language asked for.
	d, err := e.admin.TestReceiver(ctx, "hook", "en")
	if err != nil || d.State != "done" || d.Kind != "test" || d.DoneAt == nil {
		t.Fatalf("test delivery %+v, %v", d, err)
	}
	if _, _, msgs := e.hook.snapshot(); !slices.ContainsFunc(msgs, func(m notify.Message) bool { return m.Status == notify.StatusTest }) {
		t.Errorf("the webhook received no test message: %+v", msgs)
	}
	if _, err := e.admin.TestReceiver(ctx, "nobody", ""); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("testing an unknown receiver: %v", err)
	}

	// Maintenance windows: per-field errors, then one that is always open.
	_, err = e.admin.SetMaintenance(ctx, []wire.MaintenanceWindow{{Name: "night", Days: []string{"someday"}, Start: "25:00", End: "06:00", TimeZone: "Mars/Base"}})
	if got, want := fieldsOf(t, err), []string{"maintenance[0].days[0]", "maintenance[0].start", "maintenance[0].time_zone"}; !slices.Equal(got, want) {
		t.Errorf("invalid window: fields %q, want %q", got, want)
	}
	ws, err := e.admin.SetMaintenance(ctx, []wire.MaintenanceWindow{{Name: "always", Start: "00:00", End: "24:00", TimeZone: "Asia/Seoul",
		Matchers: []wire.Matcher{{Label: "machine", Op: "=~", Value: "fan-.*"}}}})
	if err != nil || len(ws) != 1 || !ws[0].Open || len(ws[0].Days) != 0 || ws[0].Matchers[0].Value != "fan-.*" {
		t.Fatalf("windows %+v, %v", ws, err)
	}

	// Stored settings, each with its audit entry.
	for _, key := range []string{settingRules, settingReceivers, settingMaintenance} {
		if _, err := e.m.db.Setting(ctx, key); err != nil {
			t.Errorf("setting %s: %v", key, err)
		}
	}
	entries, err := e.admin.Audit(ctx, wire.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, en.Action)
	}
	if want := []string{"maintenance.update", "receiver.test", "receivers.update", "rules.update"}; !slices.Equal(got, want) {
		t.Errorf("audit actions %q, want %q", got, want)
	}
}

// TestStoredAlertSettingsAtStart: settings saved through the API replace the file's at
// start; one the configuration no longer allows is skipped.
func TestStoredAlertSettingsAtStart(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := alert.DefaultConfig()
	rules := []alert.Rule{{Name: "Only", Severity: alert.SeverityWarning, Expr: alert.Expr{Metric: alert.MetricLevelDBFS, Op: alert.OpGT, Enter: -1}}}
	recv := []notify.Receiver{{Name: "ops", Type: notify.TypeWebhook, Webhook: &notify.WebhookConfig{URL: "https://hooks.example.com/x"}}}
	bad := `[{"name":"w","days":["Mon"],"start":"12:00","end":"12:00"}]` // empty window
	for key, v := range map[string]any{settingRules: rules, settingReceivers: recv} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SaveSetting(ctx, key, b, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveSetting(ctx, settingMaintenance, []byte(bad), "admin"); err != nil {
		t.Fatal(err)
	}
	a, err := newAlerting(ctx, db, cfg, nil, "en", Options{Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := a.Rules(ctx)
	if len(got) != 1 || got[0].Name != "Only" {
		t.Errorf("rules at start %+v", got)
	}
	rs, _ := a.Receivers(ctx)
	if len(rs) != 1 || rs[0].Name != "ops" {
		t.Errorf("receivers at start %+v", rs)
	}
	names := []string{}
	for _, r := range a.cfg.Receivers {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"ops", "default"}) {
		t.Errorf("engine receivers %q: want the channel and the route's log-only default", names)
	}
	if ws, _ := a.Maintenance(ctx); len(ws) != 0 {
		t.Errorf("an invalid stored window was applied: %+v", ws)
	}
}
