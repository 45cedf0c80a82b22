package notify

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injected clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lockedBuffer collects log output from concurrent goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestNotifier returns a Notifier on the fake clock, logging into the returned buffer.
func newTestNotifier(t *testing.T, clk *fakeClock) (*Notifier, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	n := New(Options{
		Now:      clk.Now,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Location: time.UTC,
	})
	return n, logs
}

// sampleMessage is a firing message with two alerts on one machine, no caller text.
func sampleMessage(clk *fakeClock, lang string) Message {
	start := clk.Now().Add(-5 * time.Minute)
	return Message{
		Key:      "grp-pump-1-firing-0001",
		Receiver: "ops",
		Lang:     lang,
		Severity: SeverityCritical,
		Status:   StatusFiring,
		Labels:   map[string]string{"site": "ansan", "machine": "pump-1"},
		Alerts: []AlertInfo{
			{Machine: "pump-1", Rule: "anomaly-score", Severity: SeverityCritical, Value: 7.25, StartsAt: start, Summary: "베어링 소음 증가"},
			{Machine: "pump-1", Rule: "sensor-silent", Severity: SeverityWarning, Value: 0, StartsAt: start.Add(time.Minute)},
		},
		GroupKey: "{}:{machine=\"pump-1\"}",
		SentAt:   clk.Now(),
	}
}
