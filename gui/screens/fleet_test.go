package screens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
	"signalcraft/gui/theme"
)

// fleetFake is a FleetSource with a fixed snapshot that records acknowledgements.
type fleetFake struct {
	apps   []api.FleetAppliance
	acked  []string
	ackErr error
}

func (f *fleetFake) Snapshot() []api.FleetAppliance { return f.apps }
func (f *fleetFake) Changed() <-chan struct{}       { return make(chan struct{}) }
func (f *fleetFake) Acknowledge(_ context.Context, app, fp, _ string) (api.Alert, error) {
	f.acked = append(f.acked, app+"/"+fp)
	if f.ackErr != nil {
		return api.Alert{}, f.ackErr
	}
	now := t0
	for i := range f.apps {
		for j := range f.apps[i].Alerts {
			if f.apps[i].Name == app && f.apps[i].Alerts[j].Fingerprint == fp {
				f.apps[i].Alerts[j].AcknowledgedAt, f.apps[i].Alerts[j].AcknowledgedBy = &now, "fleet-tok"
			}
		}
	}
	return api.Alert{}, nil
}

func fleetMachine(id, name, state, sensor string, smoothed float64) api.FleetMachine {
	return api.FleetMachine{Machine: api.Machine{ID: id, Name: name}, HasLive: true, Arrived: t0, StateArrived: t0,
		Live: api.Live{MachineID: id, Time: t0, State: state, Sensor: sensor, Smoothed: smoothed, Threshold: 1, Progress: 0.4}}
}

func learningMachine(id, name string) api.FleetMachine {
	fm := fleetMachine(id, name, api.StateLearning, api.SensorOK, 0)
	fm.Live.Threshold = 0 // no threshold while learning
	return fm
}

// fleetSnapshot is three appliances: healthy with replication, one with an anomaly and its
// firing alert, one unreachable since 07:58:07.
func fleetSnapshot() []api.FleetAppliance {
	lag := 1.5
	fired := t0.Add(-2 * time.Minute)
	return []api.FleetAppliance{
		{Name: "Line A", Reachable: true, Me: api.Identity{Role: api.RoleAdmin},
			Health: api.Health{Status: "ok", Report: &api.HealthReport{Status: api.HealthOK,
				Replication: api.HealthReplication{Configured: true, Status: api.ReplicationOK, LagSeconds: &lag}}},
			Machines: []api.FleetMachine{fleetMachine("fan-1", "Fan 1", api.StateMonitoring, api.SensorOK, 0.42),
				learningMachine("pump-1", "Pump 1")}},
		{Name: "Line B", Reachable: true, Me: api.Identity{Role: api.RoleOperator},
			Health: api.Health{Status: "ok", Report: &api.HealthReport{Status: api.HealthDegraded, Reasons: []string{"disk 8% free"},
				Replication: api.HealthReplication{Configured: false, Status: api.ReplicationNotConfigured}}},
			Machines: []api.FleetMachine{fleetMachine("pump-2", "Pump 2", api.StateAnomaly, api.SensorOK, 2.31)},
			Alerts: []api.Alert{{Fingerprint: "fp1", Rule: "AnomalyCritical", MachineID: "pump-2", Severity: api.SeverityCritical,
				State: api.AlertFiring, Summary: "pump-2 sounds different", FiredAt: &fired,
				Annotations: map[string]map[string]string{"ko": {"summary": "pump-2 소리가 평소와 다릅니다"}}}}},
		{Name: "Line C", Target: "https://10.0.0.3:8443", DownSince: t0.Add(-113 * time.Second),
			Err:      "dial tcp 10.0.0.3:8443: connect: connection refused",
			Machines: []api.FleetMachine{fleetMachine("press-3", "Press 3", api.StateMonitoring, api.SensorOK, 0.3)}},
	}
}

func fleetRig(t *testing.T, lang i18n.Lang, src *fleetFake) (*Fleet, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.New(nil, nil))
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1000, 760))
	f := NewFleet(FleetOptions{Source: src, Lang: lang, Now: func() time.Time { return t0 }, Location: time.UTC,
		Go: func(f func()) { f() }})
	w.SetContent(f.Content())
	return f, w
}

func TestGoldenFleet(t *testing.T) {
	_, w := fleetRig(t, i18n.English, &fleetFake{apps: fleetSnapshot()})
	golden(t, w, "fleet.png")
}

func TestGoldenFleetKorean(t *testing.T) {
	_, w := fleetRig(t, i18n.Korean, &fleetFake{apps: fleetSnapshot()})
	golden(t, w, "fleet-ko.png")
}

// TestFleetScreen: the words beside the colours, an unreachable appliance in words with the
// reason and its machines unknown (never Normal), and Acknowledge by role.
func TestFleetScreen(t *testing.T) {
	src := &fleetFake{apps: fleetSnapshot()}
	_, w := fleetRig(t, i18n.English, src)
	s := texts(w)
	for _, want := range []string{"3 appliances · 4 machines · 1 firing alerts · 1 unreachable",
		"Unreachable since 07:58:07 — dial tcp 10.0.0.3:8443: connect: connection refused",
		"Line C · Press 3", "Unknown — appliance unreachable", "Sounds wrong!", "Learning 40%",
		"Replication: ok, 1s behind", "Replication: not configured", "Degraded", "disk 8% free"} {
		if !strings.Contains(s, want) {
			t.Errorf("fleet screen lacks %q:\n%s", want, s)
		}
	}
	// Fan 1 only is Normal (the verdict is a canvas text, listed once), not Press 3 of the
	// unreachable Line C
	if strings.Count(s, "Normal") != 1 {
		t.Errorf("want exactly one machine Normal:\n%s", s)
	}
	test.Tap(buttons(w, "Acknowledge")[0])
	if len(src.acked) != 1 || src.acked[0] != "Line B/fp1" {
		t.Fatalf("acknowledged %v", src.acked)
	}
	if s := texts(w); !strings.Contains(s, "Acknowledged by fleet-tok") || len(buttons(w, "Acknowledge")) != 0 {
		t.Errorf("after acknowledging:\n%s", s)
	}

	viewer := fleetSnapshot()
	viewer[1].Me.Role = api.RoleViewer
	_, w = fleetRig(t, i18n.English, &fleetFake{apps: viewer})
	if b := buttons(w, "Acknowledge"); len(b) != 1 || !b[0].Disabled() {
		t.Errorf("a viewer's Acknowledge should be disabled: %v", b)
	}

	failing := &fleetFake{apps: fleetSnapshot(), ackErr: errors.New("api: conflict")}
	_, w = fleetRig(t, i18n.English, failing)
	test.Tap(buttons(w, "Acknowledge")[0])
	if s := texts(w); !strings.Contains(s, "Line B: acknowledging failed: api: conflict") {
		t.Errorf("no failure shown:\n%s", s)
	}
}

// BenchmarkFleetRefresh rebuilds the fleet window for 10 appliances of 8 machines each with 2
// firing alerts: the cost of one redraw (at most one per 200 ms while updates pour in).
func BenchmarkFleetRefresh(b *testing.B) {
	a := test.NewTempApp(b)
	a.Settings().SetTheme(theme.New(nil, nil))
	var apps []api.FleetAppliance
	for i := range 10 {
		ap := fleetSnapshot()[1]
		ap.Name = fmt.Sprintf("Line %02d", i)
		ap.Machines = nil
		for j := range 8 {
			ap.Machines = append(ap.Machines, fleetMachine(fmt.Sprint("m", j), fmt.Sprint("Machine ", j), api.StateMonitoring, api.SensorOK, 0.5))
		}
		ap.Alerts = append(ap.Alerts, ap.Alerts[0])
		apps = append(apps, ap)
	}
	for _, changed := range []bool{true, false} {
		b.Run(map[bool]string{true: "verdict-changed", false: "unchanged"}[changed], func(b *testing.B) {
			w := test.NewTempWindow(b, nil)
			w.Resize(fyne.NewSize(1280, 800))
			f := NewFleet(FleetOptions{Source: &fleetFake{apps: apps}, Now: func() time.Time { return t0 }, Location: time.UTC})
			w.SetContent(f.Content())
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if changed { // one machine turns anomalous and back: the window is rebuilt
					n++
					apps[0].Machines[0].Live.State = map[bool]string{true: api.StateAnomaly, false: api.StateMonitoring}[n%2 == 0]
				}
				f.Refresh()
			}
		})
	}
}
