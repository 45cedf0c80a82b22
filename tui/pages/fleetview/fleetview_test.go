package fleetview_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/i18n"
	"signalcraft/tui/pages/fleetview"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var t0 = time.Date(2026, 12, 5, 10, 45, 0, 0, time.UTC)

// watcher is a fake api.FleetWatcher: a fixed snapshot and recorded acknowledgements.
type watcher struct {
	apps   []api.FleetAppliance
	acked  []string
	ackErr error
}

func (w *watcher) Snapshot() []api.FleetAppliance { return w.apps }
func (w *watcher) Changed() <-chan struct{}       { return make(chan struct{}) }
func (w *watcher) Refresh(string)                 {}
func (w *watcher) Acknowledge(_ context.Context, app, fp, _ string) (api.Alert, error) {
	w.acked = append(w.acked, app+"/"+fp)
	return api.Alert{}, w.ackErr
}

func live(id, state, sensor string, smoothed, thr float64) api.FleetMachine {
	return api.FleetMachine{Machine: api.Machine{ID: id, Name: strings.ToUpper(id[:1]) + id[1:]}, HasLive: true,
		Live:    api.Live{MachineID: id, Time: t0, State: state, Sensor: sensor, Smoothed: smoothed, Threshold: thr, Progress: 0.4},
		Arrived: t0, StateArrived: t0}
}

// fleet is three appliances: one healthy with replication, one with a fault and its alert
// (the caller a viewer there), one unreachable since 10:42.
func fleet() []api.FleetAppliance {
	lag := 1.5
	fired := t0.Add(-2 * time.Minute)
	return []api.FleetAppliance{
		{Name: "line-a", Target: "http://unix", Reachable: true, Me: api.Identity{Role: api.RoleAdmin},
			Health: api.Health{Status: "ok", Report: &api.HealthReport{Status: api.HealthOK,
				Replication: api.HealthReplication{Configured: true, Status: api.ReplicationOK, LagSeconds: &lag}}},
			Machines: []api.FleetMachine{live("fan-1", api.StateMonitoring, api.SensorOK, 0.42, 1), live("pump-1", api.StateLearning, api.SensorOK, 0, 0)},
			LastLive: t0.Add(-time.Second)},
		{Name: "line-b", Target: "https://10.0.0.2:8443", Reachable: true, Me: api.Identity{Role: api.RoleOperator},
			Health: api.Health{Status: "ok", Report: &api.HealthReport{Status: api.HealthDegraded, Reasons: []string{"disk 8% free"},
				Replication: api.HealthReplication{Configured: true, Status: api.ReplicationLagging, LagSeconds: &lag}}},
			Machines: []api.FleetMachine{live("fan-2", api.StateMonitoring, api.SensorSilent, 0.1, 1), live("pump-2", api.StateAnomaly, api.SensorOK, 2.31, 1)},
			Alerts: []api.Alert{{Fingerprint: "fp1", Rule: "anomaly", MachineID: "pump-2", Severity: api.SeverityCritical,
				State: api.AlertFiring, Summary: "pump-2 sounds different", FiredAt: &fired}},
			LastLive: t0},
		{Name: "line-c", Target: "https://10.0.0.3:8443", DownSince: time.Date(2026, 12, 5, 10, 42, 7, 0, time.UTC),
			Err:      "api: GET /api/v1/health: dial tcp 10.0.0.3:8443: connect: connection refused",
			Machines: []api.FleetMachine{live("press-3", api.StateMonitoring, api.SensorOK, 0.3, 1)}},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	for _, g := range []struct{ file, text string }{{name + ".golden", ansi.Strip(got)}, {name + ".ansi.golden", got}} {
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(g.text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != g.text {
			t.Errorf("%s differs from the golden file; got:\n%s", path, ansi.Strip(got))
		}
	}
}

func page(w *watcher, width int) fleetview.Model {
	m := fleetview.New(fleetview.Options{Watcher: w, Now: func() time.Time { return t0 }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: width, Height: 30})
	return next.(fleetview.Model)
}

func press(m fleetview.Model, k rune) (fleetview.Model, tea.Cmd) {
	next, cmd := m.Update(tea.KeyPressMsg{Code: k, Text: string(k)})
	return next.(fleetview.Model), cmd
}

func TestGoldenFleet(t *testing.T) {
	for _, width := range []int{100, 140} {
		m := page(&watcher{apps: fleet()}, width)
		golden(t, "fleet_"+map[int]string{100: "100", 140: "140"}[width], m.Render())
	}
	m, _ := press(page(&watcher{apps: fleet()}, 100), '?')
	golden(t, "fleet_help_100", m.Render())
}

// TestUnreachableNeverNormal: an unreachable appliance's machines are unknown, whatever
// their last state was, and the summary counts the appliance.
func TestUnreachableNeverNormal(t *testing.T) {
	s := ansi.Strip(page(&watcher{apps: fleet()}, 120).Render())
	for _, want := range []string{"line-c         ✕ unreachable since 10:42:07 — api: GET /api/v1/health: dial tcp",
		"Press-3            ? unknown", "lagging, lag 1.5s", "1 unreachable", "1 anomaly", "1 firing alert"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "Press-3") && strings.Contains(line, "monitoring") {
			t.Errorf("unreachable machine shown monitoring: %q", line)
		}
	}
}

func TestAcknowledge(t *testing.T) {
	tests := []struct {
		name   string
		role   api.Role
		ackErr error
		acked  bool
		status string
	}{
		{"operator", api.RoleOperator, nil, true, "line-b: alert acknowledged"},
		{"viewer", api.RoleViewer, nil, false, "To acknowledge alerts you need role operator (you are viewer)."},
		{"refused", api.RoleOperator, errors.New("conflict"), true, "line-b: acknowledge failed: conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps := fleet()
			apps[1].Me.Role = tt.role
			w := &watcher{apps: apps, ackErr: tt.ackErr}
			m, cmd := press(page(w, 120), 'a')
			if cmd != nil {
				next, _ := m.Update(cmd())
				m = next.(fleetview.Model)
			}
			if got := len(w.acked) == 1 && w.acked[0] == "line-b/fp1"; got != tt.acked {
				t.Errorf("acknowledged %v, want %v", w.acked, tt.acked)
			}
			if s := ansi.Strip(m.Render()); !strings.Contains(s, tt.status) {
				t.Errorf("page lacks %q:\n%s", tt.status, s)
			}
		})
	}
}

// BenchmarkRender draws the page for 10 appliances of 8 machines each with 2 firing alerts:
// what the page costs per change it is told about (divide by 10 for one appliance's share).
func BenchmarkRender(b *testing.B) {
	var apps []api.FleetAppliance
	for i := range 10 {
		a := fleet()[1]
		a.Name = fmt.Sprintf("line-%02d", i)
		a.Machines = nil
		for j := range 8 {
			a.Machines = append(a.Machines, live(fmt.Sprintf("m%d", j), api.StateMonitoring, api.SensorOK, 0.5, 1))
		}
		a.Alerts = append(a.Alerts, a.Alerts[0])
		apps = append(apps, a)
	}
	m := page(&watcher{apps: apps}, 140)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Render()
	}
}

// TestGoldenFleetKorean: the fleet view in Korean; an unreachable appliance's machines are
// unknown (알 수 없음) there too, and no line is wider than the terminal.
func TestGoldenFleetKorean(t *testing.T) {
	m := fleetview.New(fleetview.Options{Watcher: &watcher{apps: fleet()}, Now: func() time.Time { return t0 }, Lang: i18n.Korean})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m = next.(fleetview.Model)
	golden(t, "fleet_ko_100", m.Render())
	s := ansi.Strip(m.Render())
	for _, want := range []string{"SignalCraft 전체 장비", "장비 3대", "설비 5대", "이상 1대", "발생 중인 경보 1건", "연결 안 됨 1대",
		"Press-3            ? 알 수 없음", "소리 이상", "긴급", "경보 확인"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if ansi.StringWidth(line) > 100 {
			t.Errorf("line wider than 100 cells: %q", line)
		}
	}
}
