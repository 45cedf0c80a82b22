package api

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/store"
)

// fakeAlerting is an in-memory Alerting that writes its audit entries to the store.
type fakeAlerting struct {
	db  *store.DB
	now func() time.Time

	mu         sync.Mutex
	alerts     []wire.Alert
	silences   []alert.Silence
	nextSil    int
	windows    []alert.MaintenanceWindow
	rules      []alert.Rule
	receivers  []notify.Receiver
	deliveries map[string][]wire.Delivery
	jobs       wire.Jobs
	retried    []int64
	tested     []string
}

// fakeFingerprint is the firing alert of pump-1.
const fakeFingerprint = "a1b2c3d4e5f60718"

func newFakeAlerting(db *store.DB, now func() time.Time) *fakeAlerting {
	t := now()
	fired := t.Add(-time.Minute)
	return &fakeAlerting{
		db: db, now: now,
		alerts: []wire.Alert{{Fingerprint: fakeFingerprint, Rule: "AnomalyWarning", MachineID: "pump-1", Severity: wire.SeverityWarning,
			State: wire.AlertFiring, Value: 1.4, Labels: map[string]string{"alertname": "AnomalyWarning", "machine": "pump-1", "severity": "warning"},
			Summary: "pump-1 sounds unusual", ActiveAt: fired.Add(-10 * time.Second), FiredAt: &fired},
			{Fingerprint: "0000000000000002", Rule: "SensorSilent", MachineID: "fan-2", Severity: wire.SeverityWarning, State: wire.AlertPending,
				Labels: map[string]string{"alertname": "SensorSilent", "machine": "fan-2", "severity": "warning"}, ActiveAt: t}},
		windows: []alert.MaintenanceWindow{{Name: "lunch", Schedule: "Mon-Fri 12:00-13:00 Asia/Seoul"}},
		rules:   alert.DefaultConfig().Rules,
		receivers: []notify.Receiver{
			{Name: "ops-hook", Type: notify.TypeWebhook, Lang: "ko", SendResolved: true, RateLimit: 30,
				Webhook: &notify.WebhookConfig{URL: "https://hooks.plant.local/services/T0123/B4567/abcdefghijklmnop1234",
					Secret: "whsec-0123456789", Headers: map[string]string{"X-Api-Token": "tok-998877", "X-Site": "plant-a"}}},
			{Name: "ops-mqtt", Type: notify.TypeMQTT, MQTT: &notify.MQTTConfig{Broker: "tcp://127.0.0.1:1883", Username: "sc", Password: "mq-pass"}},
		},
		deliveries: map[string][]wire.Delivery{fakeFingerprint: {{JobID: 3, Receiver: "ops-hook", Kind: "firing", State: "done", Attempts: 1, CreatedAt: fired}}},
		jobs: wire.Jobs{Stats: []wire.JobStats{{Kind: "notify", Done: 2, Dead: 1}},
			Recent: []wire.Job{{ID: 3, Kind: "notify", State: "done", Attempts: 1, RunAt: fired, CreatedAt: fired},
				{ID: 2, Kind: "notify", State: "dead", Attempts: 12, LastError: "503", RunAt: fired, CreatedAt: fired}}},
	}
}

func (f *fakeAlerting) audit(ctx context.Context, audit []store.AuditEntry) error {
	for _, a := range audit {
		if _, err := f.db.AppendAudit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeAlerting) Alerts(context.Context) ([]wire.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.alerts), nil
}

func (f *fakeAlerting) AcknowledgeAlert(ctx context.Context, fp, who, comment string, audit ...store.AuditEntry) (wire.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.alerts {
		a := &f.alerts[i]
		if a.Fingerprint != fp {
			continue
		}
		if a.AcknowledgedBy != "" {
			return wire.Alert{}, wire.Errorf(wire.CodeConflict, "alert %s was acknowledged by %s", fp, a.AcknowledgedBy)
		}
		now := f.now()
		a.AcknowledgedBy, a.AcknowledgedAt, a.AckComment = who, &now, comment
		return *a, f.audit(ctx, audit)
	}
	return wire.Alert{}, fmt.Errorf("acknowledge %q: %w", fp, alert.ErrNotFound)
}

func (f *fakeAlerting) Deliveries(_ context.Context, fp string) ([]wire.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deliveries[fp]), nil
}

func (f *fakeAlerting) Silences(context.Context) ([]alert.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.silences), nil
}

func (f *fakeAlerting) CreateSilence(ctx context.Context, s alert.Silence, audit ...store.AuditEntry) (alert.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextSil++
	s.ID = fmt.Sprint(f.nextSil)
	f.silences = append(f.silences, s)
	for i := range audit {
		audit[i].Target += s.ID
	}
	return s, f.audit(ctx, audit)
}

func (f *fakeAlerting) ExpireSilence(ctx context.Context, id string, audit ...store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.silences {
		if f.silences[i].ID == id {
			now := f.now()
			if !f.silences[i].EndsAt.After(now) {
				return fmt.Errorf("silence %q: %w", id, alert.ErrExpired)
			}
			f.silences[i].EndsAt = now
			return f.audit(ctx, audit)
		}
	}
	return fmt.Errorf("silence %q: %w", id, alert.ErrNotFound)
}

func (f *fakeAlerting) Maintenance(context.Context) ([]alert.MaintenanceWindow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.windows), nil
}

func (f *fakeAlerting) SetMaintenance(ctx context.Context, ws []alert.MaintenanceWindow, audit ...store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = ws
	return f.audit(ctx, audit)
}

func (f *fakeAlerting) Rules(context.Context) ([]alert.Rule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rules), nil
}

func (f *fakeAlerting) SetRules(ctx context.Context, rs []alert.Rule, audit ...store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = rs
	return f.audit(ctx, audit)
}

func (f *fakeAlerting) Receivers(context.Context) ([]notify.Receiver, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.receivers), nil
}

func (f *fakeAlerting) SetReceivers(ctx context.Context, rs []notify.Receiver, audit ...store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.receivers = rs
	return f.audit(ctx, audit)
}

func (f *fakeAlerting) TestReceiver(_ context.Context, name, lang string) (wire.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.ContainsFunc(f.receivers, func(r notify.Receiver) bool { return r.Name == name }) {
		return wire.Delivery{}, wire.Errorf(wire.CodeNotFound, "no receiver %q", name)
	}
	f.tested = append(f.tested, name+":"+lang)
	now := f.now()
	return wire.Delivery{Receiver: name, Kind: "test", State: "done", Attempts: 1, CreatedAt: now, DoneAt: &now}, nil
}

func (f *fakeAlerting) Jobs(_ context.Context, kind, state string) (wire.Jobs, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := wire.Jobs{Stats: slices.Clone(f.jobs.Stats)}
	for _, j := range f.jobs.Recent {
		if (kind == "" || j.Kind == kind) && (state == "" || j.State == state) {
			out.Recent = append(out.Recent, j)
		}
	}
	return out, nil
}

func (f *fakeAlerting) RetryJob(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id > 1000 {
		return fmt.Errorf("jobs: retry %d: %w", id, jobs.ErrNotFound)
	}
	f.retried = append(f.retried, id)
	return nil
}
