// Package connect turns the terminal client's command line into an API
// client: the appliance's unix socket by default, or HTTPS with a bearer
// token and a pinned certificate. Pins come from --fingerprint or from the
// known_appliances file, filled by trust on first use.
package connect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"signalcraft/core/api"
)

// DefaultSocket is the appliance's default API socket.
const DefaultSocket = "/run/signalcraft/api.sock"

// ErrNotTrusted is returned when the user declines a first-seen certificate.
var ErrNotTrusted = errors.New("certificate not trusted")

// Config is what the command line says about the appliance.
type Config struct {
	Socket      string // unix socket path, used when URL is empty
	URL         string // https://host:port (or http:// for tests)
	Token       string // bearer token secret
	Fingerprint string // SHA-256 of the appliance's certificate
	// KnownFile is the known_appliances file ("" : DefaultKnownFile).
	KnownFile string
	UserAgent string
}

// Prompter asks the user whether to trust a certificate seen for the
// first time.
type Prompter func(host, fingerprint string) (bool, error)

// Fetcher reads the certificate fingerprint of an address (api.FetchFingerprint).
type Fetcher func(ctx context.Context, addr string) (string, error)

// DefaultKnownFile is ~/.config/signalcraft/known_appliances (per
// os.UserConfigDir).
func DefaultKnownFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("known appliances: %w", err)
	}
	return filepath.Join(dir, "signalcraft", "known_appliances"), nil
}

// Target names the appliance for messages: "unix:PATH" or the URL.
func (c Config) Target() string {
	if c.URL != "" {
		return c.URL
	}
	return "unix:" + c.socket()
}

func (c Config) socket() string {
	if c.Socket == "" {
		return DefaultSocket
	}
	return c.Socket
}

// Client builds the API client. For https URLs without a fingerprint it
// looks the host up in the known file, and otherwise fetches the
// certificate's fingerprint, asks ask, and remembers the answer.
func Client(ctx context.Context, c Config, ask Prompter, fetch Fetcher) (*api.Client, error) {
	opts := []api.ClientOption{}
	if c.UserAgent != "" {
		opts = append(opts, api.WithUserAgent(c.UserAgent))
	}
	if c.Token != "" {
		opts = append(opts, api.WithToken(c.Token))
	}
	if c.URL == "" {
		opts = append(opts, api.WithUnixSocket(c.socket()))
		return api.NewClient("", opts...)
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want https://host:port", c.URL)
	}
	if u.Scheme == "https" {
		fp, err := Pin(ctx, c, hostPort(u), ask, fetch)
		if err != nil {
			return nil, err
		}
		opts = append(opts, api.WithTLSFingerprint(fp))
	}
	return api.NewClient(c.URL, opts...)
}

func hostPort(u *url.URL) string {
	if u.Port() == "" {
		return u.Hostname() + ":443"
	}
	return u.Host
}

// Pin returns the fingerprint to pin for host: --fingerprint, else the known
// file's, else trust on first use.
func Pin(ctx context.Context, c Config, host string, ask Prompter, fetch Fetcher) (string, error) {
	if c.Fingerprint != "" {
		if _, err := api.ParseFingerprint(c.Fingerprint); err != nil {
			return "", fmt.Errorf("--fingerprint: %w", err)
		}
		return c.Fingerprint, nil
	}
	file := c.KnownFile
	if file == "" {
		var err error
		if file, err = DefaultKnownFile(); err != nil {
			return "", err
		}
	}
	fp, ok, err := Lookup(file, host)
	if err != nil {
		return "", err
	}
	if ok {
		return fp, nil
	}
	fp, err = fetch(ctx, host)
	if err != nil {
		return "", err
	}
	yes, err := ask(host, fp)
	if err != nil {
		return "", err
	}
	if !yes {
		return "", fmt.Errorf("%s: %w", host, ErrNotTrusted)
	}
	if err := Remember(file, host, fp); err != nil {
		return "", err
	}
	return fp, nil
}

// Lookup returns the fingerprint stored for host in file ("host:port hex"
// lines; # comments). A missing file knows nothing.
func Lookup(file, host string) (string, bool, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("known appliances: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && !strings.HasPrefix(fields[0], "#") && fields[0] == host {
			return fields[1], true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", false, fmt.Errorf("known appliances %s: %w", file, err)
	}
	return "", false, nil
}

// Remember appends host's fingerprint to file, creating it (0600) and its
// directory (0700).
func Remember(file, host, fingerprint string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("known appliances: %w", err)
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("known appliances: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", host, fingerprint); err != nil {
		f.Close()
		return fmt.Errorf("known appliances %s: %w", file, err)
	}
	return f.Close()
}

// AskOnTerminal returns a Prompter that shows the fingerprint on out and
// reads y/n from in.
func AskOnTerminal(in *bufio.Reader, out *os.File) Prompter {
	return func(host, fp string) (bool, error) {
		fmt.Fprintf(out, "The appliance at %s presents a certificate with SHA-256 fingerprint\n  %s\n"+
			"Compare it with the one in the appliance's log (signalcraftd prints it at start).\n"+
			"Trust it and remember it? [y/N] ", host, fp)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return false, fmt.Errorf("reading the answer: %w", err)
		}
		a := strings.ToLower(strings.TrimSpace(line))
		return a == "y" || a == "yes", nil
	}
}
