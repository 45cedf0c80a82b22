package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestNewLoggerFormats(t *testing.T) {
	var lv slog.LevelVar
	var text, js bytes.Buffer
	newLogger(&text, "text", &lv).Info("started", "machines", 3)
	newLogger(&js, "json", &lv).Info("started", "machines", 3)
	if !strings.Contains(text.String(), `level=INFO msg=started machines=3`) {
		t.Errorf("text: %q", text.String())
	}
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil {
		t.Fatalf("json: %v: %q", err, js.String())
	}
	if rec["msg"] != "started" || rec["level"] != "INFO" || rec["machines"] != float64(3) || rec["time"] == nil {
		t.Errorf("json record %v", rec)
	}
}

func TestStepLevel(t *testing.T) {
	tests := []struct {
		from       slog.Level
		more, less slog.Level
	}{
		{slog.LevelError, slog.LevelWarn, slog.LevelError},
		{slog.LevelWarn, slog.LevelInfo, slog.LevelError},
		{slog.LevelInfo, slog.LevelDebug, slog.LevelWarn},
		{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo},
		{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo}, // below debug: back in range
		{slog.LevelInfo + 2, slog.LevelDebug, slog.LevelWarn},  // between info and warn: as info
	}
	for _, tt := range tests {
		if got := stepLevel(tt.from, true); got != tt.more {
			t.Errorf("stepLevel(%v, more) = %v; want %v", tt.from, got, tt.more)
		}
		if got := stepLevel(tt.from, false); got != tt.less {
			t.Errorf("stepLevel(%v, less) = %v; want %v", tt.from, got, tt.less)
		}
	}
}

// TestWatchLogLevel feeds signals through a channel (no real signals): each changes the
// level, the change is logged where it shows, and debug lines appear only when enabled.
func TestWatchLogLevel(t *testing.T) {
	var lv slog.LevelVar // info
	var out bytes.Buffer
	log := newLogger(&out, "text", &lv)
	sigs := make(chan os.Signal)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchLogLevel(context.Background(), sigs, &lv, log)
	}()
	steps := []struct {
		sig  os.Signal
		want slog.Level
	}{
		{syscall.SIGUSR1, slog.LevelDebug},
		{syscall.SIGUSR1, slog.LevelDebug},
		{syscall.SIGUSR2, slog.LevelInfo},
		{syscall.SIGUSR2, slog.LevelWarn},
		{syscall.SIGUSR2, slog.LevelError},
	}
	for i, s := range steps {
		sigs <- s.sig
		sigs <- syscall.SIGHUP // ignored; sigs is unbuffered, so the previous signal has been handled
		if got := lv.Level(); got != s.want {
			t.Fatalf("step %d (%v): level %v; want %v", i, s.sig, got, s.want)
		}
		if i == 0 {
			log.Debug("now visible")
		}
	}
	close(sigs)
	<-done
	got := out.String()
	for _, want := range []string{
		`level=INFO msg="log level changed" from=INFO to=DEBUG signal="user defined signal 1"`,
		`level=DEBUG msg="now visible"`,
		`level=WARN msg="log level changed" from=INFO to=WARN`,
		`level=ERROR msg="log level changed" from=WARN to=ERROR`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}
