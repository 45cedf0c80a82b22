package screens

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// ReportAppliance is what the reports dialog needs of the appliance; *api.Client has it.
// An Appliance without it has no reports (the dialog says so).
type ReportAppliance interface {
	Reports(ctx context.Context, limit int) ([]api.Report, error)
	RequestReport(ctx context.Context, r api.ReportRequest) (api.Report, error)
	DownloadReport(ctx context.Context, id int64, format string, w io.Writer) (int64, error)
}

// ReportPoll is how often the reports dialog reloads the list while a report is queued.
const ReportPoll = time.Second

// reportsLimit is how many reports the dialog lists.
const reportsLimit = 30

var errNoReports = errors.New("this appliance has no reports")

// reportsDialog lists the appliance's reports with Save buttons for the finished ones;
// operators request a report on the last 24 hours of every machine in the UI's language.
type reportsDialog struct {
	u       *UI
	d       dialog.Dialog
	rows    *fyne.Container
	status  *widget.Label
	request *widget.Button
	list    []api.Report
	open    bool
	poll    time.Duration // 0: no automatic reload (tests)
	timer   *time.Timer
}

// ShowReports opens the reports dialog.
func (u *UI) ShowReports() { u.showReports() }

func (u *UI) showReports() *reportsDialog {
	r := &reportsDialog{u: u, rows: container.NewVBox(), status: widget.NewLabel(""), poll: ReportPoll, open: true}
	r.status.Wrapping = fyne.TextWrapWord
	r.request = widget.NewButtonWithIcon(u.T("reports.request"), fynetheme.DocumentCreateIcon(), r.requestReport)
	if !u.canOperate() {
		r.request.Disable()
	}
	top := container.NewBorder(nil, nil, nil, r.request, widget.NewLabel(u.T("reports.hint")))
	body := container.NewBorder(top, r.status, nil, nil, container.NewVScroll(r.rows))
	r.d = dialog.NewCustom(u.T("reports.title"), u.T("reports.close"), body, u.win)
	r.d.SetOnClosed(func() {
		r.open = false
		if r.timer != nil {
			r.timer.Stop()
		}
	})
	r.d.Resize(fyne.NewSize(760, 420))
	r.d.Show()
	r.reload()
	return r
}

func (r *reportsDialog) appliance(a Appliance) (ReportAppliance, error) {
	ra, ok := a.(ReportAppliance)
	if !ok {
		return nil, errNoReports
	}
	return ra, nil
}

// reload reads the list again and, while a report is queued, plans the next reload.
func (r *reportsDialog) reload() {
	var list []api.Report
	r.u.call(func(ctx context.Context, a Appliance) error {
		ra, err := r.appliance(a)
		if err != nil {
			return err
		}
		list, err = ra.Reports(ctx, reportsLimit)
		return err
	}, func(err error) {
		if err != nil {
			r.status.SetText(r.u.errorText(err))
			return
		}
		r.list = list
		r.show()
		queued := false
		for _, rep := range list {
			queued = queued || rep.State == api.ReportQueued
		}
		if queued && r.open && r.poll > 0 {
			r.timer = time.AfterFunc(r.poll, func() { fyne.Do(r.reload) })
		}
	})
}

func (r *reportsDialog) requestReport() {
	u := r.u
	var rep api.Report
	u.call(func(ctx context.Context, a Appliance) error {
		ra, err := r.appliance(a)
		if err != nil {
			return err
		}
		rep, err = ra.RequestReport(ctx, api.ReportRequest{Lang: string(u.Lang())})
		return err
	}, func(err error) {
		if err != nil {
			r.status.SetText(u.errorText(err))
			return
		}
		r.status.SetText(u.T("reports.requested", rep.ID))
		r.reload()
	})
}

// line is a report's description: number, kind, language, period and state.
func (r *reportsDialog) line(rep api.Report) string {
	loc := r.u.opt.Location
	scope := r.u.T("reports.all")
	if rep.Machine != "" {
		scope = rep.Machine
	}
	state := r.u.T("reports.state." + rep.State)
	if rep.State == api.ReportFailed && rep.Error != "" {
		state += ": " + rep.Error
	}
	return fmt.Sprintf("#%d · %s · %s · %s · %s – %s · %s", rep.ID, r.u.T("reports.kind."+rep.Kind), strings.ToUpper(rep.Lang), scope,
		rep.From.In(loc).Format("01-02 15:04"), rep.To.In(loc).Format("01-02 15:04"), state)
}

func (r *reportsDialog) show() {
	r.rows.Objects = nil
	if len(r.list) == 0 {
		r.rows.Add(widget.NewLabel(r.u.T("reports.none")))
	}
	for _, rep := range r.list {
		var saves []fyne.CanvasObject
		if rep.State == api.ReportDone {
			for _, f := range []struct{ format, key string }{{api.ReportPDF, "reports.savepdf"}, {api.ReportCSV, "reports.savecsv"}} {
				saves = append(saves, widget.NewButtonWithIcon(r.u.T(f.key), fynetheme.DocumentSaveIcon(), func() { r.askSave(rep, f.format) }))
			}
		}
		r.rows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(saves...), widget.NewLabel(r.line(rep))))
	}
	r.rows.Refresh()
}

// fileName is the name the save dialog proposes.
func fileName(rep api.Report, format string) string {
	ext := ".pdf"
	if format == api.ReportCSV {
		ext = ".zip"
	}
	return fmt.Sprintf("signalcraft-report-%d-%s%s", rep.ID, rep.Lang, ext)
}

// askSave asks where to save a report's file and saves it there.
func (r *reportsDialog) askSave(rep api.Report, format string) {
	fd := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return // cancelled
		}
		r.save(rep, format, wc, wc.URI().Name())
	}, r.u.win)
	fd.SetFileName(fileName(rep, format))
	fd.Show()
}

// save downloads a report's file into w (closed afterwards) and says so.
func (r *reportsDialog) save(rep api.Report, format string, w io.WriteCloser, name string) {
	var n int64
	r.status.SetText(r.u.T("reports.saving", name))
	r.u.call(func(ctx context.Context, a Appliance) error {
		ra, err := r.appliance(a)
		if err != nil {
			w.Close()
			return err
		}
		n, err = ra.DownloadReport(ctx, rep.ID, format, w)
		return errors.Join(err, w.Close())
	}, func(err error) {
		if err != nil {
			r.status.SetText(r.u.errorText(err))
			return
		}
		r.status.SetText(r.u.T("reports.saved", name, n))
	})
}
