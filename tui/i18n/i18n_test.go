package i18n

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"signalcraft/core/api"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	for _, a := range Langs() {
		for _, b := range Langs() {
			for _, k := range Keys(a) {
				// Singular forms (".one") exist only in languages with plurals.
				if strings.HasSuffix(k, ".one") {
					continue
				}
				if !New(b).Has(k) {
					t.Errorf("key %q is in %s but not in %s", k, a, b)
				}
			}
		}
	}
}

var verb = regexp.MustCompile(`%(\[([0-9]+)\])?([-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%])`)

// verbs lists msg's format verbs in the order of the arguments they take:
// Korean puts words in another order with explicit indexes (%[2]s).
func verbs(msg string) string {
	msg = strings.ReplaceAll(msg, "%%", "")
	byArg := map[int]string{}
	next := 1
	for _, m := range verb.FindAllStringSubmatch(msg, -1) {
		if m[2] != "" {
			next, _ = strconv.Atoi(m[2])
		}
		byArg[next] = "%" + m[3]
		next++
	}
	out := make([]string, len(byArg))
	for i := range out {
		out[i] = byArg[i+1]
	}
	return strings.Join(out, " ")
}

// A translation must take the same arguments as the English message, or
// Sprintf prints %!d(MISSING) on screen.
func TestFormatVerbsMatch(t *testing.T) {
	for _, k := range Keys(English) {
		want := verbs(english[k])
		for _, l := range Langs() {
			got := verbs(New(l).T(k))
			if got != want {
				t.Errorf("%s %q: verbs %q, English has %q", l, k, got, want)
			}
		}
	}
}

func TestNoEmptyMessages(t *testing.T) {
	for _, l := range Langs() {
		for _, k := range Keys(l) {
			if strings.TrimSpace(New(l).T(k)) == "" {
				t.Errorf("%s %q is empty", l, k)
			}
		}
	}
}

// Words (not symbols or format verbs) in a Korean message are Korean: an
// English message copied into the Korean catalog is a missed translation.
// Keys listed here hold only names, units or symbols in both languages.
func TestKoreanIsKorean(t *testing.T) {
	same := map[string]bool{"status.who": true,
		// Editor hints that show the syntax to type, the same in both languages.
		"editor.maintenance.matchers.hint": true, "editor.maintenance.start.hint": true, "editor.maintenance.time_zone.hint": true,
		"editor.receivers.type.hint": true, "editor.rules.labels.hint": true, "editor.rules.metric.hint": true,
		"editor.rules.summary.en.hint": true}
	hangul := regexp.MustCompile(`\p{Hangul}`)
	for _, k := range Keys(Korean) {
		if same[k] {
			continue
		}
		if msg := New(Korean).T(k); !hangul.MatchString(msg) {
			t.Errorf("Korean %q = %q has no Hangul", k, msg)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Lang
		wantErr bool
	}{
		{"en", English, false},
		{"ko", Korean, false},
		{"ko_KR.UTF-8", Korean, false},
		{"KO-kr", Korean, false},
		{"C.UTF-8", English, true},
		{"fr", English, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want Lang
	}{
		{nil, English},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, Korean},
		{map[string]string{"LANG": "C.UTF-8"}, English},
		{map[string]string{"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, Korean},
		// LC_ALL overrides the others, as in POSIX.
		{map[string]string{"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "ko_KR.UTF-8"}, English},
		{map[string]string{"LC_ALL": "ko_KR.UTF-8", "LANG": "C"}, Korean},
	}
	for _, tt := range tests {
		if got := FromEnv(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("FromEnv(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestValues(t *testing.T) {
	now := time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)
	en, ko := New(English), New(Korean)
	tests := []struct{ name, got, want string }{
		{"zero speaks English", Translator{}.T("tab.events"), "Events"},
		{"missing key", ko.T("no.such.key"), "no.such.key"},
		{"en span", en.Span(90 * time.Second), "1m"},
		{"ko span", ko.Span(3 * 24 * time.Hour), "3일"},
		{"ko ago", ko.Ago(now, now.Add(-5*time.Minute)), "5분 전"},
		{"en state", en.State(api.Live{State: api.StateLearning, Sensor: api.SensorOK, Progress: 0.45}), "learning 45%"},
		{"ko state", ko.State(api.Live{State: api.StateLearning, Sensor: api.SensorOK, Progress: 0.45}), "학습 중 45%"},
		{"ko sensor", ko.State(api.Live{State: api.StateMonitoring, Sensor: api.SensorSilent}), "센서 무음"},
		{"en anomaly", en.State(api.Live{State: api.StateAnomaly, Sensor: api.SensorOK}), "ANOMALY"},
		{"ko label", ko.Label(api.LabelFalseAlarm), "오경보"},
		{"en clock", en.Clock(now, now.Add(-26*time.Hour)), "Mar 13 08:30"},
		{"ko clock", ko.Clock(now, now.Add(-26*time.Hour)), "03-13 08:30"},
		{"en N one", en.N("overview.machines", 1, 1), "1 machine"},
		{"ko N", ko.N("overview.machines", 1, 1), "설비 1대"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
