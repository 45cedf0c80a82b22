package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/components/spectrogram"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
)

// ClipClient reads an event's clips; *api.Client has it.
type ClipClient interface {
	EventClips(ctx context.Context, eventID int64) ([]api.ClipInfo, error)
	ClipSpectrogram(ctx context.Context, clipID int64, columns int) (api.Spectrogram, error)
	ClipAudio(ctx context.Context, clipID int64) (io.ReadCloser, int64, error)
}

// Players are the audio players p looks for on PATH, in order (PipeWire, PulseAudio, ALSA).
var Players = []string{"pw-play", "paplay", "aplay"}

// Audio says where clips go: the directory d saves them in, whether the client runs on the
// appliance (connected over its unix socket: p plays through the appliance's own audio
// output), and how to find and run a player (tests replace them).
type Audio struct {
	Dir      string // "" is the current directory
	Local    bool
	LookPath func(string) (string, error)                         // exec.LookPath if nil
	Run      func(ctx context.Context, player, file string) error // runs player file if nil
}

// DownloadTimeout bounds a clip's download or playing.
const DownloadTimeout = 10 * time.Minute

// ClipsLoadedMsg carries an event's clips.
type ClipsLoadedMsg struct {
	EventID int64
	Clips   []api.ClipInfo
	Err     error
}

// SpectrogramMsg carries a clip's spectrogram.
type SpectrogramMsg struct {
	ClipID      int64
	Spectrogram api.Spectrogram
	Err         error
}

// DownloadProgressMsg reports bytes of a clip written so far.
type DownloadProgressMsg struct {
	ClipID      int64
	Done, Total int64
	next        <-chan tea.Msg
}

// DownloadedMsg ends a download: the file's path, or why it failed; Play asks to play it.
type DownloadedMsg struct {
	ClipID int64
	Path   string
	Play   bool
	Err    error
}

// PlayedMsg ends playing a clip.
type PlayedMsg struct {
	ClipID int64
	Player string
	Err    error
}

// evidence is the event view: the event's clips and the selected clip's spectrogram.
type evidence struct {
	shown   bool
	event   api.Event
	clips   []api.ClipInfo
	loading bool
	err     error
	cursor  int
	spec    api.Spectrogram
	specErr error
	specFor int64 // the clip whose spectrogram is loaded or asked for
	busy    int64 // the clip being downloaded or played
	done    int64 // its progress
	total   int64
	flash   string
}

// SetAudio sets where clips are saved and whether they can be played here.
func (m *Model) SetAudio(a Audio) { m.audio = a }

// ShowingEvent reports whether the page shows an event's clips.
func (m Model) ShowingEvent() bool { return m.ev.shown }

func (m Model) clipClient() (ClipClient, bool) {
	c, ok := m.client.(ClipClient)
	return c, ok
}

// openEvent shows the selected event's clips.
func (m Model) openEvent() (Model, tea.Cmd) {
	e, ok := m.selected()
	if !ok {
		return m, nil
	}
	m.ev = evidence{shown: true, event: e, loading: true}
	cc, cok := m.clipClient()
	if !cok {
		return m, nil
	}
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		cs, err := cc.EventClips(ctx, e.ID)
		return ClipsLoadedMsg{EventID: e.ID, Clips: cs, Err: err}
	}
}

func (m Model) selectedClip() (api.ClipInfo, bool) {
	if m.ev.cursor < len(m.ev.clips) {
		return m.ev.clips[m.ev.cursor], true
	}
	return api.ClipInfo{}, false
}

// loadSpectrogram asks for the selected clip's spectrogram as wide as the page.
func (m *Model) loadSpectrogram() tea.Cmd {
	c, ok := m.selectedClip()
	if !ok || !c.Available || m.ev.specFor == c.ID {
		return nil
	}
	m.ev.specFor, m.ev.spec, m.ev.specErr = c.ID, api.Spectrogram{}, nil
	cc, cok := m.clipClient()
	if !cok {
		return nil
	}
	cols := max(m.width-specAxis, 16)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		s, err := cc.ClipSpectrogram(ctx, c.ID, cols)
		return SpectrogramMsg{ClipID: c.ID, Spectrogram: s, Err: err}
	}
}

// updateEvidence handles the event view's messages.
func (m Model) updateEvidence(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ClipsLoadedMsg:
		if !m.ev.shown || msg.EventID != m.ev.event.ID {
			return m, nil
		}
		m.ev.loading, m.ev.err, m.ev.clips, m.ev.cursor = false, msg.Err, msg.Clips, 0
		return m, m.loadSpectrogram()
	case SpectrogramMsg:
		if msg.ClipID == m.ev.specFor {
			m.ev.spec, m.ev.specErr = msg.Spectrogram, msg.Err
		}
	case DownloadProgressMsg:
		m.ev.done, m.ev.total = msg.Done, msg.Total
		return m, waitDownload(msg.next)
	case DownloadedMsg:
		m.ev.busy = 0
		switch {
		case msg.Err != nil:
			m.ev.flash = m.st.Error.Render(describeClip(m.tr, "download", msg.Err, m.fleet.Me.Role))
		case msg.Play:
			return m.play(msg.ClipID, msg.Path)
		default:
			m.ev.flash = m.st.OK.Render(m.tr.T("clips.saved", msg.ClipID, msg.Path, bytesText(m.ev.done)))
		}
	case PlayedMsg:
		m.ev.busy = 0
		if msg.Err != nil {
			m.ev.flash = m.st.Error.Render(m.tr.T("clips.playerr", msg.Player, msg.ClipID, msg.Err))
		} else {
			m.ev.flash = m.st.OK.Render(m.tr.T("clips.played", msg.ClipID, msg.Player))
		}
	case tea.KeyPressMsg:
		return m.evidenceKey(msg)
	}
	return m, nil
}

func (m Model) evidenceKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	km := m.KeyMap
	switch {
	case key.Matches(k, km.Cancel):
		m.ev.shown = false
	case key.Matches(k, km.Up):
		if m.ev.cursor > 0 {
			m.ev.cursor--
			return m, m.loadSpectrogram()
		}
	case key.Matches(k, km.Down):
		if m.ev.cursor < len(m.ev.clips)-1 {
			m.ev.cursor++
			return m, m.loadSpectrogram()
		}
	case key.Matches(k, km.Refresh):
		return m.openEvent()
	case key.Matches(k, km.Download), key.Matches(k, km.Play):
		return m.fetchClip(key.Matches(k, km.Play))
	}
	return m, nil
}

// fetchClip downloads the selected clip, to the download directory or, to play it, to a
// temporary file.
func (m Model) fetchClip(play bool) (Model, tea.Cmd) {
	c, ok := m.selectedClip()
	switch {
	case !ok:
		return m, nil
	case !m.fleet.Can(api.RoleOperator):
		m.ev.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleOperator, "what.listen", m.fleet.Me.Role))
		return m, nil
	case !c.Available:
		m.ev.flash = m.st.Warning.Render(m.tr.T("clips.gone", c.ID))
		return m, nil
	case m.ev.busy != 0:
		m.ev.flash = m.st.Muted.Render(m.tr.T("clips.busy", m.ev.busy))
		return m, nil
	case play && !m.audio.Local:
		m.ev.flash = m.st.Warning.Render(m.tr.T("clips.remote"))
		return m, nil
	}
	cc, cok := m.clipClient()
	if !cok {
		return m, nil
	}
	dir := m.audio.Dir
	if play {
		if _, err := m.player(); err != nil {
			m.ev.flash = m.st.Warning.Render(err.Error())
			return m, nil
		}
		dir = os.TempDir()
	}
	path := filepath.Join(dir, c.FileName())
	m.ev.busy, m.ev.done, m.ev.total = c.ID, 0, c.Size
	msg := "clips.downloading"
	if play {
		msg = "clips.fetching"
	}
	m.ev.flash = m.st.Muted.Render(m.tr.T(msg, c.ID, path))
	ch := make(chan tea.Msg, 8)
	go download(cc, c, path, play, ch)
	return m, waitDownload(ch)
}

// download copies the clip to path (through path.part, renamed when complete) and reports
// progress on ch at most every 64 KiB, then the outcome; it closes nothing it does not own.
func download(cc ClipClient, c api.ClipInfo, path string, play bool, ch chan tea.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), DownloadTimeout)
	defer cancel()
	fail := func(err error) { ch <- DownloadedMsg{ClipID: c.ID, Path: path, Err: err} }
	body, size, err := cc.ClipAudio(ctx, c.ID)
	if err != nil {
		fail(err)
		return
	}
	defer body.Close()
	if size < 0 {
		size = c.Size
	}
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		fail(err)
		return
	}
	buf := make([]byte, 64<<10)
	var done int64
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				os.Remove(part)
				fail(err)
				return
			}
			done += int64(n)
			select { // progress is best effort: a full channel skips an update
			case ch <- DownloadProgressMsg{ClipID: c.ID, Done: done, Total: size, next: ch}:
			default:
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			f.Close()
			os.Remove(part)
			fail(rerr)
			return
		}
	}
	if err := f.Close(); err != nil {
		fail(err)
		return
	}
	if err := os.Rename(part, path); err != nil {
		fail(err)
		return
	}
	ch <- DownloadProgressMsg{ClipID: c.ID, Done: done, Total: size, next: ch}
	ch <- DownloadedMsg{ClipID: c.ID, Path: path, Play: play}
}

// waitDownload returns the download's next message.
func waitDownload(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg := <-ch
		if p, ok := msg.(DownloadProgressMsg); ok {
			// Skip to the latest progress, or the outcome if it is there already.
			for {
				select {
				case next := <-ch:
					if _, more := next.(DownloadProgressMsg); !more {
						return next
					}
					p = next.(DownloadProgressMsg)
					continue
				default:
				}
				break
			}
			return p
		}
		return msg
	}
}

// player returns the first of Players on PATH.
func (m Model) player() (string, error) {
	look := m.audio.LookPath
	if look == nil {
		look = exec.LookPath
	}
	for _, p := range Players {
		if path, err := look(p); err == nil {
			return path, nil
		}
	}
	return "", errors.New(m.tr.T("clips.noplayer", strings.Join(Players, ", ")))
}

// play runs the player on the fetched file in a command, so the page stays responsive.
func (m Model) play(clipID int64, file string) (Model, tea.Cmd) {
	player, err := m.player()
	if err != nil {
		m.ev.flash = m.st.Warning.Render(err.Error())
		return m, nil
	}
	run := m.audio.Run
	if run == nil {
		run = func(ctx context.Context, player, file string) error {
			out, err := exec.CommandContext(ctx, player, file).CombinedOutput()
			if err != nil && len(out) > 0 {
				return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
			}
			return err
		}
	}
	m.ev.busy = clipID
	name := filepath.Base(player)
	m.ev.flash = m.st.Info.Render(m.tr.T("clips.playing", clipID, name))
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), DownloadTimeout)
		defer cancel()
		err := run(ctx, player, file)
		os.Remove(file)
		return PlayedMsg{ClipID: clipID, Player: name, Err: err}
	}
}

func describeClip(tr i18n.Translator, action string, err error, have api.Role) string {
	switch {
	case api.IsCode(err, api.CodeForbidden):
		return tr.NeedRole(api.RoleOperator, "what.listen", have)
	case api.IsCode(err, api.CodeNotFound):
		return tr.T("clips.notfound", err.Error())
	}
	return tr.T("clips.err."+action, err)
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// specAxis is the width of the frequency labels left of the spectrogram.
const specAxis = 7

// evidenceView draws the event view in the page's area.
func (m Model) evidenceView() string {
	w := max(m.width, 40)
	e := m.ev.event
	now := m.fleet.Now()
	tr := m.tr
	dur := tr.T("event.open")
	if e.End != nil {
		dur = tr.T("clips.lasted", tr.Span(e.End.Sub(e.Start)))
	}
	lines := []string{format.Fit(m.st.Title.Render(tr.T("clips.event", e.ID))+m.st.Muted.Render(tr.T(
		"clips.eventline", e.MachineID, tr.Clock(now, e.Start), dur, format.Score(e.PeakScore, e.Threshold))), w)}
	lines = append(lines, m.st.Header.Render(tr.T("clips.title")))
	switch {
	case m.ev.loading:
		lines = append(lines, m.st.Muted.Render("  "+tr.T("events.loading")))
	case m.ev.err != nil:
		lines = append(lines, m.st.Error.Render(format.Fit("  "+tr.T("clips.loaderr", m.ev.err.Error()), w)))
	case len(m.ev.clips) == 0:
		lines = append(lines, m.st.Muted.Render("  "+tr.T("clips.none")))
	}
	for i, c := range m.ev.clips {
		marker := "  "
		if i == m.ev.cursor {
			marker = m.st.Info.Render("▶ ")
		}
		ch := tr.T("clips.mono")
		if c.Channels > 1 {
			ch = tr.T("clips.channels", c.Channels)
		}
		s3 := m.st.Muted.Render(tr.T("clips.s3.none"))
		switch c.Upload {
		case "uploaded":
			s3 = m.st.OK.Render(tr.T("clips.s3.uploaded"))
		case "pending":
			s3 = m.st.Muted.Render(tr.T("clips.s3.pending"))
		case "failed":
			s3 = m.st.Warning.Render(tr.T("clips.s3.failed"))
		}
		avail := ""
		if !c.Available {
			avail = m.st.Warning.Render("  " + tr.T("clips.pruned"))
		}
		lines = append(lines, format.Fit(fmt.Sprintf("%s#%-4d %s  %5.1f s  %g kHz %s  %8s  ", marker, c.ID, tr.Clock(now, c.Start),
			c.Duration().Seconds(), float64(c.SampleRate)/1000, ch, bytesText(c.Size))+s3+avail, w))
	}
	footer := m.evidenceFooter(w)
	// 16 rows draw 32 pixel rows, two of the 64 bands each; a taller picture adds nothing.
	rows := min(m.height-len(lines)-len(footer)-2, 16)
	if c, ok := m.selectedClip(); ok && c.Available && rows >= 3 {
		sp := m.ev.spec
		switch {
		case m.ev.specErr != nil:
			lines = append(lines, m.st.Error.Render(format.Fit(tr.T("clips.spec.err", m.ev.specErr.Error()), w)))
		case sp.ClipID != c.ID:
			lines = append(lines, m.st.Muted.Render(tr.T("clips.spec.loading", c.ID)))
		default:
			lines = append(lines, format.Fit(m.st.Header.Render(tr.T("clips.spec.title", c.ID))+
				m.st.Muted.Render(tr.T("clips.spec.info", tr.Span(c.Duration()), sp.Bands, sp.TopDB-sp.FloorDB))+
				spectrogram.Legend(), w))
			pic := strings.Split(spectrogram.Render(sp, w-specAxis, rows), "\n")
			for i, row := range pic {
				label := "      "
				switch i {
				case 0:
					label = khz(sp.FMaxHz)
				case len(pic) - 1:
					label = khz(sp.FMinHz)
				}
				lines = append(lines, m.st.Muted.Render(label+"┤")+row)
			}
			lines = append(lines, m.st.Muted.Render(format.Fit(strings.Repeat(" ", specAxis)+tr.T("clips.zero"), w-8)+format.FitRight(tr.Span(c.Duration()), 8)))
		}
	}
	for len(lines) < m.height-len(footer) {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, footer...), "\n")
}

func (m Model) evidenceFooter(w int) []string {
	var out []string
	if m.ev.busy != 0 && m.ev.total > 0 {
		frac := min(float64(m.ev.done)/float64(m.ev.total), 1)
		bar := max(w-30, 10)
		n := int(frac * float64(bar))
		out = append(out, m.st.Info.Render(strings.Repeat("█", n))+m.st.Muted.Render(strings.Repeat("░", bar-n))+
			m.tr.T("clips.progress", 100*frac, bytesText(m.ev.total)))
	}
	if m.ev.flash != "" {
		out = append(out, format.Fit(m.ev.flash, w))
	}
	return out
}

func khz(f float64) string {
	if f >= 1000 {
		return fmt.Sprintf("%4.1fk", f/1000)[:5] + " "
	}
	return fmt.Sprintf("%5.0f ", f)
}
