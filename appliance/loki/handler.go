package loki

import (
	"bytes"
	"log/slog"
	"time"
)

// Handler returns a slog.Handler that writes each record as one JSON object (the format
// of log_format: json) to the shipper's queue, labelled with its level.
func (s *Shipper) Handler(opts *slog.HandlerOptions) slog.Handler {
	return slog.NewJSONHandler(sink{s}, opts)
}

// sink receives the JSON handler's output: one whole line per Write (the handler formats a
// record into a buffer and writes it at once, under its lock).
type sink struct{ s *Shipper }

var (
	timePrefix = []byte(`{"time":"`)
	levelKey   = []byte(`"level":"`)
)

func (k sink) Write(p []byte) (int, error) {
	line := bytes.TrimSuffix(p, []byte("\n"))
	e := entry{level: "info", line: string(line)}
	rest := line
	if bytes.HasPrefix(rest, timePrefix) {
		rest = rest[len(timePrefix):]
		if i := bytes.IndexByte(rest, '"'); i > 0 {
			if t, err := time.Parse(time.RFC3339Nano, string(rest[:i])); err == nil {
				e.ts = t.UnixNano()
			}
			rest = rest[i:]
		}
	}
	if e.ts == 0 {
		e.ts = k.s.o.Now().UnixNano()
	}
	if i := bytes.Index(rest, levelKey); i >= 0 {
		v := rest[i+len(levelKey):]
		switch {
		case bytes.HasPrefix(v, []byte("ERROR")):
			e.level = Level(slog.LevelError)
		case bytes.HasPrefix(v, []byte("WARN")):
			e.level = Level(slog.LevelWarn)
		case bytes.HasPrefix(v, []byte("DEBUG")):
			e.level = Level(slog.LevelDebug)
		}
	}
	k.s.enqueue(e)
	return len(p), nil
}
