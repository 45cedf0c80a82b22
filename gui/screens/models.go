package screens

import (
	"context"
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Stage colours of the model history: the champion green, a candidate yellow, a retired
// model muted (fill, text).
var (
	stageChampion  = [2]color.Color{color.NRGBA{0x2e, 0x7d, 0x32, 0xff}, color.White}
	stageCandidate = [2]color.Color{color.NRGBA{0xfb, 0xc0, 0x2d, 0xff}, color.NRGBA{0x21, 0x21, 0x21, 0xff}}
	stageRetired   = [2]color.Color{color.NRGBA{0xee, 0xee, 0xee, 0xff}, color.NRGBA{0x75, 0x75, 0x75, 0xff}}
	stageLearning  = [2]color.Color{color.NRGBA{0x00, 0x83, 0x8f, 0xff}, color.White}
	modelMuted     = color.NRGBA{0x75, 0x75, 0x75, 0xff}
)

// Widths of the model history's fixed columns: version, stage, dataset, false alarms per
// hour and recall (a fault classifier's accuracy and macro-F1), created. The reason takes the rest of the row, the Promote button its end.
var modelCols = colsLayout{44, 96, 84, 56, 56, 124}

// modelsCard is the machine's model history in its detail screen: every version with its
// stage and test metrics, and for administrators Promote and Roll back, each confirmed.
type modelsCard struct {
	u        *UI
	m        *machine
	root     *fyne.Container
	rows     *fyne.Container
	note     *widget.Label // the outcome of the last promotion or rollback
	back     *widget.Button
	backDiag *widget.Button // the fault classifier's Roll back
}

func newModelsCard(u *UI, m *machine) *modelsCard {
	c := &modelsCard{u: u, m: m, rows: container.NewVBox(), note: widget.NewLabel("")}
	c.note.Wrapping = fyne.TextWrapWord
	c.note.Hide()
	c.back = widget.NewButtonWithIcon(u.T("models.rollback"), fynetheme.HistoryIcon(), func() { c.askRollback(api.TaskDetect) })
	c.backDiag = widget.NewButtonWithIcon(u.T("models.rollback"), fynetheme.HistoryIcon(), func() { c.askRollback(api.TaskDiagnose) })
	c.root = container.NewVBox(c.rows, c.note)
	c.show()
	return c
}

// modelTask is a model's task; models from appliances before fault classifiers have none.
func modelTask(md api.Model) string {
	if md.Task == api.TaskDiagnose {
		return api.TaskDiagnose
	}
	return api.TaskDetect
}

// show lists the models m has loaded: the normal models, then the fault classifiers when the
// machine has any, each with its own Roll back.
func (c *modelsCard) show() {
	u := c.u
	c.rows.Objects = nil
	var detect, diag []api.Model
	for _, md := range c.m.models {
		if modelTask(md) == api.TaskDiagnose {
			diag = append(diag, md)
		} else {
			detect = append(detect, md)
		}
	}
	c.section(detect, c.back, "models.fah", "models.recall", u.T("models.none"))
	if len(diag) > 0 {
		t := widget.NewLabelWithStyle(u.T("models.diagnosis"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		c.rows.Add(container.NewVBox(widget.NewSeparator(), t))
		c.section(diag, c.backDiag, "models.accuracy", "models.f1", "")
	}
	c.rows.Refresh()
}

// section lists models of one task under a header with the two quality columns named by
// q1 and q2, and the task's Roll back at the end of the header for administrators.
func (c *modelsCard) section(models []api.Model, rollback *widget.Button, q1, q2, none string) {
	u := c.u
	var back fyne.CanvasObject
	if u.canAdmin() {
		back = rollback
	}
	if len(models) == 0 {
		rollback.Disable()
		c.rows.Add(container.NewBorder(nil, nil, nil, back, widget.NewLabel(none)))
		return
	}
	head := func(key string) fyne.CanvasObject {
		t := canvas.NewText(u.T(key), modelMuted)
		t.TextSize, t.TextStyle.Bold = 12, true
		return t
	}
	cols := container.New(modelCols, head("models.version"), head("models.stage"), head("models.dataset"),
		head(q1), head(q2), head("models.created"))
	c.rows.Add(container.NewBorder(nil, nil, cols, back, head("models.reason")))
	retired := false
	for _, md := range models {
		retired = retired || md.Stage == api.StageRetired
		c.rows.Add(c.row(md))
	}
	if retired {
		rollback.Enable()
	} else {
		rollback.Disable()
	}
}

func (c *modelsCard) row(md api.Model) fyne.CanvasObject {
	u := c.u
	text := func(s string, mono bool) *canvas.Text {
		t := canvas.NewText(s, fynetheme.Color(fynetheme.ColorNameForeground))
		t.TextSize, t.TextStyle.Monospace = 13, mono
		if md.Stage == api.StageRetired {
			t.Color = modelMuted
		}
		return t
	}
	version := "—"
	if md.Version > 0 {
		version = "v" + strconv.FormatInt(md.Version, 10)
	}
	fah, recall := "—", "—" // a fault classifier's accuracy and macro-F1
	switch mm := md.Metrics; {
	case mm != nil && mm.Accuracy != nil && mm.MacroF1 != nil:
		fah, recall = strconv.FormatFloat(*mm.Accuracy, 'f', 2, 64), strconv.FormatFloat(*mm.MacroF1, 'f', 2, 64)
	case mm != nil:
		fah = strconv.FormatFloat(mm.FalseAlarmsPerHour, 'f', 2, 64)
		if mm.Recall != nil {
			recall = strconv.FormatFloat(*mm.Recall, 'f', 2, 64)
		}
	}
	dataset := "—"
	if md.Dataset != "" {
		dataset = md.Dataset[:min(8, len(md.Dataset))]
	}
	cols := container.New(modelCols, text(version, false), c.stagePill(md), text(dataset, true),
		text(fah, false), text(recall, false), text(u.formatTime(md.CreatedAt), false))
	why := md.Reason
	if why == "" {
		why = md.Note
	}
	reason := widget.NewLabel(why)
	reason.Wrapping = fyne.TextWrapWord
	var action fyne.CanvasObject
	if u.canAdmin() && md.Version > 0 && md.Stage != api.StageChampion {
		b := widget.NewButton(u.T("models.promote"), func() { c.askPromote(md) })
		if md.Stage == api.StageCandidate {
			b.Importance = widget.HighImportance
		}
		action = container.NewCenter(b)
	}
	return container.NewBorder(nil, nil, cols, action, reason)
}

// stagePill is a model's stage as a coloured label.
func (c *modelsCard) stagePill(md api.Model) fyne.CanvasObject {
	colours, key := stageRetired, "models.stage.retired"
	switch {
	case md.State == api.ModelLearning:
		colours, key = stageLearning, "models.stage.learning"
	case md.Stage == api.StageChampion:
		colours, key = stageChampion, "models.stage.champion"
	case md.Stage == api.StageCandidate:
		colours, key = stageCandidate, "models.stage.candidate"
	}
	bg := canvas.NewRectangle(colours[0])
	bg.CornerRadius = 6
	t := canvas.NewText(c.u.T(key), colours[1])
	t.TextSize, t.TextStyle.Bold = 12, true
	t.Alignment = fyne.TextAlignCenter
	return container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(2, 2, 6, 6), t))
}

// reasonForm is a confirmation's question and the reason entry (for the model's record and
// the audit log).
func (c *modelsCard) reasonForm(question string) (fyne.CanvasObject, *widget.Entry) {
	q := widget.NewLabel(question)
	q.Wrapping = fyne.TextWrapWord
	e := widget.NewEntry()
	e.SetPlaceHolder(c.u.T("models.reason.hint"))
	form := container.NewVBox(q, widget.NewLabel(c.u.T("models.reason.label")), e)
	return container.NewGridWrap(fyne.NewSize(460, form.MinSize().Height+40), form), e
}

func (c *modelsCard) askPromote(md api.Model) {
	u := c.u
	champion := "—"
	for _, o := range c.m.models {
		if o.Stage == api.StageChampion && modelTask(o) == modelTask(md) {
			champion = strconv.FormatInt(o.Version, 10)
		}
	}
	q := "models.promote.q"
	if modelTask(md) == api.TaskDiagnose {
		q = "models.promote.q.diag"
	}
	content, reason := c.reasonForm(u.T(q, c.m.name(), md.Version, champion))
	d := dialog.NewCustomConfirm(u.T("models.promote.title", md.Version), u.T("models.promote"), u.T("dialog.cancel"), content,
		func(ok bool) {
			if !ok {
				return
			}
			var got api.Model
			c.change(func(ctx context.Context, a Appliance) error {
				var err error
				got, err = a.PromoteModel(ctx, c.m.cfg.ID, md.Version, reason.Text)
				return err
			}, func() string { return u.T("models.promoted", got.Version) })
		}, u.win)
	d.Show()
	u.win.Canvas().Focus(reason)
}

func (c *modelsCard) askRollback(task string) {
	u := c.u
	q := "models.rollback.q"
	if task == api.TaskDiagnose {
		q = "models.rollback.q.diag"
	}
	content, reason := c.reasonForm(u.T(q, c.m.name()))
	d := dialog.NewCustomConfirm(u.T("models.rollback.title"), u.T("models.rollback"), u.T("dialog.cancel"), content,
		func(ok bool) {
			if !ok {
				return
			}
			var got api.Model
			c.change(func(ctx context.Context, a Appliance) error {
				var err error
				got, err = a.RollbackModel(ctx, c.m.cfg.ID, task, reason.Text)
				return err
			}, func() string { return u.T("models.rolledback", got.Version) })
		}, u.win)
	d.Show()
	u.win.Canvas().Focus(reason)
}

// change runs a promotion or rollback, then says how it went and lists the models again.
func (c *modelsCard) change(work func(ctx context.Context, a Appliance) error, said func() string) {
	u := c.u
	u.call(work, func(err error) {
		if err != nil {
			c.note.SetText(u.T("models.failed", u.errorText(err)))
			c.note.Importance = widget.DangerImportance
		} else {
			c.note.SetText(said())
			c.note.Importance = widget.SuccessImportance
		}
		c.note.Show()
		c.note.Refresh()
		u.loadMachineModels(c.m)
	})
}

// loadMachineModels fetches a machine's model history for its detail.
func (u *UI) loadMachineModels(m *machine) {
	var ms []api.Model
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		ms, err = a.Models(ctx, m.cfg.ID)
		return err
	}, func(err error) {
		if err != nil {
			return
		}
		m.models = ms
		if u.detail != nil && u.detail.m == m {
			u.detail.models.show()
			u.detail.relayout() // the history card below moves down
		}
	})
}

// colsLayout places its objects side by side in columns of fixed widths, each vertically
// centred.
type colsLayout []float32

func (l colsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := fynetheme.Padding()
	x := float32(0)
	for i, o := range objs {
		if i >= len(l) {
			break
		}
		h := min(o.MinSize().Height, size.Height)
		o.Move(fyne.NewPos(x, (size.Height-h)/2))
		o.Resize(fyne.NewSize(l[i], h))
		x += l[i] + pad
	}
}

func (l colsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		if i >= len(l) {
			break
		}
		w += l[i] + fynetheme.Padding()
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(w, h)
}
