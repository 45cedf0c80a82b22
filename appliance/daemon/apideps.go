package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"

	"signalcraft/appliance/api"
	"signalcraft/appliance/capture"
	"signalcraft/appliance/config"
	"signalcraft/appliance/health"
	wire "signalcraft/core/api"
	"signalcraft/core/apiconv"
	"signalcraft/core/detect"
	"signalcraft/core/store"
)

var errStopped = errors.New("daemon: machine is not running")

// serveAPI serves the API on the configured socket and TCP address until ctx ends.
func (m *Main) serveAPI(ctx context.Context) error {
	// The failure counters start at zero so rates and alerts work before the
	// first failure. Only TLS takes tokens; the unix socket has a limit too.
	m.obs.metrics.InitAPI([]string{api.TransportTLS}, api.AuthFailureReasons, api.ConnLimits)
	m.obs.metrics.InitAPI([]string{api.TransportUnix}, nil, []string{api.LimitTotal})
	srv, err := api.NewServer(api.Deps{
		DB:            m.db,
		Live:          m.LiveSnapshot,
		Subscribe:     m.Subscribe,
		Machines:      m.MachineSettings,
		UpdateMachine: m.UpdateMachine,
		Relearn:       m.Relearn,
		Devices:       devices,
		Sensors:       m.Sensors,
		Health:        m.Health,
		Alerting:      m.alerts,
		// Acknowledging an event also acknowledges its machine's anomaly alerts (acklink.go).
		Retrain:          m.retrainFunc(),
		AcknowledgeEvent: m.alerts.AcknowledgeEvent,
		// Clips saved before clips were turned off are still served.
		ClipsDir:     filepath.Join(m.cfg.DataDir, clipsDir),
		Reports:      m.reports,
		Correlations: m.Correlations,
	}, api.Options{Logger: m.log.With("component", "api"), Now: m.o.Now, BuildVersion: m.o.Version,
		AuthFailed: m.obs.metrics.AuthFailed, ConnRefused: m.obs.metrics.ConnRefused, Recovered: m.o.Recovered})
	if err != nil {
		return err
	}
	defer srv.Close()
	lc := api.ListenConfig{Socket: m.cfg.API.Socket, TCP: m.cfg.API.Listen, CertDir: m.cfg.DataDir,
		CertHosts: m.cfg.API.CertHosts, Wrap: m.obs.metrics.InstrumentAPI, Readyz: health.ReadyzHandler(m.obs.ready),
		OnListen: func(addrs []net.Addr) {
			m.noteAPIAddrs(addrs)
			m.obs.ready.Set(health.PartAPI, true)
		}}
	if err := srv.Run(ctx, lc); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return nil
}

// LiveSnapshot returns every machine's latest live state.
func (m *Main) LiveSnapshot() []wire.Live {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]wire.Live, len(m.machines))
	for i, mm := range m.machines {
		out[i] = mm.Live()
	}
	return out
}

// MachineSettings returns every machine's settings in configuration order.
func (m *Main) MachineSettings() []wire.Machine {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]wire.Machine, len(m.cfg.Machines))
	for i, mc := range m.cfg.Machines {
		out[i] = apiconv.MachineToWire(mc)
	}
	return out
}

func fromWire(w wire.Machine) (config.Machine, error) {
	mc, fs := apiconv.MachineFromWire(w)
	if len(fs) > 0 {
		return mc, &wire.Error{Code: wire.CodeInvalid, Message: "invalid machine settings", Fields: fs}
	}
	return mc, nil
}

// validateMachine checks a machine's new settings against the whole configuration (the
// source exists, the channel is in range and free) and returns the configuration with it.
func (m *Main) validateMachine(mc config.Machine) (*config.Config, int, error) {
	i := slices.IndexFunc(m.cfg.Machines, func(c config.Machine) bool { return c.ID == mc.ID })
	if i < 0 {
		return nil, -1, wire.Errorf(wire.CodeNotFound, "no machine %q (machines are added in the configuration file)", mc.ID)
	}
	for j, other := range m.cfg.Machines {
		if j != i && other.Sensor == mc.Sensor {
			return nil, i, &wire.Error{Code: wire.CodeInvalid, Message: "invalid machine settings",
				Fields: []wire.FieldError{{Field: "sensor", Message: fmt.Sprintf("source %q channel %d is used by machine %q",
					mc.Sensor.Source, mc.Sensor.Channel, other.ID)}}}
		}
	}
	next := *m.cfg
	next.Machines = slices.Clone(m.cfg.Machines)
	next.Machines[i] = mc
	if err := next.Validate(); err != nil {
		var fe *config.FieldError
		prefix := fmt.Sprintf("machines[%d].", i)
		if errors.As(err, &fe) && strings.HasPrefix(fe.Path, prefix) {
			return nil, i, &wire.Error{Code: wire.CodeInvalid, Message: "invalid machine settings",
				Fields: []wire.FieldError{{Field: strings.TrimPrefix(fe.Path, prefix), Message: fe.Reason}}}
		}
		return nil, i, wire.Errorf(wire.CodeInvalid, "%v", err)
	}
	return &next, i, nil
}

// applyStoredSettings lays the settings changed through the API over the file's, at start.
// A stored setting the current file no longer allows (its source was removed, say) is
// skipped with a warning rather than stopping the appliance.
func (m *Main) applyStoredSettings(ctx context.Context) error {
	all, err := m.db.AllMachineSettings(ctx)
	if err != nil {
		return err
	}
	for _, mc := range m.cfg.Machines {
		s, ok := all[mc.ID]
		if !ok {
			continue
		}
		var w wire.Machine
		if err := json.Unmarshal(s.Settings, &w); err != nil {
			m.log.Warn("stored machine settings unreadable; using the file's", "machine", mc.ID, "err", err)
			continue
		}
		if w.Diagnosis == nil { // stored before the field existed: the file's
			w.Diagnosis = apiconv.MachineToWire(mc).Diagnosis
		}
		next, err := fromWire(w)
		if err == nil {
			var cfg *config.Config
			if cfg, _, err = m.validateMachine(next); err == nil {
				m.cfg = cfg
				m.log.Info("machine settings from the API applied", "machine", mc.ID, "by", s.UpdatedBy, "at", s.UpdatedAt)
				continue
			}
		}
		m.log.Warn("stored machine settings no longer valid; using the file's", "machine", mc.ID, "err", err)
	}
	return nil
}

// UpdateMachine applies new settings to a running machine and stores them. A new name,
// kind or line applies at once; a new sensitivity (quantile), smoothing or persistence
// re-tunes the model without relearning; a new model kind, sensor binding, analysis window,
// hop or pooling, or a new learning period while still learning, starts learning afresh.
func (m *Main) UpdateMachine(ctx context.Context, w wire.Machine) (wire.Machine, error) {
	mc, err := fromWire(w)
	if err != nil {
		return wire.Machine{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next, i, err := m.validateMachine(mc)
	if err != nil {
		return wire.Machine{}, err
	}
	old, mm := m.cfg.Machines[i], m.machines[i]
	if m.anaCtx == nil {
		return wire.Machine{}, wire.Errorf(wire.CodeConflict, "the appliance is starting or stopping; try again")
	}
	blob, err := json.Marshal(apiconv.MachineToWire(mc))
	if err != nil {
		return wire.Machine{}, err
	}
	by := ""
	if id, ok := api.IdentityFrom(ctx); ok {
		by = id.Actor
	}
	if err := m.db.SaveMachineSettings(ctx, store.MachineSettings{MachineID: mc.ID, Settings: blob, UpdatedBy: by}); err != nil {
		return wire.Machine{}, err
	}

	learning := mm.Snapshot().State == "learning"
	oldP, newP := old.Detection.Profile(), mc.Detection.Profile()
	rebuild := mc.Sensor != old.Sensor || mc.Detection.Model != old.Detection.Model ||
		(learning && mc.Detection.Learning != old.Detection.Learning) ||
		oldP.Window != newP.Window || oldP.Hop != newP.Hop || !slices.Equal(oldP.Pooling, newP.Pooling)
	switch {
	case rebuild:
		det, err := detect.NewDetector(detectorConfig(mc, m.sources[sourceIndex(m.cfg, mc.Sensor.Source)].Info().SampleRate))
		if err != nil {
			return wire.Machine{}, err
		}
		nm, err := m.buildMachine(ctx, mc, det, 0)
		if err != nil {
			return wire.Machine{}, err
		}
		m.byID[old.Sensor.Source].remove(mm)
		mm.cancel()
		<-mm.done
		mm.closeOpenEvent(ctx, m.o.Now()) // the new chain starts without it
		m.machines[i] = nm
		m.byID[mc.Sensor.Source].add(mc.Sensor.Channel, nm)
		m.start(nm)
		m.log.Info("machine rebuilt; learning", "machine", mc.ID, "sensor", nm.sensorID, "model", mc.Detection.Model)
	default:
		retune := mc.Detection.Quantile != old.Detection.Quantile || mc.Detection.Smoothing != old.Detection.Smoothing ||
			oldP.Persistence != newP.Persistence
		var rerr error
		err := mm.do(ctx, func() {
			mm.setConfig(mc)
			if retune && mm.det.State() == detect.StateMonitoring {
				rerr = mm.retune(ctx, m.db, mc)
			} else if retune {
				rerr = mm.det.Reconfigure(detectorConfig(mc, mm.rate))
			}
		})
		if err = errors.Join(err, rerr); err != nil {
			return wire.Machine{}, err
		}
		if err := m.db.UpsertMachine(ctx, store.Machine{ID: mc.ID, Name: mc.Name, Kind: mc.Kind}); err != nil {
			return wire.Machine{}, err
		}
	}
	m.cfg = next
	return apiconv.MachineToWire(mc), nil
}

// Relearn discards a machine's model and learns its normal sound again.
func (m *Main) Relearn(ctx context.Context, machine, note string) error {
	m.mu.Lock()
	i := slices.IndexFunc(m.cfg.Machines, func(c config.Machine) bool { return c.ID == machine })
	if i < 0 {
		m.mu.Unlock()
		return wire.Errorf(wire.CodeNotFound, "no machine %q", machine)
	}
	mm := m.machines[i]
	m.mu.Unlock()
	return mm.do(ctx, func() {
		mm.det.Relearn()
		mm.note = note
		mm.setModel(0)
		mm.closeOpenEvent(ctx, m.o.Now())
		mm.mu.Lock()
		mm.view.State, mm.view.Progress, mm.view.History = "learning", 0, nil
		mm.mu.Unlock()
		mm.log.Info("relearning", "note", note)
	})
}

// Sensors lists every machine's sensor with its health and live counters.
func (m *Main) Sensors(ctx context.Context) ([]wire.Sensor, error) {
	stored, err := m.db.Sensors(ctx, "")
	if err != nil {
		return nil, err
	}
	type bound struct {
		m   *machine
		src int
	}
	m.mu.Lock()
	live := map[string]bound{}
	for i, mm := range m.machines {
		live[mm.sensorID] = bound{mm, sourceIndex(m.cfg, m.cfg.Machines[i].Sensor.Source)}
	}
	m.mu.Unlock()
	var out []wire.Sensor
	for _, s := range stored {
		b, ok := live[s.ID]
		if !ok {
			continue // a sensor no machine is bound to any more
		}
		w := wire.Sensor{ID: s.ID, MachineID: s.MachineID, Device: s.Device, Channel: s.Channel,
			SampleRate: s.SampleRate, State: s.State, StateSince: s.StateSince, Detail: s.Detail,
			Overruns: b.m.ring.Stats().Overruns}
		if c, ok := m.sources[b.src].(*capture.Source); ok {
			st := c.Stats()
			w.Reconnects, w.Overruns = st.Reconnects, w.Overruns+st.Overflows
		}
		out = append(out, w)
	}
	return out, nil
}

func devices(ctx context.Context) ([]wire.Device, error) {
	devs, err := capture.Devices()
	if err != nil {
		return nil, err
	}
	out := make([]wire.Device, len(devs))
	for i, d := range devs {
		out[i] = wire.Device{Name: d.Name, HostAPI: d.HostAPI, MaxInputChannels: d.MaxInputChannels,
			DefaultSampleRate: d.DefaultSampleRate, SupportedRates: d.SupportedRates}
	}
	return out, nil
}

// retrainFunc is the API's Retrain: a train job queued now (trigger "manual"); nil when
// retraining is off.
func (m *Main) retrainFunc() func(ctx context.Context, machine, reason string) (int64, bool, error) {
	if m.learning == nil {
		return nil
	}
	return func(ctx context.Context, machine, reason string) (int64, bool, error) {
		if reason != "" {
			m.log.Info("retraining requested", "machine", machine, "reason", reason)
		}
		return m.learning.Retrain(ctx, machine, "manual")
	}
}
