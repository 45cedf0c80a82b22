package i18n

import (
	"regexp"
	"strings"
	"testing"
	"time"
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

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

// A translation must take the same arguments as the English message, or
// Sprintf prints %!d(MISSING) on screen.
func TestFormatVerbsMatch(t *testing.T) {
	for _, k := range Keys(English) {
		want := strings.Join(verb.FindAllString(english[k], -1), " ")
		for _, l := range Langs() {
			got := strings.Join(verb.FindAllString(New(l).T(k), -1), " ")
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

func TestKoreanIsKorean(t *testing.T) {
	hangul := regexp.MustCompile(`\p{Hangul}`)
	if !hangul.MatchString(New(Korean).T("tab.overview")) {
		t.Errorf("Korean tab.overview = %q, want Hangul", New(Korean).T("tab.overview"))
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		lang Lang
		key  string
		args []any
		want string
	}{
		{English, "status.learning", []any{42}, "Learning 42%"},
		{Korean, "status.learning", []any{42}, "학습 중 42%"},
		{English, "no.such.key", nil, "no.such.key"},
		{"", "status.normal", nil, "Normal"},
	}
	for _, tt := range tests {
		if got := New(tt.lang).T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s T(%q) = %q, want %q", tt.lang, tt.key, got, tt.want)
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

func TestDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		en, ko string
	}{
		{-time.Second, "0s", "0초"},
		{45 * time.Second, "45s", "45초"},
		{time.Minute, "1m", "1분"},
		{3*time.Minute + 5*time.Second, "3m 05s", "3분 05초"},
		{2 * time.Hour, "2h", "2시간"},
		{2*time.Hour + 7*time.Minute + 30*time.Second, "2h 07m", "2시간 07분"},
	}
	for _, tt := range tests {
		if got := New(English).Duration(tt.d); got != tt.en {
			t.Errorf("English Duration(%v) = %q, want %q", tt.d, got, tt.en)
		}
		if got := New(Korean).Duration(tt.d); got != tt.ko {
			t.Errorf("Korean Duration(%v) = %q, want %q", tt.d, got, tt.ko)
		}
	}
}

func TestN(t *testing.T) {
	tests := []struct {
		lang Lang
		n    int
		want string
	}{
		{English, 1, "1 event"},
		{English, 2, "2 events"},
		{English, 0, "0 events"},
		{Korean, 1, "이벤트 1건"},
		{Korean, 2, "이벤트 2건"},
	}
	for _, tt := range tests {
		if got := New(tt.lang).N("events.count", tt.n, tt.n); got != tt.want {
			t.Errorf("%s N(events.count, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}
