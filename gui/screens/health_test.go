package screens

import (
	"strings"
	"testing"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
	"signalcraft/gui/internal/fakeappliance"
)

// The machine screen's health card says, in the window's language, whether the machine wears
// and its remaining life; a machine still learning its baseline says so.
func TestHealthCard(t *testing.T) {
	for _, tt := range []struct {
		lang    i18n.Lang
		machine string
		want    []string
	}{
		{i18n.English, fakeappliance.Pump, []string{"Wearing", "Remaining life: about 31 h (between 19 and 52 h).", "Sound level: 2.2× its healthy level."}},
		{i18n.Korean, fakeappliance.Pump, []string{"열화 중", "잔여 수명: 약 31시간 (19–52시간)."}},
		{i18n.English, fakeappliance.Fan, []string{"Healthy", "Sound level: 1.0× its healthy level."}},
		{i18n.English, fakeappliance.Comp, []string{"Learning its healthy sound level: 12 hours heard so far."}},
	} {
		r := newRig(t, api.RoleViewer, tt.lang)
		r.ui.ShowMachine(tt.machine)
		s := texts(r.win)
		for _, w := range tt.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s %s: the health card lacks %q", tt.lang, tt.machine, w)
			}
		}
	}
}
