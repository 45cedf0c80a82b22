// Package loki ships the appliance's log lines to Grafana Loki through its push API
// (POST /loki/api/v1/push, JSON body {"streams": [{"stream": {labels}, "values":
// [["<unix ns>", "<line>"], …]}]}). A slog.Handler formats each record as one JSON line
// and queues it; a goroutine sends batches, retrying failed pushes with backoff. The
// queue is bounded: when Loki is slow or away, new lines are dropped and counted, and
// logging never waits. Each stream is labelled app="signalcraft", appliance=<name>,
// level=<debug|info|warn|error> and the configured extra labels.
package loki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PushPath is Loki's push endpoint, relative to its base URL.
const PushPath = "/loki/api/v1/push"

// Drop reasons, as passed to Options.OnDropped.
const (
	DropBufferFull = "buffer_full" // the queue was full when the line was logged
	DropPushFailed = "push_failed" // Loki refused the batch or every retry failed
)

// Config says where and how lines are pushed. Zero fields take the defaults.
type Config struct {
	URL       string            // Loki's base URL
	Appliance string            // the appliance label
	Labels    map[string]string // more labels on every stream
	// BatchWait is the longest a line waits to be pushed (default 1s).
	BatchWait time.Duration
	// BatchLines is the most lines in one push (default 1000).
	BatchLines int
	// BufferLines bounds the queue (default 10000).
	BufferLines int
	// Timeout bounds one push (default 10s).
	Timeout time.Duration
	// MaxRetries is how often a failed push is retried before its lines are dropped
	// (default 5; negative: none). Backoff starts at MinBackoff (default 500ms) and
	// doubles up to MaxBackoff (default 30s).
	MaxRetries             int
	MinBackoff, MaxBackoff time.Duration
	TenantID               string // X-Scope-OrgID
	Username, Password     string // basic auth
}

func (c *Config) defaults() {
	if c.BatchWait <= 0 {
		c.BatchWait = time.Second
	}
	if c.BatchLines <= 0 {
		c.BatchLines = 1000
	}
	if c.BufferLines < c.BatchLines {
		c.BufferLines = max(10000, c.BatchLines)
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(30*time.Second, c.MinBackoff)
	}
}

// Options are the shipper's collaborators. All are optional.
type Options struct {
	Client *http.Client
	// Now stamps lines whose record has no time (default time.Now).
	Now func() time.Time
	// Log reports failed pushes; it must not write to this shipper.
	Log *slog.Logger
	// OnShipped is called with the number of lines Loki accepted in one push.
	OnShipped func(n int)
	// OnDropped is called with lines dropped and why (DropBufferFull, DropPushFailed).
	OnDropped func(reason string, n int)
	// OnPush is called after each push attempt with its outcome.
	OnPush func(ok bool)
}

type entry struct {
	ts    int64 // unix ns
	level string
	line  string
}

// Shipper queues lines and pushes them to Loki.
type Shipper struct {
	cfg    Config
	o      Options
	push   string // the push URL
	queue  chan entry
	flush  chan chan struct{}
	done   chan struct{}
	cancel context.CancelFunc

	closeOnce sync.Once
}

// New starts a shipper; Close stops it.
func New(cfg Config, o Options) (*Shipper, error) {
	cfg.defaults()
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("loki: url %q: must be http:// or https://", cfg.URL)
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Shipper{cfg: cfg, o: o, push: strings.TrimSuffix(cfg.URL, "/") + PushPath,
		queue: make(chan entry, cfg.BufferLines), flush: make(chan chan struct{}), done: make(chan struct{}), cancel: cancel}
	go s.run(ctx)
	return s, nil
}

// enqueue never blocks: a full queue drops the line.
func (s *Shipper) enqueue(e entry) {
	select {
	case s.queue <- e:
	default:
		if s.o.OnDropped != nil {
			s.o.OnDropped(DropBufferFull, 1)
		}
	}
}

// Flush pushes what is queued now and waits for it (or for ctx).
func (s *Shipper) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case s.flush <- ack:
	case <-s.done:
		return errors.New("loki: shipper closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close pushes what is queued, within ctx, and stops the shipper. Lines logged after
// Close are dropped.
func (s *Shipper) Close(ctx context.Context) error {
	err := s.Flush(ctx)
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
	})
	return err
}

func (s *Shipper) run(ctx context.Context) {
	defer close(s.done)
	batch := make([]entry, 0, s.cfg.BatchLines)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	send := func() {
		if len(batch) > 0 {
			s.send(ctx, batch)
			batch = batch[:0]
		}
		if armed {
			timer.Stop()
			armed = false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-s.queue:
			batch = append(batch, e)
			if len(batch) >= s.cfg.BatchLines {
				send()
			} else if !armed {
				timer.Reset(s.cfg.BatchWait)
				armed = true
			}
		case <-timer.C:
			armed = false
			send()
		case ack := <-s.flush:
			for drained := false; !drained; {
				select {
				case e := <-s.queue:
					batch = append(batch, e)
					if len(batch) >= s.cfg.BatchLines {
						send()
					}
				default:
					drained = true
				}
			}
			send()
			close(ack)
		}
	}
}

// send pushes one batch, retrying with backoff; it gives up when ctx ends.
func (s *Shipper) send(ctx context.Context, batch []entry) {
	body, err := encode(s.labels, batch)
	if err != nil {
		s.dropped(DropPushFailed, len(batch))
		return
	}
	backoff := s.cfg.MinBackoff
	for attempt := 0; ; attempt++ {
		retry, err := s.post(ctx, body)
		if s.o.OnPush != nil {
			s.o.OnPush(err == nil)
		}
		if err == nil {
			if s.o.OnShipped != nil {
				s.o.OnShipped(len(batch))
			}
			return
		}
		if !retry || attempt >= s.cfg.MaxRetries || s.cfg.MaxRetries < 0 {
			s.o.Log.Warn("loki: push failed; lines dropped", "lines", len(batch), "attempts", attempt+1, "err", err)
			s.dropped(DropPushFailed, len(batch))
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			s.dropped(DropPushFailed, len(batch))
			return
		case <-t.C:
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

func (s *Shipper) dropped(reason string, n int) {
	if s.o.OnDropped != nil {
		s.o.OnDropped(reason, n)
	}
}

// post sends one push; retry says whether a failure may succeed later (network errors,
// 429 and 5xx; Loki's 4xx say the batch itself is wrong).
func (s *Shipper) post(ctx context.Context, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.push, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "signalcraftd")
	if s.cfg.TenantID != "" {
		req.Header.Set("X-Scope-OrgID", s.cfg.TenantID)
	}
	if s.cfg.Username != "" {
		req.SetBasicAuth(s.cfg.Username, s.cfg.Password)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return true, err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	err = fmt.Errorf("loki: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, err
}

// labels returns the labels of a level's stream.
func (s *Shipper) labels(level string) map[string]string {
	l := maps.Clone(s.cfg.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l["app"] = "signalcraft"
	l["appliance"] = s.cfg.Appliance
	l["level"] = level
	return l
}

// PushRequest is the body of a push, as Loki's API documents it.
type PushRequest struct {
	Streams []Stream `json:"streams"`
}

// Stream is one label set and its lines: each value is [unix ns as a string, line].
type Stream struct {
	Stream map[string]string `json:"stream"`
	Values [][2]string       `json:"values"`
}

// encode builds the push body of a batch: one stream per level, lines in order.
func encode(labels func(level string) map[string]string, batch []entry) ([]byte, error) {
	byLevel := map[string]*Stream{}
	var order []string
	for _, e := range batch {
		st, ok := byLevel[e.level]
		if !ok {
			st = &Stream{Stream: labels(e.level)}
			byLevel[e.level] = st
			order = append(order, e.level)
		}
		st.Values = append(st.Values, [2]string{strconv.FormatInt(e.ts, 10), e.line})
	}
	req := PushRequest{Streams: make([]Stream, 0, len(order))}
	for _, l := range order {
		req.Streams = append(req.Streams, *byLevel[l])
	}
	return json.Marshal(req)
}

// Level maps slog levels to Loki's level label values (those Grafana colours).
func Level(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	default:
		return "debug"
	}
}
