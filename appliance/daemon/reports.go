package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"signalcraft/appliance/reports"
	wire "signalcraft/core/api"
	"signalcraft/core/notify"
	"signalcraft/core/report"
)

// setupReports registers the report jobs on the job queue (which the alerting owns) and
// prepares the daily and weekly schedule (config reports). New calls it after the alerting.
func (m *Main) setupReports() error {
	rc := m.cfg.Reports
	loc, err := rc.Location()
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	var mail []reports.NamedMail
	for _, name := range rc.Email {
		for _, r := range m.cfg.Receivers {
			if r.Name != name {
				continue
			}
			srv, err := notify.ParseMailURL(r)
			if err != nil {
				return fmt.Errorf("reports.email: %w", err)
			}
			mail = append(mail, reports.NamedMail{Receiver: name, Server: srv})
		}
	}
	appliance := m.cfg.Name
	if appliance == "" {
		if appliance, err = os.Hostname(); err != nil || appliance == "" {
			appliance = "signalcraft"
		}
	}
	o := reports.Options{DB: m.db, Queue: m.alerts.queue, Dir: filepath.Join(m.cfg.DataDir, "reports"), Appliance: appliance,
		Machines: m.machineIDs, Language: m.cfg.ReportLanguage(), Location: loc, Mail: mail, Font: rc.Font,
		Wrap: m.o.Metrics.JobHandler, Logger: m.log.With("component", "reports"), Now: m.o.Now,
		Correlations: m.reportCorrelations}
	if h, mi, ok := rc.DailyAt(); ok {
		o.Daily = &reports.Schedule{Hour: h, Minute: mi}
	}
	if d, h, mi, ok := rc.WeeklyAt(); ok {
		o.Weekly = &reports.Schedule{Weekday: d, Hour: h, Minute: mi}
	}
	if m.reports, err = reports.New(o); err != nil {
		return err
	}
	return nil
}

// machineIDs returns the configured machines' ids in configuration order.
func (m *Main) machineIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, len(m.cfg.Machines))
	for i, mc := range m.cfg.Machines {
		ids[i] = mc.ID
	}
	return ids
}

// runReports queues the scheduled reports until ctx ends.
func (m *Main) runReports(ctx context.Context) {
	if m.reports != nil {
		m.reports.Run(ctx)
	}
}

// reportCorrelations are the cross-sensor correlation's strongest pairs for a report, with
// the live episodes' verdicts as their notes; nil when the correlation is off.
func (m *Main) reportCorrelations() []report.Correlation {
	c := m.Correlations(10)
	if !c.Enabled {
		return nil
	}
	var out []report.Correlation
	for _, p := range c.Pairs {
		rc := report.Correlation{A: p.MachineA, B: p.MachineB, Signal: p.Signal,
			Lag: time.Duration(p.LagMS) * time.Millisecond, Coefficient: p.Coefficient}
		for _, e := range c.Episodes {
			in := slices.Contains(e.Machines, p.MachineA) && slices.Contains(e.Machines, p.MachineB)
			switch {
			case in && e.Kind == wire.CorrelationCommon:
				rc.Note = "common cause"
			case in && e.Source != "":
				rc.Note = "attributed to " + e.Source
			}
		}
		out = append(out, rc)
	}
	return out
}
