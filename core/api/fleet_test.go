package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fleetServer speaks the few routes a FleetWatcher uses.
func fleetServer(t *testing.T, live Live, alerts []Alert) *httptest.Server {
	t.Helper()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	lag := 2.5
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathMe:
			reply(w, Identity{Actor: "tok", Role: RoleOperator})
		case PathMachines:
			reply(w, []Machine{{ID: "pump-1", Name: "Pump 1"}})
		case PathLiveNow:
			reply(w, []Live{})
		case PathHealth:
			reply(w, Health{Status: HealthOK, Report: &HealthReport{Status: HealthDegraded, Reasons: []string{"replication lagging"},
				Replication: HealthReplication{Configured: true, Status: ReplicationLagging, LagSeconds: &lag}}})
		case PathAlerts:
			if r.URL.Query().Get("state") != AlertFiring {
				t.Errorf("alerts asked with %q, want state=firing", r.URL.RawQuery)
			}
			reply(w, alerts)
		case PathLive:
			w.Header().Set("Content-Type", "text/event-stream")
			b, _ := json.Marshal(live)
			_, _ = w.Write([]byte("id: 1\nevent: live\ndata: " + string(b) + "\n\n"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
}

// TestFleetWatcher: the watcher reads an appliance, follows its live stream (keeping no
// spectrum), keeps the most severe MaxAlerts firing alerts, reads replication from the
// health report, and when the appliance goes away marks it unreachable since the moment of
// the first failed read, with the reason — its machines kept but the state not reachable.
func TestFleetWatcher(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 42, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	live := Live{MachineID: "pump-1", Time: t0, State: StateAnomaly, Sensor: SensorOK, Score: 3, Smoothed: 3, Threshold: 1,
		Spectrum: make([]float32, 64), Seq: 1}
	alerts := []Alert{
		{Fingerprint: "w1", Severity: SeverityWarning, State: AlertFiring, ActiveAt: t0},
		{Fingerprint: "c1", Severity: SeverityCritical, State: AlertFiring, ActiveAt: t0.Add(-time.Hour)},
		{Fingerprint: "w2", Severity: SeverityWarning, State: AlertFiring, ActiveAt: t0.Add(time.Minute)},
	}
	ts := fleetServer(t, live, alerts)
	c, err := NewClient(ts.URL, WithReconnect(10*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewFleetWatcher([]FleetMember{{"a", c}, {"a", c}}, FleetOptions{}); err == nil ||
		!strings.Contains(err.Error(), `"a" given twice`) {
		t.Fatalf("duplicate names: %v", err)
	}
	w, err := NewFleetWatcher([]FleetMember{{Name: "line-a", Client: c}}, FleetOptions{Now: clock, Poll: 20 * time.Millisecond,
		RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond, MaxAlerts: 2})
	if err != nil {
		t.Fatal(err)
	}
	changed := w.Changed()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()

	wait := func(what string, ok func(a FleetAppliance) bool) FleetAppliance {
		t.Helper()
		for {
			a := w.Snapshot()[0]
			if ok(a) {
				return a
			}
			select {
			case <-changed:
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s; last %+v", what, a)
			}
		}
	}
	a := wait("the live update", func(a FleetAppliance) bool { return a.Reachable && len(a.Machines) == 1 && a.Machines[0].HasLive })
	fm := a.Machines[0]
	if fm.Machine.Name != "Pump 1" || fm.Live.State != StateAnomaly || fm.Live.Spectrum != nil || !fm.StateArrived.Equal(t0) {
		t.Errorf("machine %+v: want Pump 1 anomalous, no spectrum, arrived at t0", fm)
	}
	if a.Me.Role != RoleOperator || a.Status() != HealthDegraded {
		t.Errorf("role %q status %q, want operator and degraded", a.Me.Role, a.Status())
	}
	if r, ok := a.Replication(); !ok || r.Status != ReplicationLagging || *r.LagSeconds != 2.5 {
		t.Errorf("replication %+v %v", r, ok)
	}
	var fps []string
	for _, al := range a.Alerts {
		fps = append(fps, al.Fingerprint)
	}
	if strings.Join(fps, ",") != "c1,w2" || a.Truncated != 1 {
		t.Errorf("alerts %v truncated %d, want c1,w2 and 1 more", fps, a.Truncated)
	}

	// The appliance goes away.
	mu.Lock()
	now = t0.Add(time.Minute)
	mu.Unlock()
	ts.CloseClientConnections()
	ts.Close()
	a = wait("unreachable", func(a FleetAppliance) bool { return !a.Reachable && a.Err != "" })
	if !a.DownSince.Equal(t0.Add(time.Minute)) || len(a.Machines) != 1 {
		t.Errorf("down since %v with %d machines, want %v and the machine kept", a.DownSince, len(a.Machines), t0.Add(time.Minute))
	}
	// Retries keep failing: the moment it went down stays.
	mu.Lock()
	now = t0.Add(2 * time.Minute)
	mu.Unlock()
	time.Sleep(60 * time.Millisecond)
	if a := w.Snapshot()[0]; !a.DownSince.Equal(t0.Add(time.Minute)) || a.Reachable {
		t.Errorf("after retries: down since %v reachable %v", a.DownSince, a.Reachable)
	}
	cancel()
	<-done
}
