package health

import (
	"math"
	"time"
)

// Record is the indicators of one record and its time. Score is the machine's anomaly score
// over the record when HasScore is set (a detector's score; absent for raw vibration files).
type Record struct {
	Time time.Time
	Indicators
	Score    float64
	HasScore bool
}

// Point pools the records of one interval of a health series.
type Point struct {
	Start    time.Time // start of the interval (time truncated to the interval)
	Time     time.Time // time of the interval's last record
	N        int       // records pooled
	RMS      float64   // root of the mean squared RMS (energy average)
	Kurtosis float64   // mean kurtosis
	Peak     float64   // largest peak
	Envelope float64   // mean envelope energy at the defect frequencies
	Score    float64   // mean anomaly score of the records that have one
	Scored   int       // records with a score
}

// Aggregator pools records into points of a fixed interval, in time order.
type Aggregator struct {
	Every time.Duration
	cur   Point
	ms    float64 // Σ RMS² of the current point
}

// Add pools r and returns the previous point when r starts a new interval. Records must come
// in time order; one older than the current interval is pooled into it.
func (a *Aggregator) Add(r Record) (Point, bool) {
	start := r.Time.Truncate(a.Every)
	var done Point
	emitted := false
	if a.cur.N > 0 && start.After(a.cur.Start) {
		done, emitted = a.finish(), true
	}
	if a.cur.N == 0 {
		a.cur = Point{Start: start}
		a.ms = 0
	}
	p := &a.cur
	p.N++
	p.Time = r.Time
	a.ms += r.RMS * r.RMS
	p.Kurtosis += r.Kurtosis
	p.Peak = max(p.Peak, r.Peak)
	p.Envelope += r.Envelope
	if r.HasScore {
		p.Score += r.Score
		p.Scored++
	}
	return done, emitted
}

// Flush returns the current, unfinished point, if any, and starts afresh.
func (a *Aggregator) Flush() (Point, bool) {
	if a.cur.N == 0 {
		return Point{}, false
	}
	return a.finish(), true
}

func (a *Aggregator) finish() Point {
	p := a.cur
	n := float64(p.N)
	p.RMS = math.Sqrt(a.ms / n)
	p.Kurtosis /= n
	p.Envelope /= n
	if p.Scored > 0 {
		p.Score /= float64(p.Scored)
	}
	a.cur, a.ms = Point{}, 0
	return p
}

// Aggregate pools time-ordered records into points of the interval every.
func Aggregate(recs []Record, every time.Duration) []Point {
	a := Aggregator{Every: every}
	var out []Point
	for _, r := range recs {
		if p, ok := a.Add(r); ok {
			out = append(out, p)
		}
	}
	if p, ok := a.Flush(); ok {
		out = append(out, p)
	}
	return out
}

// Smooth returns the exponentially weighted moving average of ln(level) mapped back to the
// level (a geometric EWMA, so one loud point does not dominate), with weight alpha in (0, 1]
// on the newest value. Non-positive levels carry the previous smoothed value.
func Smooth(levels []float64, alpha float64) []float64 {
	out := make([]float64, len(levels))
	var s float64
	started := false
	for i, v := range levels {
		if v > 0 {
			l := math.Log(v)
			if !started {
				s, started = l, true
			} else {
				s += alpha * (l - s)
			}
		}
		if started {
			out[i] = math.Exp(s)
		}
	}
	return out
}
