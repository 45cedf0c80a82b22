package errtrack

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/getsentry/sentry-go"
)

// Handler wraps next so that every record at ERROR or above also becomes an event (within
// the per-minute budget), with the record's attributes as the context "log". Records
// carrying ReportedKey are passed on only. With a nil tracker it returns next.
func (t *Tracker) Handler(next slog.Handler) slog.Handler {
	if t == nil {
		return next
	}
	return &logHandler{next: next, t: t}
}

type logHandler struct {
	next   slog.Handler
	t      *Tracker
	attrs  []slog.Attr // from WithAttrs, keys prefixed with their groups
	prefix string      // open groups, "a.b."
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.capture(ctx, r)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	c.attrs = slices.Clip(h.attrs)
	for _, a := range as {
		a.Key = h.prefix + a.Key
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.next = h.next.WithGroup(name)
	c.prefix = h.prefix + name + "."
	return &c
}

func (h *logHandler) capture(ctx context.Context, r slog.Record) {
	fields := map[string]any{}
	for _, a := range h.attrs {
		flatten(fields, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		flatten(fields, h.prefix, a)
		return true
	})
	if _, done := fields[ReportedKey]; done {
		return
	}
	if !h.t.allow(KindError) {
		return
	}
	value := r.Message
	for _, k := range []string{"err", "error"} {
		if s, ok := fields[h.prefix+k].(string); ok && s != "" {
			value = s
			break
		}
	}
	ev := &sentry.Event{
		Level:   sentry.LevelError,
		Message: r.Message,
		Logger:  "slog",
		// The log message is a fixed text per call site; the error text varies (ids,
		// paths), so events group by message and stack.
		Exception: []sentry.Exception{{Type: r.Message, Value: value, Stacktrace: stack()}},
	}
	if !r.Time.IsZero() {
		ev.Timestamp = r.Time
	}
	h.t.send(ctx, KindError, ev, "log", fields)
}

// flatten puts a (resolved) attribute in m under its dotted key; groups become prefixes.
func flatten(m map[string]any, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := prefix + a.Key
	switch a.Value.Kind() {
	case slog.KindGroup:
		p := prefix
		if a.Key != "" {
			p = key + "."
		}
		for _, g := range a.Value.Group() {
			flatten(m, p, g)
		}
	case slog.KindString:
		m[key] = a.Value.String()
	case slog.KindInt64:
		m[key] = a.Value.Int64()
	case slog.KindUint64:
		m[key] = a.Value.Uint64()
	case slog.KindFloat64:
		m[key] = a.Value.Float64()
	case slog.KindBool:
		m[key] = a.Value.Bool()
	default: // durations, times, errors, structs: their text
		m[key] = a.Value.String()
	}
}

func sprint(v any) string { return fmt.Sprint(v) }
