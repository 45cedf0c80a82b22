package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/dataset"
	"signalcraft/core/detect"
	"signalcraft/core/jobs"
	"signalcraft/core/mlops"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// The learning loop (docs/mlo_pipeline.md): the sound a machine learned from and the clips
// of labelled events become dataset items; triggers start train jobs; a train job snapshots
// the machine's dataset as a version, trains a challenger on its training part, measures
// champion and challenger on its held-back part and promotes the challenger only through
// mlops.Gate. A promoted model reaches the running machine through reloadModel.

// JobTrain is the job kind of a retraining.
const JobTrain = "train"

// trainPayload is a train job's payload.
type trainPayload struct {
	Machine string `json:"machine"`
	Trigger string `json:"trigger"` // labels, false_alarms, drift, schedule, manual
}

type learnLoop struct {
	m       *Main
	cfg     config.Retraining
	objects dataset.Objects
	log     *slog.Logger
	tape    chan tapeMsg

	mu      sync.Mutex
	deciles map[string]decileCache // per machine: the champion's training score deciles
	missing map[string]bool        // clips of labelled events found gone (warned about once)
}

type decileCache struct {
	version int64
	edges   []float64
}

// setupLearning registers the train jobs. New calls it after the alerting (which owns the
// job queue) and before the machines.
func (m *Main) setupLearning() error {
	rc := m.cfg.Retraining
	if !rc.Enabled {
		return nil
	}
	l := &learnLoop{m: m, cfg: rc, objects: m.objects.o, log: m.log.With("component", "learning"),
		tape: make(chan tapeMsg, tapeBacklog), deciles: map[string]decileCache{}, missing: map[string]bool{}}
	m.learning = l
	// One training at a time: it is bounded to cfg.CPUShare of a core, and two would double it.
	wc := jobs.WorkerConfig{Concurrency: 1, Lease: 30 * time.Minute, MaxAttempts: 3,
		Backoff: jobs.Backoff{Base: 5 * time.Second, Max: time.Hour, Jitter: 0.2}}
	m.alerts.queue.Handle(JobTrain, m.o.Metrics.JobHandler(JobTrain, l.train), wc)
	m.alerts.queue.Handle(JobTrainDiagnosis, m.o.Metrics.JobHandler(JobTrainDiagnosis, l.trainDiagnosis), wc)
	return nil
}

// run writes the learning sound the machines hand over and checks the triggers until ctx
// ends.
func (l *learnLoop) run(ctx context.Context) {
	tick := time.NewTicker(l.cfg.CheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for { // what the machines handed over before the stop is kept
				select {
				case msg := <-l.tape:
					l.keep(context.WithoutCancel(ctx), msg)
				default:
					return
				}
			}
		case msg := <-l.tape:
			l.keep(ctx, msg)
		case <-tick.C:
			l.check(ctx)
		}
	}
}

// tapeBacklog bounds the pieces of learning sound waiting to be written (all machines): 16
// pieces of 30 s at 48 kHz are 92 MB. A piece beyond it is dropped and counted.
const tapeBacklog = 16

// tapeMsg is a piece of a machine's learning sound, or (reset) the start of a new learning
// period, whose earlier learning sound no longer describes the machine.
type tapeMsg struct {
	machine string
	reset   bool
	start   time.Time
	rate    int
	samples []float32
}

// learningSource is the dataset source of a piece of learning sound.
func learningSource(start time.Time) string { return fmt.Sprintf("learning:%d", start.UnixMilli()) }

// keep stores a piece of learning sound as a normal item of the machine's dataset.
func (l *learnLoop) keep(ctx context.Context, msg tapeMsg) {
	if msg.reset {
		items, err := l.m.db.DatasetItems(ctx, msg.machine)
		if err != nil {
			l.log.Error("relearning: list dataset items", "machine", msg.machine, "err", err)
			return
		}
		for _, it := range items {
			if strings.HasPrefix(it.Source, "learning:") {
				if err := l.m.db.DeleteDatasetItem(ctx, msg.machine, it.Source); err != nil {
					l.log.Error("relearning: drop old learning sound", "machine", msg.machine, "err", err)
				}
			}
		}
		return
	}
	var b bytes.Buffer
	if err := wav.Encode(&b, msg.rate, [][]float32{msg.samples}); err != nil {
		l.log.Error("encode learning sound", "machine", msg.machine, "err", err)
		return
	}
	sha, _, err := l.objects.Put(&b)
	if err != nil {
		l.log.Error("keep learning sound", "machine", msg.machine, "err", err)
		return
	}
	if err := l.m.queueObjects(ctx, sha); err != nil {
		l.log.Warn("queue the upload of learning sound", "machine", msg.machine, "err", err)
	}
	it := dataset.Item{SHA256: sha, Machine: msg.machine, Label: dataset.Normal, Start: msg.start.UTC().Truncate(time.Millisecond),
		Seconds: float64(len(msg.samples)) / float64(msg.rate), Source: learningSource(msg.start)}
	if err := l.m.db.PutDatasetItem(ctx, it); err != nil {
		l.log.Error("record learning sound", "machine", msg.machine, "err", err)
	}
}

// learnTape cuts a learning machine's sound into pieces for the learning loop. It runs on
// the machine's goroutine and never blocks it: a piece the loop has no room for is dropped
// and counted.
type learnTape struct {
	machine string
	rate    int
	chunk   int // samples per piece
	out     chan<- tapeMsg
	buf     []float32
	start   time.Time
	active  bool
	dropped int
}

func newLearnTape(machine string, rate int, chunk time.Duration, out chan<- tapeMsg) *learnTape {
	n := int(chunk.Seconds() * float64(rate))
	return &learnTape{machine: machine, rate: rate, chunk: n, out: out}
}

// feed hands over the samples of a block heard at t while the machine is learning.
// Learning that starts afresh (relearn) first tells the loop to forget the old sound.
func (t *learnTape) feed(learning bool, at time.Time, x []float32) {
	if !learning {
		t.flush(5 * t.rate) // the end of learning: keep a last piece of 5 s or more
		t.active = false
		return
	}
	if !t.active {
		t.active = true
		t.send(tapeMsg{machine: t.machine, reset: true})
	}
	for len(x) > 0 {
		if len(t.buf) == 0 {
			t.start = at
		}
		n := min(len(x), t.chunk-len(t.buf))
		t.buf = append(t.buf, x[:n]...)
		x = x[n:]
		at = at.Add(time.Duration(float64(n) / float64(t.rate) * float64(time.Second)))
		if len(t.buf) == t.chunk {
			t.flush(0)
		}
	}
}

func (t *learnTape) flush(least int) {
	if len(t.buf) > 0 && len(t.buf) >= least {
		t.send(tapeMsg{machine: t.machine, start: t.start, rate: t.rate, samples: t.buf})
		t.buf = make([]float32, 0, t.chunk)
	}
	t.buf = t.buf[:0]
}

// Dropped returns how many pieces of learning sound were dropped for want of room.
func (t *learnTape) Dropped() int { return t.dropped }

func (t *learnTape) send(msg tapeMsg) {
	select {
	case t.out <- msg:
	default:
		t.dropped++
	}
}

// Retrain enqueues a train job for a machine now (trigger "manual" from an admin, or a
// trigger's name), and a train_diagnosis job when the machine has a fault classifier
// configured and its dataset holds labelled faults. The jobs' keys are the machine's dataset
// content: the same data is never trained on twice. It returns the train job.
func (l *learnLoop) Retrain(ctx context.Context, machine, trigger string) (int64, bool, error) {
	items, err := l.usableItems(ctx, machine)
	if err != nil {
		return 0, false, err
	}
	man := dataset.New(machine, items, l.cfg.TestFraction)
	payload, _ := json.Marshal(trainPayload{Machine: machine, Trigger: trigger})
	id, created, err := l.m.alerts.queue.Enqueue(ctx, jobs.Job{Kind: JobTrain, Key: "train:" + machine + ":" + man.ID(), Payload: payload})
	if err != nil {
		return id, created, err
	}
	if _, mc := l.m.machine(machine); mc.Diagnosis.Enabled() && man.Counts().Faults > 0 {
		_, _, err = l.m.alerts.queue.Enqueue(ctx, jobs.Job{Kind: JobTrainDiagnosis, Key: "diagnose:" + machine + ":" + man.ID(), Payload: payload})
	}
	return id, created, err
}

// usableItems is a machine's working set with every item's sound in the object store: the
// clips of labelled events are linked in from the clips library first; an item whose sound
// is gone (a clip pruned before it was linked) is left out.
func (l *learnLoop) usableItems(ctx context.Context, machine string) ([]dataset.Item, error) {
	items, err := l.m.db.DatasetItems(ctx, machine)
	if err != nil {
		return nil, err
	}
	out := items[:0]
	for _, it := range items {
		if !l.objects.Has(it.SHA256) && strings.HasPrefix(it.Source, "event:") {
			l.linkClip(ctx, it)
		}
		if l.objects.Has(it.SHA256) {
			out = append(out, it)
		}
	}
	return out, nil
}

func (l *learnLoop) linkClip(ctx context.Context, it dataset.Item) {
	if l.m.clips == nil {
		return
	}
	var id int64
	if _, err := fmt.Sscanf(it.Source, "event:%d", &id); err != nil {
		return
	}
	c, err := l.m.db.ClipOfEvent(ctx, id)
	if err == nil {
		err = l.m.StoreClipObject(ctx, l.m.clips.Path(c), c.SHA256)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil && !l.missing[it.Source] { // triggers look every minute: say it once
		l.missing[it.Source] = true
		l.log.Warn("a labelled event's clip is gone: its sound is left out of the dataset", "machine", it.Machine, "event", id, "err", err)
	}
}

// check looks at every machine's triggers and enqueues a train job when one holds.
func (l *learnLoop) check(ctx context.Context) {
	now := l.m.o.Now()
	l.m.mu.Lock()
	ids := make([]string, len(l.m.cfg.Machines))
	for i, mc := range l.m.cfg.Machines {
		ids[i] = mc.ID
	}
	l.m.mu.Unlock()
	for _, id := range ids {
		trigger, err := l.trigger(ctx, id, now)
		if err != nil {
			l.log.Warn("retraining triggers", "machine", id, "err", err)
			continue
		}
		if trigger == "" {
			continue
		}
		jobID, created, err := l.Retrain(ctx, id, trigger)
		switch {
		case err != nil:
			l.log.Error("enqueue retraining", "machine", id, "trigger", trigger, "err", err)
		case created:
			l.log.Info("retraining queued", "machine", id, "trigger", trigger, "job", jobID)
		}
	}
}

// trigger returns the first trigger that holds for a monitoring machine, "" if none.
func (l *learnLoop) trigger(ctx context.Context, id string, now time.Time) (string, error) {
	models, err := l.m.db.Models(ctx, id)
	if err != nil || len(models) == 0 {
		return "", err // learning: nothing to retrain yet
	}
	last := models[0].CreatedAt // the newest model of any stage: the last training
	if n := l.cfg.Labels; n > 0 {
		labels, err := l.m.db.LabelsSince(ctx, id, last)
		if err != nil {
			return "", err
		}
		if labels >= n {
			return "labels", nil
		}
	}
	if n := l.cfg.FalseAlarmsPerDay; n > 0 {
		items, err := l.m.db.DatasetItems(ctx, id)
		if err != nil {
			return "", err
		}
		fa := 0
		for _, it := range items {
			if it.Label == dataset.Normal && strings.HasPrefix(it.Source, "event:") && it.Start.After(now.Add(-24*time.Hour)) {
				fa++
			}
		}
		if fa >= n {
			return "false_alarms", nil
		}
	}
	if psi, ok := l.drift(ctx, id, now); ok && l.cfg.DriftPSI > 0 && psi > l.cfg.DriftPSI {
		return "drift", nil
	}
	if l.cfg.Every > 0 && now.Sub(last) >= l.cfg.Every {
		return "schedule", nil
	}
	return "", nil
}

// drift measures the PSI of the machine's window scores of the last hour against its
// champion's training scores, and exports it.
func (l *learnLoop) drift(ctx context.Context, machine string, now time.Time) (float64, bool) {
	champ, err := l.m.db.ActiveModel(ctx, machine)
	if err != nil {
		return 0, false
	}
	l.mu.Lock()
	c := l.deciles[machine]
	l.mu.Unlock()
	if c.version != champ.Version {
		d, err := detect.Restore(champ.Blob)
		if err != nil {
			return 0, false
		}
		c = decileCache{version: champ.Version, edges: d.ScoreDeciles()}
		l.mu.Lock()
		l.deciles[machine] = c
		l.mu.Unlock()
	}
	scores, err := l.m.db.Scores(ctx, machine, now.Add(-time.Hour), now, 20000)
	if err != nil {
		return 0, false
	}
	var recent []float64
	for _, s := range scores {
		if s.State == detect.StateMonitoring.String() {
			recent = append(recent, s.Score)
		}
	}
	if len(recent) < 100 {
		return 0, false
	}
	psi := mlops.PSI(c.edges, recent)
	l.m.o.Metrics.SetDrift(machine, psi)
	return psi, true
}

// train is the train job: dataset version, challenger, comparison, promotion or not.
func (l *learnLoop) train(ctx context.Context, j jobs.Job) error {
	var p trainPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(fmt.Errorf("train job %d: payload: %w", j.ID, err))
	}
	mm, mc := l.m.machine(p.Machine)
	if mm == nil {
		return jobs.Permanent(fmt.Errorf("train job %d: machine %q is not configured", j.ID, p.Machine))
	}
	outcome, busy, err := l.trainMachine(ctx, j, p, mm.rate, mc)
	if err != nil {
		outcome = OutcomeFailed
	}
	l.m.o.Metrics.Trained(p.Machine, store.TaskDetect, p.Trigger, outcome, busy)
	return err
}

func (l *learnLoop) trainMachine(ctx context.Context, j jobs.Job, p trainPayload, rate int, mc config.Machine) (outcome string, busy time.Duration, err error) {
	log := l.log.With("machine", p.Machine, "job", j.ID, "trigger", p.Trigger)
	items, err := l.usableItems(ctx, p.Machine)
	if err != nil {
		return "", 0, err
	}
	man := dataset.New(p.Machine, items, l.cfg.TestFraction)
	ver, _, err := l.m.db.SaveDatasetVersion(ctx, man, "retraining: "+p.Trigger)
	if err != nil {
		return "", 0, err
	}
	champ, err := l.m.db.ActiveModel(ctx, p.Machine)
	if err != nil {
		return "", 0, jobs.Permanent(fmt.Errorf("no champion to compare with: %w", err))
	}
	dc := detectorConfig(mc, rate)
	champDet, err := detect.Restore(champ.Blob)
	if err == nil {
		err = sameFeatures(champDet, *dc.Features)
	}
	if err == nil {
		err = champDet.Reconfigure(dc)
	}
	if err != nil {
		return "", 0, jobs.Permanent(fmt.Errorf("champion model %d: %w", champ.Version, err))
	}
	clips := func(label, split string) []mlops.Clip {
		var out []mlops.Clip
		for _, it := range man.Select(label, split) {
			out = append(out, mlops.Clip{Path: l.objects.Path(it.SHA256), Label: it.Label, Fault: it.Label != dataset.Normal})
		}
		return out
	}
	mach := mlops.Machine{Profile: mc.Detection.Profile(), Rate: rate}
	th := mlops.NewThrottle(l.cfg.CPUShare)
	start := time.Now()
	res, err := mlops.Train(ctx, mach, dc, clips(dataset.Normal, dataset.Train), th)
	if err != nil {
		return "", th.Busy, err
	}
	test := clips("", dataset.Test)
	champM, err := mlops.Evaluate(ctx, mach, champDet, test, th)
	if err != nil {
		return "", th.Busy, err
	}
	chalM, err := mlops.Evaluate(ctx, mach, res.Detector, test, th)
	if err != nil {
		return "", th.Busy, err
	}
	promote, reason := mlops.Gate(champM, chalM)
	blob, err := res.Detector.MarshalBinary()
	if err != nil {
		return "", th.Busy, err
	}
	params, _ := json.Marshal(struct {
		Detector detect.DetectorConfig `json:"detector"`
		Profile  string                `json:"profile"`
		Trigger  string                `json:"trigger"`
		Windows  int                   `json:"windows"`
	}{dc, mach.Profile.String(), p.Trigger, res.Windows})
	info := store.ModelInfo{Dataset: ver.ID, CodeVersion: l.m.o.Version, Params: params,
		Metrics: storeMetrics(chalM, ver.ID), TrainedFor: time.Since(start)}
	v, err := l.m.db.SaveCandidate(ctx, p.Machine, mc.Detection.Model, res.Detector.Threshold(), blob, info, fmt.Sprintf("job:%d", j.ID))
	if err != nil {
		return "", th.Busy, err
	}
	// A job run again after a crash finds the candidate its first run saved (same key): if
	// that run already decided, the decision stands.
	if saved, err := l.m.db.Model(ctx, p.Machine, v); err == nil && v != champ.Version {
		switch {
		case saved.Stage == store.StageChampion:
			return "promoted", th.Busy, nil
		case saved.Stage == store.StageCandidate && saved.Reason != "":
			return "rejected", th.Busy, nil
		}
	} else if v == champ.Version { // promoted before the crash, and the champion since
		return "promoted", th.Busy, nil
	}
	if err := l.m.db.SetModelMetrics(ctx, p.Machine, champ.Version, *storeMetrics(champM, ver.ID)); err != nil {
		log.Warn("record the champion's metrics", "err", err)
	}
	log.Info("challenger trained", "version", v, "dataset", ver.ID[:12], "windows", res.Windows,
		"champion", champ.Version, "promote", promote, "reason", reason, "busy", th.Busy.Round(time.Millisecond),
		"took", time.Since(start).Round(time.Millisecond))
	if !promote {
		if err := l.m.db.RejectCandidate(ctx, p.Machine, v, reason); err != nil {
			return "", th.Busy, err
		}
		return "rejected", th.Busy, nil
	}
	err = l.m.db.Promote(ctx, p.Machine, v, reason, store.AuditEntry{Time: l.m.o.Now(), Actor: "retraining",
		Action: "model.promote", Target: fmt.Sprintf("model/%s/%d", p.Machine, v), Detail: reason})
	if err != nil {
		return "", th.Busy, err
	}
	return "promoted", th.Busy, nil
}

func storeMetrics(m mlops.Metrics, dataset string) *store.ModelMetrics {
	return &store.ModelMetrics{TestDataset: dataset, NormalHours: m.NormalHours, FalseAlarms: m.FalseAlarms,
		FalseAlarmsPerHour: m.FalseAlarmsPerHour, Faults: m.Faults, Detected: m.Detected, Recall: m.Recall}
}

// machine returns the running machine with the given id and its configuration, or nil.
func (m *Main) machine(id string) (*machine, config.Machine) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, mc := range m.cfg.Machines {
		if mc.ID == id && i < len(m.machines) {
			return m.machines[i], mc
		}
	}
	return nil, config.Machine{}
}
