package screens

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
)

// Masked is what a secret reads as; sent back unchanged, the appliance keeps
// the stored value.
const Masked = "****"

// formField is one field of an editor: its input and the red line under it.
type formField struct {
	key   string // the API's field name after the item's prefix: "severity", "summary.ko", "settings.url"
	input fyne.CanvasObject
	err   *widget.Label
}

func (f *formField) setErr(msg string) {
	f.err.SetText(msg)
	if msg == "" {
		f.err.Hide()
	} else {
		f.err.Show()
	}
}

// editor is an admin's form for one item of a list the appliance replaces
// whole (rules, receivers, maintenance windows), in a dialog: Save sends
// the list, and the appliance's 422 field errors for this item
// ("rules[3].severity") show under the fields.
type editor struct {
	u      *UI
	prefix string // the item's API name: "rules[3]"
	fields map[string]*formField
	msg    *widget.Label
	save   *widget.Button
	dlg    *dialog.CustomDialog
	scroll *container.Scroll
}

func newEditor(u *UI, prefix string) *editor {
	e := &editor{u: u, prefix: prefix, fields: map[string]*formField{}, msg: widget.NewLabel("")}
	e.msg.Wrapping = fyne.TextWrapWord
	e.msg.Importance = widget.DangerImportance
	e.msg.Hide()
	return e
}

// item registers a field and returns its form row: the input with its error line under it.
func (e *editor) item(key, label, hint string, input fyne.CanvasObject) *widget.FormItem {
	f := &formField{key: key, input: input, err: widget.NewLabel("")}
	f.err.Importance = widget.DangerImportance
	f.err.Wrapping = fyne.TextWrapWord
	f.err.Hide()
	e.fields[key] = f
	it := widget.NewFormItem(label, container.NewVBox(input, f.err))
	it.HintText = hint
	return it
}

// drop forgets the fields whose keys start with prefix (a settings block replaced).
func (e *editor) drop(prefix string) {
	for k := range e.fields {
		if strings.HasPrefix(k, prefix) {
			delete(e.fields, k)
		}
	}
}

func (e *editor) clearErrors() {
	for _, f := range e.fields {
		f.setErr("")
	}
	e.setMsg("")
}

func (e *editor) setMsg(msg string) {
	e.msg.SetText(msg)
	if msg == "" {
		e.msg.Hide()
	} else {
		e.msg.Show()
	}
}

// setErr shows msg under a field (added to what is there).
func (e *editor) setErr(key, msg string) {
	f := e.fields[key]
	if f == nil {
		return
	}
	if !f.err.Hidden && f.err.Text != "" {
		msg = f.err.Text + "\n" + msg
	}
	f.setErr(msg)
}

// Error returns the message under a field ("" if none).
func (e *editor) Error(key string) string {
	f := e.fields[key]
	if f == nil || f.err.Hidden {
		return ""
	}
	return f.err.Text
}

var rowIndex = regexp.MustCompile(`^\[(\d+)\]\.?`)

// place puts a 422 field error under its field: the longest registered key
// the field's name (after the prefix) starts with. "matchers[1].value"
// lands under "matchers" as "Row 2: …". It reports whether it found one.
func (e *editor) place(fe api.FieldError) bool {
	rest, ok := strings.CutPrefix(fe.Field, e.prefix+".")
	if !ok {
		return false
	}
	best := ""
	for k := range e.fields {
		if (rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[")) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return false
	}
	msg := fe.Message
	if sub := strings.TrimPrefix(rest, best); sub != "" {
		if m := rowIndex.FindStringSubmatch(sub); m != nil {
			n, _ := strconv.Atoi(m[1])
			sub = strings.TrimPrefix(sub, m[0])
			msg = e.u.T("form.row", n+1) + ": " + strings.TrimSpace(sub+" "+msg)
		} else {
			msg = strings.TrimPrefix(sub, ".") + ": " + msg
		}
	}
	e.setErr(best, msg)
	return true
}

// showError shows an API error: field errors under their fields, the rest
// (other items' problems, fields the form lacks) in the message at the bottom.
func (e *editor) showError(err error) {
	var ae *api.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		e.setMsg(e.u.errorText(err))
		return
	}
	lines := []string{e.u.T("settings.fix")}
	for _, fe := range ae.Fields {
		if !e.place(fe) {
			lines = append(lines, e.u.T("form.other", fe.Field, fe.Message))
		}
	}
	e.setMsg(strings.Join(lines, "\n"))
}

// open shows the editor's dialog with form above its message; onSave runs
// when Save is tapped (it calls e.saved or e.showError when the appliance answers).
func (e *editor) open(title string, form fyne.CanvasObject, onSave func()) {
	u := e.u
	e.save = widget.NewButtonWithIcon(u.T("settings.save"), fynetheme.DocumentSaveIcon(), func() {
		e.clearErrors()
		onSave()
		e.relayout()
	})
	e.save.Importance = widget.HighImportance
	cancel := widget.NewButton(u.T("dialog.cancel"), func() { e.close() })
	e.scroll = container.NewVScroll(container.NewPadded(form))
	// The message stays in view above the buttons however far the form is scrolled.
	content := container.NewBorder(nil, e.msg, nil, nil, e.scroll)
	e.dlg = dialog.NewCustomWithoutButtons(title, content, u.win)
	e.dlg.SetButtons([]fyne.CanvasObject{cancel, e.save})
	size := u.win.Canvas().Size()
	e.dlg.Resize(fyne.NewSize(min(760, size.Width*0.9), min(720, size.Height*0.92)))
	u.editor = e
	e.dlg.Show()
}

// relayout lays the form out again after error lines appeared or went.
func (e *editor) relayout() {
	if e.scroll != nil {
		e.scroll.Content.Refresh()
		e.scroll.Refresh()
	}
	if e.dlg != nil {
		e.dlg.Refresh()
	}
}

// sending disables Save while a request is out.
func (e *editor) sending() {
	e.save.Disable()
	e.setMsg("")
}

// done re-enables Save and shows err, or closes the dialog.
func (e *editor) done(err error) {
	e.save.Enable()
	if err != nil {
		e.showError(err)
		e.relayout()
		return
	}
	e.close()
}

func (e *editor) close() {
	if e.dlg != nil {
		e.dlg.Hide()
	}
	if e.u.editor == e {
		e.u.editor = nil
	}
}

// entry returns a one-line entry holding text.
func entry(text, placeholder string) *widget.Entry {
	en := widget.NewEntry()
	en.SetText(text)
	en.SetPlaceHolder(placeholder)
	return en
}

// selectEntry returns an entry with a drop-down of suggestions, holding text.
func selectEntry(text string, options []string) *widget.SelectEntry {
	en := widget.NewSelectEntry(options)
	en.SetText(text)
	return en
}

// parseNumber reads a number typed with a decimal point or comma; "" is 0.
func parseNumber(s string) (float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, true
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// formatNumber prints a number for an entry; 0 is "" when blankZero.
func formatNumber(v float64, blankZero bool) string {
	if v == 0 && blankZero {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// confirmDelete asks before removing an item, then runs del.
func (u *UI) confirmDelete(title, question string, del func()) {
	d := dialog.NewConfirm(title, question, func(ok bool) {
		if ok {
			del()
		}
	}, u.win)
	d.SetConfirmText(u.T("form.delete"))
	d.SetDismissText(u.T("dialog.cancel"))
	d.Show()
}

// adminNote explains, once at the top of a tab, why the editing buttons are greyed out.
func (u *UI) adminNote(key string) fyne.CanvasObject {
	if u.app == nil || u.identity.Role == "" || u.canAdmin() {
		return container.NewStack()
	}
	l := widget.NewLabel(u.T(key, u.T("role."+string(u.identity.Role))))
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return l
}

// adminButton is an editing button, disabled for non-admins.
func (u *UI) adminButton(label string, icon fyne.Resource, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, icon, tapped)
	if !u.canAdmin() {
		b.Disable()
	}
	return b
}
