package tui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"signalcraft/core/api"
	"signalcraft/core/wav"
)

// TestEndToEnd runs the real daemon on a replayed recording and drives the
// real terminal client in tmux, as a technician would: the machine and its
// live score appear, the anomaly shows on the events page, the technician
// acknowledges it, the appliance records the acknowledgement and its audit
// entry under the technician's operator token, and the alerts page shows the
// anomaly alert the daemon's default rules raised.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test (about 45 s) skipped in -short mode")
	}
	tmuxBin, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatal("tmux is needed for the end-to-end test and is not installed (apt-get install tmux)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	bin := func(name string) string { return filepath.Join(dir, name) }

	// Build both programs.
	for _, b := range []struct{ out, pkg string }{
		{"signalcraftd", "signalcraft/appliance/cmd/signalcraftd"},
		{"signalcraft", "signalcraft/tui/cmd/signalcraft"},
	} {
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin(b.out), b.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}

	// 22 s of normal sound (noise and a 440 Hz hum), then 23 s of a loud
	// rattle (broadband bursts and a 2.7 kHz whine).
	const rate = 16000
	rng := rand.New(rand.NewPCG(1, 2))
	samples := make([]float32, 45*rate)
	for i := range samples {
		t := float64(i) / rate
		v := 0.05*math.Sin(2*math.Pi*440*t) + 0.01*rng.NormFloat64()
		if t >= 22 {
			burst := 0.5 + 0.5*math.Sin(2*math.Pi*7*t)
			v = 0.25*math.Sin(2*math.Pi*2700*t) + 0.2*burst*rng.NormFloat64()
		}
		samples[i] = float32(v)
	}
	var wb bytes.Buffer
	if err := wav.Encode(&wb, rate, [][]float32{samples}); err != nil {
		t.Fatal(err)
	}
	wavPath := filepath.Join(dir, "pump.wav")
	if err := os.WriteFile(wavPath, wb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	sock := filepath.Join(dir, "api.sock")
	cfgPath := filepath.Join(dir, "signalcraftd.yaml")
	cfg := fmt.Sprintf(`data_dir: %s
log_level: info
api:
  socket: %s
  listen: 127.0.0.1:%d
sources:
  - id: rec
    kind: wav
    paths: [%s]
    realtime: true
machines:
  - id: pump-e2e
    name: E2E test pump
    kind: pump
    line: line-t
    sensor: {source: rec, channel: 0}
    detection: {model: mahalanobis, learning: 10s}
clips: {post_roll: 3s, max_post_roll: 5s}   # the clip is saved 5 s into the anomaly
`, dir, sock, port, wavPath)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	// An operator token for the technician.
	out, err := exec.CommandContext(ctx, bin("signalcraftd"), "token", "--config", cfgPath,
		"create", "--name", "tech-e2e", "--role", "operator").CombinedOutput()
	if err != nil {
		t.Fatalf("signalcraftd token create: %v\n%s", err, out)
	}
	secret := regexp.MustCompile(`sc_[A-Za-z0-9_-]+`).FindString(string(out))
	if secret == "" {
		t.Fatalf("no secret in the output of token create:\n%s", out)
	}

	// The daemon.
	var dlog bytes.Buffer
	daemon := exec.Command(bin("signalcraftd"), "run", "--config", cfgPath)
	daemon.Stdout, daemon.Stderr = &dlog, &dlog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	daemonDone := make(chan error, 1)
	go func() { daemonDone <- daemon.Wait() }()
	defer func() {
		_ = daemon.Process.Signal(syscall.SIGINT)
		select {
		case <-daemonDone:
		case <-time.After(10 * time.Second):
			_ = daemon.Process.Kill()
			<-daemonDone
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", dlog.String())
		}
	}()
	admin, err := api.NewClient("", api.WithUnixSocket(sock))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, 20*time.Second, "the daemon's API", func() (bool, string) {
		_, err := admin.Health(ctx)
		return err == nil, fmt.Sprint(err)
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	fp, err := api.FetchFingerprint(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}

	// The terminal client in tmux, over TLS with the operator token and
	// the pinned certificate.
	tmuxSock := "signalcraft-e2e-" + fmt.Sprint(os.Getpid())
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, tmuxBin, append([]string{"-L", tmuxSock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	downloads := filepath.Join(dir, "downloads")
	if err := os.Mkdir(downloads, 0o755); err != nil {
		t.Fatal(err)
	}
	tuiCmd := fmt.Sprintf("env SIGNALCRAFT_TOKEN=%s TERM=xterm-256color %s --lang en --url https://%s --fingerprint %s --known-file %s --download-dir %s",
		secret, bin("signalcraft"), addr, fp, filepath.Join(dir, "known"), downloads)
	tmux("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", tuiCmd)
	defer exec.Command(tmuxBin, "-L", tmuxSock, "kill-server").Run()
	screen := func() string { return tmux("capture-pane", "-p", "-t", "e2e") }
	key := func(k string) {
		tmux("send-keys", "-t", "e2e", k)
		time.Sleep(50 * time.Millisecond)
	}
	waitScreen := func(what string, d time.Duration, ok func(s string) bool) string {
		var last string
		waitFor(t, ctx, d, what, func() (bool, string) {
			last = screen()
			return ok(last), last
		})
		return last
	}

	waitScreen("the machine row", 15*time.Second, func(s string) bool { return strings.Contains(s, "E2E test pump") })
	// A live update shows the level, and the score in multiples of the threshold once learnt.
	score := regexp.MustCompile(`-?\d+\.\d dB +(\d+\.\d\d×|—)`)
	waitScreen("a live score", 15*time.Second, func(s string) bool {
		return score.MatchString(s) && strings.Contains(s, "● live")
	})
	key("3")
	s := waitScreen("the anomaly event on the events page", 45*time.Second, func(s string) bool {
		return regexp.MustCompile(`▶ #\d+\s+pump-e2e`).MatchString(s) && strings.Contains(s, "unacknowledged")
	})
	id := regexp.MustCompile(`▶ #(\d+)`).FindStringSubmatch(s)[1]
	key("a")
	waitScreen("the comment box", 5*time.Second, func(s string) bool { return strings.Contains(s, "comment:") })
	for _, r := range "checked on site" {
		if r == ' ' {
			key("Space")
		} else {
			key(string(r))
		}
	}
	key("Enter")
	waitScreen("the acknowledgement", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Event #"+id+" acknowledged.") && strings.Contains(s, "✓ tech-e2e")
	})
	t.Logf("events page after acknowledging:\n%s", screen())

	// Enter: the event's clip (saved once its post-roll is recorded; r asks again) with its
	// spectrogram; d downloads the WAV, byte for byte the appliance's file.
	key("Enter")
	clipLine := regexp.MustCompile(`▶ #(\d+)\s+\S+\s+\d+\.\d s\s+16 kHz mono`)
	clipPolls := 0
	s = waitScreen("the event's clip and spectrogram", 30*time.Second, func(s string) bool {
		if clipPolls++; clipPolls%10 == 0 {
			key("r")
		}
		return clipLine.MatchString(s) && strings.Contains(s, "Spectrogram of clip #") && strings.Contains(s, "▀▀▀")
	})
	clipID := clipLine.FindStringSubmatch(s)[1]
	t.Logf("event view:\n%s", s)
	key("d")
	waitScreen("the saved clip", 15*time.Second, func(s string) bool { return strings.Contains(s, "Saved clip #"+clipID+" to "+downloads) })
	saved, err := filepath.Glob(filepath.Join(downloads, "pump-e2e-event"+id+"-clip"+clipID+".wav"))
	if err != nil || len(saved) != 1 {
		t.Fatalf("downloaded clip not in %s: %v %v", downloads, saved, err)
	}
	got, err := os.ReadFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	var cid int64
	fmt.Sscan(clipID, &cid)
	var eid0 int64
	fmt.Sscan(id, &eid0)
	clips, err := admin.EventClips(ctx, eid0)
	if err != nil || len(clips) != 1 || clips[0].ID != cid {
		t.Fatalf("clips of event %s: %+v, %v", id, clips, err)
	}
	if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != clips[0].SHA256 || int64(len(got)) != clips[0].Size {
		t.Errorf("downloaded %d bytes, sha256 %x; the appliance recorded %d bytes, %s", len(got), sum, clips[0].Size, clips[0].SHA256)
	}
	key("Escape")

	// Page 6: the daemon's default rules raise an anomaly alert for the machine (its default
	// receiver only logs). r reloads the page while waiting for it to fire.
	key("6")
	firing := regexp.MustCompile(`(WARN|CRIT) firing\s+pump-e2e\s+Anomaly(Warning|Critical)`)
	polls := 0
	waitScreen("the firing anomaly alert on page 6", 20*time.Second, func(s string) bool {
		if polls++; polls%10 == 0 {
			key("r")
		}
		return firing.MatchString(s)
	})
	t.Logf("alerts page:\n%s", screen())
	key("q")

	// The appliance's own records.
	var eid int64
	fmt.Sscan(id, &eid)
	ev, err := admin.Event(ctx, eid)
	if err != nil {
		t.Fatal(err)
	}
	if ev.AcknowledgedBy != "tech-e2e" || ev.AckComment != "checked on site" || ev.MachineID != "pump-e2e" {
		t.Errorf("event %+v: want acknowledged by tech-e2e with the comment", ev)
	}
	audit, err := admin.Audit(ctx, api.AuditFilter{Target: "event/" + id})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range audit {
		if a.Action == "event.acknowledge" {
			found = true
			if a.Actor != "tech-e2e" {
				t.Errorf("audit entry %+v: actor %q, want tech-e2e", a, a.Actor)
			}
		}
	}
	if !found {
		t.Errorf("no event.acknowledge audit entry for event/%s: %+v", id, audit)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond every 200 ms until it holds, failing the test with
// what it last saw after d or when ctx ends.
func waitFor(t *testing.T, ctx context.Context, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("timed out after %v waiting for %s; last seen:\n%s", d, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
