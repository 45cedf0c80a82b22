package screens

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// setEntry replaces the text of a settings field.
func (r *rig) setEntry(path, text string) {
	e := r.ui.SettingsEntry(path)
	e.SetText("")
	test.Type(e, text)
	e.FocusLost() // test.Type focuses the entry and leaves it so
}

// lastPut returns the machine as the appliance stores it now, and how many times the client
// changed a machine (the appliance's audit log).
func (r *rig) lastPut(t *testing.T) (api.Machine, int) {
	t.Helper()
	ctx := context.Background()
	as, err := r.Admin(t).Audit(ctx, api.AuditFilter{Action: "machine.update"})
	if err != nil || len(as) == 0 {
		return api.Machine{}, len(as)
	}
	id := strings.TrimPrefix(as[0].Target, "machine/")
	return r.machine(t, id), len(as)
}

func TestSettingsShowListeningProfile(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	for _, tt := range []struct {
		machine string
		want    map[string]string
	}{
		{fan, map[string]string{FieldWindow: "4s", FieldHop: "1s", FieldPooling: "max, mean", FieldPersistence: "3s", FieldSmoothing: "1"}},
		{valve, map[string]string{FieldWindow: "10s", FieldHop: "2s", FieldPooling: "max", FieldPersistence: "5s"}},
		{pump, map[string]string{FieldWindow: "2s", FieldHop: "500ms", FieldPooling: "mean, modulation", FieldPersistence: "2s"}},
	} {
		r.ui.EditMachine(tt.machine)
		for path, want := range tt.want {
			if got := r.ui.SettingsEntry(path).Text; got != want {
				t.Errorf("%s: %s = %q, want %q", tt.machine, path, got, want)
			}
		}
	}
	s := texts(r.win)
	for _, want := range []string{"How the machine is listened to", "Window", "Step", "Statistics", "Persistence",
		"makes the machine relearn its normal sound", "How much sound is judged at once", "max, mean, std, min, delta, modulation"} {
		if !strings.Contains(s, want) {
			t.Errorf("settings lack %q", want)
		}
	}
	if got := r.ui.SettingsEntry(FieldWindow).PlaceHolder; got != "usual for this kind" {
		t.Errorf("window placeholder %q", got)
	}
}

func TestProfileFieldErrorsLandUnderTheirFields(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.EditMachine(pump)
	r.setEntry(FieldWindow, "1s")
	r.setEntry(FieldHop, "2s")
	r.setEntry(FieldPooling, "max, avg")
	test.Tap(r.ui.SettingsSave())
	confirm := buttons(r.win, "Save and relearn")
	if len(confirm) != 1 {
		t.Fatalf("no confirmation before saving a new window")
	}
	test.Tap(confirm[0])
	if m, n := r.lastPut(t); n != 0 || r.machine(t, pump).Detection.Window != "2s" {
		t.Fatalf("the appliance changed a machine (%d, %+v) though it answered 422", n, m.Detection)
	}
	want := map[string]string{
		FieldHop:     "must be between 10ms and the window (1s)",
		FieldPooling: `"avg": must be one of max, mean, std, min, delta, modulation, each once`,
	}
	for _, p := range []string{FieldName, FieldQuantile, FieldWindow, FieldHop, FieldPooling, FieldPersistence} {
		if got := r.ui.FieldError(p); got != want[p] {
			t.Errorf("%s error %q, want %q", p, got, want[p])
		}
	}
	// Each error is drawn under its own entry, above the next field's. (The test canvas
	// lays out again only when resized; a real window does so on its next frame.)
	relayout(r.win)
	pos := func(o fyne.CanvasObject) float32 {
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Y
	}
	f := r.ui.settings.fields
	for _, c := range []struct{ field, next string }{{FieldHop, FieldPooling}, {FieldPooling, FieldPersistence}} {
		entry, errY, next := pos(f[c.field].entry), pos(f[c.field].err), pos(f[c.next].entry)
		if !(errY > entry && errY < next) {
			t.Errorf("%s error at y=%v, not between its entry (%v) and %s's (%v)", c.field, errY, entry, c.next, next)
		}
	}
	// The golden image: the whole form, in a window tall enough for it.
	r.win.Resize(fyne.NewSize(1100, 1100))
	golden(t, r.win, "settings.png")
}

// relayout makes the test canvas lay the window out again.
func relayout(w fyne.Window) {
	size := w.Canvas().Size()
	w.Resize(size.AddWidthHeight(1, 1))
	w.Resize(size)
}

func TestWindowChangeAsksBeforeRelearning(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.EditMachine(fan)
	r.setEntry(FieldWindow, "8s")
	test.Tap(r.ui.SettingsSave())
	if _, n := r.lastPut(t); n != 0 {
		t.Fatal("saved before the relearning was confirmed")
	}
	s := texts(r.win)
	for _, want := range []string{"Save and relearn?", "Changed: Window: 4s → 8s.", "Cooling fan 1 will relearn its normal sound: it listens for 10m"} {
		if !strings.Contains(s, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, s)
		}
	}
	cancel := buttons(r.win, "Cancel")
	test.Tap(cancel[len(cancel)-1])
	if _, n := r.lastPut(t); n != 0 || r.win.Canvas().Overlays().Top() != nil {
		t.Fatal("cancel saved, or left the dialog open")
	}
	if !strings.Contains(texts(r.win), "Not saved.") {
		t.Error("cancel did not say it saved nothing")
	}

	test.Tap(r.ui.SettingsSave())
	test.Tap(buttons(r.win, "Save and relearn")[0])
	got, n := r.lastPut(t)
	if n != 1 || got.Detection.Window != "8s" || got.Detection.Hop != "1s" || !slices.Equal(got.Detection.Pooling, []string{"max", "mean"}) ||
		got.Detection.Persistence != "3s" {
		t.Fatalf("PUT %d: %+v", n, got.Detection)
	}
	if !strings.Contains(texts(r.win), "Saved.") || r.ui.SettingsEntry(FieldWindow).Text != "8s" {
		t.Error("not saved")
	}

	// Persistence, sensitivity and the same window written otherwise re-tune: saved at once.
	r.setEntry(FieldPersistence, "0s")
	r.setEntry(FieldQuantile, "0.995")
	r.setEntry(FieldWindow, "8000ms")
	test.Tap(r.ui.SettingsSave())
	if r.win.Canvas().Overlays().Top() != nil {
		t.Fatal("a re-tuning change asked to relearn")
	}
	if got, n := r.lastPut(t); n != 2 || got.Detection.Persistence != "0s" || got.Detection.Window != "8s" || got.Detection.Quantile != 0.995 {
		t.Errorf("PUT %d: %+v", n, got.Detection)
	}

	// Statistics, and a field emptied for the kind's default, ask too.
	r.setEntry(FieldPooling, "MAX")
	r.setEntry(FieldHop, "")
	test.Tap(r.ui.SettingsSave())
	if s := texts(r.win); !strings.Contains(s, "Step: 1s → usual, Statistics: max, mean → max") {
		t.Errorf("confirmation lacks the changes:\n%s", s)
	}
}

func TestClientSideDurationErrors(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.ui.EditMachine(valve)
	r.setEntry(FieldWindow, "10")
	r.setEntry(FieldPersistence, "5 s")
	test.Tap(r.ui.SettingsSave())
	for _, p := range []string{FieldWindow, FieldPersistence} {
		if got := r.ui.FieldError(p); got != "Enter a duration, e.g. 2s or 500ms" {
			t.Errorf("%s error %q", p, got)
		}
	}
	if r.ui.FieldError(FieldHop) != "" || r.win.Canvas().Overlays().Top() != nil {
		t.Error("hop marked, or a dialog shown")
	}
	if _, n := r.lastPut(t); n != 0 {
		t.Error("a form with a bad duration was sent")
	}
}

func TestKoreanRelearnConfirmation(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.Korean)
	r.ui.EditMachine(pump)
	if !strings.Contains(texts(r.win), "소리 듣는 방식") {
		t.Error("Korean settings lack the listening heading")
	}
	r.setEntry(FieldPooling, "max, mean")
	test.Tap(r.ui.SettingsSave())
	s := texts(r.win)
	for _, want := range []string{"저장하고 다시 학습할까요?", "바꾼 항목: 통계: mean, modulation → max, mean", "정상 소리를 다시 학습합니다"} {
		if !strings.Contains(s, want) {
			t.Errorf("Korean confirmation lacks %q:\n%s", want, s)
		}
	}
}
