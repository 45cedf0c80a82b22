package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"signalcraft/appliance/capture"
	"signalcraft/appliance/config"
	"signalcraft/appliance/daemon"
	"signalcraft/appliance/datadir"
	"signalcraft/appliance/metrics"
	"signalcraft/appliance/statusview"
	"signalcraft/core/shareddata"
)

func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd", args, stdout, stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage+"\nFlags of run:\n"); fs.PrintDefaults() }
	cfgPath := fs.String("config", "", "configuration file (default "+DefaultConfigPath+")")
	demo := fs.Bool("demo", false, "run the embedded demo (simulated machines, plus recordings from ../shared/data when present)")
	dataDir := fs.String("data-dir", "", "override data_dir from the configuration")
	status := fs.Bool("status", false, "show a live status table (logs then go to data_dir/signalcraftd.log)")
	check := fs.Bool("check-config", false, "validate the configuration, data_dir, WAV files and capture devices, and exit")
	noDevices := fs.Bool("no-devices", false, "with --check-config: skip the capture device checks (when building an image without the microphones)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "signalcraftd", version)
		return nil
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath, *demo)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *check {
		co := daemon.CheckOptions{Devices: capture.Devices}
		if *noDevices {
			co.Devices = nil
		}
		if err := daemon.Check(cfg, co); err != nil {
			return config.InFile(describeConfig(*cfgPath, *demo), err)
		}
		devs := "no capture device to check"
		if slices.ContainsFunc(cfg.Sources, func(s config.Source) bool { return s.Kind == config.KindPortAudio }) {
			devs = "capture devices present"
			if *noDevices {
				devs = "capture devices not checked (--no-devices)"
			}
		}
		fmt.Fprintf(stdout, "configuration ok: %d source(s), %d machine(s); data_dir %s writable, %s\n",
			len(cfg.Sources), len(cfg.Machines), cfg.DataDir, devs)
		return nil
	}

	logOut := stdout
	if *status {
		if err := datadir.Prepare(cfg.DataDir); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(cfg.DataDir, "signalcraftd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		defer f.Close()
		logOut = f
	}
	var level slog.LevelVar
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("log_level %q: %w", cfg.LogLevel, err)
	}
	met := metrics.New(metrics.Options{Version: version})
	obs, err := startObservability(cfg, newLogger(logOut, cfg.LogFormat, &level).Handler(), &level, met)
	if err != nil {
		return err
	}
	defer obs.close()           // bounded flush of Loki and error tracking
	defer obs.tracker.Repanic() // a panic of this goroutine is reported before the crash
	log := obs.log
	defer logLevelSignals(ctx, &level, log)() // SIGUSR1 logs more, SIGUSR2 less
	log.Info("starting", "version", version, "config", describeConfig(*cfgPath, *demo),
		"appliance", cfg.ApplianceName(), "loki", obs.shipper != nil, "error_tracking", obs.tracker != nil)

	m, err := daemon.New(ctx, cfg, daemon.Options{Logger: log, Version: version, Metrics: met, Recovered: obs.recovered()})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		defer obs.tracker.Repanic()
		done <- m.Run(ctx)
	}()
	stopNotify := notifySystemd(ctx, m, cfg, log) // READY=1 and watchdog pings under systemd
	defer stopNotify()
	if !*status {
		return <-done
	}
	return showStatus(m, stdout, done)
}

func loadConfig(path string, demo bool) (*config.Config, error) {
	switch {
	case demo && path != "":
		return nil, usageError{fmt.Errorf("--demo and --config are exclusive")}
	case demo:
		shared, err := shareddata.Dir()
		if err != nil {
			shared = ""
		}
		return config.Demo(".demo", shared)
	case path == "":
		path = DefaultConfigPath
	}
	return config.Load(path)
}

func describeConfig(path string, demo bool) string {
	if demo {
		return "embedded demo"
	}
	if path == "" {
		return DefaultConfigPath
	}
	return path
}

// showStatus redraws the status table twice a second until the daemon stops.
func showStatus(m *daemon.Main, w io.Writer, done <-chan error) error {
	tty := isTerminal(w)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lines := 0
	draw := func() {
		var b strings.Builder
		_ = statusview.Render(&b, time.Now(), rows(m.Status()), statusview.Options{Color: tty, Width: 24})
		if tty && lines > 0 {
			fmt.Fprintf(w, "\x1b[%dA\x1b[J", lines) // move up over the previous table and clear
		}
		fmt.Fprint(w, b.String())
		lines = strings.Count(b.String(), "\n")
	}
	every := 0
	for {
		select {
		case err := <-done:
			draw()
			fmt.Fprintf(w, "stopped; data in %s\n", m.DatabasePath())
			return err
		case <-tick.C:
			every++
			if tty || every%10 == 0 { // without a terminal, print a table every 5 s
				draw()
			}
		}
	}
}

func rows(st []daemon.Status) []statusview.Row {
	out := make([]statusview.Row, len(st))
	for i, s := range st {
		last := ""
		if !s.LastEvent.IsZero() {
			last = fmt.Sprintf("%s anomaly (peak %.1f)", s.LastEvent.Format("15:04:05"), s.LastPeak)
		}
		out[i] = statusview.Row{Machine: s.Machine, Name: s.Name, State: s.State, Progress: s.Progress,
			Sensor: string(s.Sensor), LevelDBFS: s.LevelDBFS, Score: s.Smoothed, Threshold: s.Threshold,
			History: s.History, Events: s.Events, LastEvent: last}
	}
	return out
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
