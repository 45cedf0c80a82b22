package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/dsp"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// The history and evidence routes (issue 12): long-range score history from the rollups,
// and an event's audio clips with their spectrogram.

func (s *Server) evidenceHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + wire.PathHistory:         s.history,
		"GET " + wire.PathEventClips:      s.eventClips,
		"GET " + wire.PathClipAudio:       s.clipAudio,
		"GET " + wire.PathClipSpectrogram: s.clipSpectrogram,
	}
}

// Spectrogram defaults: 64 mel bands are enough to tell a bearing's impacts from a fan's
// hum on a screen, and 256 columns fill a desktop card; a terminal asks for its width.
const (
	spectrogramBands   = 64
	spectrogramColumns = 256
	spectrogramMaxCols = 2048
	// spectrogramRange is the dynamic range shown: the quietest level is the loudest minus it.
	spectrogramRange = 80.0
)

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q, err := historyQuery(r, s.o.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := wire.ScoreHistory{MachineID: m.ID, Resolution: wire.HistoryResolution(q.To.Sub(q.From))}
	step, from := historyStep(h.Resolution, q)
	n := int((q.To.Sub(from) + step - 1) / step)
	h.From, h.To, h.Step, h.StepMS = from, from.Add(time.Duration(n)*step), step.String(), step.Milliseconds()
	if ls := s.hub.snapshot([]string{m.ID}); len(ls) == 1 {
		h.Threshold = ls[0].Threshold
	}
	var rows []store.Rollup
	switch h.Resolution {
	case wire.ResolutionRaw:
		rows, err = s.d.DB.ScoreBuckets(r.Context(), m.ID, h.From, h.To, step)
	case wire.Resolution1m:
		rows, err = s.d.DB.Rollups(r.Context(), m.ID, store.Res1m, h.From, h.To)
	default:
		rows, err = s.d.DB.Rollups(r.Context(), m.ID, store.Res1h, h.From, h.To)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h.Buckets = foldHistory(rows, h.From, step, n)
	writeJSON(w, http.StatusOK, h)
}

// historyQuery reads from, to, span and points: To defaults to now, From to To − span
// (span default 1 h); points bounds the number of steps.
func historyQuery(r *http.Request, now time.Time) (wire.HistoryQuery, error) {
	var q wire.HistoryQuery
	bad := func(field, msg string) error {
		return &wire.Error{Code: wire.CodeInvalid, Message: "invalid query", Fields: []wire.FieldError{{Field: field, Message: msg}}}
	}
	var err error
	if q.From, err = queryTime(r, "from"); err != nil {
		return q, err
	}
	if q.To, err = queryTime(r, "to"); err != nil {
		return q, err
	}
	points, err := queryInt(r, "points", wire.HistoryDefaultPoints, wire.HistoryMaxPoints)
	if err != nil {
		return q, err
	}
	q.Points = int(points)
	if q.To.IsZero() {
		q.To = now
	}
	q.Span = wire.HistoryDefaultSpan
	if v := r.URL.Query().Get("span"); v != "" {
		if !q.From.IsZero() {
			return q, bad("span", "give either from or span, not both")
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > wire.HistoryMaxSpan {
			return q, bad("span", fmt.Sprintf("must be a duration from 1m to %s, such as 2h or 168h", wire.HistoryMaxSpan))
		}
		q.Span = d
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-q.Span)
	}
	if q.Span = q.To.Sub(q.From); q.Span <= 0 || q.Span > wire.HistoryMaxSpan {
		return q, bad("from", fmt.Sprintf("must be before to, and at most %s before it", wire.HistoryMaxSpan))
	}
	q.From, q.To = q.From.UTC(), q.To.UTC()
	return q, nil
}

// historyStep returns the bucket width for the query at the resolution: a whole number of
// the resolution's buckets (of seconds for raw scores) giving at most q.Points steps, and
// from aligned on it, so rollup buckets are never split and a step's place in time does
// not depend on when the client asked.
func historyStep(res string, q wire.HistoryQuery) (step time.Duration, from time.Time) {
	unit := time.Second
	switch res {
	case wire.Resolution1m:
		unit = time.Minute
	case wire.Resolution1h:
		unit = time.Hour
	}
	want := (q.To.Sub(q.From) + time.Duration(q.Points) - 1) / time.Duration(q.Points)
	step = max(unit, (want+unit-1)/unit*unit)
	from = time.UnixMilli(q.From.UnixMilli() - q.From.UnixMilli()%step.Milliseconds()).UTC()
	// One more step may be needed after aligning from down; stay within points.
	for q.To.Sub(from) > time.Duration(q.Points)*step {
		step += unit
		from = time.UnixMilli(q.From.UnixMilli() - q.From.UnixMilli()%step.Milliseconds()).UTC()
	}
	return step, from
}

// foldHistory merges buckets (oldest first, each inside [from, from+n·step)) into n steps;
// a step no bucket falls in stays N = 0, a gap.
func foldHistory(rows []store.Rollup, from time.Time, step time.Duration, n int) []wire.HistoryBucket {
	out := make([]wire.HistoryBucket, n)
	minKnown := make([]bool, n)
	for i := range out {
		out[i].Start = from.Add(time.Duration(i) * step)
		minKnown[i] = true
	}
	for _, r := range rows {
		i := int(r.BucketStart.Sub(from) / step)
		if i < 0 || i >= n || r.N == 0 {
			continue
		}
		b := &out[i]
		if b.N == 0 {
			b.Max, b.MaxDBFS = r.MaxScore, r.MaxDBFS
			if r.HasMin {
				b.Min = new(float64)
				*b.Min = r.MinScore
			}
		}
		tot := float64(b.N + r.N)
		b.Mean = b.Mean*float64(b.N)/tot + r.MeanScore*float64(r.N)/tot
		b.MeanDBFS = b.MeanDBFS*float64(b.N)/tot + r.MeanDBFS*float64(r.N)/tot
		b.Max, b.MaxDBFS = max(b.Max, r.MaxScore), max(b.MaxDBFS, r.MaxDBFS)
		minKnown[i] = minKnown[i] && r.HasMin
		if b.Min != nil && r.HasMin {
			*b.Min = min(*b.Min, r.MinScore)
		}
		b.N += r.N
		b.Anomalous += r.AnomalousWindows
	}
	for i := range out {
		if !minKnown[i] {
			out[i].Min = nil // part of the step has no recorded minimum: none is shown
		}
	}
	return out
}

// clipInfo is a stored clip as the API shows it.
func (s *Server) clipInfo(c store.Clip) wire.ClipInfo {
	_, err := os.Stat(s.clipPath(c))
	return wire.ClipInfo{ID: c.ID, EventID: c.EventID, MachineID: c.MachineID, Start: c.Start,
		DurationMS: c.Duration.Milliseconds(), SampleRate: c.SampleRate, Channels: c.Channels, Format: c.Format,
		Size: c.Size, SHA256: c.SHA256, Uploaded: c.Upload == store.UploadUploaded, Upload: string(c.Upload),
		Available: s.d.ClipsDir != "" && err == nil}
}

func (s *Server) clipPath(c store.Clip) string {
	return filepath.Join(s.d.ClipsDir, filepath.FromSlash(c.Path))
}

func (s *Server) eventClips(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.d.DB.Event(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []wire.ClipInfo{}
	c, err := s.d.DB.ClipOfEvent(r.Context(), id)
	switch {
	case err == nil:
		out = append(out, s.clipInfo(c))
	case !errors.Is(err, store.ErrNotFound):
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// openClip opens a clip's file. A clip whose file is gone (pruned by quota, deleted by
// hand, clips kept elsewhere) is a not-found error naming the clip, never an internal one.
func (s *Server) openClip(r *http.Request) (store.Clip, *os.File, error) {
	id, err := pathID(r)
	if err != nil {
		return store.Clip{}, nil, err
	}
	c, err := s.d.DB.Clip(r.Context(), id)
	if err != nil {
		return store.Clip{}, nil, err
	}
	gone := func(why string) error {
		return wire.Errorf(wire.CodeNotFound, "clip %d of event %d (machine %s): %s", c.ID, c.EventID, c.MachineID, why)
	}
	if s.d.ClipsDir == "" {
		return c, nil, gone("this appliance keeps no clip files")
	}
	f, err := os.Open(s.clipPath(c))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil, gone(fmt.Sprintf("its file %s is no longer on the appliance (pruned or deleted)", c.Path))
	case err != nil:
		return c, nil, fmt.Errorf("open clip %d: %w", c.ID, err)
	}
	return c, f, nil
}

func (s *Server) clipAudio(w http.ResponseWriter, r *http.Request) {
	c, f, err := s.openClip(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	info := s.clipInfo(c)
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", info.FileName()))
	w.Header().Set("X-Content-SHA256", c.SHA256)
	// ServeContent streams the file and answers Range requests (players seek with them).
	http.ServeContent(w, r, "", c.CreatedAt, f)
}

func (s *Server) clipSpectrogram(w http.ResponseWriter, r *http.Request) {
	cols, err := queryInt(r, "columns", spectrogramColumns, spectrogramMaxCols)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, f, err := s.openClip(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	body, err := s.spectro.compute(r.Context(), spectroKey(c.ID, c.SHA256, int(cols)), func() ([]byte, error) {
		rd, err := wav.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("clip %d: %w", c.ID, err)
		}
		format := rd.Format()
		mono, err := readMono(rd)
		if err != nil {
			return nil, fmt.Errorf("clip %d: %w", c.ID, err)
		}
		if len(mono) == 0 {
			return nil, wire.Errorf(wire.CodeNotFound, "clip %d of event %d (machine %s) holds no sound", c.ID, c.EventID, c.MachineID)
		}
		sp, err := dsp.LogMelSpectrogram(mono, format.SampleRate, spectrogramBands, int(cols))
		if err != nil {
			return nil, fmt.Errorf("clip %d: %w", c.ID, err)
		}
		return json.Marshal(SpectrogramToWire(c.ID, format.SampleRate, sp))
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(body, '\n'))
}

// readMono reads every frame of rd, averaging the channels.
func readMono(rd *wav.Reader) ([]float32, error) {
	ch := rd.Format().Channels
	buf := make([][]float32, ch)
	for i := range buf {
		buf[i] = make([]float32, 8192)
	}
	out := make([]float32, 0, max(rd.Frames(), 0))
	for {
		n, err := rd.Read(buf)
		for i := range n {
			var v float32
			for _, c := range buf {
				v += c[i]
			}
			out = append(out, v/float32(ch))
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// SpectrogramToWire quantises a spectrogram to the API's bytes: 255 is the loudest cell,
// 0 is spectrogramRange dB below it or quieter.
func SpectrogramToWire(clipID int64, rate int, sp dsp.Spectrogram) wire.Spectrogram {
	top := math.Inf(-1)
	for _, v := range sp.DB {
		top = max(top, v)
	}
	floor := top - spectrogramRange
	out := wire.Spectrogram{ClipID: clipID, SampleRate: rate, Columns: sp.Columns, Bands: sp.Bands,
		ColumnMS: sp.ColumnSeconds * 1000, FMinHz: sp.FMinHz, FMaxHz: sp.FMaxHz, BandHz: sp.BandHz,
		FloorDB: floor, TopDB: top, Levels: make([]byte, len(sp.DB))}
	for i, v := range sp.DB {
		out.Levels[i] = byte(math.Round(min(max((v-floor)/spectrogramRange, 0), 1) * 255))
	}
	return out
}
