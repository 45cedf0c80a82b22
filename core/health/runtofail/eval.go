package runtofail

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"signalcraft/core/health"
)

// Series is a run-to-failure health series: points from the start of the test to its end of
// life (End), the time the bearing was declared failed.
type Series struct {
	Name, File string
	Start, End time.Time
	Every      time.Duration // the points' interval
	Points     []health.Point
}

// Life is the series' length from start to end of life.
func (s Series) Life() time.Duration { return s.End.Sub(s.Start) }

// FEMTOAggregate is the interval FEMTO's 10-s records are pooled into: 6 records a point.
const FEMTOAggregate = time.Minute

// LoadFEMTO reads a PRONOSTIA tar.gz into one-minute points of the indicators of both
// accelerometers ([health.Combine]), with the envelope energy at the bearing's defect
// frequencies at 1800 rpm. Record NNNNN is taken at NNNNN × 10 s from the start; the end of
// life is the last record (the test stops when the vibration exceeds 20 g).
func LoadFEMTO(file string) (Series, error) {
	d := &health.Defects{ShaftHz: FEMTOShaftHz1, Orders: FEMTOOrders()}
	epoch := time.Unix(0, 0).UTC()
	var recs []health.Record
	err := ReadFEMTO(file, func(idx int, h, v []float64) error {
		in := health.Combine(health.Measure(h, FEMTORate, d), health.Measure(v, FEMTORate, d))
		recs = append(recs, health.Record{Time: epoch.Add(time.Duration(idx) * FEMTOEvery), Indicators: in})
		return nil
	})
	if err != nil {
		return Series{}, err
	}
	if len(recs) == 0 {
		return Series{}, fmt.Errorf("%s: no acc_*.csv records", file)
	}
	slices.SortFunc(recs, func(a, b health.Record) int { return a.Time.Compare(b.Time) })
	return Series{Name: "FEMTO Bearing1_1", File: file, Start: epoch, End: recs[len(recs)-1].Time,
		Every: FEMTOAggregate, Points: health.Aggregate(recs, FEMTOAggregate)}, nil
}

// LoadIMS reads bearing 1 of the IMS 2nd test's averaged CSV: one point per 10-min row, its
// level the mean absolute acceleration. The end of life is the last row before the rig
// stopped (trailing rows below a tenth of the series' median).
func LoadIMS(file string) (Series, error) {
	col, err := ReadIMS(file, "Bearing 1")
	if err != nil {
		return Series{}, err
	}
	med := slices.Clone(col.Values)
	slices.Sort(med)
	floor := med[len(med)/2] / 10
	end := len(col.Values) - 1
	for end > 0 && col.Values[end] < floor {
		end--
	}
	s := Series{Name: "IMS 2nd test, bearing 1", File: file, Start: col.Times[0], End: col.Times[end],
		Every: 10 * time.Minute}
	for i, t := range col.Times {
		s.Points = append(s.Points, health.Point{Start: t, Time: t, N: 1, RMS: col.Values[i]})
	}
	return s, nil
}

// DefaultCheckpoints are the fractions of life at which RUL is estimated: 60 % to 96 % in
// steps of 4 %, the span of the PHM 2012 test bearings' truncation points (their actual RUL
// was 3 % to 39 % of their life; PDF tables 3 and A.5).
func DefaultCheckpoints() []float64 {
	c := make([]float64, 10)
	for i := range c {
		c[i] = 0.60 + 0.04*float64(i)
	}
	return c
}

// Checkpoint is one RUL estimate against the truth.
type Checkpoint struct {
	Fraction    float64 `json:"fraction"`     // of life
	Hours       float64 `json:"hours"`        // since the start
	ActualHours float64 `json:"actual_hours"` // actual RUL
	// Estimated is false when the model had no estimate (no alarm yet, too few points):
	// the checkpoint then scores 0.
	Estimated    bool    `json:"estimated"`
	Reason       string  `json:"reason,omitempty"`
	RULHours     float64 `json:"rul_hours"`
	LowHours     float64 `json:"low_hours"`
	HighHours    float64 `json:"high_hours"` // 0 when unbounded
	Unbounded    bool    `json:"unbounded,omitempty"`
	Confident    bool    `json:"confident"`
	PercentError float64 `json:"percent_error"`
	Accuracy     float64 `json:"accuracy"` // PHM 2012 score of this estimate
	Text         string  `json:"text"`     // as a client would show it
}

// Result is the evaluation of one series.
type Result struct {
	Name          string       `json:"name"`
	File          string       `json:"file"`
	Points        int          `json:"points"`
	PointSeconds  float64      `json:"point_seconds"`
	LifeHours     float64      `json:"life_hours"`
	BaselineLevel float64      `json:"baseline_level"`
	FailureLevel  float64      `json:"failure_level"`
	Alarmed       bool         `json:"alarmed"`
	AlarmHours    float64      `json:"alarm_hours"` // since the start
	OnsetHours    float64      `json:"onset_hours"` // the CUSUM's change-point estimate
	LeadHours     float64      `json:"lead_hours"`  // end of life − alarm
	LeadFraction  float64      `json:"lead_fraction"`
	Checkpoints   []Checkpoint `json:"checkpoints"`
	Score         float64      `json:"score"` // mean accuracy over all checkpoints (missing ones 0)
	// MeanAbsPercentError is over the checkpoints with an estimate.
	MeanAbsPercentError float64 `json:"mean_abs_percent_error"`
	Confident           int     `json:"confident"`
}

// Evaluate replays s through a [health.Monitor] point by point and estimates the RUL at each
// checkpoint (a fraction of life) from the points up to it: nothing after a checkpoint is seen
// before its estimate.
func Evaluate(s Series, cfg health.Config, checkpoints []float64) (Result, error) {
	m, err := health.NewMonitor(cfg)
	if err != nil {
		return Result{}, err
	}
	life := s.Life()
	r := Result{Name: s.Name, File: s.File, Points: len(s.Points), PointSeconds: s.Every.Seconds(), LifeHours: life.Hours()}
	cps := slices.Clone(checkpoints)
	slices.Sort(cps)
	next := 0
	estimate := func(at time.Time, frac float64) {
		c := Checkpoint{Fraction: frac, Hours: at.Sub(s.Start).Hours(), ActualHours: s.End.Sub(at).Hours()}
		e, err := m.Estimate(at)
		if err != nil {
			c.Reason = err.Error()
		} else {
			c.Estimated, c.Confident, c.Unbounded = true, e.Confident, e.Unbounded
			c.RULHours, c.LowHours, c.HighHours = e.Hours()
			c.PercentError = health.PercentError(c.ActualHours, c.RULHours)
			c.Accuracy = health.Accuracy(c.PercentError)
			c.Text = e.String()
		}
		r.Checkpoints = append(r.Checkpoints, c)
	}
	for _, p := range s.Points {
		if p.Time.After(s.End) {
			break
		}
		for next < len(cps) && p.Time.After(s.Start.Add(time.Duration(cps[next]*float64(life)))) {
			estimate(s.Start.Add(time.Duration(cps[next]*float64(life))), cps[next])
			next++
		}
		m.Add(p.Time, p.RMS)
	}
	for ; next < len(cps); next++ {
		estimate(s.Start.Add(time.Duration(cps[next]*float64(life))), cps[next])
	}
	st := m.State()
	if !st.Learned {
		return r, fmt.Errorf("%s: %w: fewer than %d points to learn the baseline", s.Name, health.ErrNoData, cfg.BaselinePoints)
	}
	r.BaselineLevel, r.FailureLevel, r.Alarmed = st.Baseline.Level, st.FailureLevel, st.Alarmed
	if st.Alarmed {
		r.AlarmHours = st.Alarm.Sub(s.Start).Hours()
		r.OnsetHours = st.Onset.Sub(s.Start).Hours()
		r.LeadHours = s.End.Sub(st.Alarm).Hours()
		r.LeadFraction = r.LeadHours / r.LifeHours
	}
	var errs []float64
	var sumAbs float64
	var n int
	for _, c := range r.Checkpoints {
		if c.Estimated {
			errs = append(errs, c.PercentError)
			sumAbs += math.Abs(c.PercentError)
			n++
			if c.Confident {
				r.Confident++
			}
		}
	}
	// Checkpoints without an estimate count as 0 in the mean.
	r.Score = health.Score(errs) * float64(len(errs)) / float64(max(1, len(r.Checkpoints)))
	if n > 0 {
		r.MeanAbsPercentError = sumAbs / float64(n)
	}
	return r, nil
}

// Report is the evaluation of several series with one configuration.
type Report struct {
	Config  health.Config `json:"config"`
	Results []Result      `json:"results"`
	// Score is the mean of the results' scores.
	Score float64 `json:"score"`
}

// NewReport collects results.
func NewReport(cfg health.Config, results ...Result) Report {
	r := Report{Config: cfg, Results: results}
	for _, x := range results {
		r.Score += x.Score / float64(len(results))
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as tables.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, x := range r.Results {
		fmt.Fprintf(w, "%s (%s)\n", x.Name, x.File)
		fmt.Fprintf(w, "  life %.2f h, %d points of %gs; baseline level %.4g, failure level %.4g\n",
			x.LifeHours, x.Points, x.PointSeconds, x.BaselineLevel, x.FailureLevel)
		if x.Alarmed {
			fmt.Fprintf(w, "  alarm (degradation started) at %.2f h (onset estimate %.2f h): %.2f h before end of life (%.0f %% of life)\n",
				x.AlarmHours, x.OnsetHours, x.LeadHours, 100*x.LeadFraction)
		} else {
			fmt.Fprintln(w, "  no alarm before end of life")
		}
		fmt.Fprintln(tw, "  life\tt (h)\tactual RUL (h)\testimate (h)\t5–95 pct (h)\tEr (pct)\tscore\tconfident\t")
		for _, c := range x.Checkpoints {
			if !c.Estimated {
				fmt.Fprintf(tw, "  %.0f %%\t%.2f\t%.2f\t—\t—\t—\t0\t%s\t\n", 100*c.Fraction, c.Hours, c.ActualHours, c.Reason)
				continue
			}
			hi := fmt.Sprintf("%.2f", c.HighHours)
			if c.Unbounded {
				hi = "∞"
			}
			fmt.Fprintf(tw, "  %.0f %%\t%.2f\t%.2f\t%.2f\t%.2f–%s\t%.1f\t%.3f\t%v\t\n", 100*c.Fraction, c.Hours, c.ActualHours,
				c.RULHours, c.LowHours, hi, c.PercentError, c.Accuracy, c.Confident)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "  PHM 2012 score %.3f; mean |%%Er| %.1f %%; %d of %d estimates confident\n\n",
			x.Score, x.MeanAbsPercentError, x.Confident, len(x.Checkpoints))
	}
	_, err := fmt.Fprintf(w, "mean PHM 2012 score over %d series: %.3f\n", len(r.Results), r.Score)
	return err
}
