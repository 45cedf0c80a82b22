package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/daemon"
	"signalcraft/appliance/sdnotify"
	wire "signalcraft/core/api"
)

// readyPoll is how often the API is probed while the daemon starts.
const readyPoll = 100 * time.Millisecond

// notifySystemd runs the systemd side of Type=notify: READY=1 once the daemon has opened its
// database and its API answers (so capture has started too: Run starts the sources first),
// STATUS= lines with the machines' states, WATCHDOG=1 at half of WatchdogSec while the daemon is
// alive, and STOPPING=1 at shutdown. Outside systemd ($NOTIFY_SOCKET unset) it does nothing.
// Call the returned func once Run has returned: it stops the notifier and waits for it.
func notifySystemd(ctx context.Context, m *daemon.Main, cfg *config.Config, log *slog.Logger) (stop func()) {
	n := sdnotify.FromEnv(os.Getenv)
	if !n.Enabled() {
		return func() {}
	}
	interval, err := sdnotify.WatchdogInterval(os.Getenv, os.Getpid())
	if err != nil {
		log.Warn("systemd watchdog disabled", "err", err)
		interval = 0
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer func() {
			if err := n.Stopping(); err != nil {
				log.Warn("systemd notify", "err", err)
			}
		}()
		timeout := 2 * time.Second
		if interval > 0 {
			timeout = min(timeout, interval/4)
		}
		probe := apiProbe(cfg.API, timeout)
		if !waitReady(ctx, probe) {
			return
		}
		status := statusLine(m.Status())
		if err := n.Ready(status); err != nil {
			log.Warn("systemd notify", "err", err)
		}
		log.Info("systemd notified: ready", "status", status, "watchdog", interval)
		if interval <= 0 {
			<-ctx.Done()
			return
		}
		tick := time.NewTicker(interval / 2)
		defer tick.Stop()
		alive := func() bool {
			// Status takes the lock every machine loop and API handler shares: a deadlock
			// there, or an API that no longer answers, stops the pings and systemd restarts us.
			if s := statusLine(m.Status()); s != status {
				status = s
				_ = n.Status(s)
			}
			if err := probe(ctx); err != nil {
				log.Warn("systemd watchdog: API does not answer", "err", err)
				return false
			}
			return true
		}
		if _, err := n.Watchdog(ctx, tick.C, alive); err != nil {
			log.Warn("systemd watchdog", "err", err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// waitReady probes until the API answers or ctx is done.
func waitReady(ctx context.Context, probe func(context.Context) error) bool {
	for probe(ctx) != nil {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(readyPoll):
		}
	}
	return ctx.Err() == nil
}

// apiProbe returns a check that the daemon's API serves requests: any HTTP answer from the
// health route over the unix socket counts, or a TCP connection to the TLS listener when only
// that is configured. Without an API every probe succeeds.
func apiProbe(c config.API, timeout time.Duration) func(context.Context) error {
	switch {
	case c.Socket != "":
		hc := &http.Client{Timeout: timeout, Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", c.Socket)
			},
			DisableKeepAlives: true,
		}}
		return func(ctx context.Context) error {
			// Not cancelled with ctx: a connection abandoned before its request would hold the
			// API's graceful shutdown for 5 s (net/http waits that long on new connections).
			req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, "http://unix"+wire.PathHealth, nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			return resp.Body.Close()
		}
	case c.Listen != "":
		addr := c.Listen
		if strings.HasPrefix(addr, ":") {
			addr = "127.0.0.1" + addr
		}
		return func(ctx context.Context) error {
			d := net.Dialer{Timeout: timeout}
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			return conn.Close()
		}
	}
	return func(context.Context) error { return nil }
}

// statusLine summarises the machines' states for systemctl status.
func statusLine(st []daemon.Status) string {
	count := map[string]int{}
	var order []string
	for _, s := range st {
		if count[s.State] == 0 {
			order = append(order, s.State)
		}
		count[s.State]++
	}
	parts := make([]string, len(order))
	for i, state := range order {
		parts[i] = fmt.Sprintf("%d %s", count[state], state)
	}
	noun := "machines"
	if len(st) == 1 {
		noun = "machine"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", len(st), noun)
	}
	return fmt.Sprintf("%d %s: %s", len(st), noun, strings.Join(parts, ", "))
}
