package screens

import (
	"strings"
	"testing"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// An event the appliance's correlation attributed to another machine says so, in both
// languages.
func TestEventHeardFrom(t *testing.T) {
	for _, tt := range []struct {
		lang i18n.Lang
		want string
	}{
		{i18n.English, "Heard from pump-2: that machine's sound reached this microphone"},
		{i18n.Korean, "pump-2에서 들려온 소리"},
	} {
		r := sharedRig(t, api.RoleOperator, tt.lang)
		r.ui.SelectTab(TabEvents)
		if got := texts(r.win); !strings.Contains(got, tt.want) {
			t.Errorf("%s: events screen lacks %q:\n%s", tt.lang, tt.want, got)
		}
	}
}
