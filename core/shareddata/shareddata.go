// Package shareddata locates the real machine recordings that live beside the repository in
// ../shared/data. They are referenced, never copied into the repository. Tests that need a
// file call Require, which fails the test with a message naming the missing file.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides the data directory (useful when the repository is not beside shared/).
const EnvDir = "SIGNALCRAFT_DATA"

// ErrNotFound is returned when the data directory cannot be located.
var ErrNotFound = errors.New("shared data directory not found")

// Dir returns the data directory: $SIGNALCRAFT_DATA if set, else ../shared/data relative to
// the module root (the nearest parent directory holding go.mod).
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "data"), nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: no go.mod above %s (set %s)", ErrNotFound, wd, EnvDir)
		}
	}
}

// Path joins elem onto the data directory.
func Path(elem ...string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{d}, elem...)...), nil
}

// Require returns the path of a file or directory under the data directory, failing the test
// with a message naming it when it is missing.
func Require(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, err := Path(elem...)
	if err != nil {
		tb.Fatalf("shared data: %v", err)
	}
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("shared data file %s is missing (expected beside the repository in ../shared/data, or set %s): %v", p, EnvDir, err)
	}
	return p
}
