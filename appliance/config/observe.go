package config

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrorTracking sends panics and errors logged at ERROR to a Sentry-compatible server
// (appliance/errtrack). Left out (no dsn), nothing is sent.
type ErrorTracking struct {
	// DSN is the project's client key URL (https://PUBLIC_KEY@sentry.example.com/PROJECT_ID).
	// It is a secret: it never prints.
	DSN Secret `yaml:"dsn"`
	// Environment tags every event (default production).
	Environment string `yaml:"environment"`
	// SampleRate is the share of error events sent, above 0 and at most 1 (default 1).
	SampleRate float64 `yaml:"sample_rate"`
	// ErrorsPerMinute bounds the events made from ERROR log lines (default 10; panics
	// are always sent).
	ErrorsPerMinute int `yaml:"errors_per_minute"`
}

// Enabled reports whether error tracking is configured.
func (e ErrorTracking) Enabled() bool { return e.DSN != "" }

// Logging configures where log lines go besides stdout (journald under systemd).
type Logging struct {
	// Loki pushes every log line to a Grafana Loki server (appliance/loki).
	Loki *Loki `yaml:"loki"`
}

// Loki is a Grafana Loki push target. Every stream carries the labels app="signalcraft",
// appliance=<the appliance's name> and level, plus Labels.
type Loki struct {
	// URL is Loki's base URL (http:// or https://); lines go to URL/loki/api/v1/push.
	URL string `yaml:"url"`
	// Labels are added to every stream (e.g. site, line); keep them few and static.
	Labels map[string]string `yaml:"labels"`
	// BatchWait is the longest a line waits before it is pushed (default 1s).
	BatchWait time.Duration `yaml:"batch_wait"`
	// BatchLines is the most lines in one push (default 1000).
	BatchLines int `yaml:"batch_lines"`
	// BufferLines is how many lines wait for Loki at most; beyond, new lines are dropped
	// and counted (default 10000). Logging never waits for Loki.
	BufferLines int `yaml:"buffer_lines"`
	// Timeout bounds one push (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxRetries is how often a failed push is retried, with backoff, before its lines are
	// dropped and counted (default 5).
	MaxRetries int `yaml:"max_retries"`
	// TenantID is sent as X-Scope-OrgID to a multi-tenant Loki ("" sends none).
	TenantID string `yaml:"tenant_id"`
	// Username and Password are HTTP basic auth (Grafana Cloud, a reverse proxy).
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// Loki defaults.
const (
	DefaultLokiBatchWait   = time.Second
	DefaultLokiBatchLines  = 1000
	DefaultLokiBufferLines = 10000
	DefaultLokiTimeout     = 10 * time.Second
	DefaultLokiMaxRetries  = 5

	DefaultErrorEnvironment     = "production"
	DefaultErrorsPerMinute      = 10
	DefaultErrorTrackSampleRate = 1.0
)

// LokiReservedLabels are set by the appliance on every stream.
var LokiReservedLabels = []string{"app", "appliance", "level"}

var (
	applianceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$`)
	lokiLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// ApplianceName is the name the appliance goes by in central logs, error tracking and the
// fleet documentation: the configured name, or else the host name.
func (c *Config) ApplianceName() string {
	if c.Name != "" {
		return c.Name
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "signalcraft"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return strings.ToLower(h)
}

func (c *Config) applyObserveDefaults() {
	if e := &c.ErrorTracking; e.Enabled() {
		if e.Environment == "" {
			e.Environment = DefaultErrorEnvironment
		}
		if e.SampleRate == 0 {
			e.SampleRate = DefaultErrorTrackSampleRate
		}
		if e.ErrorsPerMinute == 0 {
			e.ErrorsPerMinute = DefaultErrorsPerMinute
		}
	}
	if l := c.Logging.Loki; l != nil {
		if l.BatchWait == 0 {
			l.BatchWait = DefaultLokiBatchWait
		}
		if l.BatchLines == 0 {
			l.BatchLines = DefaultLokiBatchLines
		}
		if l.BufferLines == 0 {
			l.BufferLines = DefaultLokiBufferLines
		}
		if l.Timeout == 0 {
			l.Timeout = DefaultLokiTimeout
		}
		if l.MaxRetries == 0 {
			l.MaxRetries = DefaultLokiMaxRetries
		}
	}
}

// validateObserve checks name, error_tracking and logging. Secret values are never put in
// an error.
func (c *Config) validateObserve() []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	if c.Name != "" && !applianceName.MatchString(c.Name) {
		add(fieldErr("name", c.Name, "must be 1-63 letters, digits, '.', '-' and '_', starting with a letter or digit"))
	}
	if e := c.ErrorTracking; e.Enabled() {
		if why := dsnProblem(string(e.DSN)); why != "" {
			add(fieldErr("error_tracking.dsn", redacted, why))
		}
		if len(e.Environment) > 64 || strings.ContainsAny(e.Environment, " \t\r\n/") {
			add(fieldErr("error_tracking.environment", e.Environment, "must be at most 64 characters without spaces or '/'"))
		}
		if math.IsNaN(e.SampleRate) || e.SampleRate <= 0 || e.SampleRate > 1 {
			add(fieldErr("error_tracking.sample_rate", e.SampleRate, "must be above 0 and at most 1"))
		}
		if e.ErrorsPerMinute < 1 || e.ErrorsPerMinute > 600 {
			add(fieldErr("error_tracking.errors_per_minute", e.ErrorsPerMinute, "must be between 1 and 600"))
		}
	} else if e.Environment != "" || e.SampleRate != 0 || e.ErrorsPerMinute != 0 {
		add(fieldErr("error_tracking.dsn", "", "is needed to turn error tracking on (the other settings do nothing without it)"))
	}
	l := c.Logging.Loki
	if l == nil {
		return errs
	}
	const p = "logging.loki."
	u, err := url.Parse(l.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		add(fieldErr(p+"url", l.URL, "must be an http:// or https:// URL with a host and no credentials or query, e.g. http://loki.plant:3100 (credentials go in username and password)"))
	}
	keys := make([]string, 0, len(l.Labels))
	for k := range l.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 10 {
		add(fieldErr(p+"labels", len(keys), "at most 10 labels: every label value makes another Loki stream"))
	}
	for _, k := range keys {
		switch v := l.Labels[k]; {
		case !lokiLabelName.MatchString(k) || strings.HasPrefix(k, "__"):
			add(fieldErr(p+"labels."+k, v, "a label name is letters, digits and '_', not starting with a digit or '__'"))
		case slices.Contains(LokiReservedLabels, k):
			add(fieldErr(p+"labels."+k, v, "is set by the appliance ("+strings.Join(LokiReservedLabels, ", ")+"); use name: for the appliance's name"))
		case v == "" || len(v) > 200:
			add(fieldErr(p+"labels."+k, v, "must be 1 to 200 characters"))
		}
	}
	if l.BatchWait < 10*time.Millisecond || l.BatchWait > time.Minute {
		add(fieldErr(p+"batch_wait", l.BatchWait, "must be between 10ms and 1m"))
	}
	if l.BatchLines < 1 || l.BatchLines > 100000 {
		add(fieldErr(p+"batch_lines", l.BatchLines, "must be between 1 and 100000"))
	}
	if l.BufferLines < l.BatchLines || l.BufferLines > 1000000 {
		add(fieldErr(p+"buffer_lines", l.BufferLines, fmt.Sprintf("must be between batch_lines (%d) and 1000000", l.BatchLines)))
	}
	if l.Timeout < 100*time.Millisecond || l.Timeout > 5*time.Minute {
		add(fieldErr(p+"timeout", l.Timeout, "must be between 100ms and 5m"))
	}
	if l.MaxRetries < 0 || l.MaxRetries > 20 {
		add(fieldErr(p+"max_retries", l.MaxRetries, "must be between 0 and 20"))
	}
	if (l.Username == "") != (l.Password == "") {
		add(fieldErr(p+"username", l.Username, "username and password go together"))
	}
	return errs
}

// dsnProblem says what is wrong with a Sentry DSN, "" if nothing. It never quotes the DSN.
func dsnProblem(dsn string) string {
	const form = "must be a Sentry DSN such as https://PUBLIC_KEY@sentry.example.com/PROJECT_ID"
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User == nil || u.User.Username() == "" {
		return form
	}
	id := strings.TrimPrefix(u.Path, "/")
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return form + " (the path ends in the numeric project id)"
	}
	return ""
}
