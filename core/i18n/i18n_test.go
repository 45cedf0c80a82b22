package i18n

import (
	"strings"
	"testing"
)

func TestParseAndFromEnv(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Lang
		err  bool
	}{{"ko", Korean, false}, {"ko_KR.UTF-8", Korean, false}, {"EN", English, false}, {"fr", English, true}} {
		got, err := Parse(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Parse(%q) = %q, %v", tt.in, got, err)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tt := range []struct {
		env  map[string]string
		want Lang
	}{
		{map[string]string{"LANG": "ko_KR.UTF-8"}, Korean},
		{map[string]string{"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, English}, // LC_ALL decides
		{map[string]string{"LC_MESSAGES": "ko", "LANG": "en_US"}, Korean},
		{map[string]string{}, English},
	} {
		if got := FromEnv(env(tt.env)); got != tt.want {
			t.Errorf("FromEnv(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

var testCatalogs = Catalogs{English: {"hello": "Hello %s", "events": "%d events", "events.one": "%d event", "only.en": "English only"},
	Korean: {"hello": "안녕 %s", "events": "이벤트 %d건"}}

type testSource struct{}

func (testSource) Catalogs() Catalogs { return testCatalogs }

func TestCatalogs(t *testing.T) {
	c := testCatalogs
	for _, tt := range []struct{ got, want string }{
		{c.Text(Korean, "hello", "kim"), "안녕 kim"},
		{c.Text(Korean, "only.en"), "English only"}, // falls back to English
		{c.Text(English, "missing.key"), "missing.key"},
		{c.Count(English, "events", 1, 1), "1 event"},
		{c.Count(English, "events", 2, 2), "2 events"},
		{c.Count(Korean, "events", 1, 1), "이벤트 1건"},
		{Korean.Name(), "한국어"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if !c.Has(English, "only.en") || c.Has(Korean, "only.en") || strings.Join(c.Keys(Korean), ",") != "events,hello" {
		t.Errorf("Has/Keys: %v", c.Keys(Korean))
	}
}

// TestTranslator: its zero value speaks English from the source's catalogs.
func TestTranslator(t *testing.T) {
	var zero Translator[testSource]
	ko := NewTranslator[testSource](Korean)
	if zero.Lang() != English || zero.T("hello", "kim") != "Hello kim" || zero.N("events", 1, 1) != "1 event" || zero.Korean() {
		t.Errorf("zero value: %s %q %q", zero.Lang(), zero.T("hello", "kim"), zero.N("events", 1, 1))
	}
	if !ko.Korean() || ko.T("hello", "kim") != "안녕 kim" || ko.Has("only.en") || !zero.Has("only.en") {
		t.Errorf("Korean: %q, Has(only.en) %v", ko.T("hello", "kim"), ko.Has("only.en"))
	}
}
