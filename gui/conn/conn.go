// Package conn provides the desktop client's saved appliance connections:
// profiles (URL or unix socket, token, pinned TLS fingerprint) stored as a
// JSON file in the user's configuration directory, and the api.Client for a
// profile.
package conn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"signalcraft/core/api"
)

// Errors a profile or the store can give.
var (
	ErrInvalid  = errors.New("invalid connection")
	ErrNotFound = errors.New("no such connection")
)

// Profile is one saved appliance connection.
type Profile struct {
	Name        string `json:"name"`
	URL         string `json:"url,omitempty"`    // http(s)://host:port
	Socket      string `json:"socket,omitempty"` // unix socket path instead of URL
	Token       string `json:"token,omitempty"`  // bearer secret "sc_…"
	Fingerprint string `json:"fingerprint,omitempty"`
}

// String describes p without its token, so logs and error messages never
// carry the secret.
func (p Profile) String() string {
	where := p.URL
	if p.Socket != "" {
		where = "unix:" + p.Socket
	}
	tok := "no token"
	if p.Token != "" {
		tok = "token set"
	}
	return fmt.Sprintf("%s (%s, %s)", p.Name, where, tok)
}

// GoString keeps %#v from printing the token too.
func (p Profile) GoString() string { return "conn.Profile{" + p.String() + "}" }

// FieldError names the invalid field of a profile.
type FieldError struct {
	Field string // "name", "url", "socket", "fingerprint"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Validate checks p's fields; the error is a *FieldError.
func (p Profile) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return &FieldError{"name", "must not be empty"}
	}
	switch {
	case p.Socket == "" && p.URL == "":
		return &FieldError{"url", "give a URL or a unix socket path"}
	case p.Socket != "" && p.URL != "":
		return &FieldError{"socket", "give a URL or a unix socket path, not both"}
	case p.Socket != "" && !filepath.IsAbs(p.Socket):
		return &FieldError{"socket", fmt.Sprintf("%q is not an absolute path", p.Socket)}
	case p.URL != "":
		u, err := url.Parse(p.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &FieldError{"url", fmt.Sprintf("%q: want http://host:port or https://host:port", p.URL)}
		}
	}
	if p.Fingerprint != "" {
		if _, err := api.ParseFingerprint(p.Fingerprint); err != nil {
			return &FieldError{"fingerprint", "want 64 hex digits (SHA-256)"}
		}
		if !p.TLS() {
			return &FieldError{"fingerprint", "only an https:// URL has a certificate to pin"}
		}
	}
	return nil
}

// Absolute returns p with a relative socket path (the `make run` demo's .demo/api.sock)
// made absolute from the current directory, so that the saved connection works when the
// app is started from elsewhere.
func (p Profile) Absolute() (Profile, error) {
	if p.Socket == "" || filepath.IsAbs(p.Socket) {
		return p, nil
	}
	abs, err := filepath.Abs(p.Socket)
	if err != nil {
		return p, &FieldError{Field: "socket", Msg: err.Error()}
	}
	p.Socket = abs
	return p, nil
}

// TLS reports whether p connects with TLS.
func (p Profile) TLS() bool { return p.Socket == "" && strings.HasPrefix(p.URL, "https://") }

// NeedsTrust reports whether p must ask the user to trust the appliance's
// certificate before connecting: an https URL without a pinned fingerprint.
func (p Profile) NeedsTrust() bool { return p.TLS() && p.Fingerprint == "" }

// Client returns an API client for p. An https profile must have a pinned
// fingerprint (see NeedsTrust): the appliance's certificate is self-signed.
func (p Profile) Client(opts ...api.ClientOption) (*api.Client, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("connection %q: %w", p.Name, err)
	}
	if p.NeedsTrust() {
		return nil, fmt.Errorf("connection %q: %w: the certificate is not trusted yet", p.Name, ErrInvalid)
	}
	o := []api.ClientOption{api.WithUserAgent("signalcraft-desktop/" + api.Version)}
	if p.Token != "" {
		o = append(o, api.WithToken(p.Token))
	}
	if p.Socket != "" {
		o = append(o, api.WithUnixSocket(p.Socket))
	}
	if p.Fingerprint != "" {
		o = append(o, api.WithTLSFingerprint(p.Fingerprint))
	}
	return api.NewClient(p.URL, append(o, opts...)...)
}

// Config is what the store keeps: the profiles and the one in use.
type Config struct {
	Profiles []Profile `json:"profiles"`
	Active   string    `json:"active,omitempty"` // name of the profile in use
	Language string    `json:"language,omitempty"`
}

// Find returns the profile named name.
func (c Config) Find(name string) (Profile, bool) {
	for _, p := range c.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// Put adds p, or replaces the profile named old (old "" adds). Names must
// stay unique.
func (c *Config) Put(old string, p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for _, q := range c.Profiles {
		if q.Name == p.Name && q.Name != old {
			return &FieldError{"name", fmt.Sprintf("a connection named %q exists", p.Name)}
		}
	}
	for i, q := range c.Profiles {
		if old != "" && q.Name == old {
			c.Profiles[i] = p
			if c.Active == old {
				c.Active = p.Name
			}
			return nil
		}
	}
	if old != "" {
		return fmt.Errorf("%w: %q", ErrNotFound, old)
	}
	c.Profiles = append(c.Profiles, p)
	return nil
}

// Remove deletes the profile named name.
func (c *Config) Remove(name string) error {
	for i, q := range c.Profiles {
		if q.Name == name {
			c.Profiles = append(c.Profiles[:i], c.Profiles[i+1:]...)
			if c.Active == name {
				c.Active = ""
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrNotFound, name)
}

// Store reads and writes a Config as a JSON file.
type Store struct {
	Path string
}

// DefaultPath returns connections.json in the user's configuration
// directory ($XDG_CONFIG_HOME/signalcraft-desktop on Linux).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("connection store: %w", err)
	}
	return filepath.Join(dir, "signalcraft-desktop", "connections.json"), nil
}

// Load reads the config; a missing file is an empty config.
func (s Store) Load() (Config, error) {
	var c Config
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("connection store: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("connection store %s: %w", s.Path, err)
	}
	for _, p := range c.Profiles {
		if err := p.Validate(); err != nil {
			return Config{}, fmt.Errorf("connection store %s: connection %q: %w", s.Path, p.Name, err)
		}
	}
	return c, nil
}

// Save writes the config atomically, readable by the user only: it holds
// tokens.
func (s Store) Save(c Config) error {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return fmt.Errorf("connection store: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("connection store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.Path), ".connections-*.json")
	if err != nil {
		return fmt.Errorf("connection store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("connection store: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("connection store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("connection store: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("connection store: %w", err)
	}
	return nil
}

// FormatFingerprint prints a fingerprint as colon-separated upper-case
// pairs in groups, the way openssl and the appliance's log show it.
func FormatFingerprint(fp string) string {
	b, err := api.ParseFingerprint(fp)
	if err != nil {
		return fp
	}
	var sb strings.Builder
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", x)
	}
	return sb.String()
}
