package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/report"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// Times of the constructed plant recording (seconds).
const (
	plantLearn       = 60  // every machine learns its normal sound
	plantDisturbance = 80  // a burst every microphone hears, 4 s
	plantFault       = 120 // a fault at machine fan-1, heard attenuated at fan-2, 10 s
	plantLength      = 170
)

// plantMachines are the machines of the constructed recording, channel i for machine i.
var plantMachines = []string{"fan-1", "fan-2", "fan-3", "fan-4"}

// plantRecording builds a 4-channel recording from real machine sound: channel i is fan
// id_00's normal clips 10i… (a different stretch of sound per machine); a plant-wide
// disturbance (band-limited noise bursts with knocks, 6–10 dB over each machine, reaching
// each microphone 0–120 ms apart) at plantDisturbance; and a local fault — the DCASE fan
// anomaly clip — added strongly to channel 0 (fan-1) and, 12 dB weaker and 40 ms later, to
// channel 1 (fan-2), its neighbour.
func plantRecording(t *testing.T) (string, map[string]float64) {
	t.Helper()
	n := plantLength * 16000
	cs := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "normal" }, 75)
	anomaly := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "anomaly" }, 1)[0]
	offsets := []int{0, 24, 36, 54} // the clips each channel starts at
	chans := make([][]float32, len(plantMachines))
	levels := map[string]float64{}
	for i := range chans {
		var x []float32
		for k := 0; len(x) < n; k++ {
			x = append(x, cs[(offsets[i]+k)%len(cs)]...)
		}
		chans[i] = x[:n]
		levels[plantMachines[i]] = rms(chans[i][:plantLearn*16000])
	}
	// the disturbance: per-channel gain and delay
	gains := []float64{4, 3.5, 3, 4.5}
	delays := []int{0, 480, 1120, 1920} // samples: 0, 30, 70, 120 ms
	for i, x := range chans {
		disturb(x, plantDisturbance*16000+delays[i], 5, gains[i]*levels[plantMachines[i]])
	}
	// the fault at fan-1, heard by fan-2
	fault := anomaly // 10 s
	g := 16 * levels["fan-1"] / rms(fault)
	for j, v := range fault {
		chans[0][plantFault*16000+j] += float32(g) * v
		if k := plantFault*16000 + 640 + j; k < n {
			chans[1][k] += float32(g*math.Pow(10, -12.0/20)) * v
		}
	}
	path := filepath.Join(t.TempDir(), "plant.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := wav.Encode(f, 16000, chans); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, levels
}

// disturb adds a plant-wide disturbance from sample at for secs: broadband noise whose
// loudness swells and knocks twice a second (a hammering, a forklift), with RMS rms; the
// same noise for every microphone (one source), so it is the gain and delay that differ.
func disturb(x []float32, at int, secs, rms float64) {
	s := uint64(12345)
	n := int(secs * 16000)
	for i := 0; i < n && at+i < len(x); i++ {
		s = s*6364136223846793005 + 1442695040888963407
		w := (float64(int64(s>>11))/float64(1<<52) - 1) * math.Sqrt(3)
		tt := float64(i) / 16000
		env := 0.6 + 0.8*math.Exp(-math.Mod(tt, 0.5)/0.05)
		x[at+i] += float32(rms * w * env)
	}
}

// plantRun is what the daemon did with the plant recording.
type plantRun struct {
	fired  []string    // "rule machine" of every alert that fired
	notes  []plantNote // firing notifications
	events map[string][]plantEvent
	corr   wire.Correlations
	report []report.Correlation // what a report made now would list
}

// plantEvent is an event of the replay: start and end (seconds into the recording) and what
// the correlation said explains it.
type plantEvent struct {
	start, end       float64
	cause, heardFrom string
}

func (e plantEvent) String() string {
	return fmt.Sprintf("%.1f–%.1fs cause=%q heard_from=%q", e.start, e.end, e.cause, e.heardFrom)
}

// plantNote is a notification: when (seconds into the recording) and the firing alerts it
// announces ("rule machine").
type plantNote struct {
	at     float64
	alerts []string
	t      time.Time
}

func (n plantNote) String() string { return fmt.Sprintf("%.1fs %s", n.at, strings.Join(n.alerts, ",")) }

// during returns the notifications sent within [from, to) seconds of the recording.
func (r plantRun) during(from, to float64) []plantNote {
	var out []plantNote
	for _, n := range r.notes {
		if n.at >= from && n.at < to {
			out = append(out, n)
		}
	}
	return out
}

// replayPlant replays the recording through the real daemon (4-channel WAV source, four
// machines, detectors, events, alert engine, notification queue) on stream time, with the
// correlation on or off, and gathers its alerts, notifications and events.
func replayPlant(t *testing.T, path string, correlation bool) plantRun {
	t.Helper()
	dir := t.TempDir()
	var ms []string
	for i, id := range plantMachines {
		ms = append(ms, fmt.Sprintf("{id: %s, kind: fan, sensor: {source: mic, channel: %d}, detection: {learning: %ds}}", id, i, plantLearn))
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
store: {batch_size: 64, flush_every: 100ms}
api: {socket: ""}
metrics: {listen: ""}
clips: {enabled: false}
retraining: {enabled: false}
sources: [{id: mic, kind: wav, paths: [%s], realtime: false, channels: 4}]
machines: [%s]
correlation: {enabled: %v}
`, dir, path, strings.Join(ms, ", "), correlation)))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var run plantRun
	hooks := alertHooks{noDelivery: true,
		onAlert: func(a alert.Alert) {
			if a.Status == alert.StatusFiring {
				mu.Lock()
				run.fired = append(run.fired, a.Rule+" "+a.Labels[alert.LabelMachine])
				mu.Unlock()
			}
		},
		onNotifications: func(ns []alert.Notification) {
			mu.Lock()
			defer mu.Unlock()
			for _, n := range ns {
				var firing []string
				for _, a := range n.Alerts {
					if a.Status == alert.StatusFiring {
						firing = append(firing, a.Rule+" "+a.Labels[alert.LabelMachine])
					}
				}
				if len(firing) > 0 {
					run.notes = append(run.notes, plantNote{alerts: firing, t: n.Time})
				}
			}
		}}
	ctx := context.Background()
	o := Options{hooks: hooks}
	if os.Getenv("PLANT_LOG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	m, err := New(ctx, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	select {
	case <-m.Ended():
	case err := <-done:
		t.Fatalf("daemon stopped early: %v", err)
	case <-time.After(5 * time.Minute):
		t.Fatal("the recording was not analysed within 5 minutes")
	}
	if err := m.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	m.runOn(ctx, 3*time.Minute)  // pending groups flush, alerts resolve
	run.corr = m.Correlations(3) // what GET /api/v1/correlations serves
	run.report = m.reportCorrelations()

	start := m.machines[0].clock.timeOf(0)
	for i := range run.notes {
		run.notes[i].at = run.notes[i].t.Sub(start).Seconds()
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run.events = map[string][]plantEvent{}
	for _, id := range plantMachines {
		evs, err := db.Events(ctx, store.EventFilter{MachineID: id, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(evs, func(a, b store.Event) int { return a.Start.Compare(b.Start) })
		for _, e := range evs {
			var snap struct {
				Cause     string `json:"cause"`
				HeardFrom string `json:"heard_from"`
			}
			_ = json.Unmarshal(e.Snapshot, &snap)
			run.events[id] = append(run.events[id], plantEvent{start: e.Start.Sub(start).Seconds(),
				end: e.End.Sub(start).Seconds(), cause: snap.Cause, heardFrom: snap.HeardFrom})
		}
	}
	sort.Strings(run.fired)
	return run
}

// TestCorrelationReplay is the measurement of docs/EVALUATION.md ("Cross-sensor
// correlation"): the plant recording through the real daemon, correlation off and on.
// Off, the disturbance makes one anomaly notification per machine; on, one
// PlantDisturbance notification and no machine notification for it, and the fault's events
// at fan-2 are attributed to fan-1.
func TestCorrelationReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a 4-channel recording twice")
	}
	path, _ := plantRecording(t)
	off := replayPlant(t, path, false)
	on := replayPlant(t, path, true)
	for _, r := range []struct {
		name string
		run  plantRun
	}{{"off", off}, {"on", on}} {
		t.Logf("correlation %s: fired %q", r.name, r.run.fired)
		t.Logf("correlation %s: notifications %v", r.name, r.run.notes)
		for _, id := range plantMachines {
			t.Logf("correlation %s: %s events %v", r.name, id, r.run.events[id])
		}
	}
	b, _ := json.Marshal(on.corr.Pairs)
	t.Logf("strongest pairs: %s", b)
	if r := on.report; len(r) == 0 || r[0].A != "fan-1" || r[0].B != "fan-2" || r[0].Coefficient != on.corr.Pairs[0].Coefficient || off.report != nil {
		t.Errorf("a report's correlations: on %+v, off %+v", on.report, off.report)
	}
	if off.corr.Enabled || len(off.corr.Pairs) != 0 {
		t.Errorf("correlation off serves %+v", off.corr)
	}
	// fan-1 and fan-2 heard the same fault last: the strongest pair
	if p := on.corr.Pairs; !on.corr.Enabled || len(p) != 3 || p[0].MachineA != "fan-1" || p[0].MachineB != "fan-2" ||
		p[0].Coefficient < 0.6 || on.corr.Judged == nil {
		t.Errorf("correlations served: %+v", on.corr)
	}

	// the disturbance (80 s) until the fault (120 s): machine notices off, one plant notice on
	machineNotes := func(r plantRun) (n int, plant int) {
		for _, x := range r.during(plantDisturbance, plantFault) {
			for _, a := range x.alerts {
				if strings.HasPrefix(a, "PlantDisturbance ") {
					plant++
				} else {
					n++
				}
			}
		}
		return n, plant
	}
	offN, offPlant := machineNotes(off)
	onN, onPlant := machineNotes(on)
	t.Logf("disturbance: correlation off %d machine notices, %d plant; on %d machine notices, %d plant", offN, offPlant, onN, onPlant)
	if offN < 2 || offPlant != 0 {
		t.Errorf("correlation off: %d machine notices and %d plant notices for the disturbance, want ≥ 2 and 0", offN, offPlant)
	}
	if onN != 0 || onPlant != 1 {
		t.Errorf("correlation on: %d machine notices and %d plant notices for the disturbance, want 0 and 1", onN, onPlant)
	}
	if n := strings.Count(strings.Join(on.fired, "\n"), "PlantDisturbance plant"); n != 1 {
		t.Errorf("PlantDisturbance fired %d times, want once", n)
	}
	// the disturbance's events say so
	explained := 0
	for _, id := range plantMachines {
		for _, e := range on.events[id] {
			if e.start >= plantDisturbance && e.start < plantDisturbance+5 {
				if e.cause != "plant" {
					t.Errorf("%s: event %v during the disturbance not explained", id, e)
				}
				explained++
			} else if e.cause != "" {
				t.Errorf("%s: event %v outside the disturbance explained by it", id, e)
			}
		}
	}
	if explained < 3 {
		t.Errorf("%d events explained by the disturbance, want ≥ 3", explained)
	}
	// the fault: fan-2 heard it from fan-1, and fan-2 is not announced
	heard := 0
	for _, id := range plantMachines {
		for _, e := range on.events[id] {
			inFault := e.start >= plantFault && e.start < plantFault+10
			switch {
			case id == "fan-2" && inFault:
				if e.heardFrom != "fan-1" {
					t.Errorf("fan-2: fault event %v not attributed to fan-1", e)
				}
				heard++
			case e.heardFrom != "":
				t.Errorf("%s: event %v attributed to %s", id, e, e.heardFrom)
			}
		}
	}
	if heard != 1 {
		t.Errorf("fan-2 has %d events during the fault, want 1 attributed to fan-1", heard)
	}
	for _, x := range on.notes {
		if slices.Contains(x.alerts, "AnomalyWarning fan-2") {
			t.Errorf("correlation on: fan-2 announced (%v), though it heard fan-1's fault", x)
		}
	}
	if !slices.ContainsFunc(off.notes, func(x plantNote) bool { return slices.Contains(x.alerts, "AnomalyWarning fan-2") }) {
		t.Errorf("correlation off: fan-2's anomaly was not announced; the recording does not test attribution")
	}
}
