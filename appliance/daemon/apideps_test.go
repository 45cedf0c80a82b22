package daemon

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/config"
	wire "signalcraft/core/api"
)

// startWithAPI runs a real-time daemon serving its API on a unix socket and returns a
// client for it (local socket callers are admins).
func startWithAPI(t *testing.T) (*Main, *wire.Client) {
	t.Helper()
	return startWithAPIConfig(t, nil)
}

// startWithAPIConfig is startWithAPI with the configuration changed by edit first.
func startWithAPIConfig(t *testing.T, edit func(*config.Config)) (*Main, *wire.Client) {
	t.Helper()
	dir := t.TempDir()
	cfg := simConfig(dir)
	if edit != nil {
		edit(cfg)
	}
	cfg.Sources[0].Realtime = new(bool)
	*cfg.Sources[0].Realtime = true
	cfg.Sources[0].Simulator.Duration = 0
	cfg.API.Socket = filepath.Join(dir, "api.sock")
	ctx, cancel := context.WithCancel(context.Background())
	m, err := New(ctx, cfg, Options{})
	if err != nil {
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
		if c, err := net.Dial("unix", cfg.API.Socket); err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatal("the API socket never accepted a connection")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := wire.NewClient("", wire.WithUnixSocket(cfg.API.Socket))
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

func TestAPIServedByDaemon(t *testing.T) {
	m, c := startWithAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	machines, err := c.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Report == nil || h.Report.Database.Writable != true || len(h.Report.Sensors) != 3 {
		t.Fatalf("Health = %+v, %v; want the detailed report with a writable database and 3 sensors", h, err)
	}
	if len(machines) != 3 || machines[1].ID != "pump-2" || machines[1].Detection.Learning != "30s" {
		t.Fatalf("Machines = %+v", machines)
	}

	// The live stream delivers every machine with a spectrum.
	got := map[string]int{}
	sctx, stop := context.WithTimeout(ctx, 2*time.Second)
	_ = c.Stream(sctx, "", func(l wire.Live) {
		if len(l.Spectrum) == spectrumBands {
			got[l.MachineID]++
		}
	})
	stop()
	for _, id := range []string{"fan-1", "pump-2", "motor-3"} {
		if got[id] < 5 {
			t.Errorf("stream delivered %d updates of %s in 2 s", got[id], id)
		}
	}

	// Score history: a window every hop (0.5 s) once the first 2-s window is full, flushed
	// every 100 ms.
	var points []wire.ScorePoint
	for i := 0; i < 50; i++ {
		if points, err = c.Scores(ctx, "fan-1", wire.ScoreFilter{Limit: 2}); err != nil || len(points) == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || len(points) != 2 || !points[0].Time.Before(points[1].Time) || points[1].State != "learning" {
		t.Fatalf("Scores = %+v, %v; want the latest 2 learning windows, oldest first", points, err)
	}

	// A new name applies at once; an impossible channel is a field error.
	pump := machines[1]
	pump.Name = "Coolant pump (rebuilt 2026)"
	if _, err := c.UpdateMachine(ctx, pump); err != nil {
		t.Fatal(err)
	}
	if s := m.Status()[1]; s.Name != pump.Name {
		t.Errorf("status name %q after update", s.Name)
	}
	// A shaft speed and bearing give the pump a fault classifier's settings; a client that
	// does not know the field (no diagnosis in its PUT) keeps them.
	pump.Diagnosis = &wire.MachineDiagnosis{ShaftRPM: 1480, Bearing: &wire.BearingOrders{BPFO: 3.1, BPFI: 4.9, BSF: 2.0, FTF: 0.39}}
	upd, err := c.UpdateMachine(ctx, pump)
	if err != nil || upd.Diagnosis == nil || upd.Diagnosis.Model != "svm" || upd.Diagnosis.Bearing == nil || upd.Diagnosis.Bearing.BPFI != 4.9 {
		t.Fatalf("diagnosis settings: %+v, %v; want shaft 1480 rpm, svm by default, the bearing's orders", upd.Diagnosis, err)
	}
	pump.Diagnosis, pump.Name = nil, "Coolant pump 2"
	if upd, err = c.UpdateMachine(ctx, pump); err != nil || upd.Diagnosis == nil || upd.Diagnosis.ShaftRPM != 1480 {
		t.Fatalf("a PUT without diagnosis: %+v, %v; want it kept", upd.Diagnosis, err)
	}
	bad := pump
	bad.Sensor.Channel = 7
	_, err = c.UpdateMachine(ctx, bad)
	var apiErr *wire.Error
	if !errors.As(err, &apiErr) || len(apiErr.Fields) != 1 || apiErr.Fields[0].Field != "sensor.channel" {
		t.Fatalf("channel 7 on a 3-channel source: %v", err)
	}
	// Rebinding the fan to the free… there is none: channel 1 is the pump's.
	taken := machines[0]
	taken.Sensor.Channel = 1
	if _, err := c.UpdateMachine(ctx, taken); !errors.As(err, &apiErr) || apiErr.Fields[0].Field != "sensor" {
		t.Fatalf("binding a taken channel: %v", err)
	}
	// A new model kind rebuilds the machine, which learns again.
	motor := machines[2]
	motor.Detection.Model = "knn"
	if _, err := c.UpdateMachine(ctx, motor); err != nil {
		t.Fatal(err)
	}
	if s := m.Status()[2]; s.State != "learning" {
		t.Errorf("motor after a model change: %s", s.State)
	}
	if err := c.Relearn(ctx, "fan-1", "after bearing change"); err != nil {
		t.Fatal(err)
	}
	entries, err := c.Audit(ctx, wire.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3 {
		t.Fatalf("audit log has %d entries after 3 changes: %+v", len(entries), entries)
	}
	stored, err := m.db.AllMachineSettings(ctx)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored settings %v, %v; want pump-2 and motor-3", stored, err)
	}
	sensors, err := c.Sensors(ctx, "")
	if err != nil || len(sensors) != 3 {
		t.Fatalf("Sensors = %+v, %v", sensors, err)
	}
}
