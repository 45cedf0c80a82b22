package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the appliance's API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	hc        *http.Client
	token     string
	retryMin  time.Duration
	retryMax  time.Duration
	idle      time.Duration
	userAgent string
}

type clientConfig struct {
	token    string
	socket   string
	pin      string
	hc       *http.Client
	retryMin time.Duration
	retryMax time.Duration
	idle     time.Duration
	ua       string
}

// ClientOption configures NewClient.
type ClientOption func(*clientConfig)

// WithToken authenticates every request with the bearer token secret ("sc_…").
func WithToken(secret string) ClientOption { return func(c *clientConfig) { c.token = secret } }

// WithUnixSocket sends every request over the unix socket at path (the
// appliance's local admin socket, /run/signalcraft/api.sock by default). The
// base URL may then be empty; it defaults to "http://unix".
func WithUnixSocket(path string) ClientOption { return func(c *clientConfig) { c.socket = path } }

// WithTLSFingerprint pins the server's certificate: only a certificate with
// this SHA-256 fingerprint (see FetchFingerprint and Fingerprint) is
// accepted, whoever signed it.
func WithTLSFingerprint(sha256Hex string) ClientOption {
	return func(c *clientConfig) { c.pin = sha256Hex }
}

// WithHTTPClient uses hc instead of a client of its own. A Timeout on hc
// also cuts the live stream; leave it zero and use contexts. With
// WithUnixSocket or WithTLSFingerprint, hc's transport must be an
// *http.Transport (or nil), which is cloned and adjusted.
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *clientConfig) { c.hc = hc } }

// WithReconnect sets the live stream's reconnection backoff: the first wait
// is min, doubling to at most max (defaults 250ms and 10s).
func WithReconnect(min, max time.Duration) ClientOption {
	return func(c *clientConfig) { c.retryMin, c.retryMax = min, max }
}

// WithStreamIdleTimeout sets how long the live stream may stay silent
// (neither updates nor heartbeats) before the client drops the connection and
// reconnects (default 45s; the server sends a heartbeat every 15s).
func WithStreamIdleTimeout(d time.Duration) ClientOption { return func(c *clientConfig) { c.idle = d } }

// WithUserAgent sets the User-Agent header, e.g. "signalcraft-tui/1.2".
func WithUserAgent(ua string) ClientOption { return func(c *clientConfig) { c.ua = ua } }

// NewClient returns a client for the appliance at baseURL
// ("https://appliance:8443", or "" with WithUnixSocket).
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	cfg := clientConfig{retryMin: 250 * time.Millisecond, retryMax: 10 * time.Second, idle: 45 * time.Second,
		ua: "signalcraft-api-client/" + Version}
	for _, o := range opts {
		o(&cfg)
	}
	if baseURL == "" && cfg.socket != "" {
		baseURL = "http://unix"
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("api client: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api client: base URL %q: want http://host[:port] or https://host[:port]", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if cfg.retryMin <= 0 || cfg.retryMax < cfg.retryMin {
		return nil, fmt.Errorf("api client: reconnect backoff %v..%v: want 0 < min <= max", cfg.retryMin, cfg.retryMax)
	}
	if cfg.idle <= 0 {
		return nil, fmt.Errorf("api client: stream idle timeout %v: must be positive", cfg.idle)
	}
	hc := cfg.hc
	if cfg.socket != "" || cfg.pin != "" || hc == nil {
		var tr *http.Transport
		if hc == nil {
			tr = http.DefaultTransport.(*http.Transport).Clone()
			hc = &http.Client{}
		} else {
			base, ok := hc.Transport.(*http.Transport)
			switch {
			case hc.Transport == nil:
				base = http.DefaultTransport.(*http.Transport)
			case !ok:
				return nil, errors.New("api client: WithUnixSocket and WithTLSFingerprint need an *http.Transport in WithHTTPClient")
			}
			tr = base.Clone()
			c := *hc
			hc = &c
		}
		if cfg.socket != "" {
			path := cfg.socket
			var d net.Dialer
			tr.Proxy = nil
			tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				c, err := d.DialContext(ctx, "unix", path)
				return c, classifySocketError(path, err)
			}
		}
		if cfg.pin != "" {
			want, err := ParseFingerprint(cfg.pin)
			if err != nil {
				return nil, fmt.Errorf("api client: %w", err)
			}
			tr.TLSClientConfig = pinnedTLS(want)
		}
		hc.Transport = tr
	}
	return &Client{base: u, hc: hc, token: cfg.token, retryMin: cfg.retryMin, retryMax: cfg.retryMax,
		idle: cfg.idle, userAgent: cfg.ua}, nil
}

// BaseURL returns the URL requests are sent to.
func (c *Client) BaseURL() string { return c.base.String() }

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	u := *c.base
	// path is already escaped (Expand): keep it so on the wire.
	raw := c.base.EscapedPath() + path
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	u.Path, u.RawPath = p, raw
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("api: encode %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do sends a request and decodes a JSON answer into out (if not nil). A
// failure status becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	req, err := c.newRequest(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("api: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// readError turns a failed response into an *Error, from its body when it
// is one, else from the status.
func readError(resp *http.Response) *Error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var e Error
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		return &e
	}
	msg := http.StatusText(resp.StatusCode)
	if s := strings.TrimSpace(string(b)); s != "" && len(s) < 200 {
		msg += ": " + s
	}
	return &Error{Code: CodeOf(resp.StatusCode), Message: msg}
}

func machineQuery(machine string) url.Values {
	if machine == "" {
		return nil
	}
	return url.Values{"machine": {machine}}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Health returns the appliance's health.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	return h, c.do(ctx, "GET", PathHealth, nil, nil, &h)
}

// Me returns who the appliance takes the caller for, and the role, so a UI
// can hide what the caller may not do.
func (c *Client) Me(ctx context.Context) (Identity, error) {
	var i Identity
	return i, c.do(ctx, "GET", PathMe, nil, nil, &i)
}

// Machines lists the configured machines.
func (c *Client) Machines(ctx context.Context) ([]Machine, error) {
	var ms []Machine
	return ms, c.do(ctx, "GET", PathMachines, nil, nil, &ms)
}

// Machine returns one machine's configuration.
func (c *Client) Machine(ctx context.Context, machine string) (Machine, error) {
	var m Machine
	return m, c.do(ctx, "GET", Expand(PathMachine, machine), nil, nil, &m)
}

// UpdateMachine replaces the configuration of machine m.ID (admin) and
// returns it as applied. Invalid fields come back as an *Error with code
// CodeInvalid and Fields.
func (c *Client) UpdateMachine(ctx context.Context, m Machine) (Machine, error) {
	var out Machine
	return out, c.do(ctx, "PUT", Expand(PathMachine, m.ID), nil, m, &out)
}

// Models lists a machine's models, the one being learned first.
func (c *Client) Models(ctx context.Context, machine string) ([]Model, error) {
	var ms []Model
	return ms, c.do(ctx, "GET", Expand(PathModels, machine), nil, nil, &ms)
}

// Model returns one model version of a machine with its training record.
func (c *Client) Model(ctx context.Context, machine string, version int64) (Model, error) {
	var m Model
	return m, c.do(ctx, "GET", Expand(PathModel, machine, strconv.FormatInt(version, 10)), nil, nil, &m)
}

// PromoteModel makes a candidate or retired model the machine's champion (admin) and
// returns it; the running machine scores with it within seconds. Promoting the champion
// is an *Error with CodeConflict.
func (c *Client) PromoteModel(ctx context.Context, machine string, version int64, reason string) (Model, error) {
	var m Model
	return m, c.do(ctx, "POST", Expand(PathPromote, machine, strconv.FormatInt(version, 10)), nil,
		ModelChangeRequest{Reason: reason}, &m)
}

// RollbackModel re-promotes the champion before the current one (admin) and returns it;
// calling it again walks further back. CodeNotFound when there is no earlier champion.
func (c *Client) RollbackModel(ctx context.Context, machine, task, reason string) (Model, error) {
	var m Model
	return m, c.do(ctx, "POST", Expand(PathRollback, machine), nil, ModelChangeRequest{Reason: reason, Task: task}, &m)
}

// Scores returns a machine's score history, oldest first.
func (c *Client) Scores(ctx context.Context, machine string, f ScoreFilter) ([]ScorePoint, error) {
	var ps []ScorePoint
	return ps, c.do(ctx, "GET", Expand(PathScores, machine), f.Query(), nil, &ps)
}

// Relearn discards the machine's model and starts learning a new one (admin);
// note is kept with the new model.
func (c *Client) Relearn(ctx context.Context, machine, note string) error {
	return c.do(ctx, "POST", Expand(PathRelearn, machine), nil, RelearnRequest{Note: note}, nil)
}

// Sensors lists the sensor channels, of one machine if machine is not empty.
func (c *Client) Sensors(ctx context.Context, machine string) ([]Sensor, error) {
	var ss []Sensor
	return ss, c.do(ctx, "GET", PathSensors, machineQuery(machine), nil, &ss)
}

// Devices lists the capture devices the appliance sees.
func (c *Client) Devices(ctx context.Context) ([]Device, error) {
	var ds []Device
	return ds, c.do(ctx, "GET", PathDevices, nil, nil, &ds)
}

// LiveSnapshot returns the latest live state of every machine (or of one).
func (c *Client) LiveSnapshot(ctx context.Context, machine string) ([]Live, error) {
	var ls []Live
	return ls, c.do(ctx, "GET", PathLiveNow, machineQuery(machine), nil, &ls)
}

// Query returns f as query parameters for GET /api/v1/events.
func (f EventFilter) Query() url.Values {
	q := url.Values{}
	if f.Machine != "" {
		q.Set("machine", f.Machine)
	}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if !f.From.IsZero() {
		q.Set("from", f.From.UTC().Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.UTC().Format(time.RFC3339Nano))
	}
	if f.Open {
		q.Set("open", "true")
	}
	if f.Unacknowledged {
		q.Set("unacknowledged", "true")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// Query returns f as query parameters for GET /api/v1/audit.
func (f AuditFilter) Query() url.Values {
	q := url.Values{}
	if f.Actor != "" {
		q.Set("actor", f.Actor)
	}
	if f.Action != "" {
		q.Set("action", f.Action)
	}
	if f.Target != "" {
		q.Set("target", f.Target)
	}
	if f.Before > 0 {
		q.Set("before", id(f.Before))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// Events lists the events selected by f, newest first.
func (c *Client) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	var es []Event
	return es, c.do(ctx, "GET", PathEvents, f.Query(), nil, &es)
}

// Event returns one event.
func (c *Client) Event(ctx context.Context, eventID int64) (Event, error) {
	var e Event
	return e, c.do(ctx, "GET", Expand(PathEvent, id(eventID)), nil, nil, &e)
}

// AcknowledgeEvent acknowledges an event (operator) and returns it. An
// event acknowledged before gives CodeConflict.
func (c *Client) AcknowledgeEvent(ctx context.Context, eventID int64, comment string) (Event, error) {
	var e Event
	return e, c.do(ctx, "POST", Expand(PathAcknowledge, id(eventID)), nil, AcknowledgeRequest{Comment: comment}, &e)
}

// LabelEvent sets an event's label (operator): a fault type or
// LabelFalseAlarm; "" clears it.
func (c *Client) LabelEvent(ctx context.Context, eventID int64, label string) (Event, error) {
	var e Event
	return e, c.do(ctx, "POST", Expand(PathLabel, id(eventID)), nil, LabelRequest{Label: label}, &e)
}

// Tokens lists the API tokens (admin).
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var ts []Token
	return ts, c.do(ctx, "GET", PathTokens, nil, nil, &ts)
}

// CreateToken creates a token (admin) and returns it with its secret.
func (c *Client) CreateToken(ctx context.Context, req CreateTokenRequest) (CreatedToken, error) {
	var t CreatedToken
	return t, c.do(ctx, "POST", PathTokens, nil, req, &t)
}

// RevokeToken revokes a token (admin); requests with it fail from then on.
func (c *Client) RevokeToken(ctx context.Context, tokenID int64) error {
	return c.do(ctx, "DELETE", Expand(PathToken, id(tokenID)), nil, nil, nil)
}

// Audit lists audit log entries (admin), newest first.
func (c *Client) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var as []AuditEntry
	return as, c.do(ctx, "GET", PathAudit, f.Query(), nil, &as)
}
