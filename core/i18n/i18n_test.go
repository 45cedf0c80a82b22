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

func TestCatalogs(t *testing.T) {
	c := Catalogs{English: {"hello": "Hello %s", "events": "%d events", "events.one": "%d event", "only.en": "English only"},
		Korean: {"hello": "안녕 %s", "events": "이벤트 %d건"}}
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
