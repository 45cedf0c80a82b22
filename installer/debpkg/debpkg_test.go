package debpkg

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDebianVersion(t *testing.T) {
	at := time.Date(2026, 11, 25, 18, 57, 12, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2.3-rc1", "1.2.3.rc1"},
		{"v1.2.3-4-gabc1234", "1.2.3+git4.abc1234"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+git4.abc1234.dirty"},
		{"abc1234", "0.0.0+git20261125.185712.abc1234"},
		{"abc1234-dirty", "0.0.0+git20261125.185712.abc1234.dirty"},
		{"26c2ae9", "0.0.0+git20261125.185712.26c2ae9"},
		{"1234567", "0.0.0+git20261125.185712.1234567"},
		{"dev", "0.0.0+git20261125.185712.dev"},
		{"", "0.0.0+git20261125.185712"},
		{"feature/x_y", "0.0.0+git20261125.185712.feature.x.y"},
	}
	for _, tt := range tests {
		got := DebianVersion(tt.in, at)
		if got != tt.want {
			t.Errorf("DebianVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if err := exec.Command("dpkg", "--validate-version", got+"-1").Run(); err != nil {
			t.Errorf("dpkg rejects %q: %v", got+"-1", err)
		}
	}
	// Later builds must sort after earlier ones, tagged or not.
	order := []struct {
		v  string
		at time.Time
	}{
		{"def5678", at},
		{"abc1234", at.Add(time.Second)},
		{"0123abc-dirty", at.Add(time.Hour)},
		{"v0.1.0", at.Add(2 * time.Hour)},
		{"v0.1.0-3-gabc1234", at.Add(3 * time.Hour)},
		{"v0.1.0-12-gdef5678", at.Add(4 * time.Hour)},
		{"v0.2.0", at.Add(5 * time.Hour)},
	}
	for i := 1; i < len(order); i++ {
		a, b := DebianVersion(order[i-1].v, order[i-1].at), DebianVersion(order[i].v, order[i].at)
		if err := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("%s (%s) does not sort before %s (%s)", a, order[i-1].v, b, order[i].v)
		}
	}
}

func TestBuildOptions(t *testing.T) {
	for _, o := range []Options{{}, {Root: "r", Stage: "s", Out: "o", Version: "v1"}} {
		if _, err := Build(o); !errors.Is(err, ErrOptions) {
			t.Errorf("Build(%+v) = %v, want ErrOptions", o, err)
		}
	}
}

// stage writes stand-ins for the binaries make deb builds.
func stage(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\necho "+n+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuildMissingBinary(t *testing.T) {
	root, _ := filepath.Abs("../..")
	_, err := Build(Options{Root: root, Stage: stage(t, "signalcraftd"), Out: t.TempDir(), Version: "v1.0.0",
		Date: time.Unix(1700000000, 0), Packages: []string{"signalcraft"}})
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "/usr/bin/signalcraft)") {
		t.Errorf("Build without the TUI = %v, want ErrMissing naming /usr/bin/signalcraft", err)
	}
}

// TestBuildContents packs stand-in binaries and reads the packages back with dpkg-deb: names,
// control fields, the conffile, the maintainer scripts, and every file where Debian wants it.
func TestBuildContents(t *testing.T) {
	root, _ := filepath.Abs("../..")
	out := t.TempDir()
	paths, err := Build(Options{Root: root, Stage: stage(t, "signalcraftd", "signalcraft", "signalcraft-desktop"),
		Out: out, Version: "v1.2.3-4-gabc1234", Date: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(out, "signalcraft_1.2.3+git4.abc1234-1_amd64.deb"),
		filepath.Join(out, "signalcraft-desktop_1.2.3+git4.abc1234-1_amd64.deb"),
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("Build wrote %v, want %v", paths, want)
	}
	dpkgDeb := func(args ...string) string {
		t.Helper()
		b, err := exec.Command("dpkg-deb", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	tests := []struct {
		deb                string
		fields             map[string]string
		files, controlOnly []string
	}{
		{
			deb: paths[0],
			fields: map[string]string{"Package": "signalcraft", "Version": "1.2.3+git4.abc1234-1", "Architecture": "amd64",
				"Depends": "libc6 (>= 2.34), libportaudio2 (>= 19.6.0), systemd | systemd-standalone-sysusers | systemd-sysusers, tzdata, fonts-nanum"},
			files: []string{"./usr/bin/signalcraftd", "./usr/bin/signalcraft", "./etc/signalcraft/signalcraftd.yaml",
				"./lib/systemd/system/signalcraftd.service", "./usr/lib/sysusers.d/signalcraft.conf",
				"./usr/lib/tmpfiles.d/signalcraft.conf", "./usr/share/man/man8/signalcraftd.8.gz",
				"./usr/share/man/man1/signalcraft.1.gz", "./usr/share/doc/signalcraft/copyright",
				"./usr/share/doc/signalcraft/changelog.Debian.gz", "./usr/share/lintian/overrides/signalcraft"},
			controlOnly: []string{"postinst", "prerm", "postrm", "conffiles"},
		},
		{
			deb: paths[1],
			fields: map[string]string{"Package": "signalcraft-desktop", "Architecture": "amd64",
				"Depends": "libc6 (>= 2.34), libgl1, libx11-6, libxcursor1, libxi6, libxinerama1, libxrandr2, libxxf86vm1"},
			files: []string{"./usr/bin/signalcraft-desktop", "./usr/share/applications/signalcraft-desktop.desktop",
				"./usr/share/icons/hicolor/scalable/apps/signalcraft-desktop.svg",
				"./usr/share/icons/hicolor/48x48/apps/signalcraft-desktop.png",
				"./usr/share/icons/hicolor/256x256/apps/signalcraft-desktop.png",
				"./usr/share/man/man1/signalcraft-desktop.1.gz", "./usr/share/doc/signalcraft-desktop/copyright"},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.deb), func(t *testing.T) {
			for k, v := range tt.fields {
				if got := strings.TrimSpace(dpkgDeb("-f", tt.deb, k)); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			listing := dpkgDeb("-c", tt.deb)
			for _, f := range tt.files {
				if !strings.Contains(listing, " "+f+"\n") {
					t.Errorf("%s missing from the package:\n%s", f, listing)
				}
			}
			info := dpkgDeb("-I", tt.deb)
			for _, f := range tt.controlOnly {
				if !strings.Contains(info, " "+f) {
					t.Errorf("control file %s missing:\n%s", f, info)
				}
			}
		})
	}
	if got := strings.TrimSpace(dpkgDeb("-I", paths[0], "conffiles")); got != "/etc/signalcraft/signalcraftd.yaml" {
		t.Errorf("conffiles = %q", got)
	}
	// Everything carries the commit's time, so two builds of one commit are identical.
	again := t.TempDir()
	paths2, err := Build(Options{Root: root, Stage: stage(t, "signalcraftd", "signalcraft", "signalcraft-desktop"),
		Out: again, Version: "v1.2.3-4-gabc1234", Date: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range paths {
		a, _ := os.ReadFile(paths[i])
		b, _ := os.ReadFile(paths2[i])
		if string(a) != string(b) {
			t.Errorf("%s differs between two builds of the same commit", filepath.Base(paths[i]))
		}
	}
}
