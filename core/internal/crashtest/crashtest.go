// Package crashtest runs a test binary's helper process and kills it with SIGKILL at a
// chosen moment: the shared harness of the crash tests of core/store and core/jobs. The
// helper is a Test function of the same binary that does nothing unless an environment
// variable is set, prints what it has made durable as lines on stdout (written straight to
// the file descriptor, so nothing is lost to a buffer when it dies), and "error …" lines for
// failures.
package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RunAndKill runs the test binary again with only the test function helper selected and env
// added to its environment, hands each line the helper prints to onLine — lines still in
// the pipe after the kill too: each was printed after what it reports had happened — and
// kills the helper with SIGKILL the first time onLine returns true. It fails the test if the
// helper ended without being killed, died of anything but SIGKILL, or printed an "error"
// line; the helper gets at most a minute.
func RunAndKill(t testing.TB, helper string, env []string, onLine func(line string) (kill bool)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed, lines := false, 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		lines++
		if strings.HasPrefix(line, "error ") {
			t.Errorf("helper %s: %s", helper, line)
			continue
		}
		if onLine(line) && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("helper %s ended after %d lines without being killed: %v\nstderr:\n%s", helper, lines, err, stderr.String())
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper %s did not die of SIGKILL: %v\nstderr:\n%s", helper, err, stderr.String())
	}
}
