package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Log attribute keys.
const (
	LogKeyReceiver = "receiver"
	LogKeyType     = "receiver_type"
	LogKeyKey      = "key"
	LogKeyStatus   = "status"
	LogKeyError    = "error"
	LogKeyRetry    = "retry_after"
	LogKeyDuration = "duration"
)

// Options configure a Notifier. Every field is optional.
type Options struct {
	Now        func() time.Time // clock for rate limits, breakers, signatures; nil → time.Now
	HTTPClient *http.Client     // nil → a client without a global timeout (each send has its own)
	Logger     *slog.Logger     // nil → discard
	Location   *time.Location   // zone for times in default templates; nil → time.Local
	DedupeTTL  time.Duration    // how long delivered keys are remembered; 0 → 24h
	DedupeMax  int              // most keys remembered; 0 → 10000
}

// Notifier delivers messages to receivers. Rate limits, circuit breakers and the record of
// recently delivered idempotency keys are kept in memory, per receiver name. It is safe for
// concurrent use.
type Notifier struct {
	now    func() time.Time
	client *http.Client
	log    *slog.Logger
	fmt    formatter
	ttl    time.Duration
	max    int

	mu        sync.Mutex
	receivers map[string]*receiverState
	delivered map[string]time.Time // name + "\x00" + key → when
}

type receiverState struct {
	mu      sync.Mutex // guards bucket and breaker
	bucket  bucket
	breaker breaker
	mqttMu  sync.Mutex // one MQTT session per receiver at a time (the client id is fixed)
}

// New returns a Notifier.
func New(opts Options) *Notifier {
	n := &Notifier{
		now: opts.Now, client: opts.HTTPClient, log: opts.Logger,
		fmt: formatter{loc: opts.Location}, ttl: opts.DedupeTTL, max: opts.DedupeMax,
		receivers: map[string]*receiverState{}, delivered: map[string]time.Time{},
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.client == nil {
		n.client = &http.Client{}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.fmt.loc == nil {
		n.fmt.loc = time.Local
	}
	if n.ttl <= 0 {
		n.ttl = 24 * time.Hour
	}
	if n.max <= 0 {
		n.max = 10000
	}
	return n
}

// Deliver sends m to r. It returns nil when the receiver accepted the message or when m was
// already delivered to r under the same Key. Otherwise the error is a *DeliveryError:
// IsPermanent tells whether a retry can help, RetryAfter how long to wait first.
//
// Deliver sends resolutions too whatever r.SendResolved says: whether a receiver gets them
// is decided once, by the caller (the alert engine applies a route's send_resolved over the
// receiver's), not again here.
func (n *Notifier) Deliver(ctx context.Context, r Receiver, m Message) error {
	return n.deliver(ctx, r, m, false)
}

// Test sends a test notification in lang ("" → the receiver's language) to r, bypassing
// the circuit breaker (the point is to see whether the receiver works now) but not the
// rate limit.
func (n *Notifier) Test(ctx context.Context, r Receiver, lang string) error {
	now := n.now()
	if lang == "" {
		lang = r.Lang
	}
	m := Message{
		Key:      "test-" + r.Name + "-" + strconv.FormatInt(now.UnixNano(), 36),
		Receiver: r.Name,
		Lang:     lang,
		Severity: SeverityInfo,
		Status:   StatusTest,
		Labels:   map[string]string{"test": "true"},
		Alerts: []AlertInfo{{
			Machine: "signalcraft-test", Rule: "test", Severity: SeverityInfo, StartsAt: now,
			Summary: wordsFor(lang).testTitle,
		}},
		SentAt: now,
	}
	return n.deliver(ctx, r, m, true)
}

func (n *Notifier) deliver(ctx context.Context, r Receiver, m Message, test bool) error {
	sc := newScrubber(r)
	log := n.log.With(slog.String(LogKeyReceiver, r.Name), slog.String(LogKeyType, string(r.Type)), slog.String(LogKeyKey, m.Key))
	if err := r.Validate(); err != nil {
		return n.failed(log, r, sc, err)
	}
	if m.Receiver == "" {
		m.Receiver = r.Name
	}
	if m.SentAt.IsZero() {
		m.SentAt = n.now()
	}
	if !test && m.Key != "" && n.wasDelivered(r.Name, m.Key) {
		log.Info("already delivered; not sent again")
		return nil
	}

	st := n.state(r.Name)
	st.mu.Lock()
	now := n.now()
	trial := false
	if !test {
		ok, wait := st.breaker.allow(now)
		if !ok {
			st.mu.Unlock()
			return n.failed(log, r, sc, &sendError{err: fmt.Errorf("%w: retry in %s", ErrCircuitOpen, wait), retryAfter: wait})
		}
		trial = st.breaker.state == breakerHalfOpen
	}
	if ok, wait := st.bucket.take(now, r.RateLimit); !ok {
		if trial {
			st.breaker.release()
		}
		st.mu.Unlock()
		return n.failed(log, r, sc, &sendError{err: fmt.Errorf("%w: %d per minute; retry in %s", ErrRateLimited, r.RateLimit, wait), retryAfter: wait})
	}
	st.mu.Unlock()

	start := n.now()
	err := n.send(ctx, st, r, m)
	st.mu.Lock()
	switch {
	case test:
	case err == nil:
		st.breaker.record(n.now(), r.Breaker, false)
	case IsPermanent(err) || isPermanentSend(err) || ctx.Err() != nil:
		st.breaker.release()
	default:
		st.breaker.record(n.now(), r.Breaker, true)
	}
	st.mu.Unlock()
	if err != nil {
		return n.failed(log, r, sc, err)
	}
	if !test && m.Key != "" {
		n.markDelivered(r.Name, m.Key)
	}
	log.Info("notification delivered", slog.String(LogKeyStatus, string(m.Status)), slog.Duration(LogKeyDuration, n.now().Sub(start)))
	return nil
}

func isPermanentSend(err error) bool {
	var se *sendError
	return errors.As(err, &se) && se.permanent
}

// failed turns err into a scrubbed *DeliveryError and logs it.
func (n *Notifier) failed(log *slog.Logger, r Receiver, sc scrubber, err error) error {
	de := &DeliveryError{Receiver: r.Name, Type: r.Type, Msg: sc.scrub(err.Error())}
	var se *sendError
	if errors.As(err, &se) {
		de.RetryAfter = se.retryAfter
		if se.permanent {
			de.kinds = append(de.kinds, ErrPermanent)
		}
		if se.kind != nil {
			de.kinds = append(de.kinds, se.kind)
		}
	}
	for _, k := range []error{ErrPermanent, ErrInvalidReceiver, ErrRateLimited, ErrCircuitOpen, ErrRejected, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, k) && !errors.Is(de, k) {
			de.kinds = append(de.kinds, k)
		}
	}
	attrs := []any{slog.String(LogKeyError, de.Msg), slog.Bool("permanent", IsPermanent(de))}
	if de.RetryAfter > 0 {
		attrs = append(attrs, slog.Duration(LogKeyRetry, de.RetryAfter))
	}
	log.Warn("notification not delivered", attrs...)
	return de
}

func (n *Notifier) state(name string) *receiverState {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := n.receivers[name]
	if st == nil {
		st = &receiverState{}
		n.receivers[name] = st
	}
	return st
}

func (n *Notifier) wasDelivered(name, key string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.delivered[name+"\x00"+key]
	return ok && n.now().Sub(at) < n.ttl
}

func (n *Notifier) markDelivered(name, key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	if len(n.delivered) >= n.max {
		for k, at := range n.delivered {
			if now.Sub(at) >= n.ttl {
				delete(n.delivered, k)
			}
		}
		for k := range n.delivered { // still full: forget arbitrary keys
			if len(n.delivered) < n.max {
				break
			}
			delete(n.delivered, k)
		}
	}
	n.delivered[name+"\x00"+key] = now
}

// send dispatches to the channel implementation.
func (n *Notifier) send(ctx context.Context, st *receiverState, r Receiver, m Message) error {
	lang := messageLang(m, r)
	switch r.Type {
	case TypeShoutrrr:
		return n.sendShoutrrr(ctx, r, m, lang)
	case TypeWebhook:
		return n.sendWebhook(ctx, r, m, lang)
	case TypeMQTT:
		st.mqttMu.Lock()
		defer st.mqttMu.Unlock()
		return n.sendMQTT(ctx, r, m, lang)
	case TypeKakaoAlimtalk:
		return n.sendAlimtalk(ctx, r, m, lang)
	case TypeSENSSMS:
		return n.sendSMS(ctx, r, m, lang)
	case TypeJandi:
		return n.sendJandi(ctx, r, m, lang)
	case TypeDooray:
		return n.sendDooray(ctx, r, m, lang)
	}
	return permanentf("unknown receiver type %q", r.Type)
}

func timeoutOr(d Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return time.Duration(d)
}

// do sends req and classifies the answer: 2xx delivered; 408, 429 and 5xx retryable
// (Retry-After honoured); any other status permanent. redactedURL names the endpoint in
// errors instead of the real URL.
func (n *Notifier) do(req *http.Request, redactedURL string) error {
	resp, err := n.client.Do(req)
	if err != nil {
		var inner error = err
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			inner = ue.Unwrap() // *url.Error echoes the URL; keep only its cause
		}
		return &sendError{err: fmt.Errorf("%s %s: %w", req.Method, redactedURL, inner)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrRejected, req.Method, redactedURL, resp.StatusCode, truncate(string(snippet), 200))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return &sendError{err: msg, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), n.now())}
	default:
		return &sendError{err: msg, permanent: true}
	}
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
