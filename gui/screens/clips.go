package screens

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Players are the audio players Play looks for on PATH, in order. Fyne plays no sound, and
// an audio library would bring cgo (ALSA, PulseAudio) into the client: the desktop's own
// player (PipeWire's pw-play, PulseAudio's paplay, ALSA's aplay, ffmpeg's ffplay) plays the
// downloaded WAV instead.
var Players = []string{"pw-play", "paplay", "aplay", "ffplay"}

// clipTimeout bounds a clip's download.
const clipTimeout = 5 * time.Minute

// playerArgs are the arguments a player needs besides the file.
func playerArgs(player string) []string {
	if filepath.Base(player) == "ffplay" {
		return []string{"-nodisp", "-autoexit", "-loglevel", "error"}
	}
	return nil
}

// defaultPlay plays file with the first of Players on PATH and returns its name.
func defaultPlay(ctx context.Context, file string) (string, error) {
	for _, p := range Players {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		out, err := exec.CommandContext(ctx, path, append(playerArgs(p), file)...).CombinedOutput()
		if err != nil && len(out) > 0 {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
		}
		return p, err
	}
	return "", errNoPlayer
}

var errNoPlayer = errors.New("no audio player")

// defaultSaveDialog asks where to save with Fyne's file dialog.
func (u *UI) defaultSaveDialog(name string, save func(io.WriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		save(w)
	}, u.win)
	d.SetFileName(name)
	d.Show()
}

// showClips opens the event's sound: each clip with its facts, its spectrogram, Play and
// Save as….
func (u *UI) showClips(e api.Event) {
	name := e.MachineID
	if m := u.byID[e.MachineID]; m != nil {
		name = m.name()
	}
	body := container.NewVBox(widget.NewLabel(u.T("clips.loading")))
	var dlg *dialog.CustomDialog
	closeBtn := widget.NewButton(u.T("clips.close"), func() { dlg.Hide() })
	dlg = dialog.NewCustomWithoutButtons(u.T("clips.title", name+" · "+u.formatTime(e.Start)), container.NewVScroll(body), u.win)
	dlg.SetButtons([]fyne.CanvasObject{closeBtn})
	dlg.Resize(fyne.NewSize(760, 520))
	dlg.Show()
	var clips []api.ClipInfo
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		clips, err = a.EventClips(ctx, e.ID)
		return err
	}, func(err error) {
		body.Objects = nil
		switch {
		case err != nil:
			body.Add(widget.NewLabel(u.errorText(err)))
		case len(clips) == 0:
			body.Add(widget.NewLabel(u.T("clips.none")))
		}
		for _, c := range clips {
			body.Add(u.clipView(c))
		}
		body.Refresh()
	})
}

// clipView is one clip: facts, spectrogram, and the buttons a listener may use.
func (u *UI) clipView(c api.ClipInfo) fyne.CanvasObject {
	ch := "mono"
	if c.Channels > 1 {
		ch = fmt.Sprintf("%d ch", c.Channels)
	}
	facts := u.T("clips.info", u.formatTime(c.Start), c.Duration().Seconds(), c.SampleRate, u.T("clips.s3."+c.Upload)) +
		fmt.Sprintf(" · %s · %.0f KiB", ch, float64(c.Size)/1024)
	items := []fyne.CanvasObject{widget.NewLabelWithStyle(facts, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	if !c.Available {
		gone := widget.NewLabel(u.T("clips.gone"))
		gone.Wrapping = fyne.TextWrapWord
		return container.NewVBox(append(items, gone)...)
	}
	img := canvas.NewImageFromImage(image.NewNRGBA(image.Rect(0, 0, 1, 1)))
	img.FillMode = canvas.ImageFillStretch
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(700, 180))
	caption := widget.NewLabel(u.T("clips.loading"))
	caption.Wrapping = fyne.TextWrapWord
	var sp api.Spectrogram
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		sp, err = a.ClipSpectrogram(ctx, c.ID, 350)
		return err
	}, func(err error) {
		if err != nil {
			caption.SetText(u.errorText(err))
			return
		}
		img.Image = SpectrogramImage(sp)
		img.Refresh()
		caption.SetText(u.T("clips.spectro", sp.TopDB-sp.FloorDB))
	})
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	play := widget.NewButtonWithIcon(u.T("clips.play"), fynetheme.MediaPlayIcon(), nil)
	save := widget.NewButtonWithIcon(u.T("clips.save"), fynetheme.DocumentSaveIcon(), nil)
	play.OnTapped = func() { u.playClip(c, play, status) }
	save.OnTapped = func() {
		saveAs := u.opt.SaveDialog
		if saveAs == nil {
			saveAs = u.defaultSaveDialog
		}
		saveAs(c.FileName(), func(w io.WriteCloser) { u.saveClip(c, w, status) })
	}
	items = append(items, img, caption, container.NewHBox(play, save), status)
	if !u.canOperate() {
		play.Disable()
		save.Disable()
		status.SetText(u.T("clips.cannot", u.T("role."+string(u.identity.Role))))
	}
	return container.NewVBox(items...)
}

// fetchClip copies a clip's audio to w off the UI goroutine, reporting progress (0..1) and
// the outcome on the UI goroutine.
func (u *UI) fetchClip(c api.ClipInfo, w io.WriteCloser, progress func(float64), done func(error)) {
	a := u.app
	if a == nil {
		done(errNotConnected)
		return
	}
	u.opt.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), clipTimeout)
		defer cancel()
		err := func() error {
			body, size, err := a.ClipAudio(ctx, c.ID)
			if err != nil {
				return err
			}
			defer body.Close()
			if size <= 0 {
				size = c.Size
			}
			buf := make([]byte, 64<<10)
			var n int64
			last := time.Time{}
			for {
				k, rerr := body.Read(buf)
				if k > 0 {
					if _, err := w.Write(buf[:k]); err != nil {
						return err
					}
					n += int64(k)
					if now := time.Now(); now.Sub(last) > 100*time.Millisecond && size > 0 {
						last = now
						f := float64(n) / float64(size)
						fyne.Do(func() { progress(f) })
					}
				}
				if errors.Is(rerr, io.EOF) {
					return nil
				}
				if rerr != nil {
					return rerr
				}
			}
		}()
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		fyne.Do(func() { done(err) })
	})
}

func (u *UI) saveClip(c api.ClipInfo, w io.WriteCloser, status *widget.Label) {
	name := c.FileName()
	if uw, ok := w.(fyne.URIWriteCloser); ok {
		name = uw.URI().Path()
	}
	status.SetText(u.T("clips.saving", 0))
	u.fetchClip(c, w, func(f float64) { status.SetText(u.T("clips.saving", int(100*f))) }, func(err error) {
		if err != nil {
			status.SetText(u.errorText(err))
			return
		}
		status.SetText(u.T("clips.saved", name))
	})
}

// playClip downloads the clip to a temporary file and plays it with a system player.
func (u *UI) playClip(c api.ClipInfo, btn *widget.Button, status *widget.Label) {
	f, err := os.CreateTemp("", "signalcraft-clip-*.wav")
	if err != nil {
		status.SetText(u.errorText(err))
		return
	}
	file := f.Name()
	btn.Disable()
	playFn := u.opt.Play
	if playFn == nil {
		playFn = defaultPlay
	}
	u.fetchClip(c, f, func(float64) {}, func(err error) {
		if err != nil {
			os.Remove(file)
			btn.Enable()
			status.SetText(u.errorText(err))
			return
		}
		status.SetText(u.T("clips.playing", "…"))
		u.opt.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), clipTimeout)
			defer cancel()
			player, err := playFn(ctx, file)
			os.Remove(file)
			fyne.Do(func() {
				btn.Enable()
				switch {
				case errors.Is(err, errNoPlayer):
					status.SetText(u.T("clips.noplayer", strings.Join(Players, ", ")))
				case err != nil:
					status.SetText(player + ": " + err.Error())
				default:
					status.SetText(u.T("clips.played", player))
				}
			})
		})
	})
}

// spectroRamp colours a spectrogram's levels: dark blue through magenta, red and yellow to
// white, as the live spectrogram of the detail screen.
var spectroRamp = []color.NRGBA{
	{0x0d, 0x08, 0x87, 0xff}, {0x41, 0x04, 0x9d, 0xff}, {0x6a, 0x00, 0xa8, 0xff}, {0x8f, 0x0d, 0xa4, 0xff},
	{0xb1, 0x2a, 0x90, 0xff}, {0xcc, 0x47, 0x78, 0xff}, {0xe1, 0x64, 0x62, 0xff}, {0xf2, 0x84, 0x4b, 0xff},
	{0xfc, 0xa6, 0x36, 0xff}, {0xfc, 0xce, 0x25, 0xff}, {0xf0, 0xf9, 0x21, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

// SpectrogramImage paints a spectrogram's levels one pixel per cell, time to the right and
// the lowest band at the bottom, colours interpolated on spectroRamp.
func SpectrogramImage(s api.Spectrogram) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, max(s.Columns, 1), max(s.Bands, 1)))
	if len(s.Levels) < s.Columns*s.Bands {
		return img
	}
	for c := range s.Columns {
		for b := range s.Bands {
			img.SetNRGBA(c, s.Bands-1-b, rampColour(s.At(c, b)))
		}
	}
	return img
}

func rampColour(v byte) color.NRGBA {
	f := float64(v) / 255 * float64(len(spectroRamp)-1)
	i := min(int(f), len(spectroRamp)-2)
	t := f - float64(i)
	a, b := spectroRamp[i], spectroRamp[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + t*(float64(y)-float64(x)) + 0.5) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}
