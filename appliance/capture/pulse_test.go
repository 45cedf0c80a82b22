package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"signalcraft/appliance/source"
)

// pulseDaemon is a private PulseAudio server with a real-time sine source, reachable only
// through the socket in testEnv.pulseDir (pcm.sc_test_pulse points there).
type pulseDaemon struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
}

// requirePulse fails (never skips) the test when what it needs is not installed.
func requirePulse(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatalf("binary pulseaudio not found in PATH (apt-get install pulseaudio pulseaudio-utils libasound2-plugins): %v", err)
	}
	if m, _ := filepath.Glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so"); len(m) == 0 {
		t.Fatal("ALSA pulse plugin libasound_module_pcm_pulse.so not found (apt-get install libasound2-plugins)")
	}
	return bin
}

func startPulse(t *testing.T, bin string) *pulseDaemon {
	t.Helper()
	dir := testEnv.pulseDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "test.pa")
	sock := filepath.Join(dir, "native")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(
		"load-module module-native-protocol-unix socket=%s auth-anonymous=1\n"+
			"load-module module-sine-source source_name=%s rate=48000 frequency=440\n",
		sock, testEnv.pulseSrc)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &pulseDaemon{done: make(chan struct{})}
	d.cmd = exec.Command(bin, "-n", "-F", script, "--daemonize=no", "--exit-idle-time=-1",
		"--use-pid-file=no", "--realtime=no", "--high-priority=no", "--disable-shm=yes",
		"--log-target=stderr")
	// Keep the daemon's state, cookie and runtime files in the temp dir, even as root.
	d.cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "XDG_CONFIG_HOME="+dir,
		"PULSE_RUNTIME_PATH="+dir, "PULSE_STATE_PATH="+dir)
	d.cmd.Stderr = &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start pulseaudio: %v", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.kill)

	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return d
		}
		select {
		case <-d.done:
			t.Fatalf("pulseaudio exited: %s", d.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio socket %s not ready after 10s: %s", sock, d.stderr.String())
		}
	}
}

func (d *pulseDaemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.done
}

// flowSink counts frames and the peak amplitude, and logs status changes; it never blocks.
type flowSink struct {
	start  time.Time
	frames atomic.Uint64
	peak   atomic.Uint32 // float32 bits of the largest |sample|

	mu     sync.Mutex
	events []statusEvent
}

type statusEvent struct {
	s   source.Status
	err error
	at  time.Duration
}

func (s *flowSink) Samples(b source.Block) {
	var p float32
	for _, v := range b.Channels[0] {
		p = max(p, float32(math.Abs(float64(v))))
	}
	for {
		old := s.peak.Load()
		if p <= math.Float32frombits(old) || s.peak.CompareAndSwap(old, math.Float32bits(p)) {
			break
		}
	}
	s.frames.Add(uint64(len(b.Channels[0])))
}

func (s *flowSink) Status(st source.Status, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, statusEvent{st, err, time.Since(s.start)})
}

// count returns how many times st has been reported, and the latest such event.
func (s *flowSink) count(st source.Status) (int, statusEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, last := 0, statusEvent{}
	for _, e := range s.events {
		if e.s == st {
			n, last = n+1, e
		}
	}
	return n, last
}

func (s *flowSink) last() source.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 {
		return -1
	}
	return s.events[len(s.events)-1].s
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool, src ...*Source) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("timed out after %v waiting for %s (stats %+v)", limit, what, src[0].Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestDeviceLossAndRecovery captures a real-time PulseAudio source through ALSA's pulse
// plugin, kills the daemon, and restarts it.
func TestDeviceLossAndRecovery(t *testing.T) {
	bin := requirePulse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	d := startPulse(t, bin)
	src, err := New(Config{Device: pulsePCM, SampleRate: 48000, Channels: 1, FramesPerBuffer: 1024},
		WithBackoff(Backoff{Initial: 50 * time.Millisecond, Max: 400 * time.Millisecond, Jitter: 0.1}))
	if err != nil {
		t.Fatal(err)
	}
	sink := &flowSink{start: time.Now()}
	runErr := make(chan error, 1)
	go func() { runErr <- src.Run(ctx, sink) }()

	// The sine source has amplitude 0.5; silence would mean the wrong PCM.
	flowing := func(after uint64) func() bool {
		sink.peak.Store(0)
		return func() bool {
			return sink.frames.Load() >= after+48000 && math.Float32frombits(sink.peak.Load()) > 0.4
		}
	}
	took := waitFor(t, "1 s of sine samples", 10*time.Second, flowing(0))
	t.Logf("first second of samples after %v", took)

	killed := time.Now()
	d.kill()
	waitFor(t, "status lost", 5*time.Second, func() bool { n, _ := sink.count(source.Lost); return n == 1 }, src)
	_, lost := sink.count(source.Lost)
	if !errors.Is(lost.err, ErrDeviceLost) {
		t.Errorf("Lost err = %v, want one wrapping ErrDeviceLost", lost.err)
	}
	t.Logf("lost %v after the kill: %v", time.Since(killed), lost.err)
	waitFor(t, "status reconnecting", 5*time.Second, func() bool { n, _ := sink.count(source.Reconnecting); return n >= 1 })
	if st := src.Stats(); st.State != Lost && st.State != Reconnecting || st.LastError == "" {
		t.Errorf("Stats() while the daemon is down = %+v", st)
	}
	time.Sleep(500 * time.Millisecond) // let a few attempts fail
	failed, _ := sink.count(source.Reconnecting)

	restarted := time.Now()
	startPulse(t, bin)
	took = waitFor(t, "status running again", 15*time.Second, func() bool {
		n, _ := sink.count(source.Running)
		return n == 2 && sink.last() == source.Running
	})
	t.Logf("running %v after the restart (%d reconnect attempts while down)", took, failed)
	took = waitFor(t, "1 s of sine samples after the restart", 10*time.Second, flowing(sink.frames.Load()))
	t.Logf("another second of samples %v later; total %v since the restart", took, time.Since(restarted))

	if st := src.Stats(); st.Reconnects < 1 || st.State != Running {
		t.Errorf("Stats() = %+v, want Reconnects ≥ 1 and state running", st)
	}
	cancel()
	canceled := time.Now()
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run() = %v", err)
		}
		t.Logf("Run returned %v after cancel", time.Since(canceled))
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of cancel")
	}
	if st := src.Stats(); st.State != Stopped {
		t.Errorf("state after Run = %v, want stopped", st.State)
	}
}
