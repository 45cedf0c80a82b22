package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"signalcraft/core/detect"
	"signalcraft/core/sensor"
	"signalcraft/core/truth"
)

// StreamRun is what the live appliance did with one recording, in stream time measured
// from the recording's first sample: every scored window, the anomaly events, the alerts
// and the notifications. The stream evaluation (`signalcraftd eval --stream`) records it by
// replaying the recording through the real daemon, and StreamScore judges it against the
// recording's ground truth.
type StreamRun struct {
	Recording string         `json:"recording"`
	Machine   string         `json:"machine"`
	Kind      string         `json:"kind"`
	Profile   detect.Profile `json:"profile"`
	// Length is the recording's duration.
	Length time.Duration `json:"length"`
	// Learned is when the model was learned (-1: never; NotLearned says why).
	Learned    time.Duration `json:"learned"`
	NotLearned string        `json:"not_learned,omitempty"`
	Windows    []StreamWindow
	Events     []StreamEvent
	Alerts     []StreamAlert
	// Notifications are those the alert engine committed for delivery.
	Notifications []StreamNotification
}

// StreamWindow is one analysed window: End is the time of its last sample.
type StreamWindow struct {
	End       time.Duration
	Score     float64 // the window's own score
	Level     float64 // the persistent decision score
	Threshold float64
	Learning  bool
	Anomalous bool // in an event
}

// StreamEvent is one anomaly event: it starts at its first anomalous window and is opened
// (seen by the operator) at the window that met the persistence rule.
type StreamEvent struct {
	Start, Opened, End time.Duration // End -1 while open at the recording's end
	Peak               float64
}

// StreamAlert is one alert instance that reached firing.
type StreamAlert struct {
	Rule     string        `json:"rule"`
	Category string        `json:"category"` // the rule's category label: anomaly, sensor, …
	Severity string        `json:"severity"`
	Active   time.Duration `json:"active"`   // its condition began to hold
	Fired    time.Duration `json:"fired"`    // it fired
	Resolved time.Duration `json:"resolved"` // -1: still firing at the end
}

// StreamNotification is one notification: when, of what kind, and the firing alerts in it.
type StreamNotification struct {
	At     time.Duration `json:"at"`
	Kind   string        `json:"kind"`
	Firing []StreamAlert `json:"firing"`
}

// IsSensor reports whether an alert is about the sensor rather than the machine.
func (a StreamAlert) IsSensor() bool { return a.Category == "sensor" }

// StreamReport is the stream evaluation's verdict.
type StreamReport struct {
	Recording string `json:"recording"`
	Machine   string `json:"machine"`
	Kind      string `json:"kind"`
	Profile   string `json:"profile"`
	// K of N windows make an event (detect.Profile.Decision).
	K int `json:"k"`
	N int `json:"n"`

	LengthS      float64 `json:"length_s"`
	LearningS    float64 `json:"learning_s"`
	NormalS      float64 `json:"normal_s"`
	FaultS       float64 `json:"fault_s"`
	SensorFaultS float64 `json:"sensor_fault_s"`
	LearnedAtS   float64 `json:"learned_at_s"` // -1: no model was learned
	NotLearned   string  `json:"not_learned,omitempty"`

	Onsets []OnsetResult `json:"onsets"`

	Events                   int     `json:"events"`
	FalseEvents              int     `json:"false_events"`
	FalseEventsPerHour       float64 `json:"false_events_per_hour"`
	MachineAlerts            int     `json:"machine_alerts"`
	FalseAlerts              int     `json:"false_alerts"`
	FalseAlertsPerHour       float64 `json:"false_alerts_per_hour"`
	EventsDuringSensorFaults int     `json:"events_during_sensor_faults"`
	AlertsDuringSensorFaults int     `json:"machine_alerts_during_sensor_faults"`

	SensorFaults []SensorFaultResult `json:"sensor_faults"`

	// Window-level AUC of the windows' own scores: windows wholly inside one normal or
	// one fault interval, after learning (windows a sensor fault touched are not scored).
	WindowAUC     float64 `json:"window_auc"`
	WindowPAUC    float64 `json:"window_pauc"`
	NormalWindows int     `json:"normal_windows"`
	FaultWindows  int     `json:"fault_windows"`
}

// OnsetResult is how quickly one fault was noticed. Delays are seconds from the onset; -1
// means never (within the fault and the lookback after it).
type OnsetResult struct {
	OnsetS        float64 `json:"onset_s"`
	EndS          float64 `json:"end_s"`
	Note          string  `json:"note,omitempty"`
	EventDelayS   float64 `json:"event_delay_s"`
	AlertDelayS   float64 `json:"alert_delay_s"`
	NotifyDelayS  float64 `json:"notification_delay_s"`
	EventStartLag float64 `json:"event_start_lag_s"` // the event's start minus the onset
}

// SensorFaultResult says whether a sensor alert was firing for a sensor fault (Delay:
// seconds from its start to the alert's condition, 0 for an alert already firing from an
// earlier fault; -1: none) and whether that alert was announced.
type SensorFaultResult struct {
	StartS      float64 `json:"start_s"`
	EndS        float64 `json:"end_s"`
	Note        string  `json:"note,omitempty"`
	SensorAlert bool    `json:"sensor_alert"`
	DelayS      float64 `json:"delay_s"`
	Notified    bool    `json:"notified"`
}

// sensorAlertSlack is how long after a sensor fault ends its alert may still begin (the
// sensor monitor judges 1-s windows and confirms silence over 2 s).
const sensorAlertSlack = 5 * time.Second

// StreamScore judges a run against the ground truth.
//
// Attribution: an event or an alert is decided on the sound of the windows before it — the
// last n windows, each one window long — so it is attributed to a fault when that span
// (the lookback: window + n·hop, before it opened) overlaps a fault interval, to a sensor
// fault when it overlaps one (and no fault), and is false when it lies in normal sound.
// Rates are per hour of normal sound (the learning interval excluded).
func StreamScore(run *StreamRun, tr *truth.Truth, maxFPR float64) StreamReport {
	if maxFPR == 0 {
		maxFPR = DefaultMaxFPR
	}
	k, n := run.Profile.Decision()
	lookback := run.Profile.Window + time.Duration(n)*run.Profile.Hop
	sec := func(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
	r := StreamReport{Recording: run.Recording, Machine: run.Machine, Kind: run.Kind, Profile: run.Profile.String(),
		K: k, N: n, LengthS: sec(run.Length), LearningS: sec(tr.Learning()), NormalS: sec(tr.Total(truth.Normal)),
		FaultS: sec(tr.Total(truth.Fault)), SensorFaultS: sec(tr.Total(truth.SensorFault)), LearnedAtS: -1,
		NotLearned: run.NotLearned}
	if run.Learned >= 0 {
		r.LearnedAtS = sec(run.Learned)
	}
	attribute := func(at time.Duration) truth.Label {
		from := max(0, at-lookback)
		switch {
		case tr.Overlaps(truth.Fault, from, at+1):
			return truth.Fault
		case tr.Overlaps(truth.SensorFault, from, at+1):
			return truth.SensorFault
		case tr.Overlaps(truth.Normal, from, at+1):
			return truth.Normal
		}
		return ""
	}
	r.Events = len(run.Events)
	for _, e := range run.Events {
		switch attribute(e.Opened) {
		case truth.Normal:
			r.FalseEvents++
		case truth.SensorFault:
			r.EventsDuringSensorFaults++
		}
	}
	for _, a := range run.Alerts {
		if a.IsSensor() {
			continue
		}
		r.MachineAlerts++
		switch attribute(a.Active) {
		case truth.Normal:
			r.FalseAlerts++
		case truth.SensorFault:
			r.AlertsDuringSensorFaults++
		}
	}
	if h := tr.Total(truth.Normal).Hours(); h > 0 {
		r.FalseEventsPerHour = math.Round(float64(r.FalseEvents)/h*100) / 100
		r.FalseAlertsPerHour = math.Round(float64(r.FalseAlerts)/h*100) / 100
	}

	for _, o := range tr.Onsets(truth.Fault) {
		end := o.End
		for _, iv := range tr.Intervals { // a fault split over adjacent intervals ends with the last
			if iv.Label == truth.Fault && iv.Start == end {
				end = iv.End
			}
		}
		in := func(at time.Duration) bool { return at >= o.Start && at < end+lookback }
		res := OnsetResult{OnsetS: sec(o.Start), EndS: sec(end), Note: o.Note, EventDelayS: -1, AlertDelayS: -1, NotifyDelayS: -1}
		for _, e := range run.Events {
			if in(e.Opened) {
				res.EventDelayS, res.EventStartLag = sec(e.Opened-o.Start), sec(e.Start-o.Start)
				break
			}
		}
		for _, a := range run.Alerts {
			if !a.IsSensor() && in(a.Fired) && (res.AlertDelayS < 0 || sec(a.Fired-o.Start) < res.AlertDelayS) {
				res.AlertDelayS = sec(a.Fired - o.Start)
			}
		}
		for _, nt := range run.Notifications {
			if in(nt.At) && slices.ContainsFunc(nt.Firing, func(a StreamAlert) bool { return !a.IsSensor() && a.Active >= o.Start-lookback }) {
				res.NotifyDelayS = sec(nt.At - o.Start)
				break
			}
		}
		r.Onsets = append(r.Onsets, res)
	}

	for _, iv := range tr.Intervals {
		if iv.Label != truth.SensorFault {
			continue
		}
		res := SensorFaultResult{StartS: sec(iv.Start), EndS: sec(iv.End), Note: iv.Note, DelayS: -1}
		// the first sensor alert the fault raised, else one still firing from an earlier
		// fault (alerts keep firing a while after their fault)
		var first *StreamAlert
		for i, a := range run.Alerts {
			if a.IsSensor() && a.Active >= iv.Start-time.Second && a.Active < iv.End+sensorAlertSlack {
				first = &run.Alerts[i]
				break
			}
		}
		for i, a := range run.Alerts {
			if first == nil && a.IsSensor() && a.Active < iv.Start && (a.Resolved < 0 || a.Resolved >= iv.Start) {
				first = &run.Alerts[i]
			}
		}
		if first != nil {
			res.SensorAlert, res.DelayS = true, sec(max(0, first.Active-iv.Start))
			for _, nt := range run.Notifications {
				if slices.ContainsFunc(nt.Firing, func(a StreamAlert) bool { return a.IsSensor() && a.Active == first.Active && a.Rule == first.Rule }) {
					res.Notified = true
					break
				}
			}
		}
		r.SensorFaults = append(r.SensorFaults, res)
	}

	var scores []float64
	var labels []bool
	span := run.Profile.Window
	for _, w := range run.Windows {
		if w.Learning {
			continue
		}
		l, ok := tr.Span(max(0, w.End-span), w.End)
		if !ok || (l != truth.Normal && l != truth.Fault) {
			continue
		}
		scores, labels = append(scores, w.Score), append(labels, l == truth.Fault)
		if l == truth.Fault {
			r.FaultWindows++
		} else {
			r.NormalWindows++
		}
	}
	r.WindowAUC, r.WindowPAUC = -1, -1
	if r.NormalWindows > 0 && r.FaultWindows > 0 {
		if auc, err := AUC(scores, labels); err == nil {
			r.WindowAUC = math.Round(auc*10000) / 10000
		}
		if p, err := PAUC(scores, labels, maxFPR); err == nil {
			r.WindowPAUC = math.Round(p*10000) / 10000
		}
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func (r StreamReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r StreamReport) WriteText(w io.Writer) error {
	var b strings.Builder
	delay := func(s float64) string {
		if s < 0 {
			return "never"
		}
		return fmt.Sprintf("%.1f s", s)
	}
	fmt.Fprintf(&b, "recording   %s (%.0f s: learning %.0f s, normal %.0f s, fault %.0f s, sensor fault %.0f s)\n",
		r.Recording, r.LengthS, r.LearningS, r.NormalS, r.FaultS, r.SensorFaultS)
	fmt.Fprintf(&b, "machine     %s (kind %q): %s; an event needs %d of %d windows\n", r.Machine, r.Kind, r.Profile, r.K, r.N)
	if r.LearnedAtS < 0 {
		fmt.Fprintf(&b, "model       NOT LEARNED: %s\n", r.NotLearned)
	} else {
		fmt.Fprintf(&b, "model       learned at %.1f s\n", r.LearnedAtS)
	}
	for _, o := range r.Onsets {
		fmt.Fprintf(&b, "fault       at %.1f s%s: event after %s, alert after %s, notification after %s\n",
			o.OnsetS, noteSuffix(o.Note), delay(o.EventDelayS), delay(o.AlertDelayS), delay(o.NotifyDelayS))
	}
	fmt.Fprintf(&b, "false       %d event(s) (%.2f/h), %d machine alert(s) (%.2f/h) in %.2f h of normal sound\n",
		r.FalseEvents, r.FalseEventsPerHour, r.FalseAlerts, r.FalseAlertsPerHour, r.NormalS/3600)
	fmt.Fprintf(&b, "sensor      %d event(s) and %d machine alert(s) during sensor faults\n", r.EventsDuringSensorFaults, r.AlertsDuringSensorFaults)
	for _, s := range r.SensorFaults {
		got := "NO SENSOR ALERT"
		if s.SensorAlert {
			got = fmt.Sprintf("sensor alert after %.1f s", s.DelayS)
			if s.Notified {
				got += ", notified"
			}
		}
		fmt.Fprintf(&b, "            %.1f–%.1f s%s: %s\n", s.StartS, s.EndS, noteSuffix(s.Note), got)
	}
	if r.WindowAUC >= 0 {
		fmt.Fprintf(&b, "windows     AUC %.4f, pAUC %.4f (%d normal, %d fault windows)\n", r.WindowAUC, r.WindowPAUC, r.NormalWindows, r.FaultWindows)
	} else {
		fmt.Fprintf(&b, "windows     no AUC: %d normal and %d fault windows\n", r.NormalWindows, r.FaultWindows)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func noteSuffix(n string) string {
	if n == "" {
		return ""
	}
	return " (" + n + ")"
}

// ScoredWindow is a window of a recording scored offline: End is the sample just after it.
type ScoredWindow struct {
	End   int
	Score float64
}

// ScoreStream scores a recording the way the daemon does — the profile's chain with the
// sensor-fault frame check and the sensor monitor, one continuous stream — with a learned
// detector, without changing it. Windows a sensor fault touches are left out, as live.
func ScoreStream(det *detect.Detector, p detect.Profile, rate int, x []float32) ([]ScoredWindow, error) {
	if det.State() != detect.StateMonitoring {
		return nil, fmt.Errorf("eval: the detector has not learned a model")
	}
	var out []ScoredWindow
	err := StreamWindows(p, rate, x, func(end int, v []float64) {
		out = append(out, ScoredWindow{End: end, Score: det.Score(v)})
	})
	return out, err
}

// StreamWindows runs a recording through the profile's chain as the daemon does — in
// blocks of a tenth of a second, the sensor monitor a block ahead, windows a sensor fault
// touches left out — and calls emit with each window vector (valid during the call) and
// the sample just after it.
func StreamWindows(p detect.Profile, rate int, x []float32, emit func(end int, v []float64)) error {
	c, err := NewChain(p, rate)
	if err != nil {
		return err
	}
	mon, err := sensor.NewMonitor(sensor.DefaultThresholds(), rate, time.Time{})
	if err != nil {
		return err
	}
	var faults sensor.Timeline
	fc := c.Config()
	span := (fc.Window-1)*fc.DSP.Hop + fc.DSP.FrameSize
	keep := func(v []float64) {
		end := int((c.Frames()-1)*int64(fc.DSP.Hop) + int64(fc.DSP.FrameSize))
		if c.Flagged() > 0 || faults.Faulty(uint64(max(0, end-span)), uint64(end)) {
			return
		}
		emit(end, v)
	}
	// in blocks, as the daemon reads them: the monitor runs ahead of the chain by at most
	// a block, and the timeline answers for the window's own samples
	block := max(1, rate/10)
	for pos := 0; pos < len(x); pos += block {
		b := x[pos:min(len(x), pos+block)]
		at := time.Duration(float64(pos) / float64(rate) * float64(time.Second))
		for _, ch := range mon.Samples(time.Time{}.Add(at), b) {
			faults.Mark(uint64(pos+ch.Offset), ch.To)
		}
		c.Push(b, keep)
	}
	return nil
}
