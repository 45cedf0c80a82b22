package installer

import (
	"archive/zip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/dirhash"
)

// goModVersion is go.mod's `go` line.
func goModVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "go" {
			return f[1]
		}
	}
	t.Fatal("no go line in go.mod")
	return ""
}

// fakeToolchain writes a module zip shaped like golang.org/toolchain's, whose bin/go is a
// script that reports version v, and returns its path and go.sum hash.
func fakeToolchain(t *testing.T, dir, v string) (string, string) {
	t.Helper()
	prefix := "golang.org/toolchain@v0.0.1-go" + v + ".linux-" + runtime.GOARCH + "/"
	path := filepath.Join(dir, "toolchain.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"bin/go":  fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = env ]; then echo go%s; else echo go version go%s linux/%s; fi\n", v, v, runtime.GOARCH),
		"VERSION": "go" + v + "\n",
		"LICENSE": "fake\n",
	} {
		h := &zip.FileHeader{Name: prefix + name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sum, err := dirhash.HashZip(path, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	return path, sum
}

// proxy serves a module proxy with the toolchain zip and a checksum database lookup that
// answers sum.
func proxy(t *testing.T, zipPath, v, sum string) *httptest.Server {
	ver := "v0.0.1-go" + v + ".linux-" + runtime.GOARCH
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/golang.org/toolchain/@v/" + ver + ".zip":
			http.ServeFile(w, r, zipPath)
		case "/sumdb/sum.golang.org/lookup/golang.org/toolchain@" + ver:
			fmt.Fprintf(w, "1234\ngolang.org/toolchain %s %s\ngolang.org/toolchain %s/go.mod h1:x=\n\n— sum.golang.org signature\n", ver, sum, ver)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func runScript(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("./go-toolchain.sh", args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestGoToolchainInstall: with no Go on the machine, installer/go-toolchain.sh (run by make
// deps and make test-deps) fetches the toolchain go.mod names from the module proxy, checks
// it against the checksum database and installs it; a zip whose checksum does not match is
// refused; --check tells an old Go from a good one. The proxy here is a local fake serving a
// small zip shaped like golang.org/toolchain's.
func TestGoToolchainInstall(t *testing.T) {
	for _, tool := range []string{"curl", "unzip", "sha256sum", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (installer/dev-deps.sh installs it): %v", tool, err)
		}
	}
	v := goModVersion(t)
	dir := t.TempDir()
	zipPath, sum := fakeToolchain(t, dir, v)

	h1, err := runScript(t, nil, "--h1", zipPath)
	if err != nil || strings.TrimSpace(h1) != sum {
		t.Fatalf("--h1 = %q (%v), want %s (golang.org/x/mod/sumdb/dirhash)", h1, err, sum)
	}

	// a tampered checksum: nothing installed
	bad := proxy(t, zipPath, v, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	prefix := filepath.Join(dir, "usr-local")
	out, err := runScript(t, []string{"GOPROXY=" + bad.URL, "GO_PREFIX=" + prefix})
	if err == nil || !strings.Contains(out, "checksum") {
		t.Fatalf("a zip with the wrong checksum: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(prefix, "go")); !os.IsNotExist(err) {
		t.Fatalf("something was installed after a checksum mismatch: %v", err)
	}

	good := proxy(t, zipPath, v, sum)
	env := []string{"GOPROXY=" + good.URL + ",direct", "GO_PREFIX=" + prefix}
	if out, err := runScript(t, env, "--check"); err == nil || !strings.Contains(out, "need go"+v) {
		t.Fatalf("--check with no go: %v\n%s", err, out)
	}
	out, err = runScript(t, env)
	if err != nil || !strings.Contains(out, "installed go version go"+v) {
		t.Fatalf("install: %v\n%s", err, out)
	}
	if out, err := runScript(t, env, "--check"); err != nil {
		t.Fatalf("--check after installing: %v\n%s", err, out)
	}

	// an older go in its place is replaced (and kept aside)
	old := filepath.Join(prefix, "go", "bin", "go")
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho go1.19.8\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := runScript(t, env, "--check"); err == nil || !strings.Contains(out, "have 1.19.8, need go"+v) {
		t.Fatalf("--check with go 1.19: %v\n%s", err, out)
	}
	if out, err := runScript(t, env); err != nil || !strings.Contains(out, "have 1.19.8") {
		t.Fatalf("replacing go 1.19: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(prefix, "go.old", "bin", "go")); err != nil || !strings.Contains(string(b), "1.19.8") {
		t.Fatalf("the old go was not kept aside: %v", err)
	}
}
