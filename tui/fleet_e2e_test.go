package tui_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetest "fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
	"signalcraft/gui/screens"
	guitheme "signalcraft/gui/theme"
	"signalcraft/tui/pages/fleetview"
)

// fleetDaemon is one real signalcraftd of the fleet test.
type fleetDaemon struct {
	name   string
	dir    string
	sock   string
	addr   string // loopback TLS listener
	secret string // operator token
	cmd    *exec.Cmd
	log    *bytes.Buffer
	done   chan struct{} // closed when the process has exited
}

func (d *fleetDaemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// TestFleetEndToEnd is the fleet view's acceptance test: three real daemons on loopback
// (simulated machines, each its own data directory, API socket and TLS port), one terminal
// fleet page (driven in-process) and one desktop fleet window (Fyne's test app) watching all
// three through one api.FleetWatcher each. A bearing fault developing on line-b's pump shows
// on both within 1 s of the live update reaching the client (measured from the update's
// arrival on the SSE stream, not the daemon's own speed); its firing alert is acknowledged
// from the terminal page and the appliance records it; then line-c's daemon stops and both
// show it unreachable, its machines unknown — not normal.
func TestFleetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet end-to-end test (about 50 s) skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "signalcraftd")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "signalcraft/appliance/cmd/signalcraftd").CombinedOutput(); err != nil {
		t.Fatalf("go build signalcraftd: %v\n%s", err, out)
	}

	// Three appliances, two simulated machines each; line-b's pump develops a bearing fault
	// once its model has learnt (10 s).
	names := []string{"line-a", "line-b", "line-c"}
	daemons := make([]*fleetDaemon, len(names))
	for i, name := range names {
		d := &fleetDaemon{name: name, dir: filepath.Join(dir, name), log: &bytes.Buffer{}, done: make(chan struct{})}
		if err := os.Mkdir(d.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		d.sock = filepath.Join(d.dir, "api.sock")
		d.addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		faults := "[]"
		if name == "line-b" {
			faults = "[{channel: 1, start: 16s, level: 4}]"
		}
		cfg := fmt.Sprintf(`data_dir: %s
log_level: warn
api:
  socket: %s
  listen: %s
metrics: {listen: 127.0.0.1:%d}
sources:
  - id: sim
    kind: simulator
    sample_rate: 16000
    channels: 2
    realtime: true
    simulator: {seed: %d, faults: %s}
machines:
  - {id: fan-%d, name: Fan %s, kind: fan, line: %s, sensor: {source: sim, channel: 0}, detection: {learning: 10s}}
  - {id: pump-%d, name: Pump %s, kind: pump, line: %s, sensor: {source: sim, channel: 1}, detection: {learning: 10s}}
`, d.dir, d.sock, d.addr, freePort(t), i+1, faults, i+1, name, name, i+1, name, name)
		cfgPath := filepath.Join(d.dir, "signalcraftd.yaml")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, bin, "token", "--config", cfgPath, "create", "--name", "fleet-"+name,
			"--role", "operator").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: token create: %v\n%s", name, err, out)
		}
		if d.secret = regexp.MustCompile(`sc_[A-Za-z0-9_-]+`).FindString(string(out)); d.secret == "" {
			t.Fatalf("%s: no secret in the output of token create:\n%s", name, out)
		}
		d.cmd = exec.Command(bin, "run", "--config", cfgPath)
		d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
		if err := d.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = d.cmd.Wait(); close(d.done) }()
		daemons[i] = d
	}
	defer func() {
		for _, d := range daemons {
			d.stop()
			if t.Failed() {
				t.Logf("%s daemon log:\n%s", d.name, d.log.String())
			}
		}
	}()

	// line-a over its unix socket (local admin), line-b and line-c over TLS with their
	// operator tokens and pinned certificates.
	var members []api.FleetMember
	for _, d := range daemons {
		local, err := api.NewClient("", api.WithUnixSocket(d.sock))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, 30*time.Second, d.name+"'s API", func() (bool, string) {
			_, err := local.Health(ctx)
			return err == nil, fmt.Sprint(err)
		})
		c := local
		if d.name != "line-a" {
			fp, err := api.FetchFingerprint(ctx, d.addr)
			if err != nil {
				t.Fatal(err)
			}
			if c, err = api.NewClient("https://"+d.addr, api.WithToken(d.secret), api.WithTLSFingerprint(fp),
				api.WithReconnect(100*time.Millisecond, time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		members = append(members, api.FleetMember{Name: d.name, Client: c})
	}

	// One watcher per client, as each client runs its own.
	newWatcher := func() *api.FleetWatcher {
		w, err := api.NewFleetWatcher(members, api.FleetOptions{Poll: 300 * time.Millisecond,
			RetryMin: 200 * time.Millisecond, RetryMax: time.Second, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		go w.Run(ctx)
		return w
	}
	tuiW, guiW := newWatcher(), newWatcher()

	// The desktop fleet window, redrawn by its own Watch loop.
	a := fynetest.NewTempApp(t)
	a.Settings().SetTheme(guitheme.New(nil, nil))
	win := fynetest.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1100, 900))
	// Fyne's test driver runs "UI goroutine" work on the caller's goroutine: uiDo stands in
	// for the UI goroutine, so the window's redraws and this test's reads never overlap.
	var uiMu sync.Mutex
	uiDo := func(f func()) {
		uiMu.Lock()
		defer uiMu.Unlock()
		f()
	}
	var gui *screens.Fleet
	uiDo(func() {
		gui = screens.NewFleet(screens.FleetOptions{Source: guiW, Lang: i18n.English, MinInterval: 50 * time.Millisecond, Do: uiDo})
		win.SetContent(gui.Content())
	})
	go gui.Watch(ctx)
	guiSays := func() (texts string, apps []api.FleetAppliance, pumpB string, pumpBSince time.Time) {
		uiDo(func() {
			texts = canvasTexts(win.Content())
			apps = gui.Appliances()
			pumpB, pumpBSince = gui.StateShown("line-b", "pump-2")
		})
		return
	}

	// The terminal fleet page, driven in-process: each command runs on this goroutine and
	// its message is fed back, as Bubble Tea's loop would.
	var mu sync.Mutex
	m := fleetview.New(fleetview.Options{Watcher: tuiW, Ctx: ctx})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m = next.(fleetview.Model)
	pending := m.Init()
	tuiStep := func() {
		mu.Lock()
		defer mu.Unlock()
		if pending == nil {
			t.Fatal("the fleet page stopped waiting for changes")
		}
		msg := pending()
		next, cmd := m.Update(msg)
		m, pending = next.(fleetview.Model), cmd
	}
	screen := func() string { return ansi.Strip(m.Render()) }

	// Every machine of the three appliances, monitoring once learnt.
	waitTUI := func(what string, d time.Duration, ok func(s string) bool) string {
		t.Helper()
		deadline := time.Now().Add(d)
		for {
			tuiStep()
			if s := screen(); ok(s) {
				return s
			} else if time.Now().After(deadline) {
				t.Fatalf("terminal fleet page: timed out after %v waiting for %s; last seen:\n%s", d, what, s)
			}
		}
	}
	waitTUI("six machines monitoring", 40*time.Second, func(s string) bool {
		return strings.Count(s, "monitoring") == 6 && strings.Contains(s, "6 machines")
	})

	// The fault: line-b's pump turns anomalous. The page must show it within 1 s of the
	// update's arrival on the SSE stream.
	pumpB := regexp.MustCompile(`line-b\s+Pump line-b\s+ANOMALY`)
	s := waitTUI("line-b's pump anomalous", 60*time.Second, func(s string) bool { return pumpB.MatchString(s) })
	shownTUI := time.Now()
	arrived := stateArrived(t, m.Appliances(), "line-b", "pump-2", api.StateAnomaly)
	if lag := shownTUI.Sub(arrived); lag > time.Second {
		t.Errorf("terminal fleet page showed the anomaly %v after its update arrived, want ≤ 1 s", lag)
	} else {
		t.Logf("terminal fleet page: anomaly shown %v after its live update arrived", lag)
	}
	for _, other := range []string{`line-a\s+Pump line-a\s+monitoring`, `line-c\s+Pump line-c\s+monitoring`} {
		if !regexp.MustCompile(other).MatchString(s) {
			t.Errorf("the fault on line-b changed another appliance's machine (want %s):\n%s", other, s)
		}
	}

	// The desktop window shows it too, in the anomaly's words.
	var guiLag time.Duration
	waitFor(t, ctx, 20*time.Second, "the desktop fleet window's anomaly", func() (bool, string) {
		texts, apps, state, since := guiSays()
		for _, a := range apps {
			for _, fm := range a.Machines {
				if a.Name == "line-b" && fm.Machine.ID == "pump-2" && fm.Live.State == api.StateAnomaly &&
					state == api.StateAnomaly && strings.Contains(texts, "Sounds wrong!") {
					guiLag = since.Sub(fm.StateArrived)
					return true, texts
				}
			}
		}
		return false, texts
	})
	if guiLag > time.Second {
		t.Errorf("desktop fleet window showed the anomaly %v after its update arrived, want ≤ 1 s", guiLag)
	} else {
		t.Logf("desktop fleet window: anomaly shown %v after its live update arrived", guiLag)
	}

	// Its firing alert, acknowledged from the terminal page with line-b's operator token.
	waitTUI("line-b's firing alert", 60*time.Second, func(s string) bool {
		return regexp.MustCompile(`▶ line-b\s+\w+\s+pump-2`).MatchString(s)
	})
	mu.Lock()
	next, cmd := m.Update(tea.KeyPressMsg{Code: 'a', Text: "a"})
	m = next.(fleetview.Model)
	next, _ = m.Update(cmd())
	m = next.(fleetview.Model)
	mu.Unlock()
	if s := screen(); !strings.Contains(s, "line-b: alert acknowledged") {
		t.Fatalf("no acknowledgement on the page:\n%s", s)
	}
	as, err := members[1].Client.Alerts(ctx, api.AlertFilter{State: api.AlertFiring, Machine: "pump-2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) == 0 || as[0].AcknowledgedAt == nil || as[0].AcknowledgedBy != "fleet-line-b" {
		t.Fatalf("line-b's alert not acknowledged by the fleet token: %+v", as)
	}
	waitTUI("the acknowledgement in the list", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "acked by fleet-line-b")
	})

	// line-c's daemon stops: unreachable, never "all normal".
	daemons[2].stop()
	s = waitTUI("line-c unreachable", 20*time.Second, func(s string) bool {
		return regexp.MustCompile(`line-c\s+✕ unreachable since \d\d:\d\d:\d\d — \S`).MatchString(s)
	})
	if regexp.MustCompile(`line-c\s+\S+ line-c\s+monitoring`).MatchString(s) {
		t.Errorf("an unreachable appliance's machines still show monitoring:\n%s", s)
	}
	if !regexp.MustCompile(`line-c\s+Pump line-c\s+\? unknown`).MatchString(s) {
		t.Errorf("line-c's pump is not shown unknown:\n%s", s)
	}
	if !strings.Contains(s, "1 unreachable") {
		t.Errorf("the summary does not count the unreachable appliance:\n%s", s)
	}
	waitFor(t, ctx, 20*time.Second, "the desktop window's unreachable line-c", func() (bool, string) {
		texts, _, _, _ := guiSays()
		return regexp.MustCompile(`line-c[^\n]*\nUnreachable since \d\d:\d\d:\d\d — \S`).MatchString(texts) &&
			strings.Contains(texts, "Unknown — appliance unreachable"), texts
	})
	// the others keep going
	if s := screen(); !regexp.MustCompile(`line-a\s+Fan line-a\s+monitoring`).MatchString(s) {
		t.Errorf("line-a no longer monitoring after line-c stopped:\n%s", s)
	}
}

// stateArrived returns when the update that put machine into state reached the client.
func stateArrived(t *testing.T, apps []api.FleetAppliance, appliance, machine, state string) time.Time {
	t.Helper()
	for _, a := range apps {
		for _, fm := range a.Machines {
			if a.Name == appliance && fm.Machine.ID == machine && fm.Live.State == state {
				return fm.StateArrived
			}
		}
	}
	t.Fatalf("%s/%s is not %s in the page's snapshot", appliance, machine, state)
	return time.Time{}
}

// canvasTexts lists the visible texts under o, one per line.
func canvasTexts(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *canvas.Text:
			b.WriteString(x.Text + "\n")
		case *widget.Label:
			b.WriteString(x.Text + "\n")
			return
		case *widget.Button:
			b.WriteString("[" + x.Text + "]\n")
			return
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
			return
		case *container.Scroll:
			walk(x.Content)
		}
	}
	walk(o)
	return b.String()
}
