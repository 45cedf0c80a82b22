package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// newLogger returns the daemon's logger writing to w as text (logfmt, the default) or as
// JSON objects one a line (format "json", for journald and log shippers), at the level lv
// holds: changing lv changes what is logged from then on.
func newLogger(w io.Writer, format string, lv *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// levels are the log levels from the quietest to the most verbose.
var levels = []slog.Level{slog.LevelError, slog.LevelWarn, slog.LevelInfo, slog.LevelDebug}

// stepLevel returns the level one step more verbose (more) or quieter than l, staying
// within error..debug.
func stepLevel(l slog.Level, more bool) slog.Level {
	i := 0
	for i < len(levels)-1 && levels[i] > l { // levels[i] > l: l is more verbose than levels[i]
		i++
	}
	if more {
		i++
	} else {
		i--
	}
	return levels[max(0, min(i, len(levels)-1))]
}

// watchLogLevel changes lv on every signal until ctx ends or sigs is closed: SIGUSR1 logs
// one step more (error → warn → info → debug), SIGUSR2 one step less. The change is logged
// at the new level, or info if that is more verbose, so it always shows.
func watchLogLevel(ctx context.Context, sigs <-chan os.Signal, lv *slog.LevelVar, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-sigs:
			if !ok {
				return
			}
			if s != syscall.SIGUSR1 && s != syscall.SIGUSR2 {
				continue
			}
			from := lv.Level()
			to := stepLevel(from, s == syscall.SIGUSR1)
			lv.Set(to)
			log.Log(ctx, max(to, slog.LevelInfo), "log level changed", "from", from.String(), "to", to.String(), "signal", s.String())
		}
	}
}

// logLevelSignals makes SIGUSR1 and SIGUSR2 change lv (see watchLogLevel) until stop is
// called or ctx ends.
func logLevelSignals(ctx context.Context, lv *slog.LevelVar, log *slog.Logger) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchLogLevel(ctx, sigs, lv, log)
	}()
	return func() {
		signal.Stop(sigs)
		cancel()
		<-done
	}
}
