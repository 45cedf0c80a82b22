package installer

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"signalcraft/appliance/sdnotify"
	wire "signalcraft/core/api"
	"signalcraft/installer/debpkg"
)

// Installed paths the tests check.
const (
	unitPath   = "/lib/systemd/system/signalcraftd.service"
	wantsLink  = "/etc/systemd/system/multi-user.target.wants/signalcraftd.service"
	confPath   = "/etc/signalcraft/signalcraftd.yaml"
	dataDir    = "/var/lib/signalcraft"
	runtimeDir = "/run/signalcraft"
)

// TestDebPackages builds both packages with `make deb`, lints them, installs them on this
// machine, checks what the appliance needs to run as a service, then removes (data and
// configuration kept) and purges (everything gone) signalcraft. It needs root; CI runs it.
func TestDebPackages(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs and purges .deb packages with dpkg: run it as root (CI does; locally `sudo make deb-test`)")
	}
	for _, tool := range []string{"make", "dpkg", "dpkg-deb", "apt-get", "lintian", "systemd-analyze",
		"systemd-sysusers", "systemd-tmpfiles", "runuser", "man"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: `make test-deps` installs what the tests need", tool)
		}
	}
	for _, p := range []string{"signalcraft", "signalcraft-desktop"} {
		if status(t, p) != "" {
			t.Fatalf("%s is already on this machine (%s): the test would replace and purge it; remove it first", p, status(t, p))
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	dist := t.TempDir()
	start := time.Now()
	sh(t, ctx, "make", "--no-print-directory", "-C", root, "deb", "DIST="+dist)
	t.Logf("make deb: %v", time.Since(start).Round(time.Millisecond))
	app := glob1(t, filepath.Join(dist, "signalcraft_*_amd64.deb"))
	desktop := glob1(t, filepath.Join(dist, "signalcraft-desktop_*_amd64.deb"))

	t.Run("binaries", func(t *testing.T) {
		for _, name := range []string{"signalcraftd", "signalcraft", "signalcraft-desktop"} {
			checkELF(t, filepath.Join(dist, "stage", name))
		}
	})
	t.Run("lintian", func(t *testing.T) {
		start := time.Now()
		out, err := exec.CommandContext(ctx, "lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", app, desktop).CombinedOutput()
		if err != nil {
			t.Errorf("lintian: %v\n%s", err, out)
		}
		t.Logf("lintian: %v\n%s", time.Since(start).Round(time.Millisecond), out)
	})
	t.Run("sysusers and tmpfiles", func(t *testing.T) { checkSnippets(t, ctx, root) })

	// Purge whatever the steps below leave installed, whichever fails.
	t.Cleanup(func() {
		for _, p := range []string{"signalcraft-desktop", "signalcraft"} {
			if status(t, p) != "" {
				if out, err := exec.Command("dpkg", "--purge", p).CombinedOutput(); err != nil {
					t.Errorf("cleanup: dpkg --purge %s: %v\n%s", p, err, out)
				}
			}
		}
		os.RemoveAll(runtimeDir)
	})
	start = time.Now()
	aptInstall(t, ctx, app)
	t.Logf("install: %v", time.Since(start).Round(time.Millisecond))

	t.Run("installed", func(t *testing.T) { checkInstalled(t, ctx, commitTime(t, root)) })
	t.Run("systemd-analyze", func(t *testing.T) {
		if out, err := exec.CommandContext(ctx, "systemd-analyze", "verify", unitPath).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
		}
		// exposure 0–10 (×10 for --threshold): 2.0 or less is "OK" and better
		out, err := exec.CommandContext(ctx, "systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager", unitPath).CombinedOutput()
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndex(last, "\n"); i >= 0 {
			last = last[i+1:]
		}
		if err != nil {
			t.Errorf("systemd-analyze security: %v\n%s", err, out)
		}
		t.Log(last)
	})
	t.Run("service start as systemd would", func(t *testing.T) { checkServiceRun(t, ctx) })
	t.Run("desktop", func(t *testing.T) {
		aptInstall(t, ctx, desktop)
		out := sh(t, ctx, "ldd", "/usr/bin/signalcraft-desktop")
		if strings.Contains(out, "not found") {
			t.Errorf("signalcraft-desktop's libraries are not all pulled in by its Depends:\n%s", out)
		}
		for _, f := range []string{"/usr/share/applications/signalcraft-desktop.desktop",
			"/usr/share/icons/hicolor/scalable/apps/signalcraft-desktop.svg"} {
			if _, err := os.Stat(f); err != nil {
				t.Error(err)
			}
		}
		sh(t, ctx, "dpkg", "--purge", "signalcraft-desktop")
	})

	// dpkg -r: programs and unit go, the data and the edited configuration stay.
	sh(t, ctx, "dpkg", "-r", "signalcraft")
	if s := status(t, "signalcraft"); s != "deinstall ok config-files" {
		t.Errorf("after dpkg -r: status %q", s)
	}
	for _, gone := range []string{"/usr/bin/signalcraftd", "/usr/bin/signalcraft", unitPath} {
		if _, err := os.Lstat(gone); err == nil {
			t.Errorf("after dpkg -r: %s is still there", gone)
		}
	}
	for _, kept := range []string{confPath, filepath.Join(dataDir, "signalcraft.db")} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("after dpkg -r: %v (must be kept until purge)", err)
		}
	}

	// dpkg --purge: nothing left but the system user.
	sh(t, ctx, "dpkg", "--purge", "signalcraft")
	if s := status(t, "signalcraft"); s != "" {
		t.Errorf("after purge: status %q", s)
	}
	for _, gone := range []string{dataDir, "/etc/signalcraft", unitPath, wantsLink} {
		if _, err := os.Lstat(gone); err == nil {
			t.Errorf("after purge: %s is still there", gone)
		}
	}
	if err := exec.Command("dpkg-statoverride", "--list", confPath).Run(); err == nil {
		t.Errorf("after purge: the statoverride on %s is still registered", confPath)
	}
}

// checkELF asserts a packaged binary is stripped and position independent.
func checkELF(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".symtab") != nil {
		t.Errorf("%s is not stripped", filepath.Base(path))
	}
	if f.Type != elf.ET_DYN {
		t.Errorf("%s is %v, want a PIE (ET_DYN)", filepath.Base(path), f.Type)
	}
}

// checkSnippets applies the sysusers and tmpfiles snippets to an empty root and checks the
// user, its groups and the data directory they create.
func checkSnippets(t *testing.T, ctx context.Context, root string) {
	r := t.TempDir()
	files := map[string]string{
		"etc/passwd":                          "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":                           "root:x:0:\naudio:x:29:\n",
		"usr/lib/sysusers.d/signalcraft.conf": read(t, filepath.Join(root, "systemd", "signalcraft.sysusers")),
		"usr/lib/tmpfiles.d/signalcraft.conf": read(t, filepath.Join(root, "systemd", "signalcraft.tmpfiles")),
	}
	for name, body := range files {
		p := filepath.Join(r, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dry := sh(t, ctx, "systemd-sysusers", "--dry-run", "--root="+r, "signalcraft.conf")
	if !strings.Contains(dry, "Creating user 'signalcraft'") {
		t.Errorf("sysusers --dry-run does not create the user:\n%s", dry)
	}
	sh(t, ctx, "systemd-sysusers", "--root="+r, "signalcraft.conf")
	passwd, group := read(t, filepath.Join(r, "etc/passwd")), read(t, filepath.Join(r, "etc/group"))
	if !strings.Contains(passwd, ":SignalCraft appliance daemon:/var/lib/signalcraft:/usr/sbin/nologin\n") ||
		!strings.Contains(group, "\naudio:x:29:signalcraft\n") || !strings.Contains(group, "\nsignalcraft:x:") {
		t.Errorf("sysusers made:\n%s\n%s", passwd, group)
	}
	sh(t, ctx, "systemd-tmpfiles", "--root="+r, "--create", "signalcraft.conf")
	fi, err := os.Stat(filepath.Join(r, dataDir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != os.ModeDir|0o750 || fi.Sys().(*syscall.Stat_t).Uid == 0 {
		t.Errorf("tmpfiles made %s %v uid %d, want 0750 owned by signalcraft", dataDir, fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid)
	}
}

// checkInstalled checks what postinst did and runs the installed programs.
func checkInstalled(t *testing.T, ctx context.Context, commit time.Time) {
	v := strings.TrimSpace(sh(t, ctx, "/usr/bin/signalcraftd", "--version"))
	upstream, ok := strings.CutPrefix(v, "signalcraftd ")
	if !ok || upstream == "dev" {
		t.Errorf("signalcraftd --version = %q, want the version make deb stamped", v)
	}
	if pv := strings.TrimSpace(sh(t, ctx, "dpkg-query", "-W", "-f=${Version}", "signalcraft")); pv != debpkg.DebianVersion(upstream, commit)+"-1" {
		t.Errorf("package version %q does not match the binary's %q (commit time %v)", pv, upstream, commit)
	}
	if v := sh(t, ctx, "/usr/bin/signalcraft", "--version"); !strings.HasPrefix(v, "signalcraft "+upstream) {
		t.Errorf("signalcraft --version = %q", v)
	}
	// as the service user: the configuration must be readable by it
	out := sh(t, ctx, "runuser", "-u", "signalcraft", "--", "/usr/bin/signalcraftd", "--check-config", "--config", confPath)
	if !strings.Contains(out, "configuration ok: 1 source(s), 1 machine(s)") {
		t.Errorf("check-config: %s", out)
	}
	u, err := user.Lookup("signalcraft")
	if err != nil {
		t.Fatal(err)
	}
	gids, _ := u.GroupIds()
	audio, err := user.LookupGroup("audio")
	if err != nil || !slices.Contains(gids, audio.Gid) {
		t.Errorf("user signalcraft's groups %v lack audio (%v)", gids, err)
	}
	own := func(path string, mode os.FileMode, uid, gid string) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Error(err)
			return
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Perm() != mode || fmt.Sprint(st.Uid) != uid || fmt.Sprint(st.Gid) != gid {
			t.Errorf("%s: %v %d:%d, want %v %s:%s", path, fi.Mode().Perm(), st.Uid, st.Gid, mode, uid, gid)
		}
	}
	own(dataDir, 0o750, u.Uid, u.Gid)
	own(confPath, 0o640, "0", u.Gid)
	if target, err := os.Readlink(wantsLink); err != nil || target != unitPath {
		t.Errorf("service not enabled: %s -> %q, %v", wantsLink, target, err)
	}
	// admin commands as the service user, as the README says: the database stays its own
	sh(t, ctx, "runuser", "-u", "signalcraft", "--", "/usr/bin/signalcraftd", "token", "create", "--name", "packaging-test", "--role", "viewer")
	if list := sh(t, ctx, "runuser", "-u", "signalcraft", "--", "/usr/bin/signalcraftd", "token", "list"); !strings.Contains(list, "packaging-test") {
		t.Errorf("token list: %s", list)
	}
}

// checkServiceRun starts the installed daemon the way signalcraftd.service does — as user
// signalcraft, with the shipped configuration, a runtime directory and $NOTIFY_SOCKET — and
// checks it reports READY=1, serves the API on the socket clients use, and stops on SIGTERM.
func checkServiceRun(t *testing.T, ctx context.Context) {
	u, err := user.Lookup("signalcraft")
	if err != nil {
		t.Fatal(err)
	}
	// RuntimeDirectory=signalcraft, RuntimeDirectoryMode=0750
	os.RemoveAll(runtimeDir)
	sh(t, ctx, "install", "-d", "-m", "0750", "-o", "signalcraft", "-g", "signalcraft", runtimeDir)
	ndir, err := os.MkdirTemp("", "sc-notify-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(ndir)
	os.Chmod(ndir, 0o755)
	nsock := filepath.Join(ndir, "notify")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: nsock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	os.Chmod(nsock, 0o666)

	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	audio, err := user.LookupGroup("audio")
	if err != nil {
		t.Fatal(err)
	}
	audioGid, _ := strconv.Atoi(audio.Gid)
	cmd := exec.CommandContext(ctx, "/usr/bin/signalcraftd", "run", "--config", confPath)
	// User=, Group=, SupplementaryGroups=audio, Environment= and what systemd passes
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid),
		Groups: []uint32{uint32(audioGid)}}}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "JACK_NO_START_SERVER=1", sdnotify.EnvSocket + "=" + nsock,
		sdnotify.EnvWatchdogUSec + "=1000000"}
	cmd.Dir = "/"
	logs, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
		}
	}()
	stop := func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		<-logDone
		return cmd.Wait()
	}
	srv.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 512)
	n, err := srv.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "READY=1\n") {
		stop()
		t.Fatalf("no READY=1 from the installed daemon (%q, %v):\n%s", buf[:n], err, log.String())
	}
	// WatchdogSec=1s: a ping every half second while the daemon is alive
	if n, err := srv.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "WATCHDOG=1") {
		t.Errorf("no WATCHDOG=1 after READY=1 (%q, %v)", buf[:n], err)
	}
	sock := filepath.Join(runtimeDir, "api.sock")
	if fi, err := os.Stat(sock); err != nil {
		t.Error(err)
	} else if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o660 || fmt.Sprint(st.Gid) != u.Gid {
		t.Errorf("%s: %v gid %d, want 0660 group signalcraft", sock, fi.Mode().Perm(), st.Gid)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	resp, err := hc.Get("http://unix" + wire.PathHealth)
	if err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s on %s: %s", wire.PathHealth, sock, resp.Status)
		}
		hc.CloseIdleConnections()
	}
	if err := stop(); err != nil {
		t.Errorf("daemon exit after SIGTERM: %v\n%s", err, log.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "signalcraft.db")); err != nil {
		t.Errorf("no database in %s: %v", dataDir, err)
	}
}

// aptInstall installs a local .deb with apt-get, which fetches missing dependencies.
func aptInstall(t *testing.T, ctx context.Context, deb string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-q", "--no-install-recommends",
		"-o", "DPkg::Lock::Timeout=120", deb)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apt-get install %s: %v\n%s", filepath.Base(deb), err, out)
	}
}

// status is dpkg's status of a package, "" when dpkg does not know it.
func status(t *testing.T, pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	if s == "unknown ok not-installed" || s == "purge ok not-installed" {
		return ""
	}
	return s
}

func sh(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// commitTime is the time make deb stamps the packages with: the last commit's.
func commitTime(t *testing.T, root string) time.Time {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output()
	if err != nil {
		t.Fatalf("git log: %v", err)
	}
	s, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(s, 0)
}

func glob1(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("%s: %v %v", pattern, m, err)
	}
	return m[0]
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
