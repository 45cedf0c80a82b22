// Package errtrack reports the appliance's panics and errors to a Sentry-compatible server
// (Sentry, GlitchTip, …) through the Sentry Go SDK: a panic recovered in an API handler or
// in the daemon's main goroutine, and every record logged at ERROR (a slog.Handler wrapper,
// rate-limited). Each event carries its stack trace and the appliance's name, version and
// host, and goes through a scrubber (BeforeSend) that removes tokens, Authorization headers,
// cookies, DSNs, passwords and every secret value of the configuration.
//
// A nil *Tracker is valid and reports nothing: error tracking is off unless configured.
package errtrack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
)

// ReportedKey is the attribute key of a log record whose error was already reported (a
// recovered panic logged after its event was sent): such records make no second event.
// The value is the event id.
const ReportedKey = "error_event"

// Report kinds and outcomes, as counted by Options.OnReport.
const (
	KindPanic = "panic"
	KindError = "error"

	OutcomeSent        = "sent"         // handed to the SDK's transport
	OutcomeRateLimited = "rate_limited" // over the per-minute budget
	OutcomeDropped     = "dropped"      // sampled out or refused by the scrubber
)

// Options configure a Tracker.
type Options struct {
	DSN         string
	Environment string
	// Release is the appliance's version (signalcraft@VERSION is sent).
	Release string
	// SampleRate is the share of events sent (0 → 1).
	SampleRate float64
	// ErrorsPerMinute bounds the events made from ERROR log records (default 10); panics
	// have their own budget of 60 a minute.
	ErrorsPerMinute int
	// Appliance, Host tag every event (the appliance's configured name and its host name).
	Appliance, Host string
	// Secrets are values of the configuration that must never leave the appliance (API
	// token secrets, S3 keys, SMTP and MQTT passwords, webhook secrets, the DSN itself).
	Secrets []string
	// HTTPClient sends the events (default: the SDK's own).
	HTTPClient *http.Client
	// Now drives the rate limiter (default time.Now).
	Now func() time.Time
	// OnReport, if set, is called for each event with its kind and outcome.
	OnReport func(kind, outcome string)
}

// Tracker sends events to one Sentry project.
type Tracker struct {
	client   *sentry.Client
	base     *sentry.Scope // tags and contexts of every event; cloned per event
	scrub    *Scrubber
	now      func() time.Time
	onReport func(kind, outcome string)

	mu     sync.Mutex
	errors bucket
	panics bucket
}

// New returns a tracker for the DSN in o.
func New(o Options) (*Tracker, error) {
	if o.DSN == "" {
		return nil, errors.New("errtrack: no DSN")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SampleRate == 0 {
		o.SampleRate = 1
	}
	if o.ErrorsPerMinute <= 0 {
		o.ErrorsPerMinute = 10
	}
	secrets := append([]string{o.DSN}, o.Secrets...)
	dsn, err := url.Parse(o.DSN)
	if err != nil || dsn.User == nil {
		return nil, errors.New("errtrack: the DSN is not valid")
	}
	if p, ok := dsn.User.Password(); ok {
		// A legacy DSN's secret key: Sentry no longer needs it, so it never leaves
		// the appliance (the SDK would send it in every envelope's header).
		secrets = append(secrets, p)
		dsn.User = url.User(dsn.User.Username())
	}
	sc := NewScrubber(secrets...)
	name := o.Appliance
	if name == "" {
		name = o.Host
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         dsn.String(),
		Environment: o.Environment,
		Release:     "signalcraft@" + o.Release,
		SampleRate:  o.SampleRate,
		ServerName:  name,
		HTTPClient:  o.HTTPClient,
		// No personal data: no IP addresses, no request bodies or cookies.
		SendDefaultPII: false,
		MaxBreadcrumbs: -1,
		BeforeSend:     func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event { return sc.Event(e) },
		Integrations: func(in []sentry.Integration) []sentry.Integration {
			var out []sentry.Integration
			for _, i := range in {
				// ContextifyFrames reads source files around each frame: the appliance
				// ships none, and a developer's source lines may hold literals.
				// GlobalTags reads SENTRY_TAGS_* from the environment: tags come from
				// the configuration only.
				if n := i.Name(); n != "ContextifyFrames" && n != "GlobalTags" {
					out = append(out, i)
				}
			}
			return out
		},
	})
	if err != nil {
		// The SDK's error quotes the DSN.
		return nil, errors.New("errtrack: the DSN is not valid")
	}
	base := sentry.NewScope()
	base.SetTags(map[string]string{"appliance": name, "host": o.Host, "version": o.Release})
	base.SetContext("appliance", sentry.Context{"name": name, "host": o.Host, "version": o.Release})
	now := o.Now()
	return &Tracker{client: client, base: base, scrub: sc, now: o.Now, onReport: o.OnReport,
		errors: newBucket(o.ErrorsPerMinute, now), panics: newBucket(60, now)}, nil
}

// Flush waits at most timeout for queued events to be sent; false if some were not.
func (t *Tracker) Flush(timeout time.Duration) bool {
	if t == nil {
		return true
	}
	return t.client.Flush(timeout)
}

// Close flushes within timeout and stops the transport.
func (t *Tracker) Close(timeout time.Duration) bool {
	if t == nil {
		return true
	}
	ok := t.client.Flush(timeout)
	t.client.Close()
	return ok
}

// Panic reports v, a value recovered from a panic, with the stack of the goroutine that
// panicked: call it from the deferred function that recovered. extra is added to the
// event's context "panic" and its string values become tags when their key is in
// tagKeys. It returns the event's id, "" if none was sent.
func (t *Tracker) Panic(ctx context.Context, v any, extra map[string]any) string {
	if t == nil || v == nil {
		return ""
	}
	if !t.allow(KindPanic) {
		return ""
	}
	typ := "panic"
	if err, ok := v.(error); ok {
		typ = reflect.TypeOf(err).String()
	}
	handled := false
	ev := &sentry.Event{
		Level:   sentry.LevelFatal,
		Message: "panic: " + fmt.Sprint(v),
		Exception: []sentry.Exception{{
			Type:       typ,
			Value:      fmt.Sprint(v),
			Stacktrace: stack(),
			Mechanism:  &sentry.Mechanism{Type: "panic", Handled: &handled},
		}},
	}
	return t.send(ctx, KindPanic, ev, "panic", extra)
}

// Repanic, deferred at the top of a goroutine, reports a panic, flushes (at most 2 s) and
// panics again with the same value, so the process still crashes as it would have.
func (t *Tracker) Repanic() {
	v := recover()
	if v == nil {
		return
	}
	if t != nil {
		t.Panic(context.Background(), v, nil)
		t.Flush(2 * time.Second)
	}
	panic(v)
}

// tagKeys are log attributes and panic details that become event tags (searchable in
// Sentry) besides being in the context.
var tagKeys = []string{"machine", "sensor", "kind", "route", "method", "receiver", "source"}

func (t *Tracker) send(ctx context.Context, kind string, ev *sentry.Event, ctxName string, extra map[string]any) string {
	scope := t.base.Clone()
	if len(extra) > 0 {
		scope.SetContext(ctxName, sentry.Context(extra))
		for _, k := range tagKeys {
			if s, ok := extra[k].(string); ok && s != "" {
				scope.SetTag(k, s)
			}
		}
	}
	id := t.client.CaptureEvent(ev, &sentry.EventHint{Context: ctx}, scope)
	if id == nil {
		t.report(kind, OutcomeDropped)
		return ""
	}
	t.report(kind, OutcomeSent)
	return string(*id)
}

func (t *Tracker) report(kind, outcome string) {
	if t.onReport != nil {
		t.onReport(kind, outcome)
	}
}

func (t *Tracker) allow(kind string) bool {
	t.mu.Lock()
	b := &t.errors
	if kind == KindPanic {
		b = &t.panics
	}
	ok := b.take(t.now())
	t.mu.Unlock()
	if !ok {
		t.report(kind, OutcomeRateLimited)
	}
	return ok
}

// stack returns the current goroutine's stack without the frames of this package, the
// SDK, log/slog and the runtime (which the SDK already leaves out).
func stack() *sentry.Stacktrace {
	st := sentry.NewStacktrace()
	if st == nil {
		return nil
	}
	frames := st.Frames[:0]
	for _, f := range st.Frames {
		if f.Module == "signalcraft/appliance/errtrack" || f.Module == "log/slog" || strings.HasPrefix(f.Module, "log/slog/") {
			continue
		}
		frames = append(frames, f)
	}
	st.Frames = frames
	return st
}

// bucket is a token bucket: up to perMinute events at once, refilled at perMinute a minute.
type bucket struct {
	rate   float64 // tokens a second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(perMinute int, now time.Time) bucket {
	return bucket{rate: float64(perMinute) / 60, burst: float64(perMinute), tokens: float64(perMinute), last: now}
}

func (b *bucket) take(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
