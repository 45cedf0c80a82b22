// Package datadir prepares and checks the appliance's data directory (data_dir), and turns
// the errors of a directory the current user cannot use into messages that say which path,
// which user and what to do, instead of SQLite's "unable to open database file (14)".
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Perm is the mode the daemon creates data_dir with: the service user reads and writes,
// its group (the dashboard, backups) reads.
const Perm fs.FileMode = 0o750

// ServiceUser is the user the packaged service runs as, and ServiceGroup the group its
// socket and data belong to.
const (
	ServiceUser  = "signalcraft"
	ServiceGroup = "signalcraft"
)

// Error is a data_dir problem: the path that could not be used, the user who tried, and
// the underlying error (often fs.ErrPermission or syscall.ENOTDIR).
type Error struct {
	Path string // the directory or file that could not be used
	User string // "bob (uid 1000)"
	Op   string // "create", "write", "open"
	Err  error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("data_dir: cannot %s %s as user %s: %v", e.Op, e.Path, e.User, errText(e.Err))
	switch {
	case errors.Is(e.Err, fs.ErrPermission):
		msg += fmt.Sprintf("; run the command as the service user (sudo -u %s signalcraftd ...), "+
			"or give the directory to the user that runs it (sudo chown -R %s: %s)", ServiceUser, ServiceUser, e.Path)
	case errors.Is(e.Err, syscall.ENOTDIR):
		file := e.Path
		var pe *fs.PathError
		if errors.As(e.Err, &pe) {
			file = pe.Path
		}
		msg += fmt.Sprintf(" (%s is a file); data_dir must be a directory: choose another data_dir or move the file out of the way", file)
	case errors.Is(e.Err, syscall.EROFS):
		msg += "; the file system is read-only: choose a data_dir on a writable file system (the package uses /var/lib/signalcraft)"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// errText is the cause without the path the *PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// CurrentUser names the user this process runs as, for messages: "bob (uid 1000)".
func CurrentUser() string {
	uid := os.Getuid()
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

func newError(op, path string, err error) *Error {
	return &Error{Path: path, User: CurrentUser(), Op: op, Err: err}
}

// Prepare creates dir (and its parents) with Perm as the daemon does at start-up, and
// checks that the current user can write in it.
func Prepare(dir string) error {
	if err := os.MkdirAll(dir, Perm); err != nil {
		if err := Check(dir, ""); err != nil {
			return err
		}
		return newError("create", dir, err)
	}
	return Check(dir, "")
}

// Check reports whether the current user can use dir as data_dir — write in it, or create
// it — and read and write the database file db in it when that exists (db may be empty).
// It changes nothing.
func Check(dir, db string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return checkCreatable(dir)
	case err != nil:
		return newError("open", dir, err)
	case !st.IsDir():
		return newError("use", dir, &fs.PathError{Op: "stat", Path: dir, Err: syscall.ENOTDIR})
	}
	if err := syscall.Access(dir, 2|1); err != nil { // W_OK|X_OK: create files in it
		return newError("write in", dir, err)
	}
	if db != "" {
		if _, err := os.Stat(db); err == nil {
			if err := syscall.Access(db, 4|2); err != nil { // R_OK|W_OK
				return newError("open", db, err)
			}
		}
	}
	return nil
}

// checkCreatable checks that dir, which does not exist, can be created: its nearest
// existing ancestor is a directory the current user can write in.
func checkCreatable(dir string) error {
	p := filepath.Clean(dir)
	for {
		parent := filepath.Dir(p)
		st, err := os.Stat(parent)
		switch {
		case (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && parent != p:
			p = parent
			continue
		case err != nil:
			// a parent that is a file makes stat fail with ENOTDIR further down
			return newError("create", dir, err)
		case !st.IsDir():
			return newError("create", dir, &fs.PathError{Op: "mkdir", Path: parent, Err: syscall.ENOTDIR})
		}
		if err := syscall.Access(parent, 2|1); err != nil {
			return newError("create", dir, &fs.PathError{Op: "mkdir", Path: parent, Err: err})
		}
		return nil
	}
}

// Explain returns err, from opening the database db in dir, as an *Error when the
// directory or file is the cause (SQLite only says "unable to open database file"), and
// err unchanged otherwise.
func Explain(dir, db string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := Check(dir, db); cerr != nil {
		return cerr
	}
	return err
}
