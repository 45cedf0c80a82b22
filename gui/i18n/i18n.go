// Package i18n provides the desktop client's message catalogs (English and
// Korean) and a Translator that looks messages up by key. Catalogs are Go
// maps so a missing translation is caught by a test, not by a user.
package i18n

import (
	"fmt"
	"time"

	lang "signalcraft/core/i18n"
)

// Lang is a language the client speaks (core/i18n's).
type Lang = lang.Lang

// Languages the client has catalogs for.
const (
	English = lang.English
	Korean  = lang.Korean
)

// Langs lists the languages in the order a language menu shows them.
func Langs() []Lang { return lang.Langs() }

// Parse returns the language of s, which may be a bare code ("ko") or a
// POSIX locale ("ko_KR.UTF-8"). Unknown languages give English and an error.
func Parse(s string) (Lang, error) { return lang.Parse(s) }

var catalogs = lang.Catalogs{English: english, Korean: korean}

// Keys returns the message keys of l's catalog, sorted.
func Keys(l Lang) []string { return catalogs.Keys(l) }

// source gives the client's catalogs to its Translator.
type source struct{}

func (source) Catalogs() lang.Catalogs { return catalogs }

// Translator looks up messages in one language (core/i18n's, with this client's catalogs)
// and renders the values whose form depends on it. Its zero value speaks English.
type Translator struct{ lang.Translator[source] }

// New returns a Translator for l.
func New(l Lang) Translator { return Translator{lang.NewTranslator[source](l)} }

// Duration renders d for people in the translator's units, to the second
// under an hour and to the minute above: "45s", "3m 05s", "2h", "2h 07m"
// in English, "45초", "3분 05초", "2시간", "2시간 07분" in Korean. Negative
// durations render as zero.
func (t Translator) Duration(d time.Duration) string {
	d = max(d, 0)
	sec, min, hour := "s", "m", "h"
	if t.Lang() == Korean {
		sec, min, hour = "초", "분", "시간"
	}
	two := func(a int, ua string, b int, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s %02d%s", a, ua, b, ub)
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d%s", int(d.Seconds()), sec)
	case d < time.Hour:
		return two(int(d.Minutes()), min, int(d.Seconds())%60, sec)
	}
	return two(int(d.Hours()), hour, int(d.Minutes())%60, min)
}

// Has reports whether key is in the catalog of the translator's language.
func (t Translator) Has(key string) bool { return catalogs.Has(t.Lang(), key) }
