package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// Deps is what the server needs from the rest of the appliance. DB, Live,
// Subscribe and Machines are required; the others may be nil, which makes
// their routes answer an empty list (Devices), the store's view (Sensors) or
// an error (UpdateMachine, Relearn).
//
// Errors returned by the funcs may be *wire.Error (passed through as they
// are: return CodeInvalid with Fields for per-field problems) or wrap the
// store's sentinels (store.ErrNotFound, ErrConflict, ErrInvalid), the alert
// engine's (alert.ErrNotFound, ErrExpired, ErrInvalid) or the job queue's
// (jobs.ErrNotFound, ErrConflict); anything else is logged and answered as an
// internal error.
type Deps struct {
	DB *store.DB
	// Live returns the latest state of every machine, in configuration order.
	Live func() []wire.Live
	// Subscribe registers fn to be called with every live update of every
	// machine until cancel is called. fn does not block and copies what it
	// keeps (the server copies Spectrum, so the caller may reuse it after fn
	// returns). Seq is assigned by the server; leave it 0.
	Subscribe func(fn func(wire.Live)) (cancel func())
	// Machines returns the configuration of every machine, in configuration order.
	Machines func() []wire.Machine
	// UpdateMachine applies a machine's new configuration (already checked
	// by ValidateMachine) and returns it as applied.
	UpdateMachine func(ctx context.Context, m wire.Machine) (wire.Machine, error)
	// Relearn discards the machine's model and starts learning a new one;
	// note goes with the model that results.
	Relearn func(ctx context.Context, machine, note string) error
	// Retrain queues a train job on the machine's current dataset (docs/mlo_pipeline.md)
	// and returns its id, queued false when one for the same data exists; nil when
	// retraining is off.
	Retrain func(ctx context.Context, machine, reason string) (jobID int64, queued bool, err error)
	// Devices lists the capture devices.
	Devices func(ctx context.Context) ([]wire.Device, error)
	// Sensors lists sensors with their live counters; nil reads the store
	// (without overrun and reconnect counts).
	Sensors func(ctx context.Context) ([]wire.Sensor, error)
	// Health returns the detailed health report for GET /api/v1/health; nil leaves it out.
	Health func(ctx context.Context) wire.HealthReport
	// Alerting serves the alerting routes (alerts, silences, maintenance
	// windows, rules, receivers, the job queue); nil makes them answer 404
	// "alerting is not configured".
	Alerting Alerting
	// AcknowledgeEvent acknowledges an event with the audit entries, and with it
	// whatever the appliance links to it (its machine's anomaly alerts); nil
	// acknowledges the event alone in DB. Errors as DB.AcknowledgeEventComment.
	AcknowledgeEvent func(ctx context.Context, id int64, who, comment string, audit ...store.AuditEntry) error
	// ClipsDir is the directory of the events' audio clips (store.Clip.Path is relative to
	// it); "" makes every clip's audio and spectrogram answer not found.
	ClipsDir string
	// Reports requests and opens reports; nil makes requests and downloads answer 404
	// (listing reads DB).
	Reports ReportService
	// Correlations returns the n most strongly correlated machine pairs and the live
	// episodes of the cross-sensor correlation; nil: the correlation is off.
	Correlations func(n int) wire.Correlations
}

// Options tune the server. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Heartbeat is the interval of SSE heartbeat comments (default 15s).
	Heartbeat time.Duration
	// Replay is how many live updates (all machines) the server keeps for
	// clients resuming with Last-Event-ID (default 4096: at 5 updates/s, 80 s
	// for 10 machines).
	Replay int
	// ClientBuffer is how many updates may queue for one stream client
	// before it is dropped and has to resume (default 512).
	ClientBuffer int
	// TouchEvery throttles the recording of a token's last use (default 1m).
	TouchEvery time.Duration
	// BuildVersion is reported by GET /api/v1/health.
	BuildVersion string
	// Timeouts bound slow clients; Limits bound the connections they hold.
	Timeouts Timeouts
	Limits   Limits
	// ConnRefused, if set, is called for each connection closed at once
	// because a limit (LimitClient, LimitTotal) was reached.
	ConnRefused func(transport, limit string)
	// Auth slows down clients whose credentials keep failing.
	Auth AuthLimits
	// AuthFailed, if set, is called for each request refused for its
	// credentials, with its transport and reason (AuthMissing, ...).
	AuthFailed func(transport, reason string)
	// Recovered, if set, reports panics recovered in handlers (error tracking);
	// they are logged at ERROR and answered 500 either way.
	Recovered Recovered
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.Replay <= 0 {
		o.Replay = 4096
	}
	if o.ClientBuffer <= 0 {
		o.ClientBuffer = 512
	}
	if o.TouchEvery <= 0 {
		o.TouchEvery = time.Minute
	}
	o.Timeouts.defaults()
	o.Limits.defaults()
	o.Auth.defaults()
}

// Server serves the API. Create it with NewServer, serve Handler (or use
// Serve / Run) and Close it to stop following the live updates.
type Server struct {
	d       Deps
	o       Options
	log     *slog.Logger
	started time.Time
	hub     *hub
	mux     *http.ServeMux
	unsub   func()

	touchMu sync.Mutex
	touched map[int64]time.Time

	guard    *authGuard
	authLogs *logLimiter
	spectro  *spectroCache // clip spectrograms (evidence.go)
}

// NewServer checks deps, subscribes to the live updates and builds the routes.
func NewServer(d Deps, o Options) (*Server, error) {
	o.defaults()
	switch {
	case d.DB == nil:
		return nil, errors.New("api server: Deps.DB is nil")
	case d.Live == nil || d.Subscribe == nil:
		return nil, errors.New("api server: Deps.Live and Deps.Subscribe are needed")
	case d.Machines == nil:
		return nil, errors.New("api server: Deps.Machines is nil")
	}
	now := o.Now()
	s := &Server{d: d, o: o, log: o.Logger, started: now, touched: map[int64]time.Time{},
		guard: newAuthGuard(o.Auth), authLogs: newLogLimiter(o.Auth.LogEvery, o.Now), spectro: newSpectroCache(32)}
	// Sequence numbers start at the start time in microseconds, so they keep
	// increasing across restarts and a client's stale Last-Event-ID is
	// always older than anything new.
	s.hub = newHub(uint64(now.UnixMicro()), o.Replay, o.ClientBuffer)
	s.hub.seed(d.Live())
	handlers := s.handlers()
	s.mux = http.NewServeMux()
	for _, r := range wire.Routes {
		h, ok := handlers[r.Pattern()]
		if !ok {
			return nil, fmt.Errorf("api server: no handler for route %s", r.Pattern())
		}
		delete(handlers, r.Pattern())
		s.mux.Handle(r.Pattern(), s.authorize(r, h))
	}
	for p := range handlers {
		return nil, fmt.Errorf("api server: handler for %s, which is not in api.Routes", p)
	}
	s.unsub = d.Subscribe(s.hub.publish)
	return s, nil
}

// Close stops following live updates and ends every live stream.
func (s *Server) Close() error {
	s.unsub()
	s.hub.close()
	return nil
}

// Handler returns the API's HTTP handler. Requests carry the caller's
// identity from a bearer token, or from the connection when it was accepted
// on the unix socket by Serve.
func (s *Server) Handler() http.Handler {
	return s.recovering(s.bounded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if _, pattern := s.mux.Handler(r); pattern == "" {
			// Unknown path, or known path with another method.
			if strings.HasPrefix(r.URL.Path, wire.Prefix) && s.pathKnown(r.URL.Path) {
				s.writeError(w, r, &wire.Error{Code: wire.CodeInvalid, Message: "method " + r.Method + " not allowed on " + r.URL.Path})
				return
			}
			s.writeError(w, r, wire.Errorf(wire.CodeNotFound, "no route %s %s", r.Method, r.URL.Path))
			return
		}
		s.mux.ServeHTTP(w, r)
	})))
}

func (s *Server) pathKnown(path string) bool {
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		req, _ := http.NewRequest(m, path, nil)
		if _, p := s.mux.Handler(req); p != "" {
			return true
		}
	}
	return false
}

// authorize authenticates the request and checks its role against the route.
func (s *Server) authorize(rt wire.Route, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.authenticate(r)
		var ae *authError
		if errors.As(err, &ae) {
			s.authFailed(w, r, ae)
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !id.Role.Allows(rt.MinRole) {
			s.writeError(w, r, wire.Errorf(wire.CodeForbidden, "%s needs role %s; %q has role %s", rt.Pattern(), rt.MinRole, id.Actor, id.Role))
			return
		}
		h(w, r.WithContext(withIdentity(r.Context(), id)))
	})
}

// authenticate returns the caller's identity, an *authError for refused
// credentials, or another error when they could not be checked.
func (s *Server) authenticate(r *http.Request) (Identity, error) {
	if actor, ok := r.Context().Value(localKey{}).(string); ok {
		return Identity{Actor: actor, Role: wire.RoleAdmin}, nil
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return Identity{}, authFailure(AuthMissing, "", "an Authorization: Bearer token is needed")
	}
	scheme, secret, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return Identity{}, authFailure(AuthMalformed, "", "use Authorization: Bearer <token>")
	}
	hash, err := HashSecret(strings.TrimSpace(secret))
	if err != nil {
		return Identity{}, authFailure(AuthMalformed, "", "malformed token")
	}
	tok, err := s.d.DB.TokenBySecretHash(r.Context(), hash)
	switch {
	case errors.Is(err, store.ErrRevoked):
		// The client is told no more than for an unknown secret.
		return Identity{}, authFailure(AuthRevoked, tok.Name, "unknown or revoked token")
	case errors.Is(err, store.ErrNotFound):
		return Identity{}, authFailure(AuthUnknown, "", "unknown or revoked token")
	case err != nil:
		return Identity{}, err
	}
	now := s.o.Now()
	if tok.Expired(now) {
		return Identity{}, authFailure(AuthExpired, tok.Name, "token %q expired at %s", tok.Name, tok.ExpiresAt.Format(time.RFC3339))
	}
	s.touch(r.Context(), tok.ID, now)
	return Identity{Actor: tok.Name, Role: wire.Role(tok.Role), TokenID: tok.ID}, nil
}

// touch records a token's use at most once per TouchEvery, so reads do not
// turn into a write each.
func (s *Server) touch(ctx context.Context, id int64, now time.Time) {
	s.touchMu.Lock()
	last, ok := s.touched[id]
	due := !ok || now.Sub(last) >= s.o.TouchEvery
	if due {
		s.touched[id] = now
	}
	s.touchMu.Unlock()
	if due {
		if err := s.d.DB.TouchToken(context.WithoutCancel(ctx), id, now); err != nil {
			s.log.Warn("record token use", "token", id, "err", err)
		}
	}
}

// apiError maps an error to what the client sees: the one table from Go
// errors to API codes. Internal errors are logged and not described.
func (s *Server) apiError(r *http.Request, err error) *wire.Error {
	var e *wire.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNotFound), errors.Is(err, alert.ErrNotFound), errors.Is(err, jobs.ErrNotFound):
		return &wire.Error{Code: wire.CodeNotFound, Message: strings.TrimPrefix(err.Error(), "store: ")}
	case errors.Is(err, alert.ErrExpired), errors.Is(err, jobs.ErrConflict):
		return &wire.Error{Code: wire.CodeConflict, Message: err.Error()}
	case errors.Is(err, alert.ErrInvalid), errors.Is(err, jobs.ErrInvalid):
		return &wire.Error{Code: wire.CodeInvalid, Message: err.Error()}
	case errors.Is(err, store.ErrConflict):
		return &wire.Error{Code: wire.CodeConflict, Message: strings.TrimPrefix(err.Error(), "store: ")}
	case errors.Is(err, store.ErrInvalid):
		return &wire.Error{Code: wire.CodeInvalid, Message: strings.TrimPrefix(err.Error(), "store: ")}
	}
	s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return &wire.Error{Code: wire.CodeInternal, Message: "internal error"}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.apiError(r, err)
	writeJSON(w, e.Status(), e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client may have gone; nothing to do about it
}

// maxBody bounds request bodies; the largest legitimate one is a machine.
const maxBody = 64 << 10

// decode reads a JSON body strictly: unknown fields are errors, as in the
// configuration file. An empty body leaves v as it is when optional.
func decode(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return wire.Errorf(wire.CodeInvalid, "body larger than %d bytes", maxBody)
	}
	if err != nil {
		return wire.Errorf(wire.CodeInvalid, "read body: %v", err)
	}
	if len(body) > maxBody {
		return wire.Errorf(wire.CodeInvalid, "body larger than %d bytes", maxBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if optional {
			return nil
		}
		return wire.Errorf(wire.CodeInvalid, "a JSON body is needed")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return wire.Errorf(wire.CodeInvalid, "body: %v", err)
	}
	if dec.More() {
		return wire.Errorf(wire.CodeInvalid, "body: more than one JSON value")
	}
	return nil
}
