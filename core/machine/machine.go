// Package machine is a monitored machine's settings — its sensor binding, detection and fault
// diagnosis — with their defaults and the rules they must satisfy: one definition for the
// appliance's configuration file, its API and the clients' forms.
package machine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"signalcraft/core/detect"
	"signalcraft/core/dsp"
)

// PoolingStats are the statistics detection.pooling may name (core/detect).
var PoolingStats = []string{"max", "mean", "std", "min", "delta", "modulation"}

// Model kinds the detector offers (core/detect).
var ModelKinds = []string{"mahalanobis", "gmm", "knn"}

// Machine is one monitored machine bound to one sensor channel.
type Machine struct {
	ID        string    `yaml:"id"`
	Name      string    `yaml:"name"`
	Kind      string    `yaml:"kind"` // fan, pump, valve, motor, bearing, …
	Line      string    `yaml:"line"`
	Sensor    Binding   `yaml:"sensor"`
	Detection Detection `yaml:"detection"`
	Diagnosis Diagnosis `yaml:"diagnosis"`
}

// DiagnosisModels are the fault classifiers a machine may use (core/diagnose, docs/MODELS.md).
var DiagnosisModels = []string{"svm", "rf", "rf+svm"}

// MaxShaftRPM bounds a configured shaft speed (a 36 000 rpm spindle is 600 Hz).
const MaxShaftRPM = 60000

// Diagnosis configures a machine's fault classifier: with a shaft speed, the learning loop
// trains one from the machine's labelled events (two fault types or more, or a fault type
// and normal sound) and it names the fault of each anomaly event (docs/mlo_pipeline.md).
type Diagnosis struct {
	ShaftRPM float64 `yaml:"shaft_rpm"` // the monitored shaft's speed; 0: no fault classifier
	Model    string  `yaml:"model"`     // svm, rf or rf+svm ["svm", the best measured]
	// Bearing holds the monitored bearing's defect frequencies as orders of the shaft speed
	// (from its maker's data sheet); nil: an SKF 6205 (dsp.CWRU6205).
	Bearing *BearingOrders `yaml:"bearing"`
}

// BearingOrders are a bearing's defect frequencies in orders of the shaft speed.
type BearingOrders struct {
	BPFO float64 `yaml:"bpfo"` // ball pass frequency, outer race
	BPFI float64 `yaml:"bpfi"` // ball pass frequency, inner race
	BSF  float64 `yaml:"bsf"`  // ball spin frequency
	FTF  float64 `yaml:"ftf"`  // fundamental train (cage) frequency
}

// Orders returns the bearing's defect orders for the classifier's front end; the zero value
// (the front end's default) without a bearing configured.
func (d Diagnosis) Orders() dsp.BearingOrders {
	if d.Bearing == nil {
		return dsp.BearingOrders{}
	}
	b := d.Bearing
	return dsp.BearingOrders{BPFO: b.BPFO, BPFI: b.BPFI, BSF: b.BSF, FTF: b.FTF}
}

// Enabled reports whether the machine has a fault classifier configured.
func (d Diagnosis) Enabled() bool { return d.ShaftRPM > 0 }

// Binding ties a machine to one channel of a source.
type Binding struct {
	Source  string `yaml:"source"`
	Channel int    `yaml:"channel"` // 0-based
}

// Detection configures a machine's normal model and how it is listened to. Window, hop,
// pooling and persistence default to the profile of the machine's kind (detect.ProfileFor):
// the daemon, `signalcraftd adapt` and `signalcraftd eval` use them alike.
type Detection struct {
	Model     string        `yaml:"model"`     // mahalanobis, gmm, knn
	Learning  time.Duration `yaml:"learning"`  // how long to collect normal sound
	Quantile  float64       `yaml:"quantile"`  // threshold quantile of the training scores
	Smoothing int           `yaml:"smoothing"` // windows in the score smoother (1: none)
	Window    time.Duration `yaml:"window"`    // analysis window
	Hop       time.Duration `yaml:"hop"`       // distance between windows
	Pooling   []string      `yaml:"pooling"`   // statistics of a window's frames: max, mean, std, min, delta
	// Persistence is how long a sound must stay anomalous to open an event (nil: the
	// kind's default; 0: one window length is enough).
	Persistence *time.Duration `yaml:"persistence"`
}

// Profile returns the detection's listening profile (defaults applied).
func (d Detection) Profile() detect.Profile {
	p := detect.Profile{Model: detect.Kind(d.Model), Window: d.Window, Hop: d.Hop}
	for _, s := range d.Pooling {
		p.Pooling = append(p.Pooling, detect.Stat(s))
	}
	if d.Persistence != nil {
		p.Persistence = *d.Persistence
	}
	return p
}

// Default fills the classifier of a diagnosis with a shaft speed and no model.
func (d *Diagnosis) Default() {
	if d.ShaftRPM > 0 && d.Model == "" {
		d.Model = DiagnosisModels[0]
	}
}

// DefaultDetection fills what d leaves out: the model, learning period, quantile and
// smoothing, and the listening profile of the machine's kind (DefaultProfile).
func DefaultDetection(d *Detection, kind string) {
	DefaultProfile(d, kind)
	if d.Model == "" {
		d.Model = string(detect.ProfileFor(kind).Model)
	}
	if d.Learning == 0 {
		d.Learning = 10 * time.Minute
	}
	if d.Quantile == 0 {
		d.Quantile = 0.99
	}
	if d.Smoothing == 0 {
		d.Smoothing = 1 // persistence (k of n windows) decides; an EMA would stretch one knock over many windows
	}
}

// DefaultProfile fills the window, hop, pooling and persistence d leaves out with the
// profile of the machine's kind (detect.ProfileFor).
func DefaultProfile(d *Detection, kind string) {
	p := detect.ProfileFor(kind)
	if d.Window == 0 {
		d.Window = p.Window
	}
	if d.Hop == 0 {
		d.Hop = p.Hop
		if d.Hop > d.Window && d.Window > 0 {
			d.Hop = d.Window / 2 // a window set shorter than the kind's hop
		}
	}
	if len(d.Pooling) == 0 {
		for _, s := range p.Pooling {
			d.Pooling = append(d.Pooling, string(s))
		}
	}
	if d.Persistence == nil {
		d.Persistence = &p.Persistence
	}
}

// Problems returns every problem of the machine's own fields, with paths relative to the
// machine (name, detection.quantile…), so a form can mark each field at once. Whether its
// source exists and its channel is free depends on the rest of the configuration and is
// checked there.
func (m *Machine) Problems() []Problem {
	var out []Problem
	bad := func(path string, v any, why string) {
		out = append(out, Problem{Path: path, Value: v, Reason: why})
	}
	if !ValidID(m.ID) {
		bad("id", m.ID, "must be 1-64 characters of a-z, 0-9, '-' and '_'")
	}
	if len(m.Name) > 100 {
		bad("name", m.Name, "must be at most 100 characters")
	}
	if len(m.Kind) > 64 {
		bad("kind", m.Kind, "must be at most 64 characters")
	}
	if len(m.Line) > 100 {
		bad("line", m.Line, "must be at most 100 characters")
	}
	if !ValidID(m.Sensor.Source) {
		bad("sensor.source", m.Sensor.Source, "must name a configured source")
	}
	if m.Sensor.Channel < 0 || m.Sensor.Channel > 31 {
		bad("sensor.channel", m.Sensor.Channel, "must be between 0 and 31")
	}
	d := m.Detection
	if !slices.Contains(ModelKinds, d.Model) {
		bad("detection.model", d.Model, "must be one of "+strings.Join(ModelKinds, ", "))
	}
	if d.Learning < 10*time.Second || d.Learning > 30*24*time.Hour {
		bad("detection.learning", d.Learning, "must be between 10s and 720h")
	}
	if math.IsNaN(d.Quantile) || d.Quantile < 0.5 || d.Quantile >= 1 {
		bad("detection.quantile", d.Quantile, "must be at least 0.5 and below 1")
	}
	if d.Smoothing < 1 || d.Smoothing > 100 {
		bad("detection.smoothing", d.Smoothing, "must be between 1 and 100")
	}
	if d.Window < detect.MinWindow || d.Window > detect.MaxWindow {
		bad("detection.window", d.Window, fmt.Sprintf("must be between %v and %v", detect.MinWindow, detect.MaxWindow))
	} else if d.Hop < 10*time.Millisecond || d.Hop > d.Window {
		bad("detection.hop", d.Hop, fmt.Sprintf("must be between 10ms and the window (%v)", d.Window))
	}
	if len(d.Pooling) == 0 {
		bad("detection.pooling", "[]", "name at least one of max, mean, std, min, delta")
	}
	for i, s := range d.Pooling {
		if !slices.Contains(PoolingStats, s) || slices.Index(d.Pooling, s) < i {
			bad(fmt.Sprintf("detection.pooling[%d]", i), s, "must be one of "+strings.Join(PoolingStats, ", ")+", each once")
		}
	}
	if d.Persistence == nil || *d.Persistence < 0 || *d.Persistence > detect.MaxPersistence {
		var v any = "(none)"
		if d.Persistence != nil {
			v = *d.Persistence
		}
		bad("detection.persistence", v, fmt.Sprintf("must be between 0s and %v", detect.MaxPersistence))
	} else if len(out) == 0 {
		if err := d.Profile().Validate(); err != nil {
			bad("detection.persistence", *d.Persistence, strings.TrimPrefix(err.Error(), detect.ErrConfig.Error()+": "))
		}
	}
	g := m.Diagnosis
	if math.IsNaN(g.ShaftRPM) || g.ShaftRPM < 0 || g.ShaftRPM > MaxShaftRPM {
		bad("diagnosis.shaft_rpm", g.ShaftRPM, fmt.Sprintf("must be between 0 (no fault classifier) and %d", MaxShaftRPM))
	}
	switch {
	case g.Model != "" && !slices.Contains(DiagnosisModels, g.Model):
		bad("diagnosis.model", g.Model, "must be one of "+strings.Join(DiagnosisModels, ", "))
	case g.Model != "" && g.ShaftRPM == 0:
		bad("diagnosis.model", g.Model, "needs diagnosis.shaft_rpm: fault frequencies are orders of the shaft speed")
	}
	if b := g.Bearing; b != nil {
		for _, o := range []struct {
			name string
			v    float64
		}{{"bpfo", b.BPFO}, {"bpfi", b.BPFI}, {"bsf", b.BSF}, {"ftf", b.FTF}} {
			if math.IsNaN(o.v) || o.v <= 0 || o.v > 50 {
				bad("diagnosis.bearing."+o.name, o.v, "must be an order of the shaft speed above 0 and at most 50 (from the bearing's data sheet)")
			}
		}
	}
	return out
}

// Problem is one invalid field of a machine: its path relative to the machine
// (detection.quantile), the value it had and why that value is wrong.
type Problem struct {
	Path   string
	Value  any
	Reason string
}

// ValidID reports whether s is a valid machine or source id: 1-64 characters of a-z, 0-9,
// '-' and '_'.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
