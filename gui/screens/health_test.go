package screens

import (
	"strings"
	"testing"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// The machine screen's health card says, in the window's language, whether the machine wears
// and its remaining life; a machine still learning its baseline says so.
func TestHealthCard(t *testing.T) {
	for _, tt := range []struct {
		lang    i18n.Lang
		machine string
		want    []string
	}{
		{i18n.English, pump, []string{"Wearing", "Remaining life: about 8.2 h (between 7.1 and 11 h).", "Sound level: 1.8× its healthy level."}},
		{i18n.Korean, pump, []string{"열화 중", "잔여 수명: 약 8.2시간 (7.1–11시간)."}},
		{i18n.English, fan, []string{"Healthy", "Sound level: 1.0× its healthy level."}},
		{i18n.English, comp, []string{"Learning its healthy sound level: 12 hours heard so far."}},
	} {
		r := sharedRig(t, api.RoleViewer, tt.lang)
		r.ui.ShowMachine(tt.machine)
		s := texts(r.win)
		for _, w := range tt.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s %s: the health card lacks %q", tt.lang, tt.machine, w)
			}
		}
	}
}
