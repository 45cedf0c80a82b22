package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/errtrack"
	"signalcraft/appliance/loki"
	"signalcraft/appliance/metrics"
	"signalcraft/appliance/replicate"
)

// Shutdown bounds: a daemon that stops must not hang on an unreachable Loki or Sentry.
const (
	lokiCloseTimeout  = 3 * time.Second
	errorFlushTimeout = 2 * time.Second
)

// observability is the daemon's central logging and error tracking, both optional.
type observability struct {
	log     *slog.Logger
	tracker *errtrack.Tracker // nil: error tracking off
	shipper *loki.Shipper     // nil: no Loki
}

// startObservability builds the daemon's logger: base (stdout or the status log file),
// plus Loki when logging.loki is configured, wrapped by error tracking when
// error_tracking is. base itself reports the shipper's and the tracker's own trouble, so
// they never feed themselves.
func startObservability(cfg *config.Config, base slog.Handler, lv slog.Leveler, met *metrics.Metrics) (*observability, error) {
	o := &observability{}
	baseLog := slog.New(base)
	h := base
	name := cfg.ApplianceName()
	if l := cfg.Logging.Loki; l != nil {
		s, err := loki.New(loki.Config{URL: l.URL, Appliance: name, Labels: l.Labels, BatchWait: l.BatchWait,
			BatchLines: l.BatchLines, BufferLines: l.BufferLines, Timeout: l.Timeout, MaxRetries: l.MaxRetries,
			TenantID: l.TenantID, Username: l.Username, Password: string(l.Password)},
			loki.Options{Log: baseLog.With("component", "loki"), OnShipped: met.LogShipped, OnDropped: met.LogDropped, OnPush: met.LogPushed})
		if err != nil {
			return nil, err
		}
		o.shipper = s
		h = slog.NewMultiHandler(base, s.Handler(&slog.HandlerOptions{Level: lv}))
	}
	if e := cfg.ErrorTracking; e.Enabled() {
		host, _ := os.Hostname()
		t, err := errtrack.New(errtrack.Options{DSN: string(e.DSN), Environment: e.Environment, Release: version,
			SampleRate: e.SampleRate, ErrorsPerMinute: e.ErrorsPerMinute, Appliance: name, Host: host,
			Secrets: configSecrets(cfg), OnReport: met.ErrorReported})
		if err != nil {
			o.close()
			return nil, err
		}
		o.tracker = t
		h = t.Handler(h)
	}
	o.log = slog.New(h)
	return o, nil
}

// recovered is what the API server calls with a panic; nil when error tracking is off.
func (o *observability) recovered() func(ctx context.Context, v any, details map[string]any) string {
	if o.tracker == nil {
		return nil
	}
	return o.tracker.Panic
}

// close flushes both, each within its bound.
func (o *observability) close() {
	o.tracker.Close(errorFlushTimeout)
	if o.shipper != nil {
		ctx, cancel := context.WithTimeout(context.Background(), lokiCloseTimeout)
		defer cancel()
		_ = o.shipper.Close(ctx)
	}
}

// configSecrets lists every secret value of the configuration, for the error tracker's
// scrubber: the S3 keys (inline or from the credentials file), the Loki password, the
// receivers' passwords, secrets, keys and secret URLs. API token secrets are never in the
// configuration; the scrubber recognises them by their sc_ prefix.
func configSecrets(cfg *config.Config) []string {
	var out []string
	if s := cfg.Replication.S3; s != nil {
		out = append(out, s.AccessKeyID, string(s.SecretAccessKey))
		if s.CredentialsFile != "" {
			if id, secret, err := replicate.ReadCredentialsFile(s.CredentialsFile); err == nil {
				out = append(out, id, secret)
			}
		}
	}
	if l := cfg.Logging.Loki; l != nil {
		out = append(out, string(l.Password))
	}
	for _, r := range cfg.Receivers {
		out = append(out, r.Secrets()...)
	}
	return out
}
