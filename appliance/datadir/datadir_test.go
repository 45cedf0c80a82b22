package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestErrorMessage checks what a permission problem tells the user: the path, the user and
// the commands that fix it. Tests run as root in CI, where permissions never fail, so the
// error is built from a wrapped EACCES.
func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"permission", fmt.Errorf("open db: %w", &fs.PathError{Op: "open", Path: "/var/lib/signalcraft/signalcraft.db", Err: syscall.EACCES}),
			[]string{"cannot write in /var/lib/signalcraft as user bob (uid 1000): permission denied",
				"sudo -u signalcraft signalcraftd", "sudo chown -R signalcraft: /var/lib/signalcraft"}},
		{"file in the way", &fs.PathError{Op: "mkdir", Path: "/srv/data", Err: syscall.ENOTDIR},
			[]string{"cannot write in /var/lib/signalcraft", "not a directory", "(/srv/data is a file)"}},
		{"read-only", syscall.EROFS, []string{"read-only file system", "choose a data_dir on a writable file system"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := error(&Error{Path: "/var/lib/signalcraft", User: "bob (uid 1000)", Op: "write in", Err: tt.err})
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, err)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("%v does not wrap its cause", err)
			}
		})
	}
}

// TestCheck uses real directories, in cases that fail for root too.
func TestCheck(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want string // "" means no error
	}{
		{"existing dir", root, ""},
		{"creatable", filepath.Join(root, "a", "b"), ""},
		{"is a file", file, "(" + file + " is a file)"},
		{"under a file", filepath.Join(file, "data"), "cannot create " + filepath.Join(file, "data") + " as user "},
		{"deep under a file", filepath.Join(file, "a", "b"), "(" + file + " is a file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.dir, filepath.Join(tt.dir, "signalcraft.db"))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), CurrentUser()) {
				t.Fatalf("Check(%s) = %v, want an *Error containing %q and the user", tt.dir, err, tt.want)
			}
		})
	}
}

// TestPrepare checks that Prepare creates data_dir with the daemon's mode and reports a
// directory it cannot create with the path and user.
func TestPrepare(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "var", "lib", "sc")
	if err := Prepare(dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() || st.Mode().Perm() != Perm&^umask() {
		t.Fatalf("Prepare made %v (%v), want a directory with mode %v", st.Mode(), err, Perm)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err = Prepare(filepath.Join(file, "sc"))
	if err == nil || !strings.Contains(err.Error(), "("+file+" is a file)") {
		t.Fatalf("Prepare under a file: %v", err)
	}
}

func umask() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}
