// Package i18n is what the clients' message catalogs share: the languages (English and
// Korean), reading one from a flag or the locale, and looking a message up in a catalog
// with its fallbacks. The catalogs themselves stay with each client (gui/i18n, tui/i18n).
package i18n

import (
	"fmt"
	"sort"
	"strings"
)

// Lang is a user-interface language.
type Lang string

// The languages.
const (
	English Lang = "en"
	Korean  Lang = "ko"
)

// Langs lists the languages in the order a language menu shows them.
func Langs() []Lang { return []Lang{English, Korean} }

// Name returns the language's name in itself, for a language menu.
func (l Lang) Name() string {
	if l == Korean {
		return "한국어"
	}
	return "English"
}

// Parse returns the language of s, a bare code ("ko") or a POSIX locale ("ko_KR.UTF-8").
// Unknown languages give English and an error.
func Parse(s string) (Lang, error) {
	code := strings.ToLower(s)
	if i := strings.IndexAny(code, "_-.@"); i >= 0 {
		code = code[:i]
	}
	for _, l := range Langs() {
		if Lang(code) == l {
			return l, nil
		}
	}
	return English, fmt.Errorf("language %q: want one of en, ko", s)
}

// FromEnv returns the language of the locale as POSIX resolves it: the first of LC_ALL,
// LC_MESSAGES and LANG that is set decides; a locale starting with "ko" is Korean, anything
// else (C, POSIX, unset) English.
func FromEnv(getenv func(string) string) Lang {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "ko") {
				return Korean
			}
			return English
		}
	}
	return English
}

// Catalogs are a client's messages by language and key.
type Catalogs map[Lang]map[string]string

func (c Catalogs) of(l Lang) map[string]string {
	if m, ok := c[l]; ok {
		return m
	}
	return c[English]
}

// Keys returns the message keys of l's catalog, sorted.
func (c Catalogs) Keys(l Lang) []string {
	m := c.of(l)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Text returns the message for key in l, formatted with args (fmt verbs) when given. A key
// missing from l's catalog falls back to English, then to the key itself, so it shows up on
// screen and in tests rather than as a blank.
func (c Catalogs) Text(l Lang, key string, args ...any) string {
	msg, ok := c.of(l)[key]
	if !ok {
		if msg, ok = c[English][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Count is Text for a message counting n things: when n is 1 and l has a singular form
// (key + ".one"), that form is used — "1 event", not "1 events". Korean has none.
func (c Catalogs) Count(l Lang, key string, n int, args ...any) string {
	if n == 1 {
		if _, ok := c.of(l)[key+".one"]; ok {
			return c.Text(l, key+".one", args...)
		}
	}
	return c.Text(l, key, args...)
}

// Has reports whether key is in l's catalog.
func (c Catalogs) Has(l Lang, key string) bool {
	_, ok := c.of(l)[key]
	return ok
}

// Source gives a client's catalogs: a zero-size type of the client's whose Catalogs method
// returns them, so that the zero value of its Translator already speaks English.
type Source interface{ Catalogs() Catalogs }

// Translator looks messages up in one language of the catalogs S gives. Its zero value
// speaks English, so pages nobody told a language keep working. A client embeds it in its
// own Translator, which adds the renderings that depend on the language (durations, …).
type Translator[S Source] struct{ lang Lang }

// NewTranslator returns a Translator for l.
func NewTranslator[S Source](l Lang) Translator[S] { return Translator[S]{lang: l} }

// Lang returns the translator's language.
func (t Translator[S]) Lang() Lang {
	if t.lang == "" {
		return English
	}
	return t.lang
}

// Korean reports whether the translator speaks Korean.
func (t Translator[S]) Korean() bool { return t.Lang() == Korean }

func (t Translator[S]) catalogs() Catalogs {
	var s S
	return s.Catalogs()
}

// T returns the message for key, formatted with args (fmt verbs) when given (Catalogs.Text).
func (t Translator[S]) T(key string, args ...any) string {
	return t.catalogs().Text(t.Lang(), key, args...)
}

// N is T for a message counting n things (Catalogs.Count).
func (t Translator[S]) N(key string, n int, args ...any) string {
	return t.catalogs().Count(t.Lang(), key, n, args...)
}

// Has reports whether key is in the catalog of the translator's language.
func (t Translator[S]) Has(key string) bool { return t.catalogs().Has(t.Lang(), key) }
