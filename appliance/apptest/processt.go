package apptest

import (
	"fmt"
	"os"
	"sync"
)

// ProcessT is a T for an appliance that lives as long as a process rather than a test: a
// command's (cmd/demo-appliance), or one a test package shares between its read-only tests
// from TestMain. Errors go to stderr prefixed with Name; a fatal one runs the cleanups and
// exits with status 1. Close runs the cleanups, last registered first, as a test's end does.
type ProcessT struct {
	Name string

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

var _ T = (*ProcessT)(nil)

// Helper does nothing: there is no test log to point into.
func (t *ProcessT) Helper() {}

// Cleanup registers f to run at Close.
func (t *ProcessT) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// TempDir returns a new temporary directory removed at Close.
func (t *ProcessT) TempDir() string {
	d, err := os.MkdirTemp("", "apptest")
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Errorf reports an error; Close then reports failure.
func (t *ProcessT) Errorf(format string, args ...any) {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	fmt.Fprintf(os.Stderr, t.Name+": "+format+"\n", args...)
}

// Fatalf reports an error, runs the cleanups and exits.
func (t *ProcessT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	t.Close()
	os.Exit(1)
}

// Close runs the cleanups, last registered first, and reports whether an error was reported.
func (t *ProcessT) Close() (failed bool) {
	t.mu.Lock()
	cs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
