package daemon

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// fire makes the rule reading metric fire for machine at once and returns its alert.
func (e *alertAPIEnv) fire(t *testing.T, ctx context.Context, machine, sensor, rule, metric string, v float64) wire.Alert {
	t.Helper()
	e.m.alerts.observe(alert.Observation{Time: time.Now(), Machine: machine, Sensor: sensor, Values: map[string]float64{metric: v}})
	var got wire.Alert
	waitFor(t, rule+" fires for "+machine, func() bool {
		as, err := e.admin.Alerts(ctx, wire.AlertFilter{State: wire.AlertFiring, Machine: machine})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(as, func(a wire.Alert) bool { return a.Rule == rule })
		if i >= 0 {
			got = as[i]
		}
		return i >= 0
	})
	return got
}

// openEvent stores an anomaly event of machine from start, ended at end unless zero.
func openEvent(t *testing.T, ctx context.Context, db *store.DB, machine string, start, end time.Time) int64 {
	t.Helper()
	id, err := db.OpenEvent(ctx, store.Event{MachineID: machine, Start: start, PeakScore: 9, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !end.IsZero() {
		if err := db.CloseEvent(ctx, id, end, 9); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// One acknowledgement settles an anomaly: acknowledging an event through the API
// acknowledges its machine's anomaly alert firing for it, and acknowledging an anomaly
// alert acknowledges its machine's event; each with an audit entry (issue 9).
func TestAcknowledgementLinksEventAndAlert(t *testing.T) {
	e := startAlertAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// An anomaly rule beside the probe, added as an administrator would.
	rules, err := e.admin.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rules = append(rules, wire.AlertRule{Name: "Unusual", Metric: "anomaly_score", Op: ">", Enter: 1, Exit: 0.9, For: "0s",
		Severity: wire.SeverityWarning, Summary: map[string]string{"en": "{{.Machine}} sounds unusual"}})
	if _, err := e.admin.SetRules(ctx, rules); err != nil {
		t.Fatal(err)
	}
	now := time.Now()

	// pump-2: an event that ended an hour ago (not linked), the open one, its anomaly alert,
	// and the probe alert, which is not about the sound.
	pumpOld := openEvent(t, ctx, e.m.db, "pump-2", now.Add(-2*time.Hour), now.Add(-time.Hour))
	pumpEv := openEvent(t, ctx, e.m.db, "pump-2", now.Add(-5*time.Second), time.Time{})
	pumpAlert := e.fire(t, ctx, "pump-2", "sim/1", "Unusual", "anomaly_score", 3)
	probe := e.fire(t, ctx, "pump-2", "sim/1", "Probe", "band_energy_db:probe", 20)

	ev, err := e.admin.AcknowledgeEvent(ctx, pumpEv, "bearing noise")
	if err != nil {
		t.Fatal(err)
	}
	as, err := e.viewer.Alerts(ctx, wire.AlertFilter{Machine: "pump-2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		switch a.Fingerprint {
		case pumpAlert.Fingerprint:
			if a.AcknowledgedAt == nil || a.AcknowledgedBy != ev.AcknowledgedBy || a.AckComment != "bearing noise" {
				t.Errorf("the anomaly alert after acknowledging its event: %+v", a)
			}
		case probe.Fingerprint:
			if a.AcknowledgedAt != nil {
				t.Errorf("the probe alert (not an anomaly alert) was acknowledged with the event: %+v", a)
			}
		}
	}
	if _, err := e.admin.AcknowledgeAlert(ctx, pumpAlert.Fingerprint, "again"); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("acknowledging the alert after its event: %v, want conflict (already settled)", err)
	}
	if old, err := e.viewer.Event(ctx, pumpOld); err != nil || old.AcknowledgedAt != nil {
		t.Errorf("an event that ended before the alert was acknowledged with it: %+v, %v", old, err)
	}

	// fan-1, the other way round: acknowledging the anomaly alert acknowledges the open
	// event, not one that ended before the alert.
	fanOld := openEvent(t, ctx, e.m.db, "fan-1", now.Add(-3*time.Hour), now.Add(-2*time.Hour))
	fanEv := openEvent(t, ctx, e.m.db, "fan-1", now.Add(-3*time.Second), time.Time{})
	fanAlert := e.fire(t, ctx, "fan-1", "sim/0", "Unusual", "anomaly_score", 2)
	acked, err := e.admin.AcknowledgeAlert(ctx, fanAlert.Fingerprint, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.viewer.Event(ctx, fanEv)
	if err != nil || got.AcknowledgedAt == nil || got.AcknowledgedBy != acked.AcknowledgedBy {
		t.Errorf("the event after acknowledging its alert: %+v, %v", got, err)
	}
	if _, err := e.admin.AcknowledgeEvent(ctx, fanEv, "again"); !wire.IsCode(err, wire.CodeConflict) {
		t.Errorf("acknowledging the event after its alert: %v, want conflict (already settled)", err)
	}
	if old, err := e.viewer.Event(ctx, fanOld); err != nil || old.AcknowledgedAt != nil {
		t.Errorf("an event that ended before the alert was acknowledged with it: %+v, %v", old, err)
	}

	// The audit log has each acknowledgement, the linked ones saying what they came with.
	entries, err := e.admin.Audit(ctx, wire.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, en := range entries {
		if !strings.HasSuffix(en.Action, ".acknowledge") {
			continue
		}
		if !strings.HasPrefix(en.Actor, "local:") {
			t.Errorf("audit entry by %q", en.Actor)
		}
		lines = append(lines, en.Action+" "+en.Target+" "+en.Detail)
	}
	want := []string{
		fmt.Sprintf("event.acknowledge event/%d with alert/%s", fanEv, fanAlert.Fingerprint),
		"alert.acknowledge alert/" + fanAlert.Fingerprint + " ",
		fmt.Sprintf("alert.acknowledge alert/%s with event/%d: bearing noise", pumpAlert.Fingerprint, pumpEv),
		fmt.Sprintf("event.acknowledge event/%d bearing noise", pumpEv),
	}
	if !slices.Equal(lines, want) {
		t.Errorf("audit log\n%q\nwant\n%q", lines, want)
	}
	// The linked acknowledgement is in the saved alert state.
	raw, err := e.m.db.AlertState(ctx)
	if err != nil || !strings.Contains(string(raw), `"comment":"bearing noise"`) {
		t.Errorf("saved alert state lacks the linked acknowledgement (%v): %.300s", err, raw)
	}
}
