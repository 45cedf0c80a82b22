package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/dataset"
	"signalcraft/core/diagnose"
	"signalcraft/core/jobs"
	"signalcraft/core/mlops"
	"signalcraft/core/store"
)

// JobTrainDiagnosis is the job kind of a fault classifier's retraining: the same dataset
// version as the normal model's, its labelled items, mlops.TrainDiagnosis and its gate.
const JobTrainDiagnosis = "train_diagnosis"

// Outcomes of a training (signalcraft_training_runs_total's outcome label).
const (
	OutcomePromoted = "promoted"
	OutcomeRejected = "rejected"
	OutcomeSkipped  = "skipped" // nothing to train: a fault classifier needs two labels
	OutcomeFailed   = "failed"
)

// DiagnosisTraining is a fault classifier's training on a dataset version, as the learning
// loop's job and `signalcraftd dataset diagnose` run it.
type DiagnosisTraining struct {
	DB       *store.DB
	Objects  dataset.Objects
	Machine  config.Machine // its Diagnosis gives the shaft speed and the classifier
	Rate     int            // the sensor's sample rate: the items' rate
	Seed     uint64
	Throttle *mlops.Throttle
	Key      string // idempotency key of the candidate ("" none)
	Actor    string // who promotes, for the audit log
	Trigger  string
	Code     string // software version
	Now      func() time.Time
	Log      *slog.Logger
}

// Run trains a challenger on the version's training items, measures it and the champion on
// its held-back items, saves it as a candidate and promotes or rejects it through
// mlops.GateDiagnosis. It returns the outcome and the candidate's version (0 when skipped).
func (t DiagnosisTraining) Run(ctx context.Context, man dataset.Manifest, ver store.DatasetVersion) (string, int64, error) {
	mc := t.Machine
	if !mc.Diagnosis.Enabled() {
		return "", 0, fmt.Errorf("machine %q: no shaft speed configured (diagnosis.shaft_rpm)", mc.ID)
	}
	fe := diagnose.FrontEnd{Rate: t.Rate, ShaftHz: mc.Diagnosis.ShaftRPM / 60, Orders: mc.Diagnosis.Orders()}
	if err := fe.Validate(); err != nil {
		return "", 0, fmt.Errorf("machine %q: %w", mc.ID, err)
	}
	clips := func(split string) []mlops.Clip {
		var out []mlops.Clip
		for _, it := range man.Select("", split) {
			c := mlops.Clip{Path: t.Objects.Path(it.SHA256), Label: it.Label, Fault: it.Label != dataset.Normal}
			if c.Fault {
				c.From, c.To = t.eventSpan(ctx, it, fe)
			}
			out = append(out, c)
		}
		return out
	}
	var champ *diagnose.Model
	saved, err := t.DB.ActiveModelFor(ctx, mc.ID, store.TaskDiagnose)
	switch {
	case err == nil:
		if champ, err = diagnose.Unmarshal(saved.Blob); err != nil {
			t.Log.Warn("the champion fault classifier does not load; judging the challenger alone", "version", saved.Version, "err", err)
			champ = nil
		}
	case !errors.Is(err, store.ErrNotFound):
		return "", 0, err
	}
	start := time.Now()
	run, err := mlops.TrainDiagnosis(ctx, fe, clips(dataset.Train), clips(dataset.Test), champ,
		diagnose.Options{Kind: mc.Diagnosis.Model, Seed: t.Seed, Workers: 1}, t.Throttle)
	if errors.Is(err, mlops.ErrTooFewLabels) {
		t.Log.Info("no fault classifier trained", "reason", err)
		return OutcomeSkipped, 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	blob, err := run.Model.MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	params, _ := json.Marshal(struct {
		ShaftRPM float64  `json:"shaft_rpm"`
		Window   string   `json:"window"`
		Classes  []string `json:"classes"`
		Windows  int      `json:"windows"`
		Seed     uint64   `json:"seed"`
		Trigger  string   `json:"trigger,omitempty"`
	}{mc.Diagnosis.ShaftRPM, time.Duration(fe.Samples() * int(time.Second) / fe.Rate).String(), run.Model.Classes(),
		run.TrainWindows, t.Seed, t.Trigger})
	info := store.ModelInfo{Task: store.TaskDiagnose, Dataset: ver.ID, CodeVersion: t.Code, Params: params,
		Metrics: classMetrics(run.Metrics, ver.ID), TrainedFor: time.Since(start)}
	v, err := t.DB.SaveCandidate(ctx, mc.ID, run.Model.Kind, run.Model.MinConfidence, blob, info, t.Key)
	if err != nil {
		return "", 0, err
	}
	// A job run again after a crash finds the candidate its first run saved (same key): if
	// that run already decided, the decision stands.
	if sm, err := t.DB.Model(ctx, mc.ID, v); err == nil {
		switch {
		case sm.Stage == store.StageChampion:
			return OutcomePromoted, v, nil
		case sm.Stage == store.StageRetired:
			return OutcomePromoted, v, nil // promoted, and replaced or rolled back since
		case sm.Reason != "":
			return OutcomeRejected, v, nil
		}
	}
	if run.Champion != nil {
		if err := t.DB.SetModelMetrics(ctx, mc.ID, saved.Version, *classMetrics(*run.Champion, ver.ID)); err != nil {
			t.Log.Warn("record the champion classifier's metrics", "err", err)
		}
	}
	t.Log.Info("challenger fault classifier trained", "version", v, "dataset", ver.ID[:12], "windows", run.TrainWindows,
		"classes", run.Model.Classes(), "promote", run.Promote, "reason", run.Reason, "took", time.Since(start).Round(time.Millisecond))
	if !run.Promote {
		return OutcomeRejected, v, t.DB.RejectCandidate(ctx, mc.ID, v, run.Reason)
	}
	err = t.DB.Promote(ctx, mc.ID, v, run.Reason, store.AuditEntry{Time: t.Now(), Actor: t.Actor,
		Action: "model.promote", Target: fmt.Sprintf("model/%s/%d", mc.ID, v), Detail: run.Reason})
	if err != nil {
		return "", v, err
	}
	return OutcomePromoted, v, nil
}

// eventSpan is the part of a labelled event's clip the fault was heard in: from the event's
// start to its end less the decision lag (an event ends a window and the persistence after
// the sound turned normal), at least one classifier window; the clip's pre-roll is normal
// sound and is left out. An item that is not an event's clip (an import) is all fault.
func (t DiagnosisTraining) eventSpan(ctx context.Context, it dataset.Item, fe diagnose.FrontEnd) (from, to time.Duration) {
	var id int64
	if _, err := fmt.Sscanf(it.Source, "event:%d", &id); err != nil {
		return 0, 0
	}
	e, err := t.DB.Event(ctx, id)
	if err != nil {
		return 0, 0
	}
	p := t.Machine.Detection.Profile()
	from = e.Start.Sub(it.Start)
	to = time.Duration(it.Seconds * float64(time.Second))
	if !e.End.IsZero() {
		to = min(to, e.End.Sub(it.Start)-p.Window-p.Persistence)
	}
	win := time.Duration(fe.Samples()) * time.Second / time.Duration(fe.Rate)
	return max(0, from), max(to, from+win)
}

func classMetrics(m mlops.ClassMetrics, dataset string) *store.ModelMetrics {
	return &store.ModelMetrics{TestDataset: dataset, Windows: m.Windows, Accuracy: &m.Accuracy, MacroF1: &m.MacroF1,
		Unknown: m.Unknown, Classes: m.Classes, Confusion: m.Confusion}
}

// trainDiagnosis is the train_diagnosis job.
func (l *learnLoop) trainDiagnosis(ctx context.Context, j jobs.Job) error {
	var p trainPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(fmt.Errorf("train_diagnosis job %d: payload: %w", j.ID, err))
	}
	mm, mc := l.m.machine(p.Machine)
	if mm == nil {
		return jobs.Permanent(fmt.Errorf("train_diagnosis job %d: machine %q is not configured", j.ID, p.Machine))
	}
	if !mc.Diagnosis.Enabled() {
		l.m.o.Metrics.Trained(p.Machine, store.TaskDiagnose, p.Trigger, OutcomeSkipped, 0)
		return nil // turned off since it was queued
	}
	th := mlops.NewThrottle(l.cfg.CPUShare)
	outcome, err := l.runDiagnosis(ctx, j, p, mm.rate, mc, th)
	if err != nil {
		outcome = OutcomeFailed
	}
	l.m.o.Metrics.Trained(p.Machine, store.TaskDiagnose, p.Trigger, outcome, th.Busy)
	return err
}

func (l *learnLoop) runDiagnosis(ctx context.Context, j jobs.Job, p trainPayload, rate int, mc config.Machine, th *mlops.Throttle) (string, error) {
	items, err := l.usableItems(ctx, p.Machine)
	if err != nil {
		return "", err
	}
	man := dataset.New(p.Machine, items, l.cfg.TestFraction)
	ver, _, err := l.m.db.SaveDatasetVersion(ctx, man, "retraining: "+p.Trigger)
	if err != nil {
		return "", err
	}
	t := DiagnosisTraining{DB: l.m.db, Objects: l.objects, Machine: mc, Rate: rate, Seed: 1, Throttle: th,
		Key: fmt.Sprintf("job:%d", j.ID), Actor: "retraining", Trigger: p.Trigger, Code: l.m.o.Version, Now: l.m.o.Now,
		Log: l.log.With("machine", p.Machine, "job", j.ID, "trigger", p.Trigger, "task", store.TaskDiagnose)}
	outcome, _, err := t.Run(ctx, man, ver)
	return outcome, err
}
