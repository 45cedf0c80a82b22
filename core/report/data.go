package report

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalid marks Data that cannot be rendered.
var ErrInvalid = errors.New("invalid report")

// Kind says what period a report covers.
type Kind string

// Report kinds.
const (
	KindDaily    Kind = "daily"
	KindWeekly   Kind = "weekly"
	KindOnDemand Kind = "on_demand"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindDaily || k == KindWeekly || k == KindOnDemand }

// Languages a report is written in.
const (
	LangEnglish = "en"
	LangKorean  = "ko"
)

// Data is everything one report shows: an appliance's machines over [From, To).
type Data struct {
	Appliance string // the appliance's name, e.g. its host name
	Kind      Kind
	From, To  time.Time
	Generated time.Time
	// Location is the time zone times are shown in; nil is UTC.
	Location *time.Location
	Machines []Machine
	// Correlations are cross-sensor relations over the period; nil leaves the section out.
	Correlations []Correlation
}

// Machine is one machine's part of a report.
type Machine struct {
	ID, Name, Kind string
	// Threshold is the anomaly-score threshold of the machine's model (0: unknown); scores
	// are shown as multiples of it when it is known.
	Threshold float64
	Events    []Event
	// Trend is the anomaly score over the period, oldest first, from the store's rollups.
	Trend []TrendPoint
	// Resolution is the width of a trend bucket (1 min or 1 h).
	Resolution time.Duration
	Sensors    []SensorAvailability
	// Health is the machine's health indicator and remaining-useful-life estimate; nil
	// leaves the section out.
	Health *Health
}

// Event is one anomaly event that overlaps the period.
type Event struct {
	ID         int64
	Start, End time.Time // End zero: still open
	// Peak is the event's peak score as a multiple of its threshold.
	Peak           float64
	Acknowledged   bool
	AcknowledgedBy string
	Label          string // the operator's label, "" if none
	Diagnosis      *Diagnosis
}

// Duration is how long the event lasted within the report's period (up to to while open).
func (e Event) Duration(from, to time.Time) time.Duration {
	s, end := e.Start, e.End
	if end.IsZero() || end.After(to) {
		end = to
	}
	if s.Before(from) {
		s = from
	}
	return max(end.Sub(s), 0)
}

// Diagnosis is what a fault classifier said an event was.
type Diagnosis struct {
	Label      string  // a fault type, "normal" or "unknown"
	Confidence float64 // 0..1
	Model      string
}

// TrendPoint is one rollup bucket of a machine's anomaly score.
type TrendPoint struct {
	Time      time.Time // bucket start
	Windows   int64
	Mean, Max float64 // raw scores
	Anomalous int64   // windows judged anomalous
}

// SensorAvailability is the share of the period during which a sensor was ok.
type SensorAvailability struct {
	ID string
	// OK is the fraction of the period the sensor was in state "ok"; Observed the
	// fraction for which its state was known at all.
	OK, Observed float64
	// Worst is the state other than ok it spent the longest in ("" if none).
	Worst string
}

// Health is a machine's health indicator over days or weeks and its remaining useful life.
type Health struct {
	Indicator string // what the indicator is, e.g. "anomaly score level"
	Points    []HealthPoint
	// Alarm is the indicator's alarm level; 0 draws none.
	Alarm float64
	// RUL is the remaining-useful-life estimate; nil when there is none.
	RUL *RUL
}

// HealthPoint is one value of a health indicator.
type HealthPoint struct {
	Time  time.Time
	Value float64
}

// RUL is a remaining-useful-life estimate with its interval, shown as "about N h (a–b h)"
// only when Confident.
type RUL struct {
	Hours, Low, High float64
	Confident        bool
	Model            string // e.g. "exponential degradation, particle filter"
}

// Correlation is a lagged correlation between two signals of the appliance.
type Correlation struct {
	A, B   string // machine or sensor ids
	Signal string // what was correlated, e.g. "score" or "band 2-4 kHz"
	// Lag is how long B follows A at the best correlation.
	Lag         time.Duration
	Coefficient float64
	Note        string // e.g. "common cause", "attributed to pump-2"
}

// Validate reports whether d can be rendered.
func (d *Data) Validate() error {
	switch {
	case !d.Kind.Valid():
		return fmt.Errorf("report kind %q: %w", d.Kind, ErrInvalid)
	case d.From.IsZero() || !d.To.After(d.From):
		return fmt.Errorf("report period %s – %s: %w", d.From, d.To, ErrInvalid)
	}
	for _, m := range d.Machines {
		if m.ID == "" {
			return fmt.Errorf("report machine with empty id: %w", ErrInvalid)
		}
		for _, p := range m.Trend {
			if !finite(p.Mean) || !finite(p.Max) {
				return fmt.Errorf("report machine %q: trend at %s not finite: %w", m.ID, p.Time, ErrInvalid)
			}
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (d *Data) loc() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// StateChange is a sensor entering a state at a time (store.SensorEvent's shape).
type StateChange struct {
	State string
	Since time.Time
}

// StateOK is the state of a healthy sensor (core/sensor).
const StateOK = "ok"

// Availability computes a sensor's availability over [from, to) from its state changes,
// oldest first; changes before from set the state at from. Time before the first change is
// not observed.
func Availability(id string, changes []StateChange, from, to time.Time) SensorAvailability {
	a := SensorAvailability{ID: id}
	total := to.Sub(from)
	if total <= 0 {
		return a
	}
	var okDur, seen time.Duration
	other := map[string]time.Duration{}
	for i, c := range changes {
		start := c.Since
		end := to
		if i+1 < len(changes) {
			end = changes[i+1].Since
		}
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if !end.After(start) {
			continue
		}
		d := end.Sub(start)
		seen += d
		if c.State == StateOK {
			okDur += d
		} else {
			other[c.State] += d
		}
	}
	a.OK = float64(okDur) / float64(total)
	a.Observed = float64(seen) / float64(total)
	var worst time.Duration
	for s, d := range other {
		if d > worst || (d == worst && s < a.Worst) {
			a.Worst, worst = s, d
		}
	}
	return a
}
