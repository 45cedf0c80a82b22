package notify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// words holds the fixed wording of the default templates for one language.
type words struct {
	firing, resolved, test                string
	critical, warning, info               string
	machine, rule, value, since, ended    string
	testTitle, testBody, more, alertCount string
}

func wordsFor(lang string) words {
	if lang == LangKorean {
		return words{
			firing: "발생", resolved: "해소", test: "테스트",
			critical: "심각", warning: "경고", info: "정보",
			machine: "설비", rule: "규칙", value: "값", since: "시작", ended: "종료",
			testTitle: "SignalCraft 테스트 알림",
			testBody:  "이 알림 채널이 올바르게 설정되었습니다. 수신자: %s",
			more:      "외 %d건", alertCount: "%d건",
		}
	}
	return words{
		firing: "FIRING", resolved: "RESOLVED", test: "TEST",
		critical: "critical", warning: "warning", info: "info",
		machine: "machine", rule: "rule", value: "value", since: "since", ended: "ended",
		testTitle: "SignalCraft test notification",
		testBody:  "This notification channel is set up correctly. Receiver: %s",
		more:      "and %d more", alertCount: "%d alerts",
	}
}

func (w words) status(s Status) string {
	switch s {
	case StatusResolved:
		return w.resolved
	case StatusTest:
		return w.test
	}
	return w.firing
}

func (w words) severity(s string) string {
	switch s {
	case SeverityCritical:
		return w.critical
	case SeverityWarning:
		return w.warning
	case SeverityInfo, "":
		return w.info
	}
	return s
}

// formatter renders messages for channels: default titles and bodies, times in loc.
type formatter struct{ loc *time.Location }

func (f formatter) time(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(f.loc).Format("2006-01-02 15:04:05 MST")
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// title returns m.Title, or the default title in lang.
func (f formatter) title(m Message, lang string) string {
	if m.Title != "" {
		return m.Title
	}
	w := wordsFor(lang)
	if m.Status == StatusTest {
		return w.testTitle
	}
	head := "[" + w.status(m.Status)
	if len(m.Alerts) > 1 {
		head += ":" + strconv.Itoa(len(m.Alerts))
	}
	head += "] "
	if sev := m.Severity; sev != "" {
		head += w.severity(sev) + " — "
	}
	if len(m.Alerts) == 0 {
		return strings.TrimSuffix(head, " — ") + "SignalCraft"
	}
	a := m.Alerts[0]
	t := a.Machine + " " + a.Rule
	if len(m.Alerts) > 1 {
		t += " (" + fmt.Sprintf(w.more, len(m.Alerts)-1) + ")"
	}
	return head + t
}

// body returns m.Body, or the default plain-text body in lang: one line per alert.
func (f formatter) body(m Message, lang string) string {
	if m.Body != "" {
		return m.Body
	}
	w := wordsFor(lang)
	if m.Status == StatusTest {
		return fmt.Sprintf(w.testBody, m.Receiver)
	}
	var b strings.Builder
	for i, a := range m.Alerts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.alertLine(w, m.status(a), a))
	}
	return b.String()
}

func (f formatter) alertLine(w words, st Status, a AlertInfo) string {
	line := fmt.Sprintf("- %s %s · %s %s · %s %s · %s %s", w.machine, a.Machine, w.rule, a.Rule,
		w.value, formatValue(a.Value), w.since, f.time(a.StartsAt))
	if st == StatusResolved && !a.EndsAt.IsZero() {
		line += fmt.Sprintf(" · %s %s", w.ended, f.time(a.EndsAt))
	}
	if a.Summary != "" {
		line += "\n  " + a.Summary
	}
	return line
}

// severityColor is the colour used by chat presets for a message.
func severityColor(m Message) string {
	if m.Status == StatusResolved {
		return "#2EB67D" // green
	}
	switch m.Severity {
	case SeverityCritical:
		return "#E01E5A" // red
	case SeverityWarning:
		return "#ECB22E" // amber
	}
	return "#36C5F0" // blue
}

// messageLang picks the language: the message's, else the receiver's, else English.
func messageLang(m Message, r Receiver) string {
	for _, l := range []string{m.Lang, r.Lang} {
		if l == LangKorean || l == LangEnglish {
			return l
		}
	}
	return LangEnglish
}

// templateFuncs are available to webhook body templates.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"join":  strings.Join,
		"rfc3339": func(t time.Time) string {
			return t.UTC().Format(time.RFC3339)
		},
	}
}

// templateVars are the #{name} variables offered to Alimtalk templates.
func (f formatter) templateVars(m Message, lang string) map[string]string {
	w := wordsFor(lang)
	v := map[string]string{
		"title":    f.title(m, lang),
		"body":     f.body(m, lang),
		"status":   w.status(m.Status),
		"severity": w.severity(m.Severity),
		"count":    strconv.Itoa(len(m.Alerts)),
		"time":     f.time(m.SentAt),
	}
	if len(m.Alerts) > 0 {
		a := m.Alerts[0]
		v["machine"], v["rule"], v["value"], v["summary"] = a.Machine, a.Rule, formatValue(a.Value), a.Summary
		v["time"] = f.time(a.StartsAt)
		if m.Status == StatusResolved && !a.EndsAt.IsZero() {
			v["time"] = f.time(a.EndsAt)
		}
	}
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, taken := v[k]; !taken {
			v[k] = m.Labels[k]
		}
	}
	return v
}

// fillVars replaces #{name} placeholders; unknown names become empty.
func fillVars(tmpl string, vars map[string]string) string {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "#{")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		b.WriteString(vars[tmpl[i+2:i+j]])
		tmpl = tmpl[i+j+1:]
	}
}
