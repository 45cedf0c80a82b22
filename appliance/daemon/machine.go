package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"signalcraft/appliance/clips"
	"signalcraft/appliance/config"
	"signalcraft/appliance/ring"
	"signalcraft/appliance/source"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/correlate"
	"signalcraft/core/detect"
	"signalcraft/core/diagnose"
	"signalcraft/core/dsp"
	"signalcraft/core/sensor"
	"signalcraft/core/store"
)

// historyLen is how many decision scores a machine keeps for the live view.
const historyLen = 48

// machine is the analysis chain of one monitored machine: its ring of samples, sensor
// health, framing and features, the detector, and what it writes to the store.
type machine struct {
	cfg      config.Machine
	sensorID string
	rate     int
	log      *slog.Logger

	ring   *ring.Buffer
	clock  *sampleClock
	status chan statusMsg
	cmds   chan func() // run on the machine's goroutine (relearn, retune)
	cancel context.CancelFunc
	done   chan struct{}

	health *sensor.Monitor
	faults sensor.Timeline // where in the stream the sensor's state changed
	chain  *detect.Chain
	det    *detect.Detector
	model  int64   // version of the active model det holds; 0 while learning (setModel)
	sum    summary // frame features sampled over the current window hop

	started  bool
	expect   uint64 // stream position of the next sample if nothing was lost
	base     uint64 // stream position where the chain's stream began
	lossless bool   // a recording replayed as fast as possible: its time is the stream's
	excluded bool   // the last window touched a sensor fault and was not scored
	ended    bool   // the source said it has delivered everything
	onEnded  func() // called once the machine has analysed all of an ended recording

	mu        sync.Mutex // guards view and modelSeen
	modelSeen int64      // model, for Snapshot
	view      Status

	hub      *hub
	now      func() time.Time
	bands    bandMap
	spectrum []float32
	lastLive time.Time
	level    float64   // dBFS of the latest frame
	live     wire.Live // the latest published state; guarded by mu
	note     string    // goes with the next model learned (set by relearn)
	arrived  time.Time // when the last sample of the latest window reached the appliance
	scored   bool      // a score is waiting to be published

	// latency observes the seconds from arrived to the window's score (metrics).
	latency interface{ Observe(float64) }

	rec    *clips.Recorder // keeps the recent sound and cuts event clips; nil when clips are off
	tape   *learnTape      // hands the learning sound to the learning loop; nil when it is off
	diag   *diagnose.Model // the fault classifier that judges events; nil when the machine has none
	diagV  int64           // its version
	tail   []float32       // the latest samples, a diagnosis window's worth, while diag is set
	winEnd uint64          // stream position just after the window being handled

	events *eventLog   // writes events, holding them while the database cannot be written
	event  store.Event // the open event as it stands (ID 0: none)

	lastEvent store.Event // the latest closed event, for the correlation's late verdicts
	explained int         // the correlation episode last written into an event

	hrec healthRecorder // the hourly health record (health.go)
}

// Status is one machine's live state, for the status view and later the API.
type Status struct {
	Machine    string
	Name       string
	State      string // learning, monitoring, anomaly
	Progress   float64
	Sensor     sensor.State
	LevelDBFS  float64
	Score      float64
	Smoothed   float64
	Threshold  float64
	History    []float64
	Events     int
	LastEvent  time.Time
	LastPeak   float64
	OpenEvent  int64 // id of the open anomaly event, 0 if none
	Model      int64 // version of the model the machine listens with, 0 while learning
	Overruns   uint64
	WindowTime time.Time
}

func newMachine(c config.Machine, info source.Info, sensorID string, det *detect.Detector, model int64, o Options) (*machine, error) {
	health, err := sensor.NewMonitor(sensor.DefaultThresholds(), info.SampleRate, o.Now())
	if err != nil {
		return nil, fmt.Errorf("machine %q: %w", c.ID, err)
	}
	chain, err := newChain(c, info.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("machine %q: %w", c.ID, err)
	}
	m := &machine{
		cfg:      c,
		sensorID: sensorID,
		rate:     info.SampleRate,
		log:      o.Logger.With("machine", c.ID),
		ring:     ring.New(info.SampleRate * 10), // 10 s of slack before analysis loses samples
		clock:    &sampleClock{rate: float64(info.SampleRate), at: o.Now()},
		status:   make(chan statusMsg, 16),
		cmds:     make(chan func()),
		health:   health,
		chain:    chain,
		det:      det,
		model:    model,
		hub:      o.hub,
		now:      o.Now,
		bands:    newBandMap(info.SampleRate, chain.Config().DSP.FrameSize, spectrumBands, spectrumFMin),
		spectrum: make([]float32, spectrumBands),
		level:    sensor.DBFS(0),
		latency:  o.Metrics.AnalysisLatency(c.ID),
	}
	m.view = Status{Machine: c.ID, Name: c.Name, Sensor: sensor.OK, State: "learning", LevelDBFS: m.level}
	m.modelSeen = model
	return m, nil
}

// setModel records the version of the model the detector holds; machine goroutine only.
func (m *machine) setModel(v int64) {
	m.model = v
	m.mu.Lock()
	m.modelSeen = v
	m.mu.Unlock()
}

// Snapshot returns the machine's live state.
func (m *machine) Snapshot() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.view
	s.Model = m.modelSeen
	s.History = append([]float64(nil), m.view.History...)
	s.Overruns = m.ring.Stats().Overruns
	return s
}

// sinks is where a machine's results go: the store, the alert engine, and a hook for tests.
type sinks struct {
	db      *store.DB
	batch   *store.Batcher
	alerts  *alerting
	onModel func(machineID string) // called after a fitted model is saved
	corr    *correlation           // nil when the correlation is off
}

// observe hands an observation to the alert engine, through the correlation when it is on
// (a replay's observations wait there for its verdicts on their time).
func (s sinks) observe(o alert.Observation) {
	if s.corr != nil {
		s.corr.observe(o)
		return
	}
	s.alerts.observe(o)
}

// run analyses samples until ctx is done, then processes what is left in the ring.
func (m *machine) run(ctx context.Context, out sinks) {
	buf := make([]float32, m.rate/10)
	tick := time.NewTicker(liveEvery / 2)
	defer tick.Stop()
	reload := time.NewTicker(modelCheckEvery)
	defer reload.Stop()
	for {
		select {
		case <-ctx.Done():
			m.drain(buf, out)
			m.flushHealth(out)
			if m.rec != nil {
				m.rec.Finish() // an event's clip still recording keeps what it has
			}
			return
		case st := <-m.status:
			m.drain(buf, out) // what the source delivered before it changed state comes first
			m.sourceStatus(ctx, st, out)
		case <-m.ring.Ready():
		case <-tick.C:
		case <-reload.C:
			m.reloadModel(ctx, out.db)
			m.loadDiagnosis(ctx, out.db)
		case fn := <-m.cmds:
			fn()
		}
		m.drain(buf, out)
		// ticks come every liveEvery/2; allow for their jitter so no second tick is skipped
		if now := m.now(); m.scored || now.Sub(m.lastLive) >= liveEvery*9/10 {
			m.scored = false
			m.lastLive = now
			m.publish(now)
		}
	}
}

func (m *machine) drain(buf []float32, out sinks) {
	for i := 1; ; i++ {
		n, pos := m.ring.ReadAt(buf)
		if n == 0 {
			return
		}
		m.process(buf[:n], pos, out)
		if i%16 == 0 {
			// A replay as fast as possible keeps the ring full for as long as the recording
			// lasts: commands (relearn, retune, settings) must not wait for its end.
			select {
			case fn := <-m.cmds:
				fn()
			default:
			}
		}
	}
}

func (m *machine) sourceStatus(ctx context.Context, st statusMsg, out sinks) {
	var s sensor.State
	switch st.s {
	case source.Lost:
		s = sensor.Lost
	case source.Reconnecting:
		s = sensor.Reconnecting
	case source.Ended:
		s = sensor.Ended
	default:
		return // Running: the health monitor notices samples flowing again
	}
	detail := ""
	if st.err != nil {
		detail = st.err.Error()
	}
	at := m.now()
	if m.lossless { // a replay's time is its sound's: the end of what was delivered
		at = m.clock.timeOf(m.expect)
	}
	if s == sensor.Ended {
		m.finishLearning(out, at)
	}
	if out.corr != nil && (s == sensor.Lost || s == sensor.Reconnecting) {
		out.corr.leave(m.cfg.ID) // the others are not held back while it sends nothing
	}
	if c, ok := m.health.Report(s, at, detail); ok {
		m.faults.Mark(m.expect, c.To)
		m.sensorChanged(ctx, c, out)
	}
	if s == sensor.Ended && !m.ended {
		m.ended = true
		if out.corr != nil {
			out.corr.leave(m.cfg.ID)
		}
		if m.onEnded != nil {
			m.onEnded()
		}
	}
}

// finishLearning ends learning when a recording has ended: with a learning period as long
// as the recording, the last window ends a hop or so before the period does, so the model
// is fitted on what was heard if that covers the period to within a hop; otherwise the
// machine says plainly why it learned nothing.
func (m *machine) finishLearning(out sinks, at time.Time) {
	if m.det.State() != detect.StateLearning {
		return
	}
	p := m.cfg.Detection.Profile()
	heard := at.Sub(m.clock.timeOf(m.base))
	if !m.started {
		heard = 0
	}
	if heard+p.Hop+100*time.Millisecond < m.cfg.Detection.Learning {
		m.log.Warn("the recording ended before the learning period: no model learned; replay a longer recording or shorten detection.learning",
			"heard", heard.Round(time.Millisecond), "learning", m.cfg.Detection.Learning)
		return
	}
	res := m.det.FinishLearning()
	if res.Err != nil {
		m.log.Warn("the recording ended: no model learned", "heard", heard.Round(time.Millisecond), "err", res.Err)
		return
	}
	m.saveModel(out)
	m.mu.Lock()
	m.view.State, m.view.Progress, m.view.Threshold = res.State.String(), 1, res.Threshold
	m.mu.Unlock()
}

func (m *machine) sensorChanged(ctx context.Context, c sensor.Change, out sinks) {
	m.log.Info("sensor state", "sensor", m.sensorID, "from", c.From, "to", c.To, "detail", c.Detail)
	m.mu.Lock()
	m.view.Sensor = c.To
	m.mu.Unlock()
	if err := out.db.SetSensorState(ctx, m.sensorID, string(c.To), c.At, c.Detail); err != nil {
		m.log.Error("record sensor state", "err", err)
	}
	if out.alerts != nil { // a lost sensor sends no windows: tell the alert engine now
		// An ended recording sends nothing more: that is not missing data.
		out.observe(alert.Observation{Time: c.At, Machine: m.cfg.ID, Line: m.cfg.Line, Sensor: m.sensorID,
			SensorState: string(c.To), Final: c.To == sensor.Ended})
	}
}

func (m *machine) process(x []float32, pos uint64, out sinks) {
	t0 := m.clock.timeOf(pos)
	for _, c := range m.health.Samples(t0, x) {
		m.faults.Mark(pos+uint64(c.Offset), c.To)
		m.sensorChanged(context.Background(), c, out)
	}
	if pos != m.expect || !m.started { // first samples, or a gap after an overrun: start afresh
		m.chain.Reset()
		m.det.Gap()
		m.base, m.started = pos, true
	}
	m.expect = pos + uint64(len(x))
	if m.rec != nil { // before the windows: an event opened in this block finds its pre-roll
		m.rec.Feed(pos, t0, x)
	}
	if m.tape != nil { // the sound of a learning period becomes dataset items
		m.tape.feed(m.det.State() == detect.StateLearning, t0, x)
	}
	if m.diag != nil { // the sound an event opens on is what the classifier judges
		keep := diagnosisSpan * m.diag.FrontEnd.Samples()
		m.tail = append(m.tail, x...)
		if len(m.tail) > 2*keep {
			m.tail = append(m.tail[:0], m.tail[len(m.tail)-keep:]...)
		}
	}
	fc := m.chain.Config().DSP
	m.chain.Push(x, func(vec []float64) {
		end := m.base + uint64((m.chain.Frames()-1)*int64(fc.Hop)+int64(fc.FrameSize))
		m.arrived = m.clock.arrivedAt(end - 1)
		m.winEnd = end
		m.window(m.clock.timeOf(end), vec, out)
	})
	if m.chain.Frames() > 0 {
		f := m.chain.Frame()
		m.sum.add(f)
		m.level = f.DBFS
		m.bands.levels(f.Power, m.spectrum)
	}
}

// publish sends the machine's live state to the API's subscribers.
func (m *machine) publish(now time.Time) {
	if m.hub == nil {
		return
	}
	v := m.Snapshot()
	l := wire.Live{MachineID: m.cfg.ID, Time: now, State: v.State, Progress: v.Progress,
		Sensor: string(v.Sensor), LevelDBFS: m.level, Score: v.Score, Smoothed: v.Smoothed, Threshold: v.Threshold,
		Spectrum: m.spectrum, SpectrumFMinHz: m.bands.fmin, SpectrumFMaxHz: m.bands.fmax, OpenEvent: v.OpenEvent,
		SampleArrived: m.arrived}
	m.hub.publish(l)
	l.Spectrum = append([]float32(nil), m.spectrum...)
	m.mu.Lock()
	m.live = l
	m.mu.Unlock()
}

// Live returns the latest published state (before the first publication, the current one
// without a spectrum).
func (m *machine) Live() wire.Live {
	m.mu.Lock()
	l := m.live
	m.mu.Unlock()
	if l.MachineID == "" {
		v := m.Snapshot()
		// from the snapshot only: level and cfg belong to the machine's goroutine
		l = wire.Live{MachineID: v.Machine, Time: m.now(), State: v.State, Progress: v.Progress, Sensor: string(v.Sensor),
			LevelDBFS: v.LevelDBFS, Score: v.Score, Smoothed: v.Smoothed, Threshold: v.Threshold, OpenEvent: v.OpenEvent}
	}
	l.Spectrum = append([]float32(nil), l.Spectrum...)
	return l
}

// do runs fn on the machine's goroutine, which owns the detector, and waits for it.
func (m *machine) do(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	select {
	case m.cmds <- func() { fn(); close(ran) }:
	case <-m.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	<-ran
	return nil
}

// window handles one complete analysis window.
func (m *machine) window(t time.Time, vec []float64, out sinks) {
	// A window is not the machine's sound if a frame of it holds a sensor fault, or the
	// sensor monitor judged the sensor at fault anywhere in it (silence confirmed, clipping
	// between stray clipped samples, the seconds of recovery after a fault).
	fc := m.chain.Config()
	span := uint64((fc.Window-1)*fc.DSP.Hop + fc.DSP.FrameSize)
	if m.chain.Flagged() > 0 || m.faults.Faulty(m.winEnd-min(m.winEnd, span), m.winEnd) {
		m.excludedWindow(t, out)
		return
	}
	if m.excluded { // the first window clear of a sensor fault: evidence starts afresh
		m.excluded = false
		m.det.Gap()
	}
	feat := m.sum.take()
	res := m.det.Push(t, vec)
	if !m.arrived.IsZero() {
		m.latency.Observe(m.now().Sub(m.arrived).Seconds())
	}
	if res.Err != nil {
		m.log.Warn("fit failed; still learning", "err", res.Err)
	}
	state := res.State.String()
	anomalous := res.InEvent
	if anomalous {
		state = "anomaly"
	}
	if res.Learned {
		m.saveModel(out)
	}
	// The decision score people see (and rules read) is the persistent level: the line
	// crosses the threshold exactly when an event opens.
	res.Smoothed = res.Level
	stored := res.State.String()
	if res.Learned {
		stored = detect.StateLearning.String() // the window that completed learning was learned from, not scored
	}
	sc := store.Score{MachineID: m.cfg.ID, Time: t, Score: res.Score, Smoothed: res.Smoothed,
		Threshold: res.Threshold, State: stored, Anomalous: anomalous,
		LevelDBFS: feat.DBFS(), Features: feat.storeFeatures()}
	if err := out.batch.Add(sc); err != nil {
		m.log.Error("queue score", "err", err)
	}
	m.recordHealth(t, feat, res, out)
	// The verdict of the fault classifier on an event that opens now (nil without one), so
	// that the alert the window may fire carries it from its first notification.
	var verdict *store.Diagnosis
	if res.Opened != nil {
		verdict = m.diagnose()
	}
	if out.alerts != nil {
		health, _ := m.health.State()
		vals := map[string]float64{alert.MetricLevelDBFS: feat.DBFS()}
		if res.State == detect.StateMonitoring && res.Threshold > 0 {
			vals[alert.MetricScore], vals[alert.MetricThreshold] = res.Score, res.Threshold
			vals[alert.MetricAnomalyScore] = res.Smoothed / res.Threshold
		}
		o := alert.Observation{Time: t, Machine: m.cfg.ID, Line: m.cfg.Line, Sensor: m.sensorID,
			SensorState: string(health), Values: vals}
		if d := verdict; d != nil || (m.event.ID != 0 && m.event.Diagnosis != nil) {
			if d == nil {
				d = m.event.Diagnosis
			}
			o.Diagnosis = &alert.Diagnosis{Label: d.Label, Confidence: d.Confidence}
		}
		out.observe(o)
	}
	if out.corr != nil {
		w := correlate.Window{Machine: m.cfg.ID, Time: t, Listening: res.State == detect.StateMonitoring && res.Threshold > 0,
			Anomalous: anomalous, LevelDBFS: feat.DBFS()}
		if w.Listening {
			w.Score = res.Smoothed / res.Threshold
		}
		out.corr.window(w)
	}
	ctx := context.Background()
	m.mu.Lock()
	v := &m.view
	v.State, v.Progress, v.Score, v.Smoothed, v.Threshold = state, res.Progress, res.Score, res.Smoothed, res.Threshold
	v.LevelDBFS, v.WindowTime = feat.DBFS(), t
	if res.State != detect.StateLearning {
		v.History = append(v.History, res.Smoothed)
		if len(v.History) > historyLen {
			v.History = v.History[len(v.History)-historyLen:]
		}
	}
	openID := v.OpenEvent
	m.mu.Unlock()

	if ev := res.Opened; ev != nil {
		snap, _ := json.Marshal(map[string]any{"features": feat.storeFeatures(), "level_dbfs": feat.DBFS(), "vector": ev.Snapshot})
		// the id is reserved at once: the event and its clip exist even while the database
		// cannot be written, and the event log writes it as soon as it can
		id := m.events.reserve()
		m.event = store.Event{ID: id, MachineID: m.cfg.ID, Start: ev.Start, PeakScore: ev.Peak,
			Threshold: res.Threshold, Snapshot: snap, Diagnosis: verdict}
		m.events.save(ctx, m.event)
		m.log.Warn("anomaly", "event", id, "score", res.Smoothed, "threshold", res.Threshold)
		if d := m.event.Diagnosis; d != nil {
			m.log.Info("diagnosis", "event", id, "fault", d.Label, "confidence", d.Confidence, "model", d.Model)
		}
		if m.rec != nil {
			m.rec.Open(id, m.streamPos(ev.Start, t))
		}
		m.mu.Lock()
		m.view.OpenEvent, m.view.Events, m.view.LastEvent, m.view.LastPeak = id, m.view.Events+1, ev.Start, ev.Peak
		m.mu.Unlock()
		openID = id
	}
	if openID != 0 && res.InEvent && res.Opened == nil && res.Smoothed > m.view.LastPeak {
		m.mu.Lock()
		m.view.LastPeak = res.Smoothed
		m.mu.Unlock()
		if m.event.ID == openID {
			m.event.PeakScore = max(m.event.PeakScore, res.Smoothed)
			m.events.save(ctx, m.event)
		}
	}
	m.explain(out.corr)
	if now := m.now(); now.Sub(m.lastLive) >= liveEvery/10 {
		// a new score goes out at once rather than at the next tick
		m.lastLive = now
		m.publish(now)
	} else {
		m.scored = true // published on the next pass of the run loop (fast replays stay bounded)
	}
	if ev := res.Closed; ev != nil && openID != 0 {
		if m.event.ID == openID {
			m.event.End, m.event.PeakScore = ev.End, max(m.event.PeakScore, ev.Peak)
			m.events.save(ctx, m.event)
			m.lastEvent, m.event = m.event, store.Event{}
		}
		m.log.Info("anomaly over", "event", openID, "peak", ev.Peak)
		if m.rec != nil {
			m.rec.End(m.streamPos(ev.End, t))
		}
		m.mu.Lock()
		m.view.OpenEvent, m.view.LastPeak = 0, ev.Peak
		m.mu.Unlock()
	}
}

// excludedWindow handles a window a sensor fault touched: it is neither scored nor learned
// from, and its evidence does not combine with the windows around it; the alert engine
// still hears the sensor's state and level (a sensor alert, never a machine alarm).
func (m *machine) excludedWindow(t time.Time, out sinks) {
	feat := m.sum.take()
	if !m.excluded {
		m.excluded = true
		m.det.Gap()
	}
	if out.alerts != nil {
		health, _ := m.health.State()
		out.observe(alert.Observation{Time: t, Machine: m.cfg.ID, Line: m.cfg.Line, Sensor: m.sensorID,
			SensorState: string(health), Values: map[string]float64{alert.MetricLevelDBFS: feat.DBFS()}})
	}
	if out.corr != nil { // heard, but not listening: no evidence either way
		out.corr.window(correlate.Window{Machine: m.cfg.ID, Time: t, LevelDBFS: feat.DBFS()})
	}
	m.mu.Lock()
	m.view.LevelDBFS, m.view.WindowTime = feat.DBFS(), t
	m.mu.Unlock()
	m.scored = true
}

// streamPos returns the stream position of time at, no later than the end of the current
// window (whose time is winTime): events start and end at earlier windows than the one that
// opens or closes them (the detector waits for a few windows in a row).
func (m *machine) streamPos(at, winTime time.Time) uint64 {
	back := max(winTime.Sub(at).Seconds(), 0) * float64(m.rate)
	return m.winEnd - min(m.winEnd, uint64(math.Round(back)))
}

func (m *machine) saveModel(out sinks) {
	blob, err := m.det.MarshalBinary()
	if err != nil {
		m.log.Error("encode model", "err", err)
		return
	}
	note := "learned"
	if m.note != "" {
		note, m.note = "learned: "+m.note, ""
	}
	v, err := out.db.SaveModel(context.Background(), m.cfg.ID, m.cfg.Detection.Model, m.det.Threshold(), blob, note)
	if err != nil {
		m.log.Error("save model", "err", err)
		return
	}
	m.setModel(v)
	m.log.Info("model learned", "version", v, "threshold", m.det.Threshold())
	if m.tape != nil { // learning is over: the last piece of its sound goes to the dataset
		m.tape.feed(false, time.Time{}, nil)
		if n := m.tape.Dropped(); n > 0 {
			m.log.Warn("pieces of the learning sound were not kept for the dataset: the disk was too slow or full", "pieces", n)
		}
	}
	if out.onModel != nil {
		out.onModel(m.cfg.ID)
	}
}

// setConfig takes new settings that need no rebuild (name, kind, line, sensitivity).
func (m *machine) setConfig(c config.Machine) {
	m.mu.Lock()
	m.cfg, m.view.Name = c, c.Name
	m.mu.Unlock()
}

// retune changes a monitoring machine's sensitivity and smoothing and saves the retuned
// model as a new version, so a restart keeps it.
func (m *machine) retune(ctx context.Context, db *store.DB, c config.Machine) error {
	if err := m.det.Reconfigure(detectorConfig(c, m.rate)); err != nil {
		return err
	}
	blob, err := m.det.MarshalBinary()
	if err != nil {
		return err
	}
	v, err := db.SaveModel(ctx, m.cfg.ID, c.Detection.Model, m.det.Threshold(), blob,
		fmt.Sprintf("retuned: quantile %g, smoothing %d, persistence %v", c.Detection.Quantile, c.Detection.Smoothing, c.Detection.Profile().Persistence))
	if err != nil {
		return err
	}
	m.setModel(v)
	m.log.Info("model retuned", "version", v, "threshold", m.det.Threshold())
	return nil
}

// modelCheckEvery is how often a machine looks for a newer active model saved by another
// process (signalcraftd adapt) or an earlier version re-activated.
const modelCheckEvery = 3 * time.Second

// reloadModel swaps in the active model when it is not the one the detector holds.
func (m *machine) reloadModel(ctx context.Context, db *store.DB) {
	if m.model == 0 {
		return // learning: the next saved model is ours
	}
	saved, err := db.ActiveModel(ctx, m.cfg.ID)
	if err != nil || saved.Version == m.model {
		return
	}
	d, err := detect.Restore(saved.Blob)
	if err != nil {
		m.log.Error("load new active model", "version", saved.Version, "err", err)
		m.setModel(saved.Version) // do not retry a broken blob every few seconds
		return
	}
	// The new model judges afresh: an event open under the old one ends here, and one the
	// new model was saved in is not ours — the detector and the store must agree that no
	// event is open, or the store would refuse the next one.
	d.DropEvent()
	if m.rec != nil && m.view.OpenEvent != 0 {
		m.rec.End(m.winEnd)
	}
	m.closeOpenEvent(ctx, m.now())
	m.det = d
	m.setModel(saved.Version)
	m.log.Info("model changed", "version", saved.Version, "note", saved.Note, "conditions", d.Conditions())
}

// closeOpenEvent ends an event still open at shutdown or relearning, so the history has no
// dangling events. It ends at the last analysed window — in the sound's time, which a
// recording replayed faster than real time runs ahead of the wall clock — or at the given
// time when no window has been analysed.
// It runs on the machine's goroutine, or once that has ended.
func (m *machine) closeOpenEvent(ctx context.Context, at time.Time) {
	m.mu.Lock()
	id, peak := m.view.OpenEvent, m.view.LastPeak
	if !m.view.WindowTime.IsZero() {
		at = m.view.WindowTime
	}
	m.view.OpenEvent = 0
	m.mu.Unlock()
	if id == 0 || m.event.ID != id {
		return
	}
	m.event.End, m.event.PeakScore = at, max(m.event.PeakScore, peak)
	m.events.save(ctx, m.event)
	m.event = store.Event{}
}

// summary accumulates the scalar features of the frames of one window.
type summary struct {
	n                                                   int
	ms, peak, crest, kurt, centroid, flat, zcr, rolloff float64
}

func (s *summary) add(f *dsp.Frame) {
	s.n++
	s.ms += f.RMS * f.RMS
	s.peak = max(s.peak, f.Peak)
	s.crest += f.Crest
	s.kurt += f.Kurtosis
	s.centroid += f.Centroid
	s.flat += f.Flatness
	s.zcr += f.ZCR
	s.rolloff += f.Rolloff
}

// take returns the window's averages and resets the accumulator.
func (s *summary) take() summary {
	r := *s
	*s = summary{}
	if r.n > 0 {
		n := float64(r.n)
		r.ms /= n
		r.crest /= n
		r.kurt /= n
		r.centroid /= n
		r.flat /= n
		r.zcr /= n
		r.rolloff /= n
	}
	return r
}

func (s summary) DBFS() float64 { return sensor.DBFS(math.Sqrt(s.ms)) }

func (s summary) storeFeatures() *store.Features {
	return &store.Features{RMS: math.Sqrt(s.ms), Peak: s.peak, Crest: s.crest, Kurtosis: s.kurt,
		Centroid: s.centroid, Flatness: s.flat, ZCR: s.zcr, Rolloff: s.rolloff}
}
