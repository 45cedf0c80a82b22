// Package sdnotify speaks systemd's service notification protocol (sd_notify(3)) without cgo:
// state lines such as READY=1 or WATCHDOG=1 sent as one datagram to the unix socket named by
// $NOTIFY_SOCKET, and the watchdog interval systemd announces in $WATCHDOG_USEC.
//
// Outside systemd (no $NOTIFY_SOCKET) a Notifier is disabled and every call is a no-op, so the
// daemon calls it unconditionally.
package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Environment variables systemd sets for a Type=notify service.
const (
	EnvSocket       = "NOTIFY_SOCKET"
	EnvWatchdogUSec = "WATCHDOG_USEC"
	EnvWatchdogPID  = "WATCHDOG_PID"
)

// States understood by systemd (see sd_notify(3)).
const (
	StateReady    = "READY=1"
	StateStopping = "STOPPING=1"
	StateWatchdog = "WATCHDOG=1"
)

// Errors.
var (
	// ErrBadState is returned for a state line that is empty or holds a newline.
	ErrBadState = errors.New("sdnotify: bad state line")
	// ErrBadWatchdog is returned when $WATCHDOG_USEC is not a positive integer.
	ErrBadWatchdog = errors.New("sdnotify: bad " + EnvWatchdogUSec)
)

// Notifier sends state lines to systemd. The zero value, and a Notifier for an empty socket
// path, is disabled.
type Notifier struct {
	addr *net.UnixAddr // nil when disabled
}

// New returns a Notifier for the socket at path; "" gives a disabled Notifier. A path that
// starts with '@' names a socket in the abstract namespace, as systemd may pass.
func New(path string) *Notifier {
	if path == "" {
		return &Notifier{}
	}
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET as getenv reports it (os.Getenv in main).
func FromEnv(getenv func(string) string) *Notifier { return New(getenv(EnvSocket)) }

// Enabled tells whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends the state lines, such as StateReady and "STATUS=learning", in one datagram.
// It is a no-op when the Notifier is disabled.
func (n *Notifier) Notify(states ...string) error {
	if !n.Enabled() {
		return nil
	}
	if len(states) == 0 {
		return fmt.Errorf("%w: none given", ErrBadState)
	}
	for _, s := range states {
		if s == "" || strings.ContainsRune(s, '\n') {
			return fmt.Errorf("%w: %q", ErrBadState, s)
		}
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: dial %s: %w", n.addr.Name, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(states, "\n") + "\n")); err != nil {
		return fmt.Errorf("sdnotify: send: %w", err)
	}
	return nil
}

// Ready tells systemd the service has started, with a human-readable status line ("" for none).
func (n *Notifier) Ready(status string) error {
	if status == "" {
		return n.Notify(StateReady)
	}
	return n.Notify(StateReady, "STATUS="+status)
}

// Stopping tells systemd the service is shutting down.
func (n *Notifier) Stopping() error { return n.Notify(StateStopping) }

// Status updates the status line systemctl status shows.
func (n *Notifier) Status(status string) error { return n.Notify("STATUS=" + status) }

// WatchdogInterval returns the watchdog timeout systemd expects pings within, or 0 when the
// watchdog is off for this process: $WATCHDOG_USEC unset, or $WATCHDOG_PID naming another
// process than pid (os.Getpid in main).
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, error) {
	us := getenv(EnvWatchdogUSec)
	if us == "" {
		return 0, nil
	}
	if p := getenv(EnvWatchdogPID); p != "" {
		wp, err := strconv.Atoi(p)
		if err != nil {
			return 0, fmt.Errorf("sdnotify: bad %s %q: %w", EnvWatchdogPID, p, err)
		}
		if wp != pid {
			return 0, nil
		}
	}
	v, err := strconv.ParseUint(us, 10, 63)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadWatchdog, us)
	}
	return time.Duration(v) * time.Microsecond, nil
}

// Watchdog sends WATCHDOG=1 on every tick for which alive reports true, until ctx is done or
// ticks is closed. A tick on which alive is false (or blocks) sends nothing, so systemd
// restarts a service whose loops have stopped instead of one that merely still runs.
// Ticks should come at half the interval WatchdogInterval returns (time.NewTicker in main;
// tests send them by hand). It returns the number of pings sent and the first send error.
func (n *Notifier) Watchdog(ctx context.Context, ticks <-chan time.Time, alive func() bool) (int, error) {
	sent := 0
	var first error
	for {
		select {
		case <-ctx.Done():
			return sent, first
		case _, ok := <-ticks:
			if !ok {
				return sent, first
			}
			if !alive() {
				continue
			}
			if err := n.Notify(StateWatchdog); err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			sent++
		}
	}
}
