package api

import "testing"

func TestFaultName(t *testing.T) {
	for _, l := range FaultLabels {
		for _, lang := range []string{"en", "ko"} {
			if _, ok := faultNames[lang][l]; !ok {
				t.Errorf("fault label %q has no %s name", l, lang)
			}
		}
	}
	for _, tt := range []struct{ lang, label, want string }{
		{"en", "bearing_outer_race", "bearing outer race"},
		{"ko", "bearing_outer_race", "베어링 외륜"},
		{"ko", DiagnosisUnknown, "불확실"},
		{"fr", "leak", "leak"},
		{"ko", "gearbox_tooth", "gearbox tooth"},
	} {
		if got := FaultName(tt.lang, tt.label); got != tt.want {
			t.Errorf("FaultName(%q, %q) = %q, want %q", tt.lang, tt.label, got, tt.want)
		}
	}
}
