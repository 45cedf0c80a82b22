package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"signalcraft/appliance/reports"
	"signalcraft/core/notify"
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
	appliance, err := os.Hostname()
	if err != nil || appliance == "" {
		appliance = "signalcraft"
	}
	o := reports.Options{DB: m.db, Queue: m.alerts.queue, Dir: filepath.Join(m.cfg.DataDir, "reports"), Appliance: appliance,
		Machines: m.machineIDs, Language: m.cfg.ReportLanguage(), Location: loc, Mail: mail, Font: rc.Font,
		Wrap: m.o.Metrics.JobHandler, Logger: m.log.With("component", "reports"), Now: m.o.Now}
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
