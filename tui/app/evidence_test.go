package app_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
	"signalcraft/tui/internal/fakeappliance"
	"signalcraft/tui/pages/events"
)

// evidenceModel connects a client to the fake appliance as target with options o, and opens
// event 7's clips on the events page.
func evidenceModel(t *testing.T, fx fakeappliance.Fixture, target string, o app.Options) (app.Model, *fakeappliance.Server) {
	t.Helper()
	srv := fakeappliance.New(fx)
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, api.WithToken("sc_test"))
	if err != nil {
		t.Fatal(err)
	}
	o.Client, o.Target, o.Now, o.Tick = c, target, func() time.Time { return fakeappliance.Now }, -1
	m := app.New(o)
	m = feed(t, m, tea.WindowSizeMsg{Width: 100, Height: 30},
		app.ConnectedMsg{Health: fx.Health, Me: fx.Me, Machines: fx.Machines, Events: fx.Events, Alerts: fx.Alerts},
		app.LiveMsg{Updates: fx.Live})
	t.Cleanup(m.Close)
	m, cmd := step(t, m, press("3"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("enter"))
	return settle(t, m, cmd), srv
}

func TestClipDownload(t *testing.T) {
	fx := fakeappliance.NewFixture()
	dir := t.TempDir()
	m, srv := evidenceModel(t, fx, "https://appliance:8443", app.Options{DownloadDir: dir})
	screen := ansi.Strip(m.Render())
	if !strings.Contains(screen, "#12") || !strings.Contains(screen, "Spectrogram of clip #12") || !strings.Contains(screen, "▀▀▀▀") {
		t.Fatalf("clip and spectrogram not shown:\n%s", screen)
	}
	m, cmd := step(t, m, press("d"))
	if !strings.Contains(ansi.Strip(m.Render()), "Downloading clip #12 to "+dir) {
		t.Errorf("no download message:\n%s", ansi.Strip(m.Render()))
	}
	// Follow the download's messages to its end.
	for range 20 {
		msgs := exec(cmd, 2*time.Second)
		if len(msgs) != 1 {
			t.Fatalf("download gave %d messages", len(msgs))
		}
		m, cmd = step(t, m, msgs[0])
		if _, done := msgs[0].(events.DownloadedMsg); done {
			break
		}
	}
	path := filepath.Join(dir, "pump-2-event7-clip12.wav")
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, fx.ClipAudio[12]) {
		t.Fatalf("saved file: %d bytes, %v; want the clip's %d bytes", len(got), err, len(fx.ClipAudio[12]))
	}
	if _, err := os.Stat(path + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file left behind: %v", err)
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Saved clip #12 to "+path) {
		t.Errorf("no outcome shown:\n%s", s)
	}
	// Remote: p says why it cannot play, and asks nothing of the appliance.
	before := len(srv.Requests())
	m, cmd = step(t, m, press("p"))
	if cmd != nil || len(srv.Requests()) != before || !strings.Contains(ansi.Strip(m.Render()), "Playing needs the client on the appliance") {
		t.Errorf("remote play: cmd %v, %d new requests, screen:\n%s", cmd != nil, len(srv.Requests())-before, ansi.Strip(m.Render()))
	}
}

func TestClipPlayLocal(t *testing.T) {
	fx := fakeappliance.NewFixture()
	var played []string
	var playedBytes []byte
	o := app.Options{
		FindPlayer: func(name string) (string, error) {
			if name == "paplay" {
				return "/usr/bin/paplay", nil
			}
			return "", errors.New("not found")
		},
		Play: func(_ context.Context, player, file string) error {
			played = append(played, player)
			playedBytes, _ = os.ReadFile(file)
			return nil
		},
	}
	m, _ := evidenceModel(t, fx, "unix:/run/signalcraft/api.sock", o)
	m, cmd := step(t, m, press("p"))
	m = settle(t, m, cmd) // the download's progress, then playing
	if len(played) != 1 || played[0] != "/usr/bin/paplay" || !bytes.Equal(playedBytes, fx.ClipAudio[12]) {
		t.Fatalf("played %v (%d bytes), want paplay once with the clip", played, len(playedBytes))
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Played clip #12 with paplay.") {
		t.Errorf("no outcome shown:\n%s", s)
	}

	// No player on PATH: a clear message, nothing fetched.
	o.FindPlayer = func(string) (string, error) { return "", errors.New("not found") }
	m, _ = evidenceModel(t, fx, "unix:/run/signalcraft/api.sock", o)
	m, cmd = step(t, m, press("p"))
	if s := ansi.Strip(m.Render()); cmd != nil || !strings.Contains(s, "No audio player found on PATH (pw-play, paplay, aplay)") {
		t.Errorf("no player: cmd %v, screen:\n%s", cmd != nil, s)
	}
}

func TestViewerCannotDownloadClips(t *testing.T) {
	fx := fakeappliance.NewFixture()
	fx.Me = api.Identity{Actor: "wall", Role: api.RoleViewer}
	m, _ := evidenceModel(t, fx, "unix:/run/signalcraft/api.sock", app.Options{DownloadDir: t.TempDir()})
	s := ansi.Strip(m.Render())
	if !strings.Contains(s, "Spectrogram of clip #12") || strings.Contains(s, "d download") {
		t.Errorf("viewer: spectrogram shown and download hidden expected:\n%s", s)
	}
	m, cmd := step(t, m, press("d"))
	if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "operator") {
		t.Errorf("viewer download: cmd %v, screen:\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
}

// The range keys ask the appliance for the history of the chosen span, in as many steps
// as the chart has columns, and draw it.
func TestLongRangeChart(t *testing.T) {
	fx := fakeappliance.NewFixture()
	srv := fakeappliance.New(fx)
	defer srv.Close()
	c, err := api.NewClient(srv.URL, api.WithToken("sc_test"))
	if err != nil {
		t.Fatal(err)
	}
	m := model(t, fx, c, 100, 40)
	m = keys(t, m, "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	for i, want := range []string{"1h", "1d", "1w"} {
		m, cmd = step(t, m, press("t"))
		m = settle(t, m, cmd)
		s := ansi.Strip(m.Render())
		if !strings.Contains(s, "last "+want) || !strings.Contains(s, "steps") {
			t.Fatalf("range %s not drawn:\n%s", want, s)
		}
		reqs := srv.Requests()
		last := reqs[len(reqs)-1]
		if last.Path != "/api/v1/machines/pump-2/history" || !strings.Contains(last.Query, "points=93") ||
			!strings.Contains(last.Query, "span="+map[int]string{0: "1h0m0s", 1: "24h0m0s", 2: "168h0m0s"}[i]) {
			t.Errorf("request %s?%s", last.Path, last.Query)
		}
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "···") || !strings.Contains(s, "steps not heard") {
		t.Errorf("the stopped line's gap is not drawn:\n%s", s)
	}
	// t again: back to the live two minutes, which ask nothing.
	before := len(srv.Requests())
	m, cmd = step(t, m, press("t"))
	if cmd != nil || len(srv.Requests()) != before || !strings.Contains(ansi.Strip(m.Render()), "last 2 min") {
		t.Errorf("back to live: cmd %v:\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
}
