package fakeappliance

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"signalcraft/core/api"
)

// The history and evidence routes (machines/{id}/history, events/{id}/clips,
// clips/{id}/audio, clips/{id}/spectrogram), minimally: canned data, the roles checked
// as the appliance checks them. Issue 12 replaces the fakes by the real server.

// addEvidence gives event 7 (pump-2's open anomaly) a clip with a spectrogram and a small
// WAV, and event 5 a clip whose file was pruned.
func addEvidence(f *Fixture) {
	f.Clips = map[int64][]api.ClipInfo{
		7: {{ID: 12, EventID: 7, MachineID: "pump-2", Start: Now.Add(-38 * time.Second), DurationMS: 20000, SampleRate: 16000,
			Channels: 1, Format: "wav-pcm16", Size: 640044, SHA256: fmt.Sprintf("%064x", 12), Upload: "uploaded", Uploaded: true, Available: true}},
		5: {{ID: 9, EventID: 5, MachineID: "pump-2", Start: Now.Add(-3*time.Hour - 10*time.Second), DurationMS: 20000, SampleRate: 16000,
			Channels: 1, Format: "wav-pcm16", Size: 640044, SHA256: fmt.Sprintf("%064x", 9), Upload: "none", Available: false}},
	}
	f.ClipAudio = map[int64][]byte{12: fixtureWAV(3000)}
	f.Spectrograms = map[int64]api.Spectrogram{12: FixtureSpectrogram(12, 160)}
}

// fixtureWAV is a RIFF header and n bytes of silence: enough for a download's progress.
func fixtureWAV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	b.Write([]byte{byte(n + 36), byte((n + 36) >> 8), 0, 0})
	b.WriteString("WAVEfmt ")
	b.Write([]byte{16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0})
	b.WriteString("data")
	b.Write([]byte{byte(n), byte(n >> 8), 0, 0})
	b.Write(make([]byte, n))
	return b.Bytes()
}

// FixtureSpectrogram is a clip's spectrogram with columns columns of 64 bands: a hum in the
// low bands all along, and bearing impacts (broadband, loudest high up) every 8 columns
// that grow louder over the clip.
func FixtureSpectrogram(clipID int64, columns int) api.Spectrogram {
	const bands = 64
	s := api.Spectrogram{ClipID: clipID, SampleRate: 16000, Columns: columns, Bands: bands, ColumnMS: 20000 / float64(columns),
		FMaxHz: 8000, FloorDB: -100, TopDB: -20, Levels: make([]byte, columns*bands), BandHz: make([]float64, bands)}
	for b := range bands {
		s.BandHz[b] = 8000 * float64(b+1) / (bands + 1)
	}
	for c := range columns {
		impact := c%8 == 0
		grow := float64(c) / float64(columns)
		for b := range bands {
			x := float64(b)
			v := 60 + 120*math.Exp(-math.Pow((x-6)/2.5, 2)) + 40*math.Exp(-math.Pow((x-30)/2, 2)) - 0.6*x
			if impact {
				v += (90 + 80*grow) * (0.4 + 0.6*x/bands)
			}
			s.Levels[c*bands+b] = byte(min(max(v, 0), 255))
		}
	}
	return s
}

// FixtureHistory is a machine's score history over span ending at Now, in at most points
// steps at the resolution the appliance would choose: a slow rise with a daily rhythm, and
// nothing heard from 30 to 34 hours ago (a stopped line).
func FixtureHistory(machine string, thr float64, span time.Duration, points int) api.ScoreHistory {
	res := api.HistoryResolution(span)
	unit := map[string]time.Duration{api.ResolutionRaw: time.Second, api.Resolution1m: time.Minute, api.Resolution1h: time.Hour}[res]
	step := max(unit, (span/time.Duration(points)+unit-1)/unit*unit)
	from := Now.Add(-span).Truncate(step)
	n := int((Now.Sub(from) + step - 1) / step)
	h := api.ScoreHistory{MachineID: machine, From: from, To: from.Add(time.Duration(n) * step), Resolution: res,
		Step: step.String(), StepMS: step.Milliseconds(), Threshold: thr}
	for i := range n {
		t := from.Add(time.Duration(i) * step)
		b := api.HistoryBucket{Start: t}
		ago := Now.Sub(t)
		if ago <= 30*time.Hour || ago > 34*time.Hour {
			hours := t.Sub(Now.Add(-7 * 24 * time.Hour)).Hours()
			base := thr * (0.35 + 0.05*math.Sin(hours/24*2*math.Pi) + 0.5*math.Max(0, hours-140)/28)
			if machine == "pump-2" && ago < 2*time.Minute {
				base = thr * 1.3
			}
			lo := base * 0.8
			b.N, b.Mean, b.Max, b.Min = int64(step/time.Second*2), base, base*1.4, &lo
			if b.Max > thr {
				b.Anomalous = b.N / 5
			}
		}
		h.Buckets = append(h.Buckets, b)
	}
	return h
}

// evidence serves the history and clip routes; false when the path is none of them.
func (s *Server) evidence(w http.ResponseWriter, r *http.Request, parts []string, d Fixture) bool {
	if r.Method != "GET" || len(parts) != 3 {
		return false
	}
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	switch {
	case parts[0] == "machines" && parts[2] == "history":
		thr := 0.0
		for _, l := range d.Live {
			if l.MachineID == parts[1] {
				thr = l.Threshold
			}
		}
		span, err := time.ParseDuration(r.URL.Query().Get("span"))
		if err != nil {
			span = time.Hour
		}
		points, _ := strconv.Atoi(r.URL.Query().Get("points"))
		if points <= 0 {
			points = api.HistoryDefaultPoints
		}
		writeJSON(w, 200, FixtureHistory(parts[1], thr, span, points))
	case parts[0] == "machines" && parts[2] == "health":
		writeJSON(w, 200, FixtureHealth(parts[1]))
	case parts[0] == "events" && parts[2] == "clips":
		cs := d.Clips[id]
		if cs == nil {
			cs = []api.ClipInfo{}
		}
		writeJSON(w, 200, cs)
	case parts[0] == "clips" && parts[2] == "spectrogram":
		sp, ok := d.Spectrograms[id]
		if !ok {
			writeErr(w, api.Errorf(api.CodeNotFound, "clip %d: its file is no longer on the appliance (pruned or deleted)", id))
			return true
		}
		if c, err := strconv.Atoi(r.URL.Query().Get("columns")); err == nil && c > 0 {
			sp = FixtureSpectrogram(id, c)
		}
		writeJSON(w, 200, sp)
	case parts[0] == "clips" && parts[2] == "audio":
		if !d.Me.Role.Allows(api.RoleOperator) {
			writeErr(w, api.Errorf(api.CodeForbidden, "GET %s needs role operator", r.URL.Path))
			return true
		}
		b, ok := d.ClipAudio[id]
		if !ok {
			writeErr(w, api.Errorf(api.CodeNotFound, "clip %d: its file is no longer on the appliance (pruned or deleted)", id))
			return true
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	default:
		return false
	}
	return true
}

// FixtureHealth is a machine's health: pump-2 has been degrading for a day with a confident
// remaining-life estimate, fan-1 is healthy, the others are learning their baseline.
func FixtureHealth(machine string) api.MachineHealth {
	h := api.MachineHealth{MachineID: machine, State: api.HealthLearning, Points: []api.HealthPoint{}}
	level := func(hours int) float64 { return 0.02 * (1 + 0.05*float64(max(0, hours-70))) }
	n := 0
	switch machine {
	case "pump-2":
		n = 96
	case "fan-1":
		n = 70
	default:
		n = 12
	}
	for i := range n {
		l := level(i)
		h.Points = append(h.Points, api.HealthPoint{Hour: Now.Truncate(time.Hour).Add(time.Duration(i-n) * time.Hour), Windows: 7200,
			RMS: l, Smoothed: l, Kurtosis: 3.1, Peak: 4 * l})
	}
	if n >= 60 {
		h.State, h.Baseline, h.FailureLevel = api.HealthHealthy, 0.02, 0.126
	}
	if machine == "pump-2" {
		alarm, onset := Now.Add(-22*time.Hour), Now.Add(-26*time.Hour)
		hi := 52.0
		h.State, h.Alarm, h.Onset = api.HealthDegrading, &alarm, &onset
		h.RUL = &api.RUL{At: Now, Hours: 31, LowHours: 19, HighHours: &hi, Confident: true, Text: "about 31 h (range 19–52 h)"}
	}
	return h
}
