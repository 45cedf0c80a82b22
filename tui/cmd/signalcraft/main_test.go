package main

import (
	"strings"
	"testing"

	"signalcraft/tui/i18n"
)

func TestLanguage(t *testing.T) {
	tests := []struct {
		flag    string
		env     map[string]string
		want    i18n.Lang
		wantErr string
	}{
		{"", nil, i18n.English, ""},
		{"", map[string]string{"LANG": "ko_KR.UTF-8"}, i18n.Korean, ""},
		{"", map[string]string{"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, i18n.English, ""},
		{"ko", map[string]string{"LANG": "en_US.UTF-8"}, i18n.Korean, ""},
		{"en", map[string]string{"LC_ALL": "ko_KR.UTF-8"}, i18n.English, ""},
		{"fr", nil, i18n.English, `--lang: language "fr": want one of en, ko`},
	}
	for _, tt := range tests {
		got, err := language(tt.flag, func(k string) string { return tt.env[k] })
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("language(%q, %v) = %q, %v; want %q, error %q", tt.flag, tt.env, got, err, tt.want, tt.wantErr)
		}
	}
}
