package synth

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"signalcraft/core/eval"
	"signalcraft/core/truth"
)

// dcaseRate is the sample rate of the DCASE clips.
const dcaseRate = 16000

// shifted returns x circularly shifted by a seeded offset (at least one crossfade from
// either end), as two parts for assemble to join with a crossfade at the wrap point, and
// the offset in seconds.
func shifted(r *rng, x []float32, rate int) ([][]float32, float64) {
	f := xfadeLen(rate)
	o := f + r.intn(len(x)-2*f+1)
	return [][]float32{x[o:], x[:o]}, float64(o) / float64(rate)
}

// buildValve: learning = the dev-fit normals in file order; normal = the dev-test normals
// in Shuffles seeded permutations, each clip circularly shifted; fault = the dev-test
// anomalies in file order.
func buildValve(dataDir string, p Params) (*Stream, error) {
	dir := filepath.Join(dataDir, dirValve)
	rows, err := readLabels(dir, "suggested_split")
	if err != nil {
		return nil, err
	}
	pick := func(label, split string) []row {
		return selectRows(rows, func(r row) bool { return r["label"] == label && r["suggested_split"] == split })
	}
	fit, normal, anomaly := pick("normal", "dev-fit"), pick("normal", "dev-test"), pick("anomaly", "dev-test")
	if len(fit) == 0 || len(normal) == 0 || len(anomaly) == 0 {
		return nil, fmt.Errorf("%w: %s: %d dev-fit normal, %d dev-test normal and %d dev-test anomaly clips: the valve recipe needs some of each",
			ErrData, filepath.Join(dir, "labels.csv"), len(fit), len(normal), len(anomaly))
	}
	cr := newClipReader(dcaseRate)
	var clips []clip
	add := func(rows []row, label truth.Label) error {
		xs, err := cr.readClips(rows)
		for i, x := range xs {
			clips = append(clips, clip{parts: [][]float32{x}, label: label, note: rows[i]["file"]})
		}
		return err
	}
	if err := add(fit, truth.Learning); err != nil {
		return nil, err
	}
	xs, err := cr.readClips(normal)
	if err != nil {
		return nil, err
	}
	r := newRNG(p.Seed, "valve shuffle")
	for pass := 1; pass <= p.Shuffles; pass++ {
		for _, i := range r.perm(len(normal)) {
			parts, shift := shifted(r, xs[i], dcaseRate)
			note := fmt.Sprintf("%s (pass %d of %d, circular shift %.3f s)", normal[i]["file"], pass, p.Shuffles, shift)
			clips = append(clips, clip{parts: parts, label: truth.Normal, note: note})
		}
	}
	if err := add(anomaly, truth.Fault); err != nil {
		return nil, err
	}
	samples, spans, err := assemble(dcaseRate, clips)
	if err != nil {
		return nil, err
	}
	return &Stream{Rate: dcaseRate, Samples: samples, Truth: toTruth(spans, dcaseRate)}, nil
}

// fanNormals returns the normal clips of dcase2020-id00 in file order, at least n of them.
func fanNormals(dataDir string, n int, recipe string) ([]row, error) {
	dir := filepath.Join(dataDir, dirFan)
	rows, err := readLabels(dir)
	if err != nil {
		return nil, err
	}
	normals := selectRows(rows, func(r row) bool { return r["label"] == "normal" })
	if len(normals) < n {
		return nil, fmt.Errorf("%w: %s lists %d normal clips: the %s recipe needs %d",
			ErrData, filepath.Join(dir, "labels.csv"), len(normals), recipe, n)
	}
	return normals, nil
}

// The bearing recipe's layout, in dcase2020-id00 normal clips.
const (
	bearingLearning = 30
	bearingNormal   = 30
	bearingFault    = 15
)

// bearingParts selects what buildBearing adds to the base audio (tests compare with and
// without).
type bearingParts int

const (
	bearingNuisance bearingParts = 1 << iota
	bearingDefect
	bearingAll = bearingNuisance | bearingDefect
)

// Nuisance and defect constants of the bearing recipe.
const (
	impactDB         = 25 // impact peak over the local RMS
	burstDB          = 10 // burst RMS over the local RMS
	nuisanceGap      = 20 // seconds of untouched audio between nuisances
	nuisanceMargin   = 5  // seconds from the normal section's edges
	defectTau        = 0.001
	defectJitter     = 0.01
	localRMSHalfSpan = 500 * time.Millisecond
)

// buildBearing: learning = the first 30 fan normals; normal = the next 30 with impacts
// and bursts; fault = the last 15 with a synthetic bearing defect from the onset.
func buildBearing(dataDir string, p Params, what bearingParts) (*Stream, error) {
	const rate = dcaseRate
	n := bearingLearning + bearingNormal + bearingFault
	rows, err := fanNormals(dataDir, n, "bearing")
	if err != nil {
		return nil, err
	}
	xs, err := newClipReader(rate).readClips(rows[:n])
	if err != nil {
		return nil, err
	}
	clips := make([]clip, n)
	for i, x := range xs {
		c := clip{parts: [][]float32{x}, label: truth.Learning, note: rows[i]["file"]}
		switch {
		case i >= bearingLearning+bearingNormal:
			c.label = truth.Fault
			if what&bearingDefect != 0 {
				c.note += " + bearing defect"
				if i == bearingLearning+bearingNormal {
					level := fmt.Sprintf("step onset to %.4g dB", p.FaultDB)
					if p.Ramp > 0 {
						level = fmt.Sprintf("ramp from 0 to %.4g dB over %s then constant", p.FaultDB, seconds(p.Ramp))
					}
					c.note += fmt.Sprintf(" from its onset here: %.4g Hz impulses ringing %.4g Hz, %s", p.DefectHz, p.ResonanceHz, level)
				}
			}
		case i >= bearingLearning:
			c.label = truth.Normal
		}
		clips[i] = c
	}
	samples, spans, err := assemble(rate, clips)
	if err != nil {
		return nil, err
	}
	var ins []span
	if what&bearingNuisance != 0 {
		if ins, err = addNuisance(samples, spans, rate, p); err != nil {
			return nil, err
		}
	}
	if what&bearingDefect != 0 {
		addDefect(samples, spans, rate, p)
	}
	return &Stream{Rate: rate, Samples: samples, Truth: toTruth(splice(spans, ins), rate)}, nil
}

// addNuisance adds the impacts and bursts to the normal section of x and returns their spans.
func addNuisance(x []float32, spans []span, rate int, p Params) ([]span, error) {
	from, to := section(spans, truth.Normal)
	r := newRNG(p.Seed, "bearing nuisance")
	type nuisance struct {
		impact bool
		n      int
	}
	var ev []nuisance
	for range p.Impacts {
		ev = append(ev, nuisance{true, (20 + r.intn(31)) * rate / 1000}) // 20–50 ms
	}
	for _, b := range p.Bursts {
		ev = append(ev, nuisance{false, int(b.Round(time.Millisecond).Milliseconds()) * rate / 1000})
	}
	order := r.perm(len(ev))
	lengths := make([]int, len(ev))
	for i, j := range order {
		lengths[i] = ev[j].n
	}
	starts, err := place(r, rate, from, to, lengths, nuisanceMargin*rate, nuisanceGap*rate)
	if err != nil {
		return nil, fmt.Errorf("%d impacts and %d bursts in the normal section: %w", p.Impacts, len(p.Bursts), err)
	}
	// Every level is relative to the base audio around the nuisance, measured before any is
	// added (they are too far apart to see each other anyway).
	half := int(localRMSHalfSpan.Seconds() * float64(rate))
	local := make([]float64, len(starts))
	for i, s := range starts {
		local[i] = rms(x, s-half, s+lengths[i]+half)
	}
	ins := make([]span, len(starts))
	for i, s := range starts {
		e := ev[order[i]]
		at := float64(s) / float64(rate)
		var y []float64
		var gain float64
		var note string
		if e.impact {
			hz := r.uniform(2000, 5000)
			y, gain = impact(r, rate, e.n, hz), local[i]*dbGain(impactDB)
			note = fmt.Sprintf("impact at %.3f s: %.2f kHz ringing + click, %d ms, peak +%d dB over the local RMS", at, hz/1000, e.n*1000/rate, impactDB)
		} else {
			hz := 500 * math.Pow(2, r.uniform(0, 3)) // 0.5–4 kHz, log-uniform
			y, gain = burst(r, rate, e.n, hz), local[i]*dbGain(burstDB)
			note = fmt.Sprintf("noise burst at %.3f s: %s of band-limited noise around %.2f kHz, +%d dB over the local RMS",
				at, seconds(time.Duration(e.n)*time.Second/time.Duration(rate)), hz/1000, burstDB)
		}
		for k, v := range y {
			x[s+k] = float32(float64(x[s+k]) + gain*v)
		}
		ins[i] = span{s, s + e.n, truth.Normal, note}
	}
	return ins, nil
}

// addDefect adds the bearing defect to the fault section of x.
func addDefect(x []float32, spans []span, rate int, p Params) {
	from, to := section(spans, truth.Fault)
	r := newRNG(p.Seed, "bearing defect")
	d := defectTrain(r, rate, to-from, p.DefectHz, p.ResonanceHz, defectTau, defectJitter)
	var unit float64
	for _, v := range d {
		unit += v * v
	}
	unit = math.Sqrt(unit / float64(len(d)))
	g := rms(x, from, to) * dbGain(p.FaultDB) / unit
	ramp := int(p.Ramp.Seconds() * float64(rate))
	for i, v := range d {
		a := 1.0
		if i < ramp {
			a = float64(i) / float64(ramp)
		}
		x[from+i] = float32(float64(x[from+i]) + g*a*v)
	}
}

// CWRU constants.
const (
	cwruRate = 12000
	// CWRUFullScale is the acceleration written as digital full scale: the CWRU signals are
	// in g; the same scale as the clip-level evaluation (eval.CWRUFullScale), an
	// accelerometer channel with a ±10 g range.
	CWRUFullScale = eval.CWRUFullScale // g
	cwruLearning  = 12 * time.Second
)

// buildCWRU: learning = the first 12 s of the normal recording; normal = the rest of it;
// fault = OR007@6, then IR007, drive-end accelerometer, hard onsets.
func buildCWRU(dataDir string, _ Params) (*Stream, error) {
	dir := filepath.Join(dataDir, dirCWRU)
	rows, err := readLabels(dir, "de_variable", "fault_location", "fault_diameter_in")
	if err != nil {
		return nil, err
	}
	one := func(what string, keep func(row) bool) (row, error) {
		got := selectRows(rows, keep)
		if len(got) != 1 {
			return nil, fmt.Errorf("%w: %s: %d rows for the %s recording, want 1", ErrData, filepath.Join(dir, "labels.csv"), len(got), what)
		}
		return got[0], nil
	}
	fault := func(loc string) func(row) bool {
		return func(r row) bool {
			d, err := strconv.ParseFloat(r["fault_diameter_in"], 64)
			return r["label"] == "fault" && r["fault_location"] == loc && err == nil && d == 0.007
		}
	}
	var recs [3]row
	for i, w := range []struct {
		what string
		keep func(row) bool
	}{
		{"normal", func(r row) bool { return r["label"] == "normal" }},
		{"outer race @6 0.007 in", fault("outer_race@6")},
		{"inner race 0.007 in", fault("inner_race")},
	} {
		if recs[i], err = one(w.what, w.keep); err != nil {
			return nil, err
		}
	}
	var xs [3][]float32
	for i, r := range recs {
		if xs[i], err = readMatVar(r["path"], r["de_variable"], 1/CWRUFullScale); err != nil {
			return nil, err
		}
	}
	learn := int(cwruLearning.Seconds() * cwruRate)
	if len(xs[0]) < learn+cwruRate {
		return nil, fmt.Errorf("%w: %s: %s has %d samples, want more than %d (%s of learning and 1 s of normal at %d Hz)",
			ErrData, recs[0]["path"], recs[0]["de_variable"], len(xs[0]), learn+cwruRate, cwruLearning, cwruRate)
	}
	src := func(r row) string { return r["file"] + " " + r["de_variable"] }
	clips := []clip{
		{parts: [][]float32{xs[0][:learn]}, label: truth.Learning, note: fmt.Sprintf("%s, first %s", src(recs[0]), seconds(cwruLearning))},
		{parts: [][]float32{xs[0][learn:]}, cut: true, label: truth.Normal, note: fmt.Sprintf("%s, from %s to the end", src(recs[0]), seconds(cwruLearning))},
		{parts: [][]float32{xs[1]}, label: truth.Fault, note: src(recs[1]) + " (outer race @6, 0.007 in, hard onset)"},
		{parts: [][]float32{xs[2]}, label: truth.Fault, note: src(recs[2]) + " (inner race, 0.007 in)"},
	}
	samples, spans, err := assemble(cwruRate, clips)
	if err != nil {
		return nil, err
	}
	return &Stream{Rate: cwruRate, Samples: samples, Truth: toTruth(spans, cwruRate)}, nil
}

// sensorFault is one sensor fault the sensor recipe writes into normal audio.
type sensorFault struct {
	kind string // silence, disconnected, clipping, dc, dropout
	dur  time.Duration
}

// sensorFaults lists the sensor recipe's faults (their order in the stream is seeded).
var sensorFaults = []sensorFault{
	{"silence", 5 * time.Second}, {"silence", 20 * time.Second}, {"silence", 60 * time.Second},
	{"disconnected", 10 * time.Second},
	{"clipping", 5 * time.Second}, {"clipping", 20 * time.Second}, {"clipping", 60 * time.Second},
	{"dc", 10 * time.Second},
	{"dropout", 500 * time.Millisecond}, {"dropout", 2 * time.Second},
}

// Sensor fault constants.
const (
	sensorLearning   = 30  // clips
	sensorNormal     = 40  // clips at least
	sensorGap        = 30  // seconds of normal audio between faults, and before the first and after the last
	sensorSlack      = 60  // seconds of free room to spread at random
	disconnectedDBFS = -85 // RMS of the disconnected microphone's noise, re full scale 1.0
	dcOffset         = 0.3 // added during the DC fault
)

// seconds formats d as in the notes: "0.5 s", "60 s".
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s" }

func (f sensorFault) note(clipGain float64) string {
	s := seconds(f.dur)
	switch f.kind {
	case "disconnected":
		return fmt.Sprintf("disconnected microphone %s (white noise at %d dBFS)", s, disconnectedDBFS)
	case "clipping":
		return fmt.Sprintf("clipping %s (gain x%g, hard-clipped at ±1)", s, clipGain)
	case "dc":
		return fmt.Sprintf("DC offset %s (+%g)", s, dcOffset)
	}
	return f.kind + " " + s // silence, dropout: exact digital zero
}

// buildSensor: learning = the first 30 fan normals; normal = the next clips (at least
// 40, as many as the faults need with their spacing) with the sensor faults written in
// at seeded positions when faults is true.
func buildSensor(dataDir string, p Params, faults bool) (*Stream, error) {
	const rate = dcaseRate
	rows, err := fanNormals(dataDir, sensorLearning+sensorNormal, "sensor")
	if err != nil {
		return nil, err
	}
	cr := newClipReader(rate)
	learn, err := cr.readClips(rows[:sensorLearning])
	if err != nil {
		return nil, err
	}
	// Enough normal clips for the faults, their spacing and some free room; past the
	// fresh clips the same ones come again, circularly shifted.
	need := 0.0
	for _, f := range sensorFaults {
		need += f.dur.Seconds()
	}
	need += float64((len(sensorFaults)+1)*sensorGap + sensorSlack)
	perClip := float64(len(learn[0])-xfadeLen(rate)) / rate
	count := max(sensorNormal, int(math.Ceil(need/perClip)))
	fresh := rows[sensorLearning:]
	clips := make([]clip, 0, sensorLearning+count)
	for i, x := range learn {
		clips = append(clips, clip{parts: [][]float32{x}, label: truth.Learning, note: rows[i]["file"]})
	}
	r := newRNG(p.Seed, "sensor reuse")
	for i := range count {
		rw := fresh[i%len(fresh)]
		x, err := cr.read(rw["path"])
		if err != nil {
			return nil, err
		}
		c := clip{parts: [][]float32{x}, label: truth.Normal, note: rw["file"]}
		if i >= len(fresh) {
			var shift float64
			c.parts, shift = shifted(r, x, rate)
			c.note = fmt.Sprintf("%s (again, circular shift %.3f s)", rw["file"], shift)
		}
		clips = append(clips, c)
	}
	samples, spans, err := assemble(rate, clips)
	if err != nil {
		return nil, err
	}
	var ins []span
	if faults {
		if ins, err = addSensorFaults(samples, spans, rate, p); err != nil {
			return nil, err
		}
	}
	return &Stream{Rate: rate, Samples: samples, Truth: toTruth(splice(spans, ins), rate)}, nil
}

// addSensorFaults writes the sensor faults into the normal section of x in place and
// returns their spans.
func addSensorFaults(x []float32, spans []span, rate int, p Params) ([]span, error) {
	from, to := section(spans, truth.Normal)
	r := newRNG(p.Seed, "sensor faults")
	order := r.perm(len(sensorFaults))
	lengths := make([]int, len(order))
	for i, j := range order {
		lengths[i] = int(sensorFaults[j].dur.Milliseconds()) * rate / 1000
	}
	starts, err := place(r, rate, from, to, lengths, sensorGap*rate, sensorGap*rate)
	if err != nil {
		return nil, fmt.Errorf("sensor faults: %w", err)
	}
	noise := dbGain(disconnectedDBFS)
	ins := make([]span, len(starts))
	for i, s := range starts {
		f := sensorFaults[order[i]]
		seg := x[s : s+lengths[i]]
		for k, v := range seg {
			switch f.kind {
			case "silence", "dropout":
				seg[k] = 0
			case "disconnected":
				seg[k] = float32(noise * r.norm())
			case "clipping":
				seg[k] = float32(max(-1, min(1, p.ClipGain*float64(v))))
			case "dc":
				seg[k] = float32(float64(v) + dcOffset)
			}
		}
		ins[i] = span{s, s + lengths[i], truth.SensorFault, f.note(p.ClipGain)}
	}
	return ins, nil
}
