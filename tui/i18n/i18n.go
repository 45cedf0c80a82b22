// Package i18n provides the terminal client's message catalogs (English and
// Korean) and a Translator that looks messages up by key, plus the few
// values whose rendering depends on the language (durations, ages, machine
// states, event labels). Catalogs are Go maps so a missing translation is
// caught by a test, not by a technician. The Korean wording follows the
// desktop client's (gui/i18n).
package i18n

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"signalcraft/core/api"
	lang "signalcraft/core/i18n"
)

// Lang is a language the client speaks (core/i18n's).
type Lang = lang.Lang

// Languages the client has catalogs for.
const (
	English = lang.English
	Korean  = lang.Korean
)

// Langs lists the languages the client speaks.
func Langs() []Lang { return lang.Langs() }

// Parse returns the language of s, a bare code ("ko") or a POSIX locale
// ("ko_KR.UTF-8"). Unknown languages give English and an error.
func Parse(s string) (Lang, error) { return lang.Parse(s) }

// FromEnv returns the language of the locale as POSIX resolves it: the
// first of LC_ALL, LC_MESSAGES and LANG that is set decides; a locale
// starting with "ko" is Korean, anything else (C, POSIX, unset) English.
func FromEnv(getenv func(string) string) Lang { return lang.FromEnv(getenv) }

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

// Span renders a duration compactly: "12s", "5m", "3h", "2d" in English,
// "12초", "5분", "3시간", "2일" in Korean.
func (t Translator) Span(d time.Duration) string {
	s, m, h, dd := "s", "m", "h", "d"
	if t.Korean() {
		s, m, h, dd = "초", "분", "시간", "일"
	}
	switch {
	case d < 0:
		return "0" + s
	case d < time.Minute:
		return fmt.Sprintf("%d%s", int(d.Seconds()), s)
	case d < time.Hour:
		return fmt.Sprintf("%d%s", int(d.Minutes()), m)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d%s", int(d.Hours()), h)
	}
	return fmt.Sprintf("%d%s", int(d.Hours()/24), dd)
}

// Ago renders how long before now t was: "5m ago", "5분 전".
func (t Translator) Ago(now, at time.Time) string {
	if at.IsZero() {
		return "—"
	}
	return t.T("time.ago", t.Span(now.Sub(at)))
}

// State renders a machine's live state in words, as format.State does in
// English: "monitoring" (감시 중), "learning 45%" (학습 중 45%), "ANOMALY"
// (이상), "sensor silent" (센서 무음), "—" before any update.
func (t Translator) State(l api.Live) string {
	switch {
	case l.State == "" && l.Sensor == "":
		return "—"
	case l.State == api.StateAnomaly:
		return t.T("state.anomaly")
	case l.Sensor != "" && l.Sensor != api.SensorOK:
		return t.T("state.sensor", t.Sensor(l.Sensor))
	case l.State == api.StateLearning:
		return t.T("state.learning", int(l.Progress*100))
	}
	if k := "state." + l.State; t.Has(k) {
		return t.T(k)
	}
	return l.State
}

// Sensor names a sensor state ("ok", "silent", "lost", …).
func (t Translator) Sensor(s string) string {
	if k := "sensor." + s; t.Has(k) {
		return t.T(k)
	}
	return s
}

// Label renders an event label or fault class for people ("false_alarm" is
// "false alarm", 오경보), with the appliance's fault names.
func (t Translator) Label(l string) string { return api.FaultName(string(t.Lang()), l) }

// Clock renders at as wall-clock time, with the date when it is not the
// same day as now ("Mar 13 08:30"; Korean "03-13 08:30", narrow enough for the
// events list's column).
func (t Translator) Clock(now, at time.Time) string {
	at = at.In(now.Location())
	if at.Format(time.DateOnly) == now.In(now.Location()).Format(time.DateOnly) {
		return at.Format("15:04:05")
	}
	if t.Korean() {
		return at.Format("01-02 15:04")
	}
	return at.Format("Jan 02 15:04")
}

// Role names an API role (viewer, operator, admin).
func (t Translator) Role(r api.Role) string {
	if k := "role." + string(r); t.Has(k) {
		return t.T(k)
	}
	return string(r)
}

// Diagnosis renders a fault classifier's verdict as format.Diagnosis does, with the fault
// names in the translator's language: "bearing outer race 87 %", or for an unsure one
// "unknown (best guess bearing ball 41 %)"; the runners-up follow when asked.
func (t Translator) Diagnosis(d *api.Diagnosis, runnersUp int) string {
	if d == nil {
		return ""
	}
	type cp struct {
		c string
		p float64
	}
	var all []cp
	for c, p := range d.Probs {
		all = append(all, cp{c, p})
	}
	slices.SortFunc(all, func(a, b cp) int {
		if a.p != b.p {
			return cmp.Compare(b.p, a.p)
		}
		return cmp.Compare(a.c, b.c)
	})
	pct := func(p float64) string { return fmt.Sprintf("%.0f %%", 100*p) }
	var s string
	switch {
	case d.Label == api.DiagnosisUnknown && len(all) > 0:
		s = t.T("diagnosis.unsure", t.Label(all[0].c), pct(all[0].p))
	default:
		s = t.Label(d.Label) + " " + pct(d.Confidence)
	}
	var rest []string
	for _, x := range all {
		if len(rest) == runnersUp {
			break
		}
		if x.c != d.Label && (d.Label != api.DiagnosisUnknown || x != all[0]) {
			rest = append(rest, t.Label(x.c)+" "+pct(x.p))
		}
	}
	if len(rest) > 0 {
		s += " · " + strings.Join(rest, " · ")
	}
	return s
}

// NeedRole explains that an action needs a role the caller lacks, as format.NeedRole does;
// what is the catalog key of the action ("what.ack": "acknowledge events").
func (t Translator) NeedRole(min api.Role, what string, have api.Role) string {
	return t.T("needrole", t.T(what), t.Role(min), t.Role(have))
}
