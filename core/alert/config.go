package alert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the alerting configuration: rules, receivers, the routing tree, inhibition
// rules and maintenance windows. In YAML durations are Go duration strings ("10s", "4h");
// in JSON they are integer nanoseconds (encoding/json's time.Duration). Matchers are strings
// in both, e.g. `machine=~"pump-.*"`.
type Config struct {
	Rules              []Rule              `yaml:"rules" json:"rules"`
	Receivers          []Receiver          `yaml:"receivers" json:"receivers"`
	Route              Route               `yaml:"route" json:"route"`
	InhibitRules       []InhibitRule       `yaml:"inhibit_rules,omitempty" json:"inhibit_rules,omitempty"`
	MaintenanceWindows []MaintenanceWindow `yaml:"maintenance_windows,omitempty" json:"maintenance_windows,omitempty"`
	// SilenceRetention is how long expired silences are kept (default 120h).
	SilenceRetention time.Duration `yaml:"silence_retention,omitempty" json:"silence_retention,omitempty"`
}

// Defaults for fields a configuration file leaves out.
const (
	DefaultGroupWait        = 30 * time.Second
	DefaultGroupInterval    = 5 * time.Minute
	DefaultRepeatInterval   = 4 * time.Hour
	DefaultSilenceRetention = 120 * time.Hour
)

// ParseConfig reads a YAML configuration strictly (unknown keys are errors), fills in
// defaults for the root route's timers and the silence retention, and validates it.
func ParseConfig(data []byte) (Config, error) {
	c := Config{
		Route: Route{
			GroupWait:      DefaultGroupWait,
			GroupInterval:  DefaultGroupInterval,
			RepeatInterval: DefaultRepeatInterval,
		},
		SilenceRetention: DefaultSilenceRetention,
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: alert config: %v", ErrInvalid, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the configuration; the error lists every problem, each naming the field
// and its value.
func (c *Config) Validate() error {
	var e errs
	names := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		path := fmt.Sprintf("rules[%d]", i)
		r.validate(path, &e)
		if names[r.Name] {
			e.add(path+".name", r.Name, "is used by an earlier rule")
		}
		names[r.Name] = true
	}
	recv := map[string]bool{}
	for i, r := range c.Receivers {
		path := fmt.Sprintf("receivers[%d].name", i)
		switch {
		case r.Name == "":
			e.add(path, r.Name, "is required")
		case recv[r.Name]:
			e.add(path, r.Name, "is used by an earlier receiver")
		}
		recv[r.Name] = true
	}
	c.Route.validate("route", true, recv, &e)
	for i, ir := range c.InhibitRules {
		path := fmt.Sprintf("inhibit_rules[%d]", i)
		if len(ir.SourceMatchers) == 0 {
			e.add(path+".source_matchers", nil, "is required")
		}
		if len(ir.TargetMatchers) == 0 {
			e.add(path+".target_matchers", nil, "is required")
		}
		for j, m := range append(append(Matchers{}, ir.SourceMatchers...), ir.TargetMatchers...) {
			if _, err := m.compile(); err != nil {
				e.add(fmt.Sprintf("%s.matchers[%d]", path, j), m.String(), "%v", err)
			}
		}
		for j, l := range ir.Equal {
			if !labelNameRE.MatchString(l) {
				e.add(fmt.Sprintf("%s.equal[%d]", path, j), l, "is not a valid label name")
			}
		}
	}
	wnames := map[string]bool{}
	for i, w := range c.MaintenanceWindows {
		path := fmt.Sprintf("maintenance_windows[%d]", i)
		switch {
		case w.Name == "":
			e.add(path+".name", w.Name, "is required")
		case wnames[w.Name]:
			e.add(path+".name", w.Name, "is used by an earlier window")
		}
		wnames[w.Name] = true
		if _, err := w.compile(); err != nil {
			v := w.Schedule
			if v == "" {
				v = fmt.Sprintf("%v %s-%s %s", w.Days, w.Start, w.End, w.TimeZone)
			}
			e.add(path, v, "%v", err)
		}
	}
	if c.SilenceRetention < 0 {
		e.add("silence_retention", c.SilenceRetention, "must not be negative")
	}
	return e.err()
}

// keepFiring is how long the default alerts keep firing after their condition ends: longer
// than the route's group_wait and group_interval together, so that every alert is
// announced — a sensor fault of a few seconds, an event that passed the machine's
// persistence rule but was over quickly, even right after another notification of the same
// machine — instead of resolving before anyone is told; and a flapping cable or a fault
// that comes and goes makes one alert, not one per episode.
const keepFiring = 70 * time.Second

const sensorKeep, anomalyKeep = keepFiring, keepFiring

// DefaultConfig is the appliance's default alerting: anomaly warning and critical, sensor
// lost/stuck (critical), silent, clipping and DC offset (warnings) and bearing fault energy
// (warning), all routed to the receiver "default", grouped by machine; a sensor alert
// inhibits the anomaly alerts of its machine, and a critical anomaly inhibits the warning of
// the same machine. The anomaly warning needs no `for`: the machine's detection.persistence
// already decides how long a sound must stay anomalous (stream time, per machine); anomaly
// alerts keep firing for anomalyKeep. Sensor alerts fire at once (the sensor monitor
// confirms silence over 2 s) and keep firing for sensorKeep. testdata/default.yaml is the same configuration as a file.
func DefaultConfig() Config {
	f := func(v float64) *float64 { return &v }
	anomaly := map[string]string{"category": "anomaly"}
	sensor := map[string]string{"category": "sensor"}
	return Config{
		Rules: []Rule{
			{
				Name: "AnomalyWarning", Severity: SeverityWarning, KeepFiringFor: anomalyKeep,
				Expr:   Expr{Metric: MetricAnomalyScore, Op: OpGT, Enter: 1, Exit: f(0.9)},
				Labels: anomaly,
				Annotations: map[string]map[string]string{
					"en": {"summary": `{{.Machine}} sounds unusual`, "description": `Anomaly score is {{printf "%.2f" .Value}}× the threshold.`},
					"ko": {"summary": `{{.Machine}} 이상음 감지`, "description": `이상 점수가 임계값의 {{printf "%.2f" .Value}}배입니다.`},
				},
			},
			{
				Name: "AnomalyCritical", Severity: SeverityCritical, For: 10 * time.Second, KeepFiringFor: anomalyKeep,
				Expr:   Expr{Metric: MetricAnomalyScore, Op: OpGT, Enter: 2, Exit: f(1.8)},
				Labels: anomaly,
				Annotations: map[string]map[string]string{
					"en": {"summary": `{{.Machine}} sounds strongly abnormal`, "description": `Anomaly score is {{printf "%.2f" .Value}}× the threshold; inspect the machine.`},
					"ko": {"summary": `{{.Machine}} 심각한 이상음`, "description": `이상 점수가 임계값의 {{printf "%.2f" .Value}}배입니다. 설비를 점검하십시오.`},
				},
			},
			{
				Name: "SensorLost", Severity: SeverityCritical, KeepFiringFor: sensorKeep,
				Expr:   Expr{SensorStates: []string{"lost", "reconnecting", "stuck"}},
				Labels: sensor, NoData: NoDataAlerting, NoDataAfter: time.Minute,
				Annotations: map[string]map[string]string{
					"en": {"summary": `Sensor {{.Sensor}} of {{.Machine}} is {{if .NoData}}not reporting{{else}}{{.SensorState}}{{end}}`, "description": `The machine cannot be monitored until the sensor works again.`},
					"ko": {"summary": `{{.Machine}} 센서 {{.Sensor}} {{if .NoData}}응답 없음{{else}}이상({{.SensorState}}){{end}}`, "description": `센서가 복구될 때까지 설비를 감시할 수 없습니다.`},
				},
			},
			{
				Name: "SensorSilent", Severity: SeverityWarning, KeepFiringFor: sensorKeep,
				Expr:   Expr{SensorStates: []string{"silent"}},
				Labels: sensor,
				Annotations: map[string]map[string]string{
					"en": {"summary": `Sensor {{.Sensor}} of {{.Machine}} is silent`, "description": `No sound is reaching the sensor; check the cable and the machine.`},
					"ko": {"summary": `{{.Machine}} 센서 {{.Sensor}} 무음`, "description": `센서에 소리가 들어오지 않습니다. 케이블과 설비를 확인하십시오.`},
				},
			},
			{
				Name: "SensorClipping", Severity: SeverityWarning, KeepFiringFor: sensorKeep,
				Expr:   Expr{SensorStates: []string{"clipping"}},
				Labels: sensor,
				Annotations: map[string]map[string]string{
					"en": {"summary": `Sensor {{.Sensor}} of {{.Machine}} is clipping`, "description": `The signal is too loud for the input; reduce the gain.`},
					"ko": {"summary": `{{.Machine}} 센서 {{.Sensor}} 클리핑`, "description": `입력 신호가 너무 큽니다. 게인을 낮추십시오.`},
				},
			},
			{
				Name: "SensorOffset", Severity: SeverityWarning, KeepFiringFor: sensorKeep,
				Expr:   Expr{SensorStates: []string{"offset"}},
				Labels: sensor,
				Annotations: map[string]map[string]string{
					"en": {"summary": `Sensor {{.Sensor}} of {{.Machine}} has a DC offset`, "description": `The signal sits far from zero: check the microphone's power supply and cable.`},
					"ko": {"summary": `{{.Machine}} 센서 {{.Sensor}} 직류 오프셋`, "description": `신호가 0에서 크게 벗어나 있습니다. 마이크 전원과 케이블을 확인하십시오.`},
				},
			},
			{
				Name: "BearingFault", Severity: SeverityWarning, For: time.Minute,
				Expr:   Expr{Metric: MetricFaultEnergy + ":*", Op: OpGT, Enter: 3, Exit: f(2)},
				Labels: map[string]string{"category": "bearing"},
				Annotations: map[string]map[string]string{
					"en": {"summary": `{{.Machine}}: bearing fault signature ({{.Metric}})`, "description": `Envelope energy at the fault frequency is {{printf "%.1f" .Value}}× normal.`},
					"ko": {"summary": `{{.Machine}}: 베어링 결함 징후 ({{.Metric}})`, "description": `결함 주파수의 포락선 에너지가 평소의 {{printf "%.1f" .Value}}배입니다.`},
				},
			},
			{
				// one notice for a disturbance every microphone hears (cross-sensor
				// correlation, off unless configured): the machines' anomaly alerts it explains
				// are silenced while it lasts
				Name: "PlantDisturbance", Severity: SeverityWarning, KeepFiringFor: anomalyKeep,
				Expr:   Expr{Metric: MetricPlantDisturbance, Op: OpGE, Enter: 1, Exit: f(0.5)},
				Labels: map[string]string{"category": "plant"},
				Annotations: map[string]map[string]string{
					"en": {"summary": `Plant-wide disturbance heard by {{printf "%.0f" .Value}} machines`, "description": `Several microphones heard the same sound at once: a common cause, not a fault of each machine. Their anomaly alerts are held back.`},
					"ko": {"summary": `공장 전체 교란음: 설비 {{printf "%.0f" .Value}}대에서 감지`, "description": `여러 마이크가 같은 소리를 동시에 들었습니다. 각 설비의 고장이 아닌 공통 원인이므로 설비별 이상 경보는 보류됩니다.`},
				},
			},
		},
		Receivers: []Receiver{{Name: "default", SendResolved: true}},
		Route: Route{
			Receiver:       "default",
			GroupBy:        []string{LabelMachine},
			GroupWait:      10 * time.Second,
			GroupInterval:  time.Minute,
			RepeatInterval: 4 * time.Hour,
		},
		InhibitRules: []InhibitRule{
			{
				SourceMatchers: Matchers{MustMatcher(MatchEqual, "category", "sensor")},
				TargetMatchers: Matchers{MustMatcher(MatchEqual, "category", "anomaly")},
				Equal:          []string{LabelMachine},
			},
			{
				SourceMatchers: Matchers{MustMatcher(MatchEqual, LabelAlertName, "AnomalyCritical")},
				TargetMatchers: Matchers{MustMatcher(MatchEqual, LabelAlertName, "AnomalyWarning")},
				Equal:          []string{LabelMachine},
			},
		},
		SilenceRetention: DefaultSilenceRetention,
	}
}
