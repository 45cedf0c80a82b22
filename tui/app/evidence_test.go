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

	"github.com/charmbracelet/x/ansi"

	"signalcraft/appliance/apptest"
	"signalcraft/core/api"
	"signalcraft/core/store"
	"signalcraft/tui/app"
	"signalcraft/tui/pages/events"
)

// evidenceModel connects a client of the role to the plant as target with options o, and
// opens event 7's clips on the events page.
func evidenceModel(t *testing.T, role api.Role, target string, o app.Options) (app.Model, *apptest.Appliance) {
	t.Helper()
	a := plant(t)
	c := app.Client(a.Admin(t))
	if role != api.RoleAdmin {
		c = a.ClientAs(t, "tech-"+string(role), role)
	}
	m := connect(t, c, target, o, 100, 30)
	m, cmd := step(t, m, press("3"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("enter"))
	return settle(t, m, cmd), a
}

func TestClipDownload(t *testing.T) {
	dir := t.TempDir()
	m, _ := evidenceModel(t, api.RoleOperator, tlsTarget, app.Options{DownloadDir: dir})
	screen := ansi.Strip(m.Render())
	if !strings.Contains(screen, "#1 ") || !strings.Contains(screen, "Spectrogram of clip #1") || !strings.Contains(screen, "▀▀▀▀") {
		t.Fatalf("clip and spectrogram not shown:\n%s", screen)
	}
	m, cmd := step(t, m, press("d"))
	if !strings.Contains(ansi.Strip(m.Render()), "Downloading clip #1 to "+dir) {
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
	path := filepath.Join(dir, "pump-2-event7-clip1.wav")
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, clipWAV) {
		t.Fatalf("saved file: %d bytes, %v; want the clip's %d bytes", len(got), err, len(clipWAV))
	}
	if _, err := os.Stat(path + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file left behind: %v", err)
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Saved clip #1 to "+path) {
		t.Errorf("no outcome shown:\n%s", s)
	}
	// Remote: p says why it cannot play, and asks nothing of the appliance.
	m, cmd = step(t, m, press("p"))
	if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "Playing needs the client on the appliance") {
		t.Errorf("remote play: cmd %v, screen:\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
}

// A clip whose file the appliance pruned is listed, but not offered for download.
func TestClipGone(t *testing.T) {
	a := plant(t)
	m := as(t, a, api.RoleOperator, 100, 30)
	m, cmd := step(t, m, press("3"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "down") // event #5
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("d"))
	if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "Clip #2's file is no longer on the appliance (pruned or deleted).") {
		t.Errorf("download of a pruned clip: cmd %v, screen:\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
}

func TestClipPlayLocal(t *testing.T) {
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
	m, _ := evidenceModel(t, api.RoleAdmin, socketTarget, o)
	m, cmd := step(t, m, press("p"))
	m = settle(t, m, cmd) // the download's progress, then playing
	if len(played) != 1 || played[0] != "/usr/bin/paplay" || !bytes.Equal(playedBytes, clipWAV) {
		t.Fatalf("played %v (%d bytes), want paplay once with the clip", played, len(playedBytes))
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Played clip #1 with paplay.") {
		t.Errorf("no outcome shown:\n%s", s)
	}

	// No player on PATH: a clear message, nothing fetched.
	o.FindPlayer = func(string) (string, error) { return "", errors.New("not found") }
	m, _ = evidenceModel(t, api.RoleAdmin, socketTarget, o)
	m, cmd = step(t, m, press("p"))
	if s := ansi.Strip(m.Render()); cmd != nil || !strings.Contains(s, "No audio player found on PATH (pw-play, paplay, aplay)") {
		t.Errorf("no player: cmd %v, screen:\n%s", cmd != nil, s)
	}
}

func TestViewerCannotDownloadClips(t *testing.T) {
	m, a := evidenceModel(t, api.RoleViewer, tlsTarget, app.Options{DownloadDir: t.TempDir()})
	s := ansi.Strip(m.Render())
	if !strings.Contains(s, "Spectrogram of clip #1") || strings.Contains(s, "d download") {
		t.Errorf("viewer: spectrogram shown and download hidden expected:\n%s", s)
	}
	m, cmd := step(t, m, press("d"))
	if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "operator") {
		t.Errorf("viewer download: cmd %v, screen:\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
	// The appliance refuses a viewer the sound itself.
	if _, _, err := a.ClientAs(t, "wall-2", api.RoleViewer).ClipAudio(context.Background(), 1); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("a viewer's clip download: %v, want forbidden", err)
	}
}

// The range keys ask the appliance for the history of the chosen span, in as many steps
// as the chart has columns, and draw it: pump-2's scores of the last week, every 30 s in the
// last hour and every 5 minutes before, but for 4 hours a day and a half ago (a stopped line).
func TestLongRangeChart(t *testing.T) {
	a := plant(t)
	var scores []store.Score
	for ago := 7 * 24 * time.Hour; ago > 0; {
		if ago <= 30*time.Hour || ago > 34*time.Hour {
			scores = append(scores, store.Score{MachineID: "pump-2", Time: Now.Add(-ago), Score: 1.5, Smoothed: 1.5, Threshold: 3.4,
				State: "monitoring", LevelDBFS: -20})
		}
		if ago > time.Hour {
			ago -= 5 * time.Minute
		} else {
			ago -= 30 * time.Second
		}
	}
	if _, err := a.DB().WriteScores(context.Background(), scores); err != nil {
		t.Fatal(err)
	}
	m := as(t, a, api.RoleOperator, 100, 40)
	m = keys(t, m, "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	for _, want := range []string{"1h", "1d", "1w"} {
		m, cmd = step(t, m, press("t"))
		m = settle(t, m, cmd)
		s := ansi.Strip(m.Render())
		if !strings.Contains(s, "last "+want) || !strings.Contains(s, "steps") {
			t.Fatalf("range %s not drawn:\n%s", want, s)
		}
		// 93 columns: the span in 93 steps, which the appliance rounds up to whole units of
		// the resolution it reads (seconds, 1-minute and 1-hour rollups).
		if step := map[string]string{"1h": "scored windows, 39s steps", "1d": "1-min rollups, 16m steps", "1w": "1-hour rollups, 2h steps"}[want]; !strings.Contains(s, step) {
			t.Errorf("range %s not asked for in 93 steps (%q):\n%s", want, step, s)
		}
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "···") || !strings.Contains(s, "steps not heard") {
		t.Errorf("the stopped line's gap is not drawn:\n%s", s)
	}
	// t again: back to the live two minutes, which ask nothing.
	m, cmd = step(t, m, press("t"))
	if cmd != nil || !strings.Contains(ansi.Strip(m.Render()), "last 2 min") {
		t.Errorf("back to live: cmd %v:\n%s", cmd != nil, ansi.Strip(m.Render()))
	}
}
