package detail

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/i18n"
)

// The report key asks the appliance for a report on the machine shown (the 24 hours
// before now, in the appliance's report language), follows the report job every
// ReportPoll and saves the PDF and the CSV zip into ReportDir.

// ReportClient is what the report key needs from the appliance; *api.Client has it.
type ReportClient interface {
	RequestReport(ctx context.Context, r api.ReportRequest) (api.Report, error)
	Report(ctx context.Context, id int64) (api.Report, error)
	DownloadReport(ctx context.Context, id int64, format string, w io.Writer) (int64, error)
}

// ReportPoll is how often a requested report is asked after.
const ReportPoll = time.Second

// ReportMsg carries a requested report's record, or the files it was saved to.
type ReportMsg struct {
	Report api.Report
	Saved  []string // paths of the PDF and the zip, once saved
	Err    error
}

// ReportPollMsg asks for a report's state again.
type ReportPollMsg struct{ ID int64 }

// reportState is the page's report in progress (or its outcome).
type reportState struct {
	active  bool
	machine string
	rep     api.Report
	started time.Time
	saved   []string
	err     error
}

// requestReport asks for the report of machine.
func (m Model) requestReport(machine string) tea.Cmd {
	c := m.client
	// A Korean screen asks for a Korean report; otherwise the appliance's default language.
	lang := ""
	if m.tr.Korean() {
		lang = string(i18n.Korean)
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		r, err := c.RequestReport(ctx, api.ReportRequest{Machine: machine, Lang: lang})
		return ReportMsg{Report: r, Err: err}
	}
}

func (m Model) pollReport(id int64) tea.Cmd {
	c := m.client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		r, err := c.Report(ctx, id)
		return ReportMsg{Report: r, Err: err}
	}
}

// saveReport downloads both files of a done report into dir.
func (m Model) saveReport(r api.Report, dir string) tea.Cmd {
	c := m.client
	return func() tea.Msg {
		var saved []string
		for _, f := range []struct{ format, ext string }{{api.ReportPDF, ".pdf"}, {api.ReportCSV, ".zip"}} {
			path := filepath.Join(dir, fmt.Sprintf("signalcraft-report-%d-%s%s", r.ID, r.Lang, f.ext))
			if err := download(c, r.ID, f.format, path); err != nil {
				return ReportMsg{Report: r, Saved: saved, Err: err}
			}
			saved = append(saved, path)
		}
		return ReportMsg{Report: r, Saved: saved}
	}
}

func download(c ReportClient, id int64, format, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := c.DownloadReport(ctx, id, format, f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// updateReport handles the report key's messages.
func (m Model) updateReport(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ReportPollMsg:
		if !m.report.active || msg.ID != m.report.rep.ID {
			return m, nil
		}
		return m, m.pollReport(msg.ID)
	case ReportMsg:
		if !m.report.active {
			return m, nil
		}
		if msg.Err != nil {
			m.report.active, m.report.err = false, msg.Err
			return m, nil
		}
		m.report.rep = msg.Report
		switch {
		case msg.Saved != nil:
			m.report.active, m.report.saved = false, msg.Saved
			return m, nil
		case msg.Report.State == api.ReportDone:
			return m, m.saveReport(msg.Report, m.ReportDir)
		case msg.Report.State == api.ReportFailed:
			m.report.active, m.report.err = false, fmt.Errorf("report %d failed: %s", msg.Report.ID, msg.Report.Error)
			return m, nil
		}
		id := msg.Report.ID
		return m, tea.Tick(ReportPoll, func(time.Time) tea.Msg { return ReportPollMsg{ID: id} })
	}
	return m, nil
}

// startReport handles the report key.
func (m Model) startReport() (Model, tea.Cmd) {
	if !m.fleet.Can(api.RoleOperator) {
		m.report = reportState{err: fmt.Errorf("%s", m.tr.NeedRole(api.RoleOperator, "what.report", m.fleet.Me.Role))}
		return m, nil
	}
	if m.report.active {
		return m, nil
	}
	id := m.Machine()
	m.report = reportState{active: true, machine: id, started: m.fleet.Now()}
	return m, m.requestReport(id)
}

// reportLine is the report's progress under the machine's title; "" when there is none.
func (m Model) reportLine() string {
	r := m.report
	switch {
	case r.err != nil:
		return m.st.Error.Render(m.tr.T("report.err", r.err.Error()))
	case r.saved != nil:
		return m.st.OK.Render(m.tr.T("report.saved", r.rep.ID, strings.Join(r.saved, ", ")))
	case r.active && r.rep.ID == 0:
		return m.st.Info.Render(m.tr.T("report.requesting"))
	case r.active && r.rep.State == api.ReportDone:
		return m.st.Info.Render(m.tr.T("report.downloading", r.rep.ID))
	case r.active:
		return m.st.Info.Render(m.tr.T("report.rendering", r.rep.ID, r.rep.State, m.tr.Span(m.fleet.Now().Sub(r.started))))
	}
	return ""
}
