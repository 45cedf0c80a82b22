package fakeappliance

import (
	"context"
	"errors"
	"testing"
	"time"

	"signalcraft/core/api"
)

func TestAlertRoutesThroughTheRealClient(t *testing.T) {
	now := t0.Add(AnomalyTick*100*time.Millisecond + time.Minute)
	_, c := start(t, Options{Start: t0, Now: func() time.Time { return now }})
	ctx := context.Background()
	as, err := c.Alerts(ctx, api.AlertFilter{})
	if err != nil || len(as) != 5 {
		t.Fatalf("Alerts() = %d, %v", len(as), err)
	}
	byFP := map[string]api.Alert{}
	for _, a := range as {
		byFP[a.Fingerprint] = a
	}
	tests := []struct {
		fp                  string
		state, sev          string
		silenced, inhibited bool
	}{
		{PumpAlert, api.AlertFiring, api.SeverityCritical, false, false},
		{ConveyorAlert, api.AlertFiring, api.SeverityWarning, true, false},
		{ValveLost, api.AlertFiring, api.SeverityWarning, true, false},
		{ConveyorLevel, api.AlertFiring, api.SeverityWarning, false, true},
		{FanAlert, api.AlertResolved, api.SeverityWarning, false, false},
	}
	for _, tt := range tests {
		a := byFP[tt.fp]
		if a.State != tt.state || a.Severity != tt.sev || a.Silenced != tt.silenced || a.Inhibited != tt.inhibited {
			t.Errorf("%s: %+v", tt.fp, a)
		}
	}
	// Like the appliance, alerts carry their rule's summary templates rendered, in every language.
	if a := byFP[PumpAlert]; a.Summary != "pump-2 sounds very different from normal (2.05× threshold) — check the machine now" ||
		a.Annotations["ko"]["summary"] != "pump-2 소리가 평소와 크게 다릅니다 (임계값의 2.05배) — 지금 설비를 점검하세요" {
		t.Errorf("pump alert not rendered: %q, %+v", a.Summary, a.Annotations)
	}
	if as[len(as)-1].State != api.AlertResolved {
		t.Error("resolved alert not listed last")
	}
	if f, _ := c.Alerts(ctx, api.AlertFilter{Severity: api.SeverityCritical}); len(f) != 1 || f[0].Fingerprint != PumpAlert {
		t.Errorf("critical alerts = %+v", f)
	}

	a, err := c.AcknowledgeAlert(ctx, PumpAlert, "on my way")
	if err != nil || a.AcknowledgedBy != Actor || a.AckComment != "on my way" || !a.AcknowledgedAt.Equal(now) {
		t.Fatalf("AcknowledgeAlert = %+v, %v", a, err)
	}
	if _, err := c.AcknowledgeAlert(ctx, PumpAlert, ""); !api.IsCode(err, api.CodeConflict) {
		t.Errorf("second acknowledge = %v, want conflict", err)
	}
	if ds, err := c.AlertDeliveries(ctx, PumpAlert); err != nil || len(ds) != 4 || ds[0].State != "failed" {
		t.Errorf("deliveries = %+v, %v", ds, err)
	}

	// A silence mutes the pump; expiring it unmutes it.
	sl, err := c.CreateSilence(ctx, api.Silence{Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: Pump}},
		StartsAt: now, EndsAt: now.Add(time.Hour), Comment: "bearing swap"})
	if err != nil || sl.ID == "" || sl.State != "active" || sl.CreatedBy != Actor {
		t.Fatalf("CreateSilence = %+v, %v", sl, err)
	}
	if f, _ := c.Alerts(ctx, api.AlertFilter{Machine: Pump}); !f[0].Silenced {
		t.Error("pump alert not silenced")
	}
	if err := c.ExpireSilence(ctx, sl.ID); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Alerts(ctx, api.AlertFilter{Machine: Pump}); f[0].Silenced {
		t.Error("pump alert still silenced after expiring the silence")
	}
	_, err = c.CreateSilence(ctx, api.Silence{StartsAt: now, EndsAt: now.Add(-time.Hour)})
	var ae *api.Error
	if !api.IsCode(err, api.CodeInvalid) || !errors.As(err, &ae) || len(ae.Fields) != 2 {
		t.Errorf("invalid silence = %v", err)
	}

	if ws, err := c.Maintenance(ctx); err != nil || len(ws) != 2 || !ws[0].Open {
		t.Errorf("maintenance = %+v, %v", ws, err)
	}
	if rs, err := c.Rules(ctx); err != nil || len(rs) != 5 || rs[0].Summary["ko"] == "" {
		t.Errorf("rules = %+v, %v", rs, err)
	}
	if d, err := c.TestReceiver(ctx, ReceiverKakao, "ko"); err != nil || d.State != "done" || d.Kind != "test" {
		t.Errorf("test kakao = %+v, %v", d, err)
	}
	if d, err := c.TestReceiver(ctx, ReceiverWebhook, "en"); err != nil || d.State != "failed" || d.LastError != TestFailure {
		t.Errorf("test webhook = %+v, %v", d, err)
	}
	js, err := c.Jobs(ctx, "", "")
	if err != nil || len(js.Stats) != 1 || js.Stats[0].Dead != 2 || js.Stats[0].Failed != 1 || js.Stats[0].Queued != 1 {
		t.Fatalf("jobs = %+v, %v", js, err)
	}
	if err := c.RetryJob(ctx, DeadJob); err != nil {
		t.Fatal(err)
	}
	if err := c.RetryJob(ctx, DeadJob); !api.IsCode(err, api.CodeConflict) {
		t.Errorf("retrying a queued job = %v, want conflict", err)
	}
	if js, _ := c.Jobs(ctx, "notify", "dead"); js.Stats[0].Dead != 1 || len(js.Recent) != 1 {
		t.Errorf("after retry: %+v", js)
	}
}

func TestAlertRoutesRoles(t *testing.T) {
	now := t0
	_, c := start(t, Options{Role: api.RoleViewer, Start: t0, Now: func() time.Time { return now }})
	ctx := context.Background()
	if _, err := c.AcknowledgeAlert(ctx, PumpAlert, ""); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("viewer acknowledge = %v", err)
	}
	if err := c.ExpireSilence(ctx, SilenceConveyor); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("viewer expire = %v", err)
	}
	rs, err := c.Receivers(ctx)
	if err != nil || rs[1].Settings["secret"] != "****" || rs[1].Settings["url"] == "****" {
		t.Errorf("viewer receivers = %+v, %v", rs, err)
	}
}

func TestMatch(t *testing.T) {
	l := map[string]string{"machine": "pump-2", "alertname": "anomaly_critical"}
	tests := []struct {
		ms   []api.Matcher
		want bool
	}{
		{[]api.Matcher{{Label: "machine", Op: "=", Value: "pump-2"}}, true},
		{[]api.Matcher{{Label: "machine", Op: "=", Value: "pump-2"}, {Label: "alertname", Op: "!=", Value: "anomaly_critical"}}, false},
		{[]api.Matcher{{Label: "machine", Op: "=~", Value: "pump-.*"}}, true},
		{[]api.Matcher{{Label: "machine", Op: "=~", Value: "pump"}}, false}, // anchored
		{[]api.Matcher{{Label: "machine", Op: "!~", Value: "fan-.*"}}, true},
		{nil, true},
	}
	for _, tt := range tests {
		if got := Match(tt.ms, l); got != tt.want {
			t.Errorf("Match(%+v) = %v", tt.ms, got)
		}
	}
}
