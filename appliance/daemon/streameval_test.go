package daemon

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/detect"
	"signalcraft/core/eval"
	"signalcraft/core/shareddata"
	"signalcraft/core/store"
	"signalcraft/core/truth"
	"signalcraft/core/wav"
)

// readClips returns the first channel of the WAV files of a shared-data folder whose
// labels.csv row matches keep, in file order.
// labelRows reads a shared-data folder's labels.csv: its rows after the header, and the
// column of each header name.
func labelRows(t *testing.T, folder string) (rows [][]string, col map[string]int) {
	t.Helper()
	f, err := os.Open(shareddata.Require(t, folder, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil || len(all) == 0 {
		t.Fatalf("%s/labels.csv: %d rows, %v", folder, len(all), err)
	}
	col = map[string]int{}
	for i, h := range all[0] {
		col[h] = i
	}
	return all[1:], col
}

func readClips(t *testing.T, folder string, keep func(label, split string) bool, n int) [][]float32 {
	t.Helper()
	rows, col := labelRows(t, folder)
	var out [][]float32
	for _, r := range rows {
		if len(out) == n || !keep(r[col["label"]], r[col["suggested_split"]]) {
			continue
		}
		_, ch, err := wav.ReadFile(shareddata.Require(t, folder, r[col["file"]]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ch[0])
	}
	if len(out) < n {
		t.Fatalf("%s: %d clips, want %d", folder, len(out), n)
	}
	return out
}

// part is a stretch of a test stream with its label.
type part struct {
	x     []float32
	label truth.Label
	note  string
}

// writeStream writes the parts as one 16-kHz WAV and returns it with its ground truth.
func writeStream(t *testing.T, parts ...part) (string, *truth.Truth) {
	t.Helper()
	var x []float32
	tr := &truth.Truth{}
	at := func(n int) time.Duration { return time.Duration(float64(n) / 16000 * float64(time.Second)) }
	for _, p := range parts {
		from := len(x)
		x = append(x, p.x...)
		tr.Intervals = append(tr.Intervals, truth.Interval{Start: at(from), End: at(len(x)), Label: p.label, Note: p.note})
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	return writeSamples(t, x), tr
}

func concat(xs ...[]float32) []float32 {
	var out []float32
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

// kindConfig is a configuration of one machine of a kind, for EvaluateStream.
func kindBase(t *testing.T, kind string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(`
data_dir: /nonexistent
sources: [{id: mic, kind: wav, paths: [/nonexistent.wav]}]
machines: [{id: m1, kind: ` + kind + `, sensor: {source: mic, channel: 0}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDaemonScoresMatchEval is the "one scoring path" check: a recording replayed through
// the daemon and the same recording scored offline by core/eval with the model the daemon
// learned give the same windows (same ends, same sensor-fault windows left out) and the
// same scores, bit for bit, for a transient (valve) and a rotating (fan) machine.
func TestDaemonScoresMatchEval(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings")
	}
	valve := func(label, split string) bool { return split == "dev-fit" }
	for _, tc := range []struct {
		kind, folder string
		keep         func(label, split string) bool
	}{
		{"valve", "dcase2022-valve-sec00-source", valve},
		{"fan", "dcase2020-id00", func(label, split string) bool { return label == "normal" }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			cs := readClips(t, tc.folder, tc.keep, 16)
			normal := concat(cs[12:]...)
			clear(normal[100000:148000]) // a 3-s dropout: its windows are left out by both
			path, tr := writeStream(t, part{concat(cs[:12]...), truth.Learning, ""}, part{normal, truth.Normal, "with a dropout"})
			dir := t.TempDir()
			run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: kindBase(t, tc.kind),
				Machine: "m1", DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if run.Learned < 0 {
				t.Fatalf("not learned: %s", run.NotLearned)
			}
			ctx := context.Background()
			db, err := store.Open(ctx, filepath.Join(dir, "eval.db"))
			if err != nil {
				t.Fatal(err)
			}
			saved, err := db.ActiveModel(ctx, "m1")
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			det, err := detect.Restore(saved.Blob)
			if err != nil {
				t.Fatal(err)
			}
			_, ch, err := wav.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			offline, err := eval.ScoreStream(det, run.Profile, 16000, ch[0])
			if err != nil {
				t.Fatal(err)
			}
			byEnd := map[int64]float64{} // ms → score
			for _, w := range offline {
				byEnd[int64(math.Floor(float64(w.End)/16))] = w.Score
			}
			live, matched := 0, 0
			for _, w := range run.Windows {
				if w.Learning {
					continue
				}
				live++
				ms := w.End.Milliseconds()
				s, ok := byEnd[ms]
				if !ok {
					s, ok = byEnd[ms+1]
				}
				if !ok {
					t.Errorf("live window ending at %v has no offline window", w.End)
					continue
				}
				if s != w.Score {
					t.Errorf("window ending at %v: live score %v, offline %v", w.End, w.Score, s)
				}
				matched++
			}
			afterLearning := 0
			for _, w := range offline {
				if time.Duration(float64(w.End)/16000*float64(time.Second)) > run.Learned {
					afterLearning++
				}
			}
			if live == 0 || matched != live || afterLearning != live {
				t.Fatalf("%d live windows after learning, %d matched, %d offline windows after learning", live, matched, afterLearning)
			}
			// the dropout's windows were left out, and only those
			drop0 := tr.Intervals[1].Start + 100000*time.Second/16000
			drop1 := tr.Intervals[1].Start + 148000*time.Second/16000
			gap := false
			for i, w := range run.Windows {
				if w.End-run.Profile.Window < drop1 && w.End > drop0 {
					t.Errorf("window ending at %v covers the dropout [%v, %v) and was scored", w.End, drop0, drop1)
				}
				if i > 0 && w.End-run.Windows[i-1].End > run.Profile.Window {
					gap = true
				}
			}
			if !gap {
				t.Error("no gap in the scored windows around the dropout")
			}
			t.Logf("%s: %d windows scored alike (profile %s)", tc.kind, matched, run.Profile)
		})
	}
}

// bearingFault adds to x impacts at 107.4 Hz (an outer-race defect of a shaft at 30 Hz),
// each ringing a 3-kHz resonance, with peak amplitude amp.
func bearingFault(x []float32, amp float64) []float32 {
	out := append([]float32(nil), x...)
	period := 16000 / 107.4
	for k := 0; ; k++ {
		at := int(float64(k) * period)
		if at >= len(out) {
			return out
		}
		for i := 0; i < 200 && at+i < len(out); i++ {
			tt := float64(i) / 16000
			out[at+i] += float32(amp * math.Exp(-tt/0.001) * math.Sin(2*math.Pi*3000*tt))
		}
	}
}

// alertTimeline is an evaluation's alerts and notifications as comparable lines.
func alertTimeline(run *eval.StreamRun) (alerts, notes []string, times []time.Duration) {
	for _, a := range run.Alerts {
		alerts = append(alerts, a.Rule+" fired")
		times = append(times, a.Fired)
	}
	for _, n := range run.Notifications {
		line := n.Kind
		for _, a := range n.Firing {
			line += " " + a.Rule
		}
		notes = append(notes, line)
		times = append(times, n.At)
	}
	return alerts, notes, times
}

// TestReplayMatchesRealtime: the same recording replayed as fast as possible (stream time)
// and at its own pace (wall time) gives the same alerts and notifications, at the same
// moments of the recording to within the real-time run's tick (250 ms) and jitter.
func TestReplayMatchesRealtime(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a recording in real time (~65 s)")
	}
	t.Parallel()
	cs := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "normal" }, 6)
	silence := make([]float32, 6*16000)
	path, tr := writeStream(t,
		part{concat(cs[0], cs[1]), truth.Learning, ""},
		part{cs[2][:5*16000], truth.Normal, ""},
		part{bearingFault(concat(cs[3][:15*16000/2], cs[4][:15*16000/2]), 0.3), truth.Fault, "bearing impacts"},
		part{silence, truth.SensorFault, "silence 6 s"},
		part{cs[5][:6*16000], truth.Normal, ""},
	)
	runs := make([]*eval.StreamRun, 2)
	for i, realtime := range []bool{false, true} {
		run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: kindBase(t, "fan"),
			Machine: "m1", Realtime: realtime, After: 15 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = run
	}
	fastA, fastN, fastT := alertTimeline(runs[0])
	realA, realN, realT := alertTimeline(runs[1])
	t.Logf("replay:    alerts %q notifications %q at %v", fastA, fastN, fastT)
	t.Logf("real time: alerts %q notifications %q at %v", realA, realN, realT)
	if len(fastA) < 2 || len(fastN) < 1 {
		t.Fatalf("the story raised too little to compare: alerts %q, notifications %q", fastA, fastN)
	}
	if !slicesEqual(fastA, realA) || !slicesEqual(fastN, realN) {
		t.Fatalf("replay and real time differ:\nreplay    %q %q\nreal time %q %q", fastA, fastN, realA, realN)
	}
	for i := range fastT {
		if d := fastT[i] - realT[i]; d < -time.Second || d > time.Second {
			t.Errorf("event %d at %v in the replay, %v in real time", i, fastT[i], realT[i])
		}
	}
	rep := eval.StreamScore(runs[0], tr, 0)
	if rep.Onsets[0].AlertDelayS < 0 || rep.SensorFaults[0].DelayS < 0 || rep.EventsDuringSensorFaults != 0 {
		t.Errorf("fault alert after %v s, silence alert after %v s, %d events during the silence",
			rep.Onsets[0].AlertDelayS, rep.SensorFaults[0].DelayS, rep.EventsDuringSensorFaults)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sensorFault is a way a microphone goes wrong, applied to a stretch of sound.
type sensorFault struct {
	name string
	secs float64
	make func(x []float32) []float32
}

func scaled(gain, rail float32) func([]float32) []float32 {
	return func(x []float32) []float32 {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = min(max(v*gain, -rail), rail)
		}
		return out
	}
}

// TestSensorFaultsAreNotMachineFaults replays a fan with silences, dropouts, clipping (hard,
// sporadic and below full scale) and a DC offset of 0.5 to 60 s between stretches of
// normal sound: no machine event or alert may come of them, and every fault of a few
// seconds or more raises a sensor alert.
func TestSensorFaultsAreNotMachineFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings")
	}
	// 5 minutes of learning: the fan's 10-s clips were recorded at different times and
	// differ more than a running machine does from minute to minute
	cs := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "normal" }, 75)
	rest := concat(cs[30:]...)
	zero := func(x []float32) []float32 { return make([]float32, len(x)) }
	faults := []sensorFault{
		{"silence 5 s", 5, zero},
		{"hard clipping 5 s", 5, scaled(100, 1)},
		{"silence 20 s", 20, zero},
		{"sporadic clipping 20 s", 20, scaled(30, 1)},
		{"dropout 0.5 s", 0.5, zero},
		{"clipping below full scale 10 s", 10, scaled(40, 0.5)},
		{"DC offset 10 s", 10, func(x []float32) []float32 {
			out := make([]float32, len(x))
			for i, v := range x {
				out[i] = v + 0.3
			}
			return out
		}},
		{"silence 60 s", 60, zero},
		{"hard clipping 60 s", 60, scaled(100, 1)},
		{"dropout 2 s", 2, zero},
	}
	parts := []part{{concat(cs[:30]...), truth.Learning, ""}}
	at := 0
	take := func(secs float64) []float32 { // the 45 other clips, round again if need be
		x := make([]float32, int(secs*16000))
		for i := range x {
			x[i] = rest[at%len(rest)]
			at++
		}
		return x
	}
	// 80 s of normal sound between faults: longer than a sensor alert keeps firing (70 s),
	// so that each fault must raise its own
	for _, f := range faults {
		parts = append(parts, part{take(80), truth.Normal, ""}, part{f.make(take(f.secs)), truth.SensorFault, f.name})
	}
	parts = append(parts, part{take(20), truth.Normal, ""})
	path, tr := writeStream(t, parts...)
	run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: kindBase(t, "fan"), Machine: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range run.Events {
		t.Logf("event start %v opened %v end %v peak %.1f", e.Start, e.Opened, e.End, e.Peak)
	}
	rep := eval.StreamScore(run, tr, 0)
	var b strings.Builder
	rep.WriteText(&b)
	t.Log("\n" + b.String())
	if rep.LearnedAtS < 0 {
		t.Fatalf("not learned: %s", rep.NotLearned)
	}
	if rep.EventsDuringSensorFaults != 0 || rep.AlertsDuringSensorFaults != 0 {
		t.Errorf("%d machine events and %d machine alerts during sensor faults", rep.EventsDuringSensorFaults, rep.AlertsDuringSensorFaults)
	}
	if rep.FalseEvents != 0 || rep.FalseAlerts != 0 {
		t.Errorf("%d false events and %d false alerts in normal sound", rep.FalseEvents, rep.FalseAlerts)
	}
	for _, s := range rep.SensorFaults {
		if s.EndS-s.StartS >= 5 && (!s.SensorAlert || !s.Notified) {
			t.Errorf("%s (%.0f–%.0f s): sensor alert %v, notified %v", s.Note, s.StartS, s.EndS, s.SensorAlert, s.Notified)
		}
	}
	for _, a := range run.Alerts {
		if a.Rule == "SensorLost" {
			t.Errorf("the recording's end (or a fault) raised %s at %v", a.Rule, a.Active)
		}
	}
}

// impact adds at sample at a harmless knock: a short broadband click and a 4-kHz ring
// decaying in 10 ms, peaking at amp.
func impact(x []float32, at int, amp float64) {
	for i := 0; i < 800 && at+i < len(x); i++ {
		tt := float64(i) / 16000
		v := amp * math.Exp(-tt/0.01) * math.Sin(2*math.Pi*4000*tt)
		if i < 16 {
			v += amp * 0.5 * float64(1-2*(i%2)) * (1 - float64(i)/16) // the click
		}
		x[at+i] += float32(v)
	}
}

// burst adds band-limited noise (1.5–3 kHz, roughly) for secs from sample at, with RMS rms.
func burst(x []float32, at int, secs, rms float64, seed uint64) {
	n := int(secs * 16000)
	s := seed
	var y1, y2 float64
	for i := 0; i < n && at+i < len(x); i++ {
		s = s*6364136223846793005 + 1442695040888963407
		w := float64(int64(s>>11))/float64(1<<52) - 1
		// a two-pole resonator at 2.2 kHz
		y := w + 1.6*math.Cos(2*math.Pi*2200/16000)*y1 - 0.64*y2
		y2, y1 = y1, y
		x[at+i] += float32(rms * 0.35 * y)
	}
}

// growingFault adds bearing impacts at 107.4 Hz whose amplitude grows linearly from 0 to
// amp over ramp seconds, then stays.
func growingFault(x []float32, amp, ramp float64) []float32 {
	out := append([]float32(nil), x...)
	period := 16000 / 107.4
	for k := 0; ; k++ {
		at := int(float64(k) * period)
		if at >= len(out) {
			return out
		}
		a := amp * min(1, float64(at)/16000/ramp)
		for i := 0; i < 200 && at+i < len(out); i++ {
			tt := float64(i) / 16000
			out[at+i] += float32(a * math.Exp(-tt/0.001) * math.Sin(2*math.Pi*3000*tt))
		}
	}
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// bearingStream is a fan (DCASE 2020 id_00) learned for 5 minutes, then 200 s of normal
// sound with isolated knocks and two short bursts, then a bearing defect whose impacts grow
// over 60 s to level (relative to the fan's RMS: the impacts' peak).
func bearingStream(t *testing.T, knocks int, knockDB float64, level float64) (string, *truth.Truth) {
	cs := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "normal" }, 65)
	normal := concat(cs[30:50]...)
	base := rms(normal)
	amp := base * math.Pow(10, knockDB/20)
	var notes []string
	for i := 0; i < knocks; i++ {
		at := (10 + i*180/max(1, knocks)) * 16000
		impact(normal, at, amp)
		notes = append(notes, fmt.Sprintf("knock at %.0f s", 300+float64(at)/16000))
	}
	burst(normal, 195*16000, 0.3, base*3, 1)
	burst(normal, 100*16000+8000, 1, base*3, 2)
	notes = append(notes, "bursts of 0.3 s at 495 s and 1 s at 400.5 s")
	fault := growingFault(concat(cs[50:65]...), base*level, 60)
	return writeStream(t,
		part{concat(cs[:30]...), truth.Learning, ""},
		part{normal, truth.Normal, strings.Join(notes, "; ")},
		part{fault, truth.Fault, "bearing impacts at 107.4 Hz growing over 60 s"},
	)
}

// TestBearingOnset is the acceptance story of a rotating machine: a fan learned for five
// minutes, then 200 s of normal sound with eight knocks (peaks 25 dB above the fan's RMS)
// and two short bursts, then bearing impacts at 107.4 Hz growing over 60 s to twice the
// fan's RMS. The knocks and bursts must raise no event and no alert; the fault an alert
// and its notification within 60 s of its onset.
func TestBearingOnset(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings")
	}
	path, tr := bearingStream(t, 8, 25, 2)
	run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: kindBase(t, "fan"), Machine: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	rep := eval.StreamScore(run, tr, 0)
	var b strings.Builder
	rep.WriteText(&b)
	t.Log("\n" + b.String())
	onset := tr.Onsets(truth.Fault)[0].Start
	for _, e := range run.Events {
		if e.Opened < onset {
			t.Errorf("an event opened at %v, before the fault (%v): the knocks or bursts", e.Opened, onset)
		}
	}
	for _, a := range run.Alerts {
		if a.Active < onset {
			t.Errorf("alert %s at %v, before the fault (%v)", a.Rule, a.Active, onset)
		}
	}
	o := rep.Onsets[0]
	if o.AlertDelayS < 0 || o.AlertDelayS > 60 || o.NotifyDelayS < 0 || o.NotifyDelayS > 60 {
		t.Errorf("fault: alert after %v s, notification after %v s; want both within 60 s", o.AlertDelayS, o.NotifyDelayS)
	}
}

// TestValveStreamMatchesClipEval: a valve's normal test clips (three rounds) then its
// anomalous clips, replayed live: the window-level AUC is within 0.05 of the clip-level
// `eval` figure on the same data, and normal sound raises no alert.
func TestValveStreamMatchesClipEval(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings")
	}
	fit := readClips(t, "dcase2022-valve-sec00-source", func(label, split string) bool { return split == "dev-fit" }, 25)
	normals := readClips(t, "dcase2022-valve-sec00-source", func(label, split string) bool { return split == "dev-test" && label == "normal" }, 25)
	anomalies := readClips(t, "dcase2022-valve-sec00-source", func(label, split string) bool { return label == "anomaly" }, 50)
	var normal []float32
	for r := 0; r < 3; r++ { // each round shifted, so windows differ
		for _, c := range normals {
			k := r * len(c) / 3
			normal = append(append(normal, c[k:]...), c[:k]...)
		}
	}
	path, tr := writeStream(t, part{concat(fit...), truth.Learning, ""}, part{normal, truth.Normal, ""},
		part{concat(anomalies...), truth.Fault, ""})
	run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: kindBase(t, "valve"), Machine: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	live := eval.StreamScore(run, tr, 0)
	dir := filepath.Dir(shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv"))
	clip, err := eval.Run(context.Background(), []string{dir}, eval.Options{Models: []detect.Kind{detect.KindMahalanobis}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("live window AUC %.4f (%d normal, %d fault windows), clip-level AUC %.4f; %d false alerts in %.2f h",
		live.WindowAUC, live.NormalWindows, live.FaultWindows, clip.Results[0].AUC, live.FalseAlerts, live.NormalS/3600)
	if d := clip.Results[0].AUC - live.WindowAUC; d > 0.05 {
		t.Errorf("live window AUC %.4f is %.4f below the clip-level %.4f", live.WindowAUC, d, clip.Results[0].AUC)
	}
	if live.FalseAlerts != 0 || live.FalseEvents != 0 {
		t.Errorf("%d false alerts and %d false events in %.0f s of normal sound", live.FalseAlerts, live.FalseEvents, live.NormalS)
	}
	if live.Onsets[0].AlertDelayS < 0 {
		t.Error("the anomalous clips raised no alert")
	}
}

// lockedBuffer is a log sink safe for the daemon's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLearningAsLongAsTheRecording: a recording replayed with a learning period as long as
// itself learns (the last window ends a hop before the period does); one longer than the
// recording learns nothing and the log says why and what to do. Neither ends in a
// SensorLost alert: the end of a file is "ended".
func TestLearningAsLongAsTheRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings")
	}
	cs := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "normal" }, 4)
	path, _ := writeStream(t, part{concat(cs...), truth.Learning, ""})
	for _, tc := range []struct {
		learning string
		learned  bool
	}{{"40s", true}, {"1m", false}} {
		t.Run(tc.learning, func(t *testing.T) {
			dir := t.TempDir()
			cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
api: {socket: ""}
metrics: {listen: ""}
sources: [{id: rec, kind: wav, paths: [%s], realtime: false}]
machines: [{id: fan-1, kind: fan, sensor: {source: rec, channel: 0}, detection: {learning: %s}}]
`, dir, path, tc.learning)))
			if err != nil {
				t.Fatal(err)
			}
			var logs lockedBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m, err := New(ctx, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- m.Run(ctx) }()
			select {
			case <-m.Ended():
			case <-time.After(time.Minute):
				t.Fatal("the recording never ended")
			}
			m.runOn(ctx, 2*time.Minute) // long past any no-data period
			var lost bool
			m.alerts.mu.Lock()
			for _, a := range m.alerts.engine.Alerts() {
				lost = lost || a.Rule == "SensorLost"
				if a.Rule == "SensorLost" {
					t.Logf("%+v", a)
				}
			}
			m.alerts.mu.Unlock()
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if lost {
				t.Error("the end of the recording raised SensorLost")
			}
			db, err := store.Open(context.Background(), cfg.DatabasePath())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = db.ActiveModel(context.Background(), "fan-1")
			if learned := err == nil; learned != tc.learned {
				t.Fatalf("model learned: %v, want %v (err %v)\n%s", learned, tc.learned, err, logs.String())
			}
			if !tc.learned && !strings.Contains(logs.String(), "the recording ended before the learning period: no model learned; replay a longer recording or shorten detection.learning") {
				t.Errorf("no clear reason in the log:\n%s", logs.String())
			}
		})
	}
}

// TestCommandsDuringFastReplay: a machine busy with a recording replayed as fast as
// possible — the WAV source keeps its ring full — still answers commands (relearn here) at
// once, not when the recording ends.
func TestCommandsDuringFastReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 5*60*16000) // five minutes of noise: seconds of analysis
	for i := range x {
		x[i] = float32(0.05 * rng.NormFloat64())
	}
	path, _ := writeStream(t, part{x, truth.Learning, ""})
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
api: {socket: ""}
metrics: {listen: ""}
sources: [{id: rec, kind: wav, paths: [%s], realtime: false}]
machines: [{id: fan-1, kind: fan, sensor: {source: rec, channel: 0}, detection: {learning: 10s}}]
`, dir, path)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	time.Sleep(200 * time.Millisecond) // the replay is under way
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	if err := m.Relearn(rctx, "fan-1", "test"); err != nil {
		t.Fatalf("relearn during the replay: %v", err)
	}
	// how much of the recording had been analysed when the command ran
	var heard time.Duration
	if err := m.machines[0].do(rctx, func() {
		mm := m.machines[0]
		heard = mm.clock.timeOf(mm.expect).Sub(mm.clock.timeOf(0))
	}); err != nil {
		t.Fatal(err)
	}
	if heard > 2*time.Minute {
		t.Fatalf("the relearn ran after %v of the 5-minute recording had been analysed: it waited for the replay", heard)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
