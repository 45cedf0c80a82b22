// Package healthview turns a machine's stored hourly health records into what the clients
// and reports show: the points, the degradation alarm and the remaining-useful-life estimate,
// replayed through core/health's monitor. The API's health route and the reports share it.
package healthview

import (
	"errors"

	wire "signalcraft/core/api"
	"signalcraft/core/health"
	"signalcraft/core/store"
)

// TrendAlpha weighs the newest hour in the display trend: an EWMA spanning about a day.
const TrendAlpha = 2.0 / (24 + 1)

// Build replays a machine's hourly health records (oldest first) through a
// health.Monitor: the baseline, the degradation alarm and the RUL estimate at the latest
// window come from the whole record.
func Build(machineID string, recs []store.HealthRecord, cfg health.Config) wire.MachineHealth {
	out := wire.MachineHealth{MachineID: machineID, State: wire.HealthLearning, Points: []wire.HealthPoint{}}
	mon, err := health.NewMonitor(cfg)
	if err != nil { // a bad configuration is a programming error here: say so, serve the record
		out.RULNote = err.Error()
	}
	levels := make([]float64, len(recs))
	for i, r := range recs {
		levels[i] = r.RMS()
	}
	trend := health.Smooth(levels, TrendAlpha)
	for i, r := range recs {
		p := wire.HealthPoint{Hour: r.Hour, Windows: r.Windows, RMS: levels[i], Smoothed: trend[i], Kurtosis: r.Kurtosis(), Peak: r.Peak}
		if e, ok := r.Envelope(); ok {
			p.Envelope = &e
		}
		if sc, ok := r.Score(); ok {
			p.Score = &sc
		}
		out.Points = append(out.Points, p)
		if mon != nil {
			mon.Add(r.Last, levels[i])
		}
	}
	if mon == nil {
		return out
	}
	st := mon.State()
	if st.Learned {
		out.State, out.Baseline, out.FailureLevel = wire.HealthHealthy, st.Baseline.Level, st.FailureLevel
	}
	if st.Alarmed {
		alarm, onset := st.Alarm, st.Onset
		out.State, out.Alarm, out.Onset = wire.HealthDegrading, &alarm, &onset
	}
	if len(recs) == 0 {
		out.RULNote = "no health record yet"
		return out
	}
	at := recs[len(recs)-1].Last
	e, err := mon.Estimate(at)
	switch {
	case errors.Is(err, health.ErrLearning):
		out.RULNote = "learning the healthy baseline"
	case errors.Is(err, health.ErrHealthy):
		out.RULNote = "no degradation detected"
	case err != nil:
		out.RULNote = err.Error()
	default:
		rul, lo, hi := e.Hours()
		out.RUL = &wire.RUL{At: at, Hours: rul, LowHours: lo, Confident: e.Confident, Text: e.String()}
		if !e.Unbounded {
			out.RUL.HighHours = &hi
		}
	}
	return out
}
