package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

func TestAlertingRoutes(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	viewer, admin := e.client(wire.RoleViewer), e.client(wire.RoleAdmin)

	rs, err := viewer.Receivers(ctx)
	if err != nil || rs[0].Settings["secret"] != "****" || rs[1].Settings["password"] != "****" {
		t.Fatalf("receivers for a viewer: %+v, %v", rs, err)
	}
	if rs, err = admin.Receivers(ctx); err != nil || rs[0].Settings["secret"] != "whsec-0123456789" {
		t.Fatalf("receivers for an admin: %+v, %v", rs, err)
	}
	if as, err := viewer.Alerts(ctx, wire.AlertFilter{State: wire.AlertPending}); err != nil || len(as) != 1 || as[0].MachineID != "fan-2" {
		t.Errorf("pending alerts %+v, %v", as, err)
	}
	if _, err := viewer.Alerts(ctx, wire.AlertFilter{State: "burning"}); !wire.IsCode(err, wire.CodeInvalid) {
		t.Errorf("unknown state filter: %v", err)
	}
	if j, err := viewer.Jobs(ctx, "", "dead"); err != nil || len(j.Recent) != 1 || j.Recent[0].ID != 2 {
		t.Errorf("dead jobs %+v, %v", j, err)
	}
	if _, err := viewer.Jobs(ctx, "", "sleeping"); !wire.IsCode(err, wire.CodeInvalid) {
		t.Errorf("unknown job state: %v", err)
	}
	if err := admin.RetryJob(ctx, 5000); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("retrying an unknown job: %v", err)
	}
	if _, err := admin.TestReceiver(ctx, "ops-hook", "fr"); !wire.IsCode(err, wire.CodeInvalid) {
		t.Errorf("test in French: %v", err)
	}
	ws, err := viewer.Maintenance(ctx)
	if err != nil || len(ws) != 1 || ws[0].Open || len(ws[0].Days) != 5 { // t0 is Saturday
		t.Errorf("maintenance %+v, %v", ws, err)
	}

	// Every audited alerting route leaves an entry with the caller.
	for _, rt := range wire.AlertRoutes {
		if !rt.Audited {
			continue
		}
		before, _ := e.db.Audit(ctx, store.AuditFilter{Limit: 1})
		req := e.requestFor(t, rt, 1000)
		req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleAdmin])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode > 299 {
			t.Errorf("%s: status %d", rt.Pattern(), resp.StatusCode)
			continue
		}
		after, _ := e.db.Audit(ctx, store.AuditFilter{Limit: 1})
		if len(after) == 0 || (len(before) > 0 && after[0].ID == before[0].ID) || after[0].Actor != "admin-token" {
			t.Errorf("%s left no audit entry (latest %+v)", rt.Pattern(), after)
		}
	}
	silences, _ := e.db.Audit(ctx, store.AuditFilter{Action: "silence.create"})
	if len(silences) != 1 || silences[0].Target != "silence/1" || !strings.Contains(silences[0].Detail, `machine="pump-1"`) {
		t.Errorf("silence audit %+v", silences)
	}

	// Without an alert manager the routes are not found, after authorization.
	d := e.fake.deps(e.db)
	srv, err := NewServer(d, Options{Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	req, _ := http.NewRequest("GET", wire.PathAlerts, nil)
	req = req.WithContext(context.WithValue(ctx, localKey{}, "local:test"))
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "alerting is not configured") {
		t.Errorf("no alerting: %d %s", rec.Code, rec.Body.String())
	}
}
