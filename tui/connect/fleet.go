package connect

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Appliance is one saved appliance of the fleet view: a name and how to reach it.
type Appliance struct {
	Name   string
	Config Config
}

// String describes the appliance without its token.
func (a Appliance) String() string {
	tok := "no token"
	if a.Config.Token != "" {
		tok = "token set"
	}
	return fmt.Sprintf("%s=%s (%s)", a.Name, a.Config.Target(), tok)
}

// DefaultFleetFile is ~/.config/signalcraft/fleet (per os.UserConfigDir).
func DefaultFleetFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("fleet file: %w", err)
	}
	return filepath.Join(dir, "signalcraft", "fleet"), nil
}

// ParseAppliance reads one appliance as --appliance and the fleet file give it:
//
//	name=unix:/run/signalcraft/api.sock
//	name=https://host:8443[,token=sc_…][,fingerprint=SHA256]
//
// Errors name the part that is wrong and its value (never a token).
func ParseAppliance(s string) (Appliance, error) {
	name, rest, ok := strings.Cut(strings.TrimSpace(s), "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t,") {
		return Appliance{}, fmt.Errorf("appliance %q: want name=unix:/path or name=https://host:port[,token=…][,fingerprint=…]", redact(s))
	}
	parts := strings.Split(rest, ",")
	a := Appliance{Name: name}
	target := strings.TrimSpace(parts[0])
	switch {
	case strings.HasPrefix(target, "unix:"):
		a.Config.Socket = strings.TrimPrefix(target, "unix:")
		if !filepath.IsAbs(a.Config.Socket) {
			return Appliance{}, fmt.Errorf("appliance %s: socket %q: want an absolute path", name, a.Config.Socket)
		}
	default:
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Appliance{}, fmt.Errorf("appliance %s: address %q: want unix:/path or https://host:port", name, target)
		}
		a.Config.URL = target
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "token":
			a.Config.Token = v
		case "fingerprint":
			a.Config.Fingerprint = v
		default:
			return Appliance{}, fmt.Errorf("appliance %s: option %q: want token= or fingerprint=", name, k)
		}
	}
	return a, nil
}

// redact hides a token in s for error messages.
func redact(s string) string {
	if i := strings.Index(s, "token="); i >= 0 {
		j := strings.IndexByte(s[i:], ',')
		if j < 0 {
			return s[:i] + "token=****"
		}
		return s[:i] + "token=****" + s[i+j:]
	}
	return s
}

// LoadFleet reads a fleet file: one appliance per line in ParseAppliance's syntax; blank
// lines and # comments are skipped. A missing file is an empty fleet. Errors name the line.
func LoadFleet(file string) ([]Appliance, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fleet file: %w", err)
	}
	defer f.Close()
	var out []Appliance
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := ParseAppliance(line)
		if err != nil {
			return nil, fmt.Errorf("fleet file %s:%d: %w", file, n, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fleet file %s: %w", file, err)
	}
	return out, nil
}

// MergeFleet adds the appliances of extra to base; one of extra with a name already in base
// replaces it. Names stay unique, in first-seen order.
func MergeFleet(base, extra []Appliance) []Appliance {
	out := append([]Appliance(nil), base...)
	for _, a := range extra {
		replaced := false
		for i := range out {
			if out[i].Name == a.Name {
				out[i], replaced = a, true
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return out
}
