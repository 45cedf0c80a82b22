//go:build unix

package dsp

import (
	"syscall"
	"time"
)

// cpuTime returns the user+system CPU time consumed by the process so far. Benchmarks use
// it for the x_realtime metric so that the figure means "audio seconds per CPU second"
// even when other processes compete for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
