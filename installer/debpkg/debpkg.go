// Package debpkg builds SignalCraft's Debian packages with the nfpm library: the nfpm
// configurations, maintainer scripts, man pages and desktop entry in installer/deb, the units
// in systemd/, binaries built beforehand (make deb), and files it generates — compressed man
// pages, the icon (installer/icon) and a Debian changelog for the version being built.
package debpkg

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/chglog"
	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"

	"signalcraft/installer/icon"
)

// Packages are the packages Build makes by default, each from installer/deb/NAME.yaml.
var Packages = []string{"signalcraft", "signalcraft-desktop"}

// Maintainer is the changelog's signer; the same as the nfpm configurations' maintainer.
const Maintainer = "SignalCraft maintainers <maintainers@signalcraft.invalid>"

// Errors.
var (
	ErrOptions = errors.New("debpkg: bad options")
	ErrMissing = errors.New("debpkg: missing input")
)

// Options say what to build from where.
type Options struct {
	Root     string    // the repository (holds installer/deb and systemd)
	Stage    string    // holds the built binaries; generated files are written under it
	Out      string    // where the .deb files go
	Version  string    // as git describe prints it, or a release tag such as v1.2.3
	Date     time.Time // the changelog's date and the files' mtime: the commit's time makes builds reproducible
	Packages []string  // default Packages
}

// manPages are the roff sources in installer/deb/man, compressed into Stage/man.
var manPages = []string{"signalcraftd.8", "signalcraft.1", "signalcraft-desktop.1"}

// iconSizes are the PNG sizes written besides the SVG.
var iconSizes = []int{48, 256}

// Build writes one .deb per package into Out and returns their paths.
func Build(o Options) ([]string, error) {
	if o.Root == "" || o.Stage == "" || o.Out == "" || o.Version == "" {
		return nil, fmt.Errorf("%w: root, stage, out and version are required", ErrOptions)
	}
	if o.Date.IsZero() {
		return nil, fmt.Errorf("%w: date is required (the commit's time)", ErrOptions)
	}
	if len(o.Packages) == 0 {
		o.Packages = Packages
	}
	version := DebianVersion(o.Version, o.Date)
	if err := generate(o, version); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("debpkg: %w", err)
	}
	env := map[string]string{"VERSION": version, "ROOT": o.Root, "STAGE": o.Stage}
	var out []string
	for _, name := range o.Packages {
		p, err := buildOne(o, name, env)
		if err != nil {
			return out, fmt.Errorf("debpkg: %s: %w", name, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func buildOne(o Options, name string, env map[string]string) (string, error) {
	dir := filepath.Join(o.Root, "installer", "deb")
	cfg, err := nfpm.ParseFileWithEnvMapping(filepath.Join(dir, name+".yaml"), func(k string) string { return env[k] })
	if err != nil {
		return "", err
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return "", err
	}
	if info.Name != name {
		return "", fmt.Errorf("%w: %s.yaml names package %q", ErrOptions, name, info.Name)
	}
	for _, c := range info.Contents {
		if c.Source == "" {
			continue
		}
		if _, err := os.Stat(c.Source); err != nil {
			return "", fmt.Errorf("%w: %s (for %s): %v", ErrMissing, c.Source, c.Destination, err)
		}
	}
	scripts := map[string]*string{"postinst": &info.Scripts.PostInstall, "prerm": &info.Scripts.PreRemove,
		"postrm": &info.Scripts.PostRemove, "preinst": &info.Scripts.PreInstall}
	for suffix, field := range scripts {
		p := filepath.Join(dir, name+"."+suffix)
		if _, err := os.Stat(p); err == nil {
			*field = p
		}
	}
	info.Changelog = filepath.Join(o.Stage, "changelog", name+".yml")
	if err := writeChangelog(info.Changelog, info.Version+"-"+info.Release, o); err != nil {
		return "", err
	}
	info.MTime = o.Date.UTC()
	info.Target = filepath.Join(o.Out, deb.Default.ConventionalFileName(info))
	f, err := os.Create(info.Target)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(nfpm.WithDefaults(info), f); err != nil {
		f.Close()
		os.Remove(info.Target)
		return "", err
	}
	return info.Target, f.Close()
}

// DebianVersion turns git describe output into a Debian upstream version that sorts in build
// order: v1.2.3 → 1.2.3, v1.2.3-4-gabc1234 → 1.2.3+git4.abc1234, and a bare commit (no tag
// yet: abc1234, or 26c2ae9) → 0.0.0+git20261125.185712.abc1234 with the commit's UTC time;
// a -dirty suffix becomes .dirty.
func DebianVersion(v string, commit time.Time) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	dirty := strings.HasSuffix(v, "-dirty")
	v = strings.TrimSuffix(v, "-dirty")
	if m := describeRE.FindStringSubmatch(v); m != nil {
		v = m[1] + "+git" + m[2] + "." + m[3]
	} else if v == "" || v[0] < '0' || v[0] > '9' || hashRE.MatchString(v) {
		v = "0.0.0+git" + commit.UTC().Format("20060102.150405") + "." + v
	}
	if dirty {
		v += ".dirty"
	}
	v = strings.TrimSuffix(v, ".")
	// Only these may appear in an upstream version without a hyphen's special meaning.
	return invalidRE.ReplaceAllString(v, ".")
}

var (
	describeRE = regexp.MustCompile(`^([0-9][^-]*)-([0-9]+)-g([0-9a-f]+)$`)
	invalidRE  = regexp.MustCompile(`[^A-Za-z0-9.+~]`)
	// a bare commit (no tag yet), which may start with a digit: 26c2ae9
	hashRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// generate writes the compressed man pages and the icons under Stage.
func generate(o Options, version string) error {
	manDir := filepath.Join(o.Stage, "man")
	iconDir := filepath.Join(o.Stage, "icons")
	for _, d := range []string{manDir, iconDir, filepath.Join(o.Stage, "changelog")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("debpkg: %w", err)
		}
	}
	for _, page := range manPages {
		src, err := os.ReadFile(filepath.Join(o.Root, "installer", "deb", "man", page))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMissing, err)
		}
		// The date and version the sources leave empty in .TH.
		src = bytes.Replace(src, []byte(`"" "SignalCraft"`),
			fmt.Appendf(nil, `"%s" "SignalCraft %s"`, o.Date.UTC().Format("2006-01-02"), version), 1)
		gz, err := gzipBytes(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(manDir, page+".gz"), gz, 0o644); err != nil {
			return fmt.Errorf("debpkg: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(iconDir, "signalcraft-desktop.svg"), icon.SVG(), 0o644); err != nil {
		return fmt.Errorf("debpkg: %w", err)
	}
	for _, size := range iconSizes {
		b, err := icon.PNG(size)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(iconDir, fmt.Sprintf("signalcraft-desktop-%d.png", size)), b, 0o644); err != nil {
			return fmt.Errorf("debpkg: %w", err)
		}
	}
	return nil
}

// gzipBytes compresses as Debian wants documentation: best compression, no name, no time.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeChangelog writes a one-entry changelog (chglog's format, which nfpm turns into
// changelog.Debian.gz) for the version being built.
func writeChangelog(path, fullVersion string, o Options) error {
	entries := chglog.ChangeLogEntries{{
		Semver:                fullVersion,
		Date:                  o.Date.UTC(),
		Packager:              Maintainer,
		ChangeLogOverridables: chglog.ChangeLogOverridables{Deb: &chglog.ChangelogDeb{Urgency: "medium", Distributions: []string{"stable"}}},
		Changes: chglog.ChangeLogChanges{{
			Note: fmt.Sprintf("Build of %s; the project's git history lists the changes.", strings.TrimSpace(o.Version)),
		}},
	}}
	if err := entries.Save(path); err != nil {
		return fmt.Errorf("debpkg: changelog: %w", err)
	}
	return nil
}
