package api

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// TestClientRoundTrip exercises every client method against the server on loopback.
func TestClientRoundTrip(t *testing.T) {
	e := newEnv(t, Options{BuildVersion: "test"})
	ctx := context.Background()
	admin, op, viewer := e.client(wire.RoleAdmin), e.client(wire.RoleOperator), e.client(wire.RoleViewer)

	h, err := viewer.Health(ctx)
	if err != nil || h.Status != "ok" || h.APIVersion != wire.Version || h.Machines != 2 || !h.Time.Equal(t0) || h.Build != "test" {
		t.Errorf("Health = %+v, %v", h, err)
	}
	me, err := op.Me(ctx)
	if err != nil || me.Actor != "operator-token" || me.Role != wire.RoleOperator {
		t.Errorf("Me = %+v, %v", me, err)
	}

	ms, err := viewer.Machines(ctx)
	if err != nil || len(ms) != 2 || ms[0].ID != "pump-1" || ms[1].Detection.Learning != "10m0s" {
		t.Errorf("Machines = %+v, %v", ms, err)
	}
	if _, err := viewer.Machine(ctx, "nope"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("Machine(nope): err = %v, want not_found", err)
	}
	m, err := viewer.Machine(ctx, "fan-2")
	if err != nil || m.Name != "Exhaust fan" {
		t.Errorf("Machine = %+v, %v", m, err)
	}

	// Configuration: per-field errors, then a valid change.
	bad := m
	bad.Detection.Quantile = 0.3
	bad.Detection.Learning = "forever"
	bad.Detection.Model = "magic"
	_, err = admin.UpdateMachine(ctx, bad)
	var apiErr *wire.Error
	if !errors.As(err, &apiErr) || apiErr.Code != wire.CodeInvalid || apiErr.Status() != http.StatusUnprocessableEntity {
		t.Fatalf("UpdateMachine(bad): err = %v", err)
	}
	fields := map[string]string{}
	for _, f := range apiErr.Fields {
		fields[f.Field] = f.Message
	}
	if fields["detection.quantile"] != "must be at least 0.5 and below 1" || fields["detection.learning"] == "" ||
		fields["detection.model"] != "must be one of mahalanobis, gmm, knn" || len(fields) != 3 {
		t.Errorf("field errors = %+v", apiErr.Fields)
	}
	daemonBad := m
	daemonBad.Sensor.Source = "other"
	if _, err := admin.UpdateMachine(ctx, daemonBad); !errors.As(err, &apiErr) || len(apiErr.Fields) != 1 || apiErr.Fields[0].Field != "sensor.source" {
		t.Errorf("UpdateMachine(unknown source): err = %v, want the daemon's field error", err)
	}
	good := m
	good.Detection.Quantile = 0.995
	good.Name = "Exhaust fan 2"
	got, err := admin.UpdateMachine(ctx, good)
	if err != nil || !reflect.DeepEqual(got, good) {
		t.Errorf("UpdateMachine = %+v, %v", got, err)
	}
	if _, err := op.UpdateMachine(ctx, good); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("operator UpdateMachine: err = %v, want forbidden", err)
	}

	// Models: pump-1 has a stored model; fan-2 is learning.
	models, err := viewer.Models(ctx, "pump-1")
	if err != nil || len(models) != 1 || models[0].Version != 1 || models[0].State != wire.ModelActive || models[0].Note != "first" {
		t.Errorf("Models(pump-1) = %+v, %v", models, err)
	}
	models, err = viewer.Models(ctx, "fan-2")
	if err != nil || len(models) != 1 || models[0].State != wire.ModelLearning || models[0].Version != 0 {
		t.Errorf("Models(fan-2) = %+v, %v", models, err)
	}
	if err := admin.Relearn(ctx, "pump-1", "new bearing fitted"); err != nil {
		t.Errorf("Relearn: %v", err)
	}
	if len(e.fake.relearned) != 1 || e.fake.relearned[0] != "pump-1:new bearing fitted" {
		t.Errorf("daemon relearned %v", e.fake.relearned)
	}

	sensors, err := viewer.Sensors(ctx, "fan-2")
	if err != nil || len(sensors) != 1 || sensors[0].ID != "mic/fan-2" || sensors[0].State != "ok" || sensors[0].SampleRate != 16000 {
		t.Errorf("Sensors = %+v, %v", sensors, err)
	}
	if all, err := viewer.Sensors(ctx, ""); err != nil || len(all) != 2 {
		t.Errorf("Sensors(all) = %+v, %v", all, err)
	}
	devs, err := viewer.Devices(ctx)
	if err != nil || len(devs) != 1 || devs[0].SupportedRates[1] != 48000 {
		t.Errorf("Devices = %+v, %v", devs, err)
	}
	live, err := viewer.LiveSnapshot(ctx, "")
	if err != nil || len(live) != 2 || live[0].MachineID != "pump-1" || live[1].State != wire.StateLearning || live[0].Seq == 0 {
		t.Errorf("LiveSnapshot = %+v, %v", live, err)
	}

	// Events.
	ctxDB := context.Background()
	closed, err := e.db.OpenEvent(ctxDB, store.Event{MachineID: "fan-2", Start: t0.Add(-2 * time.Hour), PeakScore: 5, Threshold: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.CloseEvent(ctxDB, closed, t0.Add(-time.Hour), 6); err != nil {
		t.Fatal(err)
	}
	evs, err := viewer.Events(ctx, wire.EventFilter{})
	if err != nil || len(evs) != 2 || evs[0].ID != e.event || !evs[0].Open() || evs[1].End == nil || !evs[1].End.Equal(t0.Add(-time.Hour)) {
		t.Errorf("Events = %+v, %v", evs, err)
	}
	if evs, err := viewer.Events(ctx, wire.EventFilter{Machine: "fan-2"}); err != nil || len(evs) != 1 || evs[0].ID != closed {
		t.Errorf("Events(fan-2) = %+v, %v", evs, err)
	}
	if evs, err := viewer.Events(ctx, wire.EventFilter{Open: true, Limit: 5}); err != nil || len(evs) != 1 || evs[0].ID != e.event {
		t.Errorf("Events(open) = %+v, %v", evs, err)
	}
	if evs, err := viewer.Events(ctx, wire.EventFilter{From: t0.Add(-90 * time.Minute), To: t0.Add(-70 * time.Minute)}); err != nil || len(evs) != 1 || evs[0].ID != closed {
		t.Errorf("Events(window) = %+v, %v", evs, err)
	}
	if _, err := viewer.Events(ctx, wire.EventFilter{Limit: 5000}); !wire.IsCode(err, wire.CodeInvalid) {
		t.Errorf("Events(limit 5000): err = %v, want invalid", err)
	}
	if _, err := viewer.Event(ctx, 9999); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("Event(9999): err = %v", err)
	}
	if _, err := viewer.AcknowledgeEvent(ctx, e.event, "x"); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("viewer ack: err = %v, want forbidden", err)
	}
	e.clk.Advance(time.Minute)
	ev, err := op.AcknowledgeEvent(ctx, e.event, "bearing noise; maintenance called")
	if err != nil || ev.AcknowledgedBy != "operator-token" || ev.AckComment != "bearing noise; maintenance called" ||
		ev.AcknowledgedAt == nil || !ev.AcknowledgedAt.Equal(t0.Add(time.Minute)) || string(ev.Snapshot) != `{"level_dbfs":-20}` {
		t.Errorf("AcknowledgeEvent = %+v, %v", ev, err)
	}
	if _, err := admin.AcknowledgeEvent(ctx, e.event, ""); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("second ack: err = %v, want conflict", err)
	}
	if _, err := op.LabelEvent(ctx, e.event, "Bearing Outer!"); !wire.IsCode(err, wire.CodeInvalid) {
		t.Errorf("bad label: err = %v, want invalid", err)
	}
	ev, err = op.LabelEvent(ctx, e.event, wire.LabelFalseAlarm)
	if err != nil || ev.Label != wire.LabelFalseAlarm || ev.AckComment == "" {
		t.Errorf("LabelEvent = %+v, %v", ev, err)
	}
	if ev, err := viewer.Event(ctx, e.event); err != nil || ev.Label != wire.LabelFalseAlarm || ev.AckComment != "bearing noise; maintenance called" {
		t.Errorf("Event = %+v, %v", ev, err)
	}

	// Tokens.
	exp := t0.Add(48 * time.Hour)
	created, err := admin.CreateToken(ctx, wire.CreateTokenRequest{Name: "grafana", Role: wire.RoleViewer, ExpiresAt: &exp})
	if err != nil || created.Token.Name != "grafana" || created.Token.ExpiresAt == nil || !created.Token.ExpiresAt.Equal(exp) ||
		!strings.HasPrefix(created.Secret, SecretPrefix) {
		t.Fatalf("CreateToken = %+v, %v", created, err)
	}
	if _, err := admin.CreateToken(ctx, wire.CreateTokenRequest{Name: "grafana", Role: wire.RoleViewer}); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("duplicate token: err = %v, want conflict", err)
	}
	_, err = admin.CreateToken(ctx, wire.CreateTokenRequest{Name: "bad name", Role: "root"})
	if !errors.As(err, &apiErr) || len(apiErr.Fields) != 2 {
		t.Errorf("bad token: err = %v, want two field errors", err)
	}
	graf := e.client("", wire.WithToken(created.Secret))
	if me, err := graf.Me(ctx); err != nil || me.Actor != "grafana" {
		t.Errorf("new token Me = %+v, %v", me, err)
	}
	toks, err := admin.Tokens(ctx)
	if err != nil || len(toks) != 4 || toks[3].Name != "grafana" || toks[3].LastUsedAt == nil {
		t.Errorf("Tokens = %+v, %v", toks, err)
	}
	if err := admin.RevokeToken(ctx, created.Token.ID); err != nil {
		t.Fatal(err)
	}
	if err := admin.RevokeToken(ctx, created.Token.ID); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("second revoke: err = %v, want not_found", err)
	}
	if _, err := graf.Me(ctx); !wire.IsCode(err, wire.CodeUnauthorized) {
		t.Errorf("revoked token: err = %v, want unauthorized", err)
	}

	// The audit log has every change, newest first.
	audit, err := admin.Audit(ctx, wire.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+" "+a.Target+" by "+a.Actor)
	}
	want := []string{
		"token.revoke token/grafana by admin-token",
		"token.create token/grafana by admin-token",
		"event.label event/1 by operator-token",
		"event.acknowledge event/1 by operator-token",
		"machine.relearn machine/pump-1 by admin-token",
		"machine.update machine/fan-2 by admin-token",
		"token.create token/admin-token by local:test",
		"token.create token/operator-token by local:test",
		"token.create token/viewer-token by local:test",
	}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	if d := audit[5].Detail; d != `detection.quantile: 0.99 → 0.995; name: "Exhaust fan" → "Exhaust fan 2"` {
		t.Errorf("machine.update detail = %q", d)
	}
	if page, err := admin.Audit(ctx, wire.AuditFilter{Before: audit[1].ID, Limit: 2}); err != nil || len(page) != 2 || page[0].ID != audit[2].ID {
		t.Errorf("audit page = %+v, %v", page, err)
	}
	if byOp, err := admin.Audit(ctx, wire.AuditFilter{Actor: "operator-token"}); err != nil || len(byOp) != 2 {
		t.Errorf("audit by operator = %+v, %v", byOp, err)
	}
	if _, err := op.Audit(ctx, wire.AuditFilter{}); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("operator audit: err = %v, want forbidden", err)
	}
}

// TestFailedChangeNotAudited checks refused changes leave no audit entry.
func TestFailedChangeNotAudited(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	op := e.client(wire.RoleOperator)
	before, _ := e.db.Audit(ctx, store.AuditFilter{})
	if _, err := op.AcknowledgeEvent(ctx, 4242, "x"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Fatalf("err = %v", err)
	}
	if _, err := op.LabelEvent(ctx, 4242, "x"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Fatalf("err = %v", err)
	}
	bad := e.fake.machines[0]
	bad.Detection.Smoothing = 0
	if _, err := e.client(wire.RoleAdmin).UpdateMachine(ctx, bad); !wire.IsCode(err, wire.CodeInvalid) {
		t.Fatalf("err = %v", err)
	}
	after, _ := e.db.Audit(ctx, store.AuditFilter{})
	if len(after) != len(before) {
		t.Errorf("failed changes were audited: %+v", after[:len(after)-len(before)])
	}
}

// TestUnixSocket serves over a real unix socket: no token needed, the peer
// is admin and named after its uid.
func TestUnixSocket(t *testing.T) {
	e := newEnv(t, Options{})
	dir, err := os.MkdirTemp("", "scapi") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "run", "api.sock")
	ln, err := ListenUnix(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o660 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode = %v, %v; want 0660 socket", fi.Mode(), err)
	}
	if _, err := ListenUnix(path, 0); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Errorf("second listener on a live socket: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()

	c, err := wire.NewClient("", wire.WithUnixSocket(path))
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx)
	u, _ := user.Current()
	if err != nil || me.Role != wire.RoleAdmin || me.Actor != "local:"+u.Username {
		t.Errorf("Me over the socket = %+v, %v; want local:%s admin", me, err, u.Username)
	}
	if _, err := c.AcknowledgeEvent(ctx, e.event, "from the shell"); err != nil {
		t.Fatal(err)
	}
	audit, err := c.Audit(ctx, wire.AuditFilter{Action: "event.acknowledge"})
	if err != nil || len(audit) != 1 || audit[0].Actor != "local:"+u.Username {
		t.Errorf("audit = %+v, %v", audit, err)
	}
	// A live stream over the socket ends when the server stops.
	streamErr := make(chan error, 1)
	got := make(chan wire.Live, 8)
	go func() {
		streamErr <- c.Stream(ctx, "pump-1", func(l wire.Live) { got <- l })
	}()
	if l := <-got; l.MachineID != "pump-1" {
		t.Errorf("first live update %+v", l)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if err := <-streamErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Stream: %v", err)
	}
	// Closing the listener removed the socket; a stale file is replaced.
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}
