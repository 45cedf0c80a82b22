// Package daemon wires the appliance together: sources feed per-machine rings, each machine's
// analysis chain (sensor health → features → detector) runs on its own goroutine, and results
// are written to SQLite in batches. Main is started with Run and stopped by cancelling its
// context, which flushes everything before Run returns.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"signalcraft/appliance/api"
	"signalcraft/appliance/capture"
	"signalcraft/appliance/clips"
	"signalcraft/appliance/config"
	"signalcraft/appliance/datadir"
	"signalcraft/appliance/health"
	"signalcraft/appliance/metrics"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/reports"
	"signalcraft/appliance/retention"
	"signalcraft/appliance/source"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/detect"
	"signalcraft/core/store"
)

// Options are the daemon's injected dependencies.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	Clock  source.Clock // paces real-time sources
	// Version is reported by the API's health route.
	Version string
	// OpenSource, if set, builds the sources instead of the configuration's kinds (tests
	// and benchmarks inject sources they control).
	OpenSource func(config.Source) (source.Source, error)
	// Metrics receives the daemon's metrics; nil makes New create them.
	Metrics *metrics.Metrics
	// DiskUsage, if set, replaces statfs(2) for the audio clips' free-space floor (tests).
	DiskUsage func(path string) (free, total uint64, err error)
	// Recovered, if set, reports panics recovered in API handlers (error tracking).
	Recovered api.Recovered

	hub   *hub       // set by New
	hooks alertHooks // the stream evaluation watches the alert engine through these
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clock == nil {
		o.Clock = source.SystemClock()
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New(metrics.Options{Version: o.Version, Now: o.Now})
	}
}

// Main is a running appliance.
type Main struct {
	cfg       *config.Config
	o         Options
	log       *slog.Logger
	db        *store.DB
	batch     *store.Batcher
	host      *capture.Host
	sources   []source.Source
	sinks     []*fanout
	byID      map[string]*fanout // sinks by source id
	alerts    *alerting
	replica   *replicate.Replicator // nil without replication
	onModel   func(string)
	obs       observability
	clips     *clips.Library   // nil when clips are off
	objects   *objectStore     // the dataset objects (objects.go)
	learning  *learnLoop       // nil when retraining is off
	reports   *reports.Service // the report jobs and their schedule (reports.go)
	events    *eventLog        // writes the machines' events, holding them while the disk is full
	retention *retention.Pruner
	corr      *correlation  // nil when the correlation is off (correlate.go)
	stream    *streamClock  // the replay's time when every source replays as fast as possible; nil otherwise
	ended     chan struct{} // closed when every machine has analysed its ended recording
	endMu     sync.Mutex    // guards endedN
	endedN    int           // machines whose recording has ended

	mu       sync.Mutex // guards machines, cfg.Machines, anaCtx and out while running
	machines []*machine
	anaCtx   context.Context // parent of every machine's context; nil until Run
	out      sinks
}

// New opens the database, registers machines and sensors, restores learned models and
// prepares every source. Nothing runs until Run.
func New(ctx context.Context, cfg *config.Config, o Options) (*Main, error) {
	o.defaults()
	o.hub = new(hub)
	m := &Main{cfg: cfg, o: o, log: o.Logger, host: new(capture.Host), ended: make(chan struct{})}
	if cfg.Replay() {
		// a replay's samples are stamped from the sources' clock as they start
		m.stream = newStreamClock(o.Clock.Now(), o.Now)
	}
	if err := datadir.Prepare(cfg.DataDir); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabasePath(), store.WithNow(o.Now))
	if err != nil {
		return nil, datadir.Explain(cfg.DataDir, cfg.DatabasePath(), err)
	}
	m.db = db
	ok := false
	defer func() {
		if !ok {
			m.closeAll()
		}
	}()
	if s3 := cfg.Replication.S3; s3 != nil {
		// A replica that cannot start (endpoint down, bad credentials) must not stop the
		// machines from being monitored: it is reported in /health and retried by Litestream.
		r, err := replicate.New(*s3, cfg.DatabasePath(), replicate.Options{Logger: o.Logger.With("component", "replication"),
			Now: o.Now, Reporter: o.Metrics})
		if err != nil {
			return nil, err
		}
		if err := r.Start(ctx); err != nil {
			m.log.Error("replication did not start", "err", err)
			o.Metrics.SetReplicationError(err, o.Now())
			r.Close()
		} else {
			m.replica = r
		}
	}
	m.batch, err = db.NewBatcher(store.BatcherConfig{BatchSize: cfg.Store.BatchSize, FlushEvery: cfg.Store.FlushEvery,
		OnFlush: func(r store.FlushResult) {
			if r.Err != nil {
				m.log.Error("write scores", "rows", r.Rows, "err", r.Err)
			}
			m.noteFlush(r)
		}})
	if err != nil {
		return nil, err
	}
	byID := map[string]*fanout{}
	for _, sc := range cfg.Sources {
		var src source.Source
		if o.OpenSource != nil {
			src, err = o.OpenSource(sc)
		} else {
			src, err = openSource(sc, m.host, o)
		}
		if err != nil {
			return nil, err
		}
		info := src.Info()
		f := &fanout{rate: info.SampleRate, lossless: sc.Realtime != nil && !*sc.Realtime}
		m.sources = append(m.sources, src)
		m.sinks = append(m.sinks, f)
		byID[sc.ID] = f
	}
	m.byID = byID
	ac, err := cfg.AlertConfig()
	if err != nil {
		return nil, err
	}
	if m.alerts, err = newAlerting(ctx, db, ac, cfg.Receivers, cfg.Language, o); err != nil {
		return nil, err
	}
	m.alerts.hooks = o.hooks
	if m.corr, err = newCorrelation(cfg, m.alerts, m.log); err != nil {
		return nil, err
	}
	if m.stream != nil {
		m.alerts.stream, m.alerts.clock = m.stream, m.stream.Now
	}
	if err := m.applyStoredSettings(ctx); err != nil {
		return nil, err
	}
	if err := m.setupClips(ctx); err != nil {
		return nil, err
	}
	if err := m.setupObjects(ctx); err != nil {
		return nil, err
	}
	if err := m.setupLearning(); err != nil {
		return nil, err
	}
	if err := m.setupReports(); err != nil {
		return nil, err
	}
	if err := m.closeStaleEvents(ctx); err != nil {
		return nil, err
	}
	if m.events, err = newEventLog(ctx, db, m.log.With("component", "events"), o.Now); err != nil {
		return nil, err
	}
	for _, mc := range cfg.Machines {
		det, version, err := m.detector(ctx, mc)
		if err != nil {
			return nil, err
		}
		mm, err := m.buildMachine(ctx, mc, det, version)
		if err != nil {
			return nil, err
		}
		m.machines = append(m.machines, mm)
		byID[mc.Sensor.Source].add(mc.Sensor.Channel, mm)
	}
	if err := m.setupObservability(); err != nil {
		return nil, err
	}
	ok = true
	return m, nil
}

// closeStaleEvents ends the events a killed daemon (or a power cut) left open, at their
// machine's last stored window: the machines start with no event open (their detectors
// drop any event a restored model holds), and a machine can have only one open event in
// the store, so an event left open would keep every later anomaly of that machine from
// being recorded. If the anomaly goes on, a new event opens once the persistence rule is
// met again, with its own clip (the clip of the interrupted event died with the process).
func (m *Main) closeStaleEvents(ctx context.Context) error {
	closed, err := m.db.CloseStaleEvents(ctx)
	if err != nil {
		return err
	}
	for _, e := range closed {
		m.log.Warn("event left open by an unclean stop closed at the machine's last stored window",
			"machine", e.MachineID, "event", e.ID, "start", e.Start, "end", e.End)
	}
	return nil
}

// buildMachine registers a machine and its sensor in the store and builds its analysis chain.
func (m *Main) buildMachine(ctx context.Context, mc config.Machine, det *detect.Detector, version int64) (*machine, error) {
	info := m.sources[sourceIndex(m.cfg, mc.Sensor.Source)].Info()
	if err := m.db.UpsertMachine(ctx, store.Machine{ID: mc.ID, Name: mc.Name, Kind: mc.Kind}); err != nil {
		return nil, err
	}
	sensorID := fmt.Sprintf("%s/%d", mc.Sensor.Source, mc.Sensor.Channel)
	if err := m.db.UpsertSensor(ctx, store.Sensor{ID: sensorID, MachineID: mc.ID, Device: info.Name,
		Channel: mc.Sensor.Channel, SampleRate: info.SampleRate, State: "ok"}); err != nil {
		return nil, err
	}
	mm, err := newMachine(mc, info, sensorID, det, version, m.o)
	if err != nil {
		return nil, err
	}
	mm.lossless = m.byID[mc.Sensor.Source].lossless
	mm.onEnded = m.machineEnded
	mm.events = m.events
	if m.clips != nil {
		mm.rec = m.clips.Recorder(mc.ID, info.SampleRate)
	}
	mm.loadDiagnosis(ctx, m.db)
	if m.learning != nil {
		mm.tape = newLearnTape(mc.ID, info.SampleRate, m.cfg.Retraining.LearningChunk, m.learning.tape)
	}
	return mm, nil
}

// machineEnded is called by a machine once it has analysed everything its source (a
// finite recording) delivered. Once every machine has, a replay's time goes on at the wall
// clock's pace.
func (m *Main) machineEnded() {
	m.endMu.Lock()
	defer m.endMu.Unlock()
	m.endedN++
	if m.endedN == len(m.cfg.Machines) {
		if m.stream != nil {
			m.stream.end()
		}
		close(m.ended)
	}
}

// Ended is closed once every machine has analysed all its source delivered (finite
// recordings).
func (m *Main) Ended() <-chan struct{} { return m.ended }

func sourceIndex(cfg *config.Config, id string) int {
	for i, s := range cfg.Sources {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// detector restores the machine's active model, or starts learning when there is none or
// the stored one was learned with another model kind.
func (m *Main) detector(ctx context.Context, mc config.Machine) (*detect.Detector, int64, error) {
	rate := m.sources[sourceIndex(m.cfg, mc.Sensor.Source)].Info().SampleRate
	dc := detectorConfig(mc, rate)
	saved, err := m.db.ActiveModel(ctx, mc.ID)
	switch {
	case err == nil && saved.Kind == mc.Detection.Model:
		d, rerr := detect.Restore(saved.Blob)
		if rerr == nil {
			rerr = sameFeatures(d, *dc.Features)
		}
		if rerr == nil {
			// the decision settings are the configuration's (persistence, quantile…)
			rerr = d.Reconfigure(dc)
		}
		if rerr == nil {
			m.log.Info("model restored", "machine", mc.ID, "version", saved.Version, "threshold", d.Threshold())
			if d.DropEvent() { // saved during an event (a retune); the store has none open now
				m.log.Info("the restored model was saved during an event; starting without one", "machine", mc.ID)
			}
			return d, saved.Version, nil
		}
		m.log.Warn("stored model not usable; learning again", "machine", mc.ID, "version", saved.Version, "err", rerr)
	case err == nil:
		m.log.Info("model kind changed; learning again", "machine", mc.ID, "stored", saved.Kind, "configured", mc.Detection.Model)
	case !errors.Is(err, store.ErrNotFound):
		return nil, 0, err
	}
	d, err := detect.NewDetector(dc)
	return d, 0, err
}

// minLearnWindows is the fewest windows a model is fitted on: 10 s of sound (the shortest
// learning period the configuration allows) at two windows a second.
const minLearnWindows = 20

// detectorConfig is a machine's detector: its model, learning period, quantile and
// smoothing, and its profile's persistence rule, with the feature chain (at the sensor's
// rate) recorded so that a stored model is never fed windows of another chain.
func detectorConfig(mc config.Machine, rate int) detect.DetectorConfig {
	dc := detect.DefaultDetectorConfig()
	dc.Kind = detect.Kind(mc.Detection.Model)
	dc.LearnDuration = mc.Detection.Learning
	dc.MinLearnWindows = minLearnWindows
	dc.Quantile = mc.Detection.Quantile
	// smoothing: N windows is an exponential moving average spanning N windows (1: none)
	dc.Smoothing = detect.SmoothEMA
	dc.Alpha = 2 / float64(mc.Detection.Smoothing+1)
	fc := featureConfig(mc, rate)
	dc = mc.Detection.Profile().Apply(dc, fc)
	dc.Features = &fc
	return dc
}

// Run captures and analyses until ctx is done, then stops the sources, analyses what they
// delivered, closes open events and flushes the database. It serves the API meanwhile when
// the configuration asks for it.
func (m *Main) Run(ctx context.Context) error {
	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	anaCtx, stopAnalysis := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAnalysis()

	alertCtx, stopAlerts := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAlerts()
	alertsDone := make(chan struct{})
	go func() {
		defer close(alertsDone)
		m.alerts.run(alertCtx)
	}()
	// the clips library outlives the machines, to write the clips they finish as they stop
	clipsCtx, stopClips := context.WithCancel(context.WithoutCancel(ctx))
	defer stopClips()
	clipsDone := make(chan struct{})
	go func() {
		defer close(clipsDone)
		if m.clips != nil {
			m.clips.Run(clipsCtx)
		}
	}()

	// the learning loop keeps the learning sound the machines hand over until they stop
	learnCtx, stopLearning := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLearning()
	learnDone := make(chan struct{})
	go func() {
		defer close(learnDone)
		if m.learning != nil {
			m.learning.run(learnCtx)
		}
	}()

	m.mu.Lock()
	m.anaCtx, m.out = anaCtx, sinks{db: m.db, batch: m.batch, alerts: m.alerts, onModel: m.onModel, corr: m.corr}
	for _, mm := range m.machines {
		m.start(mm)
	}
	m.mu.Unlock()

	var bg sync.WaitGroup
	bg.Go(func() { m.serveMetrics(srcCtx) })
	bg.Go(func() { m.retention.Run(srcCtx) })
	bg.Go(func() { m.events.run(srcCtx) })
	bg.Go(func() { m.runReports(srcCtx) })
	for _, f := range m.sinks {
		f.ctx = srcCtx
	}
	for i, s := range m.sources {
		bg.Go(func() {
			if err := s.Run(srcCtx, m.sinks[i]); err != nil && srcCtx.Err() == nil {
				m.log.Error("source stopped", "source", m.cfg.Sources[i].ID, "err", err)
			}
		})
	}
	m.obs.ready.Set(health.PartSources, true)
	apiErr := make(chan error, 1)
	if m.cfg.API.Socket != "" || m.cfg.API.Listen != "" {
		bg.Go(func() { apiErr <- m.serveAPI(srcCtx) })
	}
	m.log.Info("running", "machines", len(m.machines), "sources", len(m.sources), "db", m.db.Path())
	var err error
	select {
	case <-ctx.Done():
	case err = <-apiErr: // the API could not start (socket in use, bad certificate…)
		stopSources()
	}
	m.obs.ready.Set(health.PartSources, false)
	m.log.Info("stopping: flushing")
	bg.Wait()
	stopAnalysis() // machines drain their rings before returning
	m.mu.Lock()
	for _, mm := range m.machines {
		<-mm.done
	}
	m.mu.Unlock()
	stopClips() // writes the clips the machines finished
	<-clipsDone
	stopLearning()
	<-learnDone
	stopAlerts() // after the machines' last observations; in-flight deliveries finish or stay queued
	<-alertsDone
	return errors.Join(err, m.Close())
}

// start runs a machine's analysis on its own goroutine; m.mu is held.
func (m *Main) start(mm *machine) {
	ctx, cancel := context.WithCancel(m.anaCtx)
	mm.cancel, mm.done = cancel, make(chan struct{})
	go func() {
		defer close(mm.done)
		mm.run(ctx, m.out)
	}()
}

// Close closes open events and flushes and closes the database. Run calls it.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.mu.Lock()
	for _, mm := range m.machines {
		mm.closeOpenEvent(ctx, m.o.Now())
	}
	m.mu.Unlock()
	var err error
	if m.events != nil {
		err = m.events.close(ctx)
	}
	return errors.Join(err, m.closeAll())
}

func (m *Main) closeAll() error {
	var errs []error
	if m.batch != nil {
		errs = append(errs, m.batch.Close())
		m.batch = nil
	}
	if m.replica != nil { // after the last batch, before the database closes
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := m.replica.Sync(ctx); err != nil {
			m.log.Error("final replication sync", "err", err)
		}
		cancel()
		errs = append(errs, m.replica.Close())
		m.replica = nil
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
		m.db = nil
	}
	return errors.Join(errs...)
}

// Status returns every machine's live state, in configuration order.
func (m *Main) Status() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, len(m.machines))
	for i, mm := range m.machines {
		out[i] = mm.Snapshot()
	}
	return out
}

// Subscribe calls fn with every machine's live state (about six times a second each) until
// cancel is called. fn must not block; the spectrum slice is reused after fn returns.
func (m *Main) Subscribe(fn func(wire.Live)) (cancel func()) { return m.o.hub.Subscribe(fn) }

// DatabasePath is the SQLite file the daemon writes.
func (m *Main) DatabasePath() string { return filepath.Clean(m.cfg.DatabasePath()) }

// DB returns the appliance's database, for tools that run beside the daemon in one process
// (the test appliance, appliance/apptest, writes a plant's history through it).
func (m *Main) DB() *store.DB { return m.db }

// Observe hands an observation to the alert engine as a machine's analysis does: the rules,
// silences, inhibitions and notifications that follow are the appliance's own.
func (m *Main) Observe(o alert.Observation) { m.alerts.observe(o) }
