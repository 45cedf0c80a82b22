// Package reports makes the appliance's reports: it fills a core/report Data from the
// store for a period (Build), renders it to PDF and a CSV zip under data_dir/reports in a
// "report" job on the durable job queue, mails it as attachments to the configured
// receivers, and queues the daily and weekly reports on their schedule (Service).
package reports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"signalcraft/appliance/healthview"
	"signalcraft/core/health"
	"signalcraft/core/report"
	"signalcraft/core/store"
)

// Period is what a report covers.
type Period struct {
	Kind     report.Kind
	From, To time.Time
	// Machines are the machine ids in the order shown; empty: every machine in the store.
	Machines []string
	Location *time.Location
}

// Build fills a report's Data for p from db: per machine its events overlapping the
// period (oldest first, peaks as multiples of their thresholds), its anomaly-score trend
// from the 1-minute rollups for periods up to two days and the 1-hour rollups beyond, and
// each sensor's availability from its state history. The optional sections (health, RUL,
// correlations) are left nil for the packages that compute them.
func Build(ctx context.Context, db *store.DB, appliance string, p Period, now time.Time) (*report.Data, error) {
	d := &report.Data{Appliance: appliance, Kind: p.Kind, From: p.From, To: p.To, Generated: now, Location: p.Location}
	ids := p.Machines
	if len(ids) == 0 {
		ms, err := db.Machines(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
	}
	res := store.Res1h
	if p.To.Sub(p.From) <= 48*time.Hour {
		res = store.Res1m
	}
	for _, id := range ids {
		m, err := buildMachine(ctx, db, id, p, res)
		if err != nil {
			return nil, err
		}
		d.Machines = append(d.Machines, m)
	}
	return d, nil
}

func buildMachine(ctx context.Context, db *store.DB, id string, p Period, res store.Resolution) (report.Machine, error) {
	sm, err := db.Machine(ctx, id)
	if err != nil {
		return report.Machine{}, err
	}
	m := report.Machine{ID: sm.ID, Name: sm.Name, Kind: sm.Kind, Resolution: res.Duration()}
	switch model, err := db.ActiveModel(ctx, id); {
	case err == nil:
		m.Threshold = model.Threshold
	case !errors.Is(err, store.ErrNotFound):
		return m, err
	}
	events, err := db.Events(ctx, store.EventFilter{MachineID: id, Kind: store.EventAnomaly, From: p.From, To: p.To})
	if err != nil {
		return m, err
	}
	slices.Reverse(events) // oldest first
	for _, e := range events {
		if !e.End.IsZero() && !e.End.After(p.From) {
			continue
		}
		re := report.Event{ID: e.ID, Start: e.Start, End: e.End, Acknowledged: e.AcknowledgedBy != "",
			AcknowledgedBy: e.AcknowledgedBy, Label: e.Label}
		if e.Threshold > 0 {
			re.Peak = e.PeakScore / e.Threshold
		}
		if dg := e.Diagnosis; dg != nil {
			re.Diagnosis = &report.Diagnosis{Label: dg.Label, Confidence: dg.Confidence, Model: dg.Model}
		}
		m.Events = append(m.Events, re)
	}
	rollups, err := db.Rollups(ctx, id, res, p.From, p.To)
	if err != nil {
		return m, err
	}
	for _, r := range rollups {
		m.Trend = append(m.Trend, report.TrendPoint{Time: r.BucketStart, Windows: r.N, Mean: r.MeanScore, Max: r.MaxScore,
			Anomalous: r.AnomalousWindows})
	}
	if m.Health, err = buildHealth(ctx, db, id, p); err != nil {
		return m, err
	}
	sensors, err := db.Sensors(ctx, id)
	if err != nil {
		return m, err
	}
	for _, s := range sensors {
		hist, err := db.SensorStates(ctx, s.ID, time.Time{})
		if err != nil {
			return m, err
		}
		changes := make([]report.StateChange, len(hist))
		for i, h := range hist {
			changes[i] = report.StateChange{State: h.State, Since: h.Since}
		}
		m.Sensors = append(m.Sensors, report.Availability(s.ID, changes, p.From, p.To))
	}
	return m, nil
}

// maxHealthHours bounds the health record replayed for a report: two years of hours.
const maxHealthHours = 2 * 366 * 24

// buildHealth is the machine's health section: the level's trend over the period (the hourly
// record's smoothed RMS) and the remaining-useful-life estimate from its whole record, as the
// API's health route computes them (appliance/healthview); nil without a record in the period.
func buildHealth(ctx context.Context, db *store.DB, id string, p Period) (*report.Health, error) {
	recs, err := db.HealthRecords(ctx, id, time.Time{}, p.To, maxHealthHours)
	if err != nil {
		return nil, err
	}
	h := healthview.Build(id, recs, health.DefaultConfig())
	out := &report.Health{Indicator: "RMS", Alarm: h.FailureLevel}
	for _, pt := range h.Points {
		if !pt.Hour.Before(p.From) && pt.Hour.Before(p.To) {
			out.Points = append(out.Points, report.HealthPoint{Time: pt.Hour, Value: pt.Smoothed})
		}
	}
	if len(out.Points) == 0 {
		return nil, nil
	}
	if r := h.RUL; r != nil {
		out.RUL = &report.RUL{Hours: r.Hours, Low: r.LowHours, High: math.Inf(1), Confident: r.Confident,
			Model: "Gebraeel exponential degradation, Bayesian update"}
		if r.HighHours != nil {
			out.RUL.High = *r.HighHours
		}
	}
	return out, nil
}

// Due returns the latest period of a schedule that ended at or before now: the day before
// today's (or yesterday's) time of day at, or the week before the latest weekday wd at that
// time, in loc.
func Due(kind report.Kind, wd time.Weekday, h, m int, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	n := now.In(loc)
	to = time.Date(n.Year(), n.Month(), n.Day(), h, m, 0, 0, loc)
	switch kind {
	case report.KindDaily:
		if to.After(n) {
			to = to.AddDate(0, 0, -1)
		}
		return to.AddDate(0, 0, -1), to, nil
	case report.KindWeekly:
		back := (int(n.Weekday()) - int(wd) + 7) % 7
		to = to.AddDate(0, 0, -back)
		if to.After(n) {
			to = to.AddDate(0, 0, -7)
		}
		return to.AddDate(0, 0, -7), to, nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("reports: no schedule for kind %q", kind)
}
