package screens

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// notifyState is what the client knows of the receivers and the job queue.
type notifyState struct {
	loaded    bool
	err       error
	receivers []api.Receiver
	jobs      api.Jobs
	jobsErr   error
	tests     map[string]testResult // by receiver name, kept across reloads
}

// testResult is the outcome of the last test notification of a receiver.
type testResult struct {
	d   api.Delivery
	err error
}

// loadNotifications fetches the receivers and the job queue.
func (u *UI) loadNotifications() {
	if u.app == nil {
		return
	}
	var rs []api.Receiver
	var js api.Jobs
	var jerr error
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		if rs, err = a.Receivers(ctx); err != nil {
			return err
		}
		js, jerr = a.Jobs(ctx, "", "")
		return nil
	}, func(err error) {
		u.nt.loaded, u.nt.err = true, err
		if err == nil {
			u.nt.receivers, u.nt.jobs, u.nt.jobsErr = rs, js, jerr
		}
		u.notifyUI.show()
	})
}

type notifyScreen struct {
	u         *UI
	root      fyne.CanvasObject
	status    *widget.Label
	result    *widget.Label // outcome of a deletion
	receivers *fyne.Container
	jobs      *fyne.Container
}

func newNotifyScreen(u *UI) *notifyScreen {
	s := &notifyScreen{u: u}
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	s.result.Importance = widget.DangerImportance
	s.result.Hide()
	s.receivers = container.NewVBox()
	s.jobs = container.NewVBox()
	intro := widget.NewLabel(u.T("notify.intro"))
	refresh := widget.NewButtonWithIcon(u.T("events.refresh"), fynetheme.ViewRefreshIcon(), u.loadNotifications)
	var note fyne.CanvasObject = container.NewStack()
	if u.app != nil && u.identity.Role != "" && !u.canAdmin() {
		l := widget.NewLabel(u.T("notify.adminonly", u.T("role."+string(u.identity.Role))))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		note = l
	}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, refresh, intro), note, s.status, s.result)
	add := u.adminButton(u.T("receiver.add"), fynetheme.ContentAddIcon(), func() { u.editReceiver(-1) })
	cols := container.NewGridWithColumns(2,
		container.NewVBox(container.NewBorder(nil, nil, nil, add, heading(u.T("notify.receivers"))), s.receivers),
		container.NewVBox(heading(u.T("jobs.title")), s.jobs))
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, container.NewVScroll(container.NewPadded(cols)))
	s.show()
	return s
}

// showResult shows the outcome of a change made without a form (a deletion).
func (s *notifyScreen) showResult(err error) {
	if err == nil {
		s.result.Hide()
		return
	}
	s.result.SetText(s.u.fieldErrorsText(err))
	s.result.Show()
}

// adminReason is the sentence under a control only an administrator may use.
func (u *UI) adminReason() fyne.CanvasObject {
	l := widget.NewLabel(u.T("notify.needsadmin"))
	l.TextStyle.Italic = true
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (s *notifyScreen) show() {
	u := s.u
	switch {
	case u.app == nil:
		s.status.SetText(u.T("overview.noconn"))
	case u.nt.err != nil && api.IsCode(u.nt.err, api.CodeNotFound):
		s.status.SetText(u.T("alerts.unsupported"))
	case u.nt.err != nil:
		s.status.SetText(u.errorText(u.nt.err))
	case !u.nt.loaded:
		s.status.SetText(u.T("events.loading"))
	default:
		s.status.SetText("")
	}
	if s.status.Text == "" {
		s.status.Hide()
	} else {
		s.status.Show()
	}

	s.receivers.Objects = nil
	for i, r := range u.nt.receivers {
		s.receivers.Add(u.receiverRow(i, r))
	}
	if u.nt.loaded && u.nt.err == nil && len(u.nt.receivers) == 0 {
		s.receivers.Add(widget.NewLabel(u.T("notify.none")))
	}
	s.receivers.Refresh()

	s.jobs.Objects = nil
	if u.nt.jobsErr != nil {
		l := widget.NewLabel(u.errorText(u.nt.jobsErr))
		l.Wrapping = fyne.TextWrapWord
		s.jobs.Add(l)
	}
	for _, st := range u.nt.jobs.Stats {
		s.jobs.Add(u.jobStats(st))
	}
	var dead []api.Job
	for _, j := range u.nt.jobs.Recent {
		if j.State == "dead" {
			dead = append(dead, j)
		}
	}
	if len(dead) > 0 {
		s.jobs.Add(heading(u.T("jobs.dead.title")))
		for _, j := range dead {
			s.jobs.Add(u.deadJobRow(j))
		}
	}
	if u.nt.loaded && u.nt.jobsErr == nil && len(u.nt.jobs.Stats) == 0 {
		s.jobs.Add(widget.NewLabel(u.T("jobs.empty")))
	}
	s.jobs.Refresh()
}

// receiverType returns a receiver type in words.
func (u *UI) receiverType(t string) string {
	if k := "rtype." + t; u.tr.Has(k) {
		return u.T(k)
	}
	return t
}

func (u *UI) receiverRow(i int, r api.Receiver) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(r.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	lang := r.Lang
	switch r.Lang {
	case "en":
		lang = "English"
	case "ko":
		lang = "한국어"
	}
	resolved := u.T("notify.resolved.no")
	if r.SendResolved {
		resolved = u.T("notify.resolved.yes")
	}
	lines := []string{u.T("notify.type", u.receiverType(r.Type))}
	if d := receiverDest(r); d != "" {
		lines = append(lines, u.T("notify.dest", d))
	}
	info := widget.NewLabel(strings.Join(append(lines, u.T("notify.lang", lang), resolved), "\n"))
	info.Wrapping = fyne.TextWrapWord
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	result.Hide()
	setResult := func(tr testResult) {
		result.Show()
		switch {
		case tr.err != nil:
			result.SetText(u.errorText(tr.err))
			result.Importance = widget.DangerImportance
		case tr.d.State == "done":
			at := tr.d.CreatedAt
			if tr.d.DoneAt != nil {
				at = *tr.d.DoneAt
			}
			result.SetText("✓ " + u.T("notify.test.ok", u.formatTime(at)))
			result.Importance = widget.SuccessImportance
		case tr.d.State == "failed" || tr.d.State == "dead" || tr.d.State == "cancelled":
			result.SetText("✗ " + u.T("notify.test.failed", tr.d.LastError))
			result.Importance = widget.DangerImportance
		default:
			result.SetText(u.T("notify.test.queued"))
			result.Importance = widget.MediumImportance
		}
		result.Refresh()
	}
	if tr, ok := u.nt.tests[r.Name]; ok {
		setResult(tr)
	}
	var test *widget.Button
	test = widget.NewButtonWithIcon(u.T("notify.test"), fynetheme.MailSendIcon(), func() {
		test.Disable()
		result.Show()
		result.SetText(u.T("notify.test.sending"))
		result.Importance = widget.MediumImportance
		var d api.Delivery
		u.call(func(ctx context.Context, a Appliance) error {
			var err error
			d, err = a.TestReceiver(ctx, r.Name, r.Lang)
			return err
		}, func(err error) {
			test.Enable()
			tr := testResult{d: d, err: err}
			if u.nt.tests == nil {
				u.nt.tests = map[string]testResult{}
			}
			u.nt.tests[r.Name] = tr
			setResult(tr)
		})
	})
	edit := u.adminButton(u.T("form.edit"), fynetheme.DocumentCreateIcon(), func() { u.editReceiver(i) })
	del := u.adminButton(u.T("form.delete"), fynetheme.DeleteIcon(), func() { u.deleteReceiver(i) })
	items := []fyne.CanvasObject{name, info, container.NewHBox(test, edit, del), result}
	if !u.canAdmin() {
		test.Disable()
		items = append(items, u.adminReason())
	}
	rect := canvas.NewRectangle(cardMuted)
	rect.CornerRadius = 6
	return container.NewPadded(container.NewStack(rect, container.NewPadded(container.NewVBox(items...))))
}

// statBox is one big number of the job queue panel.
func statBox(label string, n int, bg fyne.CanvasObject) fyne.CanvasObject {
	num := canvas.NewText(strconv.Itoa(n), darkText)
	num.TextSize = 28
	num.TextStyle.Bold = true
	num.Alignment = fyne.TextAlignCenter
	l := canvas.NewText(label, darkText)
	l.TextSize = 13
	l.Alignment = fyne.TextAlignCenter
	return container.NewStack(bg, container.NewPadded(container.NewVBox(num, l)))
}

func (u *UI) jobStats(st api.JobStats) fyne.CanvasObject {
	rect := func(hot bool) *canvas.Rectangle {
		r := canvas.NewRectangle(cardMuted)
		if hot {
			r.FillColor = cardCritical
		}
		r.CornerRadius = 6
		return r
	}
	boxes := container.NewGridWithColumns(3,
		statBox(u.T("jobs.queued"), st.Queued+st.Running, rect(false)),
		statBox(u.T("jobs.retrying"), st.Failed, rect(st.Failed > 0)),
		statBox(u.T("jobs.dead"), st.Dead, rect(st.Dead > 0)))
	kind := st.Kind
	if k := "jobkind." + st.Kind; u.tr.Has(k) {
		kind = u.T(k)
	}
	lines := []string{u.T("jobs.done", st.Done)}
	if st.OldestQueue > 0 {
		lines = append(lines, u.T("jobs.oldest", u.tr.Duration(time.Duration(st.OldestQueue*float64(time.Second)))))
	}
	if st.LastError != "" {
		at := ""
		if st.LastErrorAt != nil {
			at = u.formatTime(*st.LastErrorAt)
		}
		lines = append(lines, u.T("jobs.lasterror", at, st.LastError))
	}
	info := widget.NewLabel(strings.Join(lines, "\n"))
	info.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle(kind, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewVBox(title, boxes, info)
}

func (u *UI) deadJobRow(j api.Job) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(u.T("jobs.job", j.ID, u.formatTime(j.CreatedAt), j.Attempts), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	e := widget.NewLabel(j.LastError)
	e.Wrapping = fyne.TextWrapWord
	e.Importance = widget.DangerImportance
	msg := widget.NewLabel("")
	msg.Wrapping = fyne.TextWrapWord
	msg.Hide()
	var retry *widget.Button
	retry = widget.NewButtonWithIcon(u.T("jobs.retry"), fynetheme.ViewRefreshIcon(), func() {
		retry.Disable()
		u.call(func(ctx context.Context, a Appliance) error {
			return a.RetryJob(ctx, j.ID)
		}, func(err error) {
			retry.Enable()
			if err != nil {
				msg.SetText(u.errorText(err))
				msg.Show()
				return
			}
			u.loadNotifications()
		})
	})
	items := []fyne.CanvasObject{head, e, container.NewHBox(retry), msg}
	if !u.canAdmin() {
		retry.Disable()
		items = append(items, u.adminReason())
	}
	rect := canvas.NewRectangle(cardCritical)
	rect.CornerRadius = 6
	return container.NewPadded(container.NewStack(rect, container.NewPadded(container.NewVBox(items...))))
}
