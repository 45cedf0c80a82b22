package alert

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
)

// Well-known observation metrics (keys of [Observation].Values).
const (
	MetricAnomalyScore = "anomaly_score"  // smoothed score / threshold: above 1 is above threshold
	MetricScore        = "score"          // raw detector score
	MetricThreshold    = "threshold"      // detector threshold
	MetricLevelDBFS    = "level_dbfs"     // sound level
	MetricOverruns     = "overruns"       // capture overruns since the previous observation
	MetricBandEnergy   = "band_energy_db" // prefix: band_energy_db:<band>
	MetricFaultEnergy  = "fault_energy"   // prefix: fault_energy:<bpfo|bpfi|bsf|ftf>
	// MetricPlantDisturbance is how many machines a plant-wide disturbance is making
	// anomalous (core/correlate's common cause), observed on the pseudo-machine "plant".
	MetricPlantDisturbance = "plant_disturbance"
)

// FaultKinds are the bearing fault frequencies a fault_energy metric may name.
var faultKinds = []string{"bpfo", "bpfi", "bsf", "ftf"}

// SensorStates a rule may match (core/sensor's states plus the capture's lost/reconnecting).
var sensorStates = []string{"ok", "silent", "clipping", "offset", "stuck", "lost", "reconnecting", "ended"}

// Observation is what the daemon knows about one machine at the end of an analysis window.
type Observation struct {
	Time    time.Time
	Machine string
	Line    string
	Sensor  string // the sensor (channel) the machine is heard through
	// SensorState is the sensor's health: ok, silent, clipping, stuck, lost, reconnecting
	// (or ended); "" when unknown.
	SensorState string
	// Values holds the metrics by name (see the Metric constants). Missing keys and
	// non-finite values are "not observed".
	Values map[string]float64
	// Final says the machine will send nothing more (its recording ended): the silence
	// that follows is not missing data, so no_data rules do not act on it until the
	// machine reports again.
	Final bool
	// Diagnosis is the machine's fault classifier's verdict on the anomaly event it hears
	// now; nil when it has no event open, no classifier, or no verdict.
	Diagnosis *Diagnosis
}

// Diagnosis is a fault classifier's verdict an alert carries: the fault type (or "unknown")
// and the classifier's confidence in it.
type Diagnosis struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

// Op compares a metric with a threshold.
type Op string

// The comparison operators.
const (
	OpGT Op = ">"
	OpLT Op = "<"
	OpGE Op = ">="
	OpLE Op = "<="
)

func (o Op) cmp(v, t float64) bool {
	switch o {
	case OpGT:
		return v > t
	case OpLT:
		return v < t
	case OpGE:
		return v >= t
	case OpLE:
		return v <= t
	}
	return false
}

// Expr is a rule's condition: either a threshold on a metric, with hysteresis, or a set of
// sensor states.
type Expr struct {
	// Metric names an observation value; a trailing "*" (as in fault_energy:*) takes the
	// largest matching value for > and >=, the smallest for < and <=.
	Metric string `yaml:"metric,omitempty" json:"metric,omitempty"`
	Op     Op     `yaml:"op,omitempty" json:"op,omitempty"`
	// Enter: the condition starts to hold when Metric Op Enter.
	Enter float64 `yaml:"enter,omitempty" json:"enter,omitempty"`
	// Exit: once holding, the condition ends only when the metric is back past Exit (below it
	// for > and >=, above it for < and <=). Nil means no hysteresis.
	Exit *float64 `yaml:"exit,omitempty" json:"exit,omitempty"`
	// SensorStates: the condition holds while the sensor is in one of these states.
	SensorStates []string `yaml:"sensor_states,omitempty" json:"sensor_states,omitempty"`
}

// Severity of an alert.
type Severity string

// The severities.
const (
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// NoDataMode says what a rule does when a machine stops sending the rule's input.
type NoDataMode string

// The no-data modes.
const (
	NoDataKeepState NoDataMode = "keep_state" // the default: nothing changes
	NoDataOK        NoDataMode = "ok"         // the condition is taken as false (alerts resolve)
	NoDataAlerting  NoDataMode = "alerting"   // the condition is taken as true (alerts fire)
)

// Rule is one alerting rule, evaluated separately for every machine it applies to.
type Rule struct {
	Name     string   `yaml:"name" json:"name"`
	Expr     Expr     `yaml:"expr" json:"expr"`
	Severity Severity `yaml:"severity" json:"severity"`
	// For: the condition must hold this long (the alert is pending) before it fires.
	For time.Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// KeepFiringFor: a firing alert keeps firing this long after its condition ends.
	KeepFiringFor time.Duration     `yaml:"keep_firing_for,omitempty" json:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Annotations by language ("en", "ko") and key ("summary", "description"): text/template
	// sources over [TemplateData], e.g. "{{.Machine}}: score {{printf \"%.2f\" .Value}}".
	// Every language must have the same keys.
	Annotations map[string]map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	// Machines selects the machines the rule applies to, by their machine, line and sensor
	// labels; empty means all.
	Machines Matchers `yaml:"machines,omitempty" json:"machines,omitempty"`
	// NoData applies when no observation carrying the rule's input arrived for NoDataAfter.
	NoData      NoDataMode    `yaml:"no_data,omitempty" json:"no_data,omitempty"`
	NoDataAfter time.Duration `yaml:"no_data_after,omitempty" json:"no_data_after,omitempty"`
}

// TemplateData is what annotation templates see.
type TemplateData struct {
	Rule, Machine, Line, Sensor string
	Severity                    string
	Metric                      string  // the metric key that was compared
	Value                       float64 // its latest value
	Threshold                   float64 // Expr.Enter
	SensorState                 string  // the latest sensor state
	NoData                      bool    // the alert is due to missing data
	Labels                      map[string]string
	// Fault is the fault classifier's verdict on the machine's event ("" without one), as a
	// label such as bearing_outer_race or "unknown"; FaultConfidence its confidence, 0–1.
	Fault           string
	FaultConfidence float64
}

var (
	ruleNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	bandRE     = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
)

func validMetric(m string) bool {
	switch m {
	case MetricAnomalyScore, MetricScore, MetricThreshold, MetricLevelDBFS, MetricOverruns, MetricPlantDisturbance:
		return true
	}
	family, arg, ok := strings.Cut(m, ":")
	if !ok || arg == "" {
		return false
	}
	switch family {
	case MetricBandEnergy:
		return arg == "*" || bandRE.MatchString(arg)
	case MetricFaultEnergy:
		return arg == "*" || slices.Contains(faultKinds, arg)
	}
	return false
}

func (r *Rule) validate(path string, e *errs) {
	if !ruleNameRE.MatchString(r.Name) {
		e.add(path+".name", r.Name, "must be a letter or _ followed by letters, digits or _")
	}
	x := r.Expr
	switch {
	case len(x.SensorStates) > 0:
		if x.Metric != "" || x.Op != "" || x.Enter != 0 || x.Exit != nil {
			e.add(path+".expr", x.Metric, "give either sensor_states or metric/op/enter/exit, not both")
		}
		for i, s := range x.SensorStates {
			if !slices.Contains(sensorStates, s) {
				e.add(fmt.Sprintf("%s.expr.sensor_states[%d]", path, i), s, "is not one of %s", strings.Join(sensorStates, ", "))
			}
		}
	case x.Metric == "":
		e.add(path+".expr.metric", x.Metric, "is required (or sensor_states)")
	default:
		if !validMetric(x.Metric) {
			e.add(path+".expr.metric", x.Metric, "is not a known metric (anomaly_score, score, threshold, level_dbfs, overruns, plant_disturbance, band_energy_db:<band>, fault_energy:<bpfo|bpfi|bsf|ftf>)")
		}
		if !slices.Contains([]Op{OpGT, OpLT, OpGE, OpLE}, x.Op) {
			e.add(path+".expr.op", string(x.Op), "is not one of >, <, >=, <=")
		}
		if math.IsNaN(x.Enter) || math.IsInf(x.Enter, 0) {
			e.add(path+".expr.enter", x.Enter, "must be finite")
		}
		if x.Exit != nil {
			switch {
			case math.IsNaN(*x.Exit) || math.IsInf(*x.Exit, 0):
				e.add(path+".expr.exit", *x.Exit, "must be finite")
			case (x.Op == OpGT || x.Op == OpGE) && *x.Exit > x.Enter:
				e.add(path+".expr.exit", *x.Exit, "must not be above enter (%v) for %s", x.Enter, x.Op)
			case (x.Op == OpLT || x.Op == OpLE) && *x.Exit < x.Enter:
				e.add(path+".expr.exit", *x.Exit, "must not be below enter (%v) for %s", x.Enter, x.Op)
			}
		}
	}
	if r.Severity != SeverityWarning && r.Severity != SeverityCritical {
		e.add(path+".severity", string(r.Severity), "is not one of warning, critical")
	}
	if r.For < 0 {
		e.add(path+".for", r.For, "must not be negative")
	}
	if r.KeepFiringFor < 0 {
		e.add(path+".keep_firing_for", r.KeepFiringFor, "must not be negative")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
		if !labelNameRE.MatchString(k) {
			e.add(path+".labels", k, "is not a valid label name")
		}
		switch k {
		case LabelAlertName, LabelMachine, LabelLine, LabelSensor, LabelSeverity:
			e.add(path+".labels."+k, r.Labels[k], "is set by the engine and may not be overridden")
		}
	}
	r.validateAnnotations(path, e)
	for i, m := range r.Machines {
		if _, err := m.compile(); err != nil {
			e.add(fmt.Sprintf("%s.machines[%d]", path, i), m.String(), "%v", err)
		}
	}
	switch r.NoData {
	case "", NoDataKeepState:
	case NoDataOK, NoDataAlerting:
		if r.NoDataAfter <= 0 {
			e.add(path+".no_data_after", r.NoDataAfter, "must be positive when no_data is %s", r.NoData)
		}
	default:
		e.add(path+".no_data", string(r.NoData), "is not one of keep_state, ok, alerting")
	}
	if r.NoDataAfter < 0 {
		e.add(path+".no_data_after", r.NoDataAfter, "must not be negative")
	}
}

func (r *Rule) validateAnnotations(path string, e *errs) {
	langs := slices.Sorted(maps.Keys(r.Annotations))
	var keys []string
	for _, l := range langs {
		for k := range r.Annotations[l] {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	for _, l := range langs {
		for _, k := range keys {
			src, ok := r.Annotations[l][k]
			field := fmt.Sprintf("%s.annotations.%s.%s", path, l, k)
			if !ok {
				e.add(field, nil, "is missing (every language needs the same keys)")
				continue
			}
			if _, err := parseAnnotation(src); err != nil {
				e.add(field, src, "%v", err)
			}
		}
	}
}

func parseAnnotation(src string) (*template.Template, error) {
	t, err := template.New("").Parse(src)
	if err != nil {
		return nil, err
	}
	// Execute once so that references to unknown fields fail at load time, not at 3 a.m.
	if err := t.Execute(&bytes.Buffer{}, TemplateData{Labels: map[string]string{}}); err != nil {
		return nil, err
	}
	return t, nil
}
