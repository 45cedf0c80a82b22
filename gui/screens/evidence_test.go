package screens

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

func radio(w fyne.Window) *widget.RadioGroup {
	var g *widget.RadioGroup
	everything(w, func(o fyne.CanvasObject) {
		if x, ok := o.(*widget.RadioGroup); ok && g == nil {
			g = x
		}
	})
	return g
}

func TestHistoryRanges(t *testing.T) {
	r := sharedRig(t, api.RoleViewer, i18n.English)
	r.ui.ShowMachine(pump)
	if s := texts(r.win); !strings.Contains(s, "From 1-minute summaries, one point per 4m") {
		t.Errorf("the day's summary is missing:\n%s", s)
	}
	g := radio(r.win)
	if g == nil || g.Selected != "Last day" {
		t.Fatalf("range selector %v", g)
	}
	g.SetSelected("Last week")
	if r.ui.detail.history.Span().Hours() != 168 {
		t.Fatalf("selecting a week: span %v", r.ui.detail.history.Span())
	}
	s := texts(r.win)
	for _, want := range []string{"From 1-hour summaries, one point per 1h", "heard nothing", "Jun 2"} {
		if !strings.Contains(s, want) {
			t.Errorf("week history lacks %q:\n%s", want, s)
		}
	}
}

// openClips opens the pump's detail and the Sound… dialog of its open event.
func openClips(t *testing.T, r *rig) {
	t.Helper()
	r.ui.ShowMachine(pump)
	b := buttons(r.win, r.ui.T("event.clips"))
	if len(b) == 0 {
		t.Fatal("no Sound… button on the event cards")
	}
	test.Tap(b[0])
}

func TestClipsPlayAndSave(t *testing.T) {
	var played []byte
	saved := filepath.Join(t.TempDir(), "clip.wav")
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.opt.Play = func(_ context.Context, file string) (string, error) {
		played, _ = os.ReadFile(file)
		return "fakeplay", nil
	}
	r.ui.opt.SaveDialog = func(name string, save func(io.WriteCloser)) {
		if want := fmt.Sprintf("pump-2-event%d-clip%d.wav", r.openEvent, r.clip); name != want {
			t.Errorf("suggested file name %q", name)
		}
		f, err := os.Create(saved)
		if err != nil {
			t.Fatal(err)
		}
		save(f)
	}
	openClips(t, r)
	s := texts(r.win)
	if !strings.Contains(s, "4.0 s · 16000 Hz · copy in S3") || !strings.Contains(s, "80 dB range") {
		t.Fatalf("clip facts or spectrogram caption missing:\n%s", s)
	}
	var img *canvas.Image
	everything(r.win, func(o fyne.CanvasObject) {
		if x, ok := o.(*canvas.Image); ok && x.Image != nil && x.Image.Bounds().Dy() == 64 {
			img = x
		}
	})
	// The appliance draws at most one column per hop of its analysis: 124 for a 4 s clip.
	sp, err := r.Admin(t).ClipSpectrogram(context.Background(), r.clip, 350)
	if err != nil {
		t.Fatal(err)
	}
	if img == nil || img.Image.Bounds().Dx() != sp.Columns || sp.Columns > 350 {
		t.Fatalf("no %d×64 spectrogram image (the appliance's columns)", sp.Columns)
	}
	test.Tap(buttons(r.win, "Play")[0])
	want := clipWAV()
	if !bytes.Equal(played, want) || !strings.Contains(texts(r.win), "Played with fakeplay.") {
		t.Errorf("played %d bytes (want %d); screen:\n%s", len(played), len(want), texts(r.win))
	}
	test.Tap(buttons(r.win, "Save as…")[0])
	got, err := os.ReadFile(saved)
	if err != nil || !bytes.Equal(got, want) || !strings.Contains(texts(r.win), "Saved ") {
		t.Errorf("saved %d bytes, %v; screen:\n%s", len(got), err, texts(r.win))
	}
}

func TestNoPlayerSaysSo(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.Korean)
	r.ui.opt.Play = func(context.Context, string) (string, error) { return "", errNoPlayer }
	openClips(t, r)
	test.Tap(buttons(r.win, "재생")[0])
	if s := texts(r.win); !strings.Contains(s, "오디오 플레이어를 찾지 못했습니다 (pw-play, paplay, aplay, ffplay)") {
		t.Errorf("no player: screen lacks the explanation:\n%s", s)
	}
}

func TestViewerSeesSpectrogramButCannotListen(t *testing.T) {
	r := sharedRig(t, api.RoleViewer, i18n.English)
	openClips(t, r)
	for _, name := range []string{"Play", "Save as…"} {
		for _, b := range buttons(r.win, name) {
			if !b.Disabled() {
				t.Errorf("%s enabled for a viewer", name)
			}
		}
	}
	s := texts(r.win)
	if !strings.Contains(s, "A viewer can see the spectrogram but not listen") || !strings.Contains(s, "80 dB range") {
		t.Errorf("viewer: screen:\n%s", s)
	}
	// and the appliance would refuse the viewer's token the audio anyway.
	var e *api.Error
	if body, _, err := r.ui.app.ClipAudio(context.Background(), r.clip); !errors.As(err, &e) || e.Code != api.CodeForbidden {
		if body != nil {
			body.Close()
		}
		t.Errorf("a viewer asking for the audio got %v", err)
	}
}

func TestPrunedClipSaysSo(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.ShowMachine(pump)
	b := buttons(r.win, "Sound…")
	if len(b) < 2 {
		t.Fatalf("%d Sound… buttons, want the open event's and event 4's", len(b))
	}
	test.Tap(b[1])
	if s := texts(r.win); !strings.Contains(s, "The file is no longer on the appliance") || len(buttons(r.win, "Play")) != 0 {
		t.Errorf("pruned clip: screen:\n%s", s)
	}
}

func TestGoldenHistoryWeek(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.win.Resize(fyne.NewSize(1100, 1000))
	r.ui.ShowMachine(pump)
	radio(r.win).SetSelected("Last week")
	scrollTo(r.win, r.ui.detail.history.root)
	golden(t, r.win, "history-week.png")
}

func TestGoldenClips(t *testing.T) {
	for name, lang := range map[string]i18n.Lang{"clips.png": i18n.English, "clips-ko.png": i18n.Korean} {
		t.Run(name, func(t *testing.T) {
			r := sharedRig(t, api.RoleOperator, lang)
			openClips(t, r)
			golden(t, r.win, name)
		})
	}
}

// scrollTo scrolls the scroll container holding o so that o is at its top.
func scrollTo(w fyne.Window, o fyne.CanvasObject) {
	everything(w, func(x fyne.CanvasObject) {
		if s, ok := x.(*container.Scroll); ok {
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
			base := fyne.CurrentApp().Driver().AbsolutePositionForObject(s)
			s.Offset = fyne.NewPos(0, pos.Y-base.Y+s.Offset.Y-8)
			s.Refresh()
		}
	})
}
