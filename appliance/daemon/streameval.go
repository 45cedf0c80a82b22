package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/alert"
	"signalcraft/core/eval"
	"signalcraft/core/store"
	"signalcraft/core/truth"
)

// StreamEval says what to replay and how.
type StreamEval struct {
	// WAV is the recording; Channel the channel the machine is heard on.
	WAV     string
	Channel int
	// Truth is the recording's ground truth; its learning interval is the learning period.
	Truth *truth.Truth
	// Base is the configuration whose machine (Machine) and alerting are evaluated: its
	// detection settings and alert rules, routes and inhibitions apply. Sources, storage,
	// the API, metrics, clips and replication are replaced: the replay runs on a private
	// database and delivers no notification to any receiver.
	Base    *config.Config
	Machine string
	// Realtime replays at the recording's own pace (minutes take minutes) instead of as
	// fast as possible on stream time; both must give the same alerts.
	Realtime bool
	// After is how long the stream clock runs on after the recording ends, so that alerts
	// still pending (for:, group_wait) are decided. Default 2 minutes.
	After time.Duration
	// DataDir keeps the replay's database there instead of a temporary folder.
	DataDir string
	Logger  *slog.Logger
}

// EvaluateStream replays a recording through the real daemon — WAV source, machine,
// detector, events, alert engine and notification queue — and returns what it did, in
// stream time from the recording's first sample. With Realtime false (the default) the
// daemon runs on the recording's time, so the figures are those of a live appliance that
// heard the same sound.
func EvaluateStream(ctx context.Context, se StreamEval) (*eval.StreamRun, error) {
	if se.Truth == nil {
		return nil, errors.New("stream evaluation: no ground truth")
	}
	if se.After == 0 {
		se.After = 2 * time.Minute
	}
	if se.Logger == nil {
		se.Logger = slog.New(slog.DiscardHandler)
	}
	dir := se.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "signalcraft-eval-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg, mc, err := streamConfig(se, dir)
	if err != nil {
		return nil, err
	}

	var mu sync.Mutex
	var alerts []alert.Alert
	var notes []alert.Notification
	hooks := alertHooks{noDelivery: true,
		onAlert: func(a alert.Alert) { mu.Lock(); alerts = append(alerts, a); mu.Unlock() },
		onNotifications: func(ns []alert.Notification) {
			mu.Lock()
			notes = append(notes, ns...)
			mu.Unlock()
		}}
	m, err := New(ctx, cfg, Options{Logger: se.Logger, hooks: hooks})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	select {
	case <-m.Ended():
	case err := <-done:
		return nil, fmt.Errorf("stream evaluation: the daemon stopped before the recording ended: %w", err)
	case <-ctx.Done():
		stop()
		<-done
		return nil, ctx.Err()
	}
	if err := m.Settle(ctx); err != nil {
		stop()
		<-done
		return nil, err
	}
	m.runOn(ctx, se.After)
	stop()
	if err := <-done; err != nil {
		return nil, err
	}

	// the time the recording's first sample was stamped with (the machine's sample clock
	// maps positions to times from the latest block)
	mm := m.machines[0]
	start := mm.clock.timeOf(0)
	run := &eval.StreamRun{Recording: se.WAV, Machine: mc.ID, Kind: mc.Kind, Profile: mc.Detection.Profile(), Learned: -1,
		Length: mm.clock.timeOf(mm.expect).Sub(start)}
	if err := readRun(ctx, cfg.DatabasePath(), mc, start, run); err != nil {
		return nil, err
	}
	if run.Learned < 0 {
		run.NotLearned = fmt.Sprintf("no window was scored after learning: the recording (%v) ended within the learning period (%v), or every window held a sensor fault",
			run.Length.Round(time.Millisecond), mc.Detection.Learning)
	}
	mu.Lock()
	defer mu.Unlock()
	run.Alerts = firedAlerts(alerts, start)
	for _, n := range notes {
		sn := eval.StreamNotification{At: n.Time.Sub(start), Kind: string(n.Kind)}
		for _, a := range n.Alerts {
			if a.Status == alert.StatusFiring {
				sn.Firing = append(sn.Firing, streamAlert(a, start))
			}
		}
		run.Notifications = append(run.Notifications, sn)
	}
	return run, nil
}

// streamConfig is the evaluated machine alone on a replay of the recording, with the base
// configuration's detection and alerting, on a private data folder, reachable by no one.
func streamConfig(se StreamEval, dir string) (*config.Config, config.Machine, error) {
	var mc config.Machine
	i := slices.IndexFunc(se.Base.Machines, func(m config.Machine) bool { return m.ID == se.Machine })
	if i < 0 {
		return nil, mc, fmt.Errorf("stream evaluation: machine %q is not in the configuration", se.Machine)
	}
	mc = se.Base.Machines[i]
	cfg := *se.Base
	realtime := se.Realtime
	cfg.Sources = []config.Source{{ID: "recording", Kind: config.KindWAV, Paths: []string{se.WAV}, Realtime: &realtime,
		Channels: se.Channel + 1}}
	mc.Sensor = config.Binding{Source: "recording", Channel: se.Channel}
	mc.Detection.Learning = se.Truth.Learning()
	cfg.Machines = []config.Machine{mc}
	cfg.DataDir, cfg.Database = dir, "eval.db"
	cfg.API = config.API{}
	cfg.Metrics = config.Metrics{}
	cfg.Clips.Enabled = false
	cfg.Replication = config.Replication{}
	if err := cfg.Validate(); err != nil {
		return nil, mc, fmt.Errorf("stream evaluation: %w", err)
	}
	return &cfg, mc, nil
}

// Settle waits until every machine has analysed all the sound its source delivered so far
// and handled its source's changes of state. A replay settles before it moves time on; the
// test appliance (appliance/apptest), whose clock paces the sources, settles after each step.
func (m *Main) Settle(ctx context.Context) error {
	m.mu.Lock()
	machines := slices.Clone(m.machines)
	out := m.out
	m.mu.Unlock()
	for _, mm := range machines {
		err := mm.do(ctx, func() {
			mm.drain(make([]float32, max(1, mm.rate/10)), out)
			for {
				select {
				case st := <-mm.status:
					mm.sourceStatus(ctx, st, out)
				default:
					return
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// runOn moves a replay's time on by d once the recording has ended, evaluating the alert
// engine every alertTick of stream time, as a real-time appliance would go on ticking.
func (m *Main) runOn(ctx context.Context, d time.Duration) {
	if m.stream == nil {
		// real time: the wall clock goes on by itself
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		return
	}
	// the alert engine first hears everything the machines said (the recording's end
	// among it), then time moves on
	for !m.alerts.settled() && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	for t := time.Duration(0); t < d; t += alertTick {
		m.stream.Advance(alertTick)
		m.alerts.commit(ctx, m.alerts.tick())
	}
}

// readRun reads the machine's windows and events from the replay's database.
func readRun(ctx context.Context, path string, mc config.Machine, start time.Time, run *eval.StreamRun) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	scores, err := db.Scores(ctx, mc.ID, time.Time{}, time.Time{}, 0)
	if err != nil {
		return err
	}
	var opened []time.Duration
	in := false
	for _, s := range scores {
		w := eval.StreamWindow{End: s.Time.Sub(start), Score: s.Score, Level: s.Smoothed, Threshold: s.Threshold,
			Learning: s.State == "learning", Anomalous: s.Anomalous}
		if !w.Learning && run.Learned < 0 {
			run.Learned = w.End
		}
		if w.Anomalous && !in {
			opened = append(opened, w.End)
		}
		in = w.Anomalous
		run.Windows = append(run.Windows, w)
	}
	events, err := db.Events(ctx, store.EventFilter{MachineID: mc.ID})
	if err != nil {
		return err
	}
	slices.SortFunc(events, func(a, b store.Event) int { return a.Start.Compare(b.Start) })
	for i, e := range events {
		se := eval.StreamEvent{Start: e.Start.Sub(start), End: -1, Peak: e.PeakScore, Opened: e.Start.Sub(start)}
		if !e.End.IsZero() {
			se.End = e.End.Sub(start)
		}
		if i < len(opened) && len(opened) == len(events) {
			se.Opened = opened[i]
		}
		run.Events = append(run.Events, se)
	}
	return nil
}

// firedAlerts turns the alert engine's status changes into the instances that fired.
func firedAlerts(changes []alert.Alert, start time.Time) []eval.StreamAlert {
	type key struct {
		fp     string
		active time.Time
	}
	byKey := map[key]int{}
	var out []eval.StreamAlert
	for _, a := range changes {
		k := key{a.Fingerprint, a.ActiveAt}
		i, seen := byKey[k]
		switch {
		case a.Status == alert.StatusFiring && !seen:
			byKey[k] = len(out)
			out = append(out, streamAlert(a, start))
		case a.Status == alert.StatusResolved && seen && out[i].Resolved < 0:
			out[i].Resolved = a.ResolvedAt.Sub(start)
		}
	}
	return out
}

func streamAlert(a alert.Alert, start time.Time) eval.StreamAlert {
	sa := eval.StreamAlert{Rule: a.Rule, Category: a.Labels["category"], Severity: a.Labels[alert.LabelSeverity],
		Active: a.ActiveAt.Sub(start), Fired: a.FiredAt.Sub(start), Resolved: -1}
	if a.Status == alert.StatusResolved && !a.ResolvedAt.IsZero() {
		sa.Resolved = a.ResolvedAt.Sub(start)
	}
	return sa
}
