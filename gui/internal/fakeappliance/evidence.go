package fakeappliance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"signalcraft/core/api"
)

// The history and evidence routes, minimally (issue 12 replaces the fakes by the real
// server): a week of score history per machine at the resolution the appliance would use,
// with a stopped line from 30 to 34 hours ago; the pump's open event has a clip (a WAV of
// a hum with bearing impacts, its spectrogram synthetic), event 4 one whose file is gone.

// ClipID is the clip of the pump's open event; GoneClipID the one of event 4, pruned.
const (
	ClipID     = 21
	GoneClipID = 14
)

func (s *Server) evidenceHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + api.PathHistory:         s.history,
		"GET " + api.PathEventClips:      s.eventClips,
		"GET " + api.PathClipAudio:       s.clipAudio,
		"GET " + api.PathClipSpectrogram: s.clipSpectrogram,
	}
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.findMachine(id) < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "machine %q not found", id))
		return
	}
	span, err := time.ParseDuration(r.URL.Query().Get("span"))
	if err != nil {
		span = time.Hour
	}
	points, _ := strconv.Atoi(r.URL.Query().Get("points"))
	if points <= 0 {
		points = api.HistoryDefaultPoints
	}
	writeJSON(w, 200, History(id, s.opt.Now(), span, points))
}

// History is a machine's canned history over span ending at now.
func History(machine string, now time.Time, span time.Duration, points int) api.ScoreHistory {
	thr := Thresholds[machine]
	res := api.HistoryResolution(span)
	unit := map[string]time.Duration{api.ResolutionRaw: time.Second, api.Resolution1m: time.Minute, api.Resolution1h: time.Hour}[res]
	step := max(unit, (span/time.Duration(points)+unit-1)/unit*unit)
	from := now.Add(-span).Truncate(step)
	n := int((now.Sub(from) + step - 1) / step)
	h := api.ScoreHistory{MachineID: machine, From: from, To: from.Add(time.Duration(n) * step), Resolution: res,
		Step: step.String(), StepMS: step.Milliseconds(), Threshold: thr}
	unitScore := thr
	if unitScore == 0 {
		unitScore = 1
	}
	for i := range n {
		t := from.Add(time.Duration(i) * step)
		b := api.HistoryBucket{Start: t}
		ago := now.Sub(t)
		if ago <= 30*time.Hour || ago > 34*time.Hour {
			hours := 168 - ago.Hours()
			mean := unitScore * (0.4 + 0.06*math.Sin(hours/24*2*math.Pi) + 0.03*math.Sin(hours*1.7))
			if machine == Pump {
				mean += unitScore * 0.9 * math.Max(0, hours-150) / 18
			}
			lo := mean * 0.75
			b.N, b.Mean, b.Max, b.Min = int64(step/time.Second*2), mean, mean*1.45, &lo
		}
		h.Buckets = append(h.Buckets, b)
	}
	return h
}

func (s *Server) clips() map[int64][]api.ClipInfo {
	st := s.opt.Start
	return map[int64][]api.ClipInfo{
		OpenEvent: {{ID: ClipID, EventID: OpenEvent, MachineID: Pump, Start: st.Add(AnomalyTick*s.opt.Interval - 10*time.Second),
			DurationMS: 4000, SampleRate: 16000, Channels: 1, Format: "wav-pcm16", Size: int64(len(ClipWAV())),
			SHA256: fmt.Sprintf("%064x", ClipID), Upload: "uploaded", Uploaded: true, Available: true}},
		4: {{ID: GoneClipID, EventID: 4, MachineID: Pump, Start: st.Add(-75*time.Hour - 10*time.Second), DurationMS: 20000,
			SampleRate: 16000, Channels: 1, Format: "wav-pcm16", Size: 640044, SHA256: fmt.Sprintf("%064x", GoneClipID), Upload: "none"}},
	}
}

func (s *Server) eventClips(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	cs := s.clips()[id]
	if cs == nil {
		cs = []api.ClipInfo{}
	}
	writeJSON(w, 200, cs)
}

func gone(id int64) *api.Error {
	return api.Errorf(api.CodeNotFound, "clip %d: its file is no longer on the appliance (pruned or deleted)", id)
}

func (s *Server) clipAudio(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != strconv.Itoa(ClipID) {
		writeErr(w, gone(0))
		return
	}
	b := ClipWAV()
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (s *Server) clipSpectrogram(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != strconv.Itoa(ClipID) {
		writeErr(w, gone(0))
		return
	}
	cols, err := strconv.Atoi(r.URL.Query().Get("columns"))
	if err != nil || cols <= 0 {
		cols = 256
	}
	writeJSON(w, 200, Spectrogram(ClipID, cols))
}

// ClipWAV is the pump clip's file: 4 s at 16 kHz of a 180 Hz hum with impacts every 0.1 s.
func ClipWAV() []byte {
	const rate = 16000
	x := make([]float32, 4*rate)
	for i := range x {
		t := float64(i) / rate
		v := 0.1 * math.Sin(2*math.Pi*180*t)
		if k := i % (rate / 10); k < 200 {
			v += 0.4 * math.Exp(-float64(k)/40) * math.Sin(2*math.Pi*3100*t)
		}
		x[i] = float32(v)
	}
	// A 16-bit PCM WAV written here: the client's packages link nothing but core/api.
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*len(x)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(rate))
	le(uint32(2 * rate))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * len(x)))
	for _, v := range x {
		le(int16(math.Round(float64(v) * 32767)))
	}
	return b.Bytes()
}

// Spectrogram is the pump clip's spectrogram in columns columns of 64 bands: the hum low
// down all along, and impacts (loudest around 3 kHz) that grow over the clip.
func Spectrogram(clipID int64, columns int) api.Spectrogram {
	const bands = 64
	s := api.Spectrogram{ClipID: clipID, SampleRate: 16000, Columns: columns, Bands: bands, ColumnMS: 4000 / float64(columns),
		FMaxHz: 8000, FloorDB: -100, TopDB: -20, Levels: make([]byte, columns*bands), BandHz: make([]float64, bands)}
	for b := range bands {
		s.BandHz[b] = 8000 * float64(b+1) / (bands + 1)
	}
	for c := range columns {
		impact := c%max(columns/40, 1) == 0
		grow := float64(c) / float64(columns)
		for b := range bands {
			x := float64(b)
			v := 70 + 140*math.Exp(-math.Pow((x-4)/2, 2)) - 0.7*x
			if impact {
				v += (70 + 60*grow) * math.Exp(-math.Pow((x-38)/9, 2))
			}
			s.Levels[c*bands+b] = byte(min(max(v, 0), 255))
		}
	}
	return s
}
