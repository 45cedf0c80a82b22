package alert

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"signalcraft/core/api"
)

// Languages returns the languages Render has catalogs for; others fall back to English.
func Languages() []string { return []string{"en", "ko"} }

// catalogs are the message templates by language; {name} placeholders are filled in by msg.
// Every key must exist in every language (checked by a test).
var catalogs = map[string]map[string]string{
	"en": {
		"title.firing":              "[FIRING:{count}] {group}: {names}",
		"title.resolved":            "[RESOLVED] {group}: {names}",
		"title.repeat":              "[STILL FIRING:{count}] {group}: {names}",
		"title.escalation":          "[ESCALATION {step}, FIRING:{count}] {group}: {names}",
		"intro.firing":              "{count} alert(s) firing for {group}.",
		"intro.resolved":            "All alerts for {group} have resolved.",
		"intro.resolved_escalation": "These escalated alerts for {group} have resolved.",
		"intro.some_resolved":       "{resolved} alert(s) for {group} have resolved.",
		"intro.also_resolved":       "{resolved} alert(s) have resolved.",
		"intro.repeat":              "Still firing and not acknowledged for {group}.",
		"intro.escalation":          "Escalation step {step}: these critical alerts for {group} have not been acknowledged.",
		"status.firing":             "FIRING",
		"status.pending":            "PENDING",
		"status.resolved":           "RESOLVED",
		"severity.warning":          "warning",
		"severity.critical":         "critical",
		"alert.default":             "{alertname} on {machine}",
		"alert.since":               "since {time}",
		"alert.resolved_at":         "resolved at {time}",
		"alert.value":               "value {value}",
		"alert.diagnosis":           "likely cause: {fault} ({pct} %)",
		"alert.ack":                 "acknowledged by {who} at {time}",
		"alert.muted":               "muted: {reasons}",
		"group.all":                 "all machines",
		"time.layout":               "2006-01-02 15:04:05 MST",
	},
	"ko": {
		"title.firing":              "[발생:{count}] {group}: {names}",
		"title.resolved":            "[해결] {group}: {names}",
		"title.repeat":              "[계속 발생:{count}] {group}: {names}",
		"title.escalation":          "[{step}단계 상향 보고, 발생:{count}] {group}: {names}",
		"intro.firing":              "{group}에서 경보 {count}건이 발생했습니다.",
		"intro.resolved":            "{group}의 모든 경보가 해결되었습니다.",
		"intro.resolved_escalation": "{group}의 상향 보고된 아래 경보가 해결되었습니다.",
		"intro.some_resolved":       "{group}의 경보 {resolved}건이 해결되었습니다.",
		"intro.also_resolved":       "경보 {resolved}건이 해결되었습니다.",
		"intro.repeat":              "{group}의 경보가 아직 발생 중이며 확인되지 않았습니다.",
		"intro.escalation":          "{step}단계 상향 보고: {group}의 아래 심각 경보가 확인되지 않았습니다.",
		"status.firing":             "발생",
		"status.pending":            "대기",
		"status.resolved":           "해결",
		"severity.warning":          "경고",
		"severity.critical":         "심각",
		"alert.default":             "{machine}: {alertname}",
		"alert.since":               "{time}부터",
		"alert.resolved_at":         "{time}에 해결",
		"alert.value":               "값 {value}",
		"alert.diagnosis":           "추정 원인: {fault} ({pct} %)",
		"alert.ack":                 "{who} 확인 ({time})",
		"alert.muted":               "알림 중지: {reasons}",
		"group.all":                 "전체 설비",
		"time.layout":               "2006-01-02 15:04:05 MST",
	},
}

// lang picks the catalog for a language tag such as "ko", "ko-KR" or "en_US".
func lang(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(tag, "_", "-")), "-")
	if _, ok := catalogs[base]; ok {
		return base
	}
	return "en"
}

// msg looks a message up and fills in {name} placeholders from name/value pairs.
func msg(l, key string, kv ...string) string {
	s, ok := catalogs[l][key]
	if !ok {
		s = catalogs["en"][key]
	}
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

// Render turns a notification into a title and a plain-text body in the given language
// ("en" or "ko"; others fall back to English), using the alerts' annotations in that
// language (or English) and the package's message catalogs. Times are shown in the zone they
// carry. Resolutions are spelled out: a notification that carries only resolutions is titled
// as one, and one that also carries firing alerts says how many resolved.
func Render(language string, n Notification) (title, body string) {
	l := lang(language)
	group := groupName(l, n.GroupLabels)
	var names []string
	firing, resolved := 0, 0
	for _, a := range n.Alerts {
		switch a.Status {
		case StatusFiring:
			firing++
		case StatusResolved:
			resolved++
		}
		if name := a.Labels[LabelAlertName]; !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if len(names) > 3 {
		names = append(names[:3], "…")
	}
	kind := n.Kind
	switch kind {
	case KindFiring, KindResolved, KindRepeat, KindEscalation:
	default:
		kind = KindFiring
	}
	args := []string{"count", strconv.Itoa(firing), "resolved", strconv.Itoa(resolved), "group", group,
		"names", strings.Join(names, ", "), "step", strconv.Itoa(n.Step)}
	title = msg(l, "title."+string(kind), args...)
	intro := msg(l, "intro."+string(kind), args...)
	switch {
	case kind == KindResolved && n.Step > 0: // to an escalation receiver: what it was sent
		intro = msg(l, "intro.resolved_escalation", args...)
	case kind != KindResolved && firing == 0 && resolved > 0: // the rest of the group is muted
		title, intro = msg(l, "title.resolved", args...), msg(l, "intro.some_resolved", args...)
	case kind != KindResolved && resolved > 0:
		intro += " " + msg(l, "intro.also_resolved", args...)
	}

	var b strings.Builder
	b.WriteString(intro)
	b.WriteString("\n")
	layout := msg(l, "time.layout")
	for _, a := range n.Alerts {
		summary := annotation(a, l, "summary")
		if summary == "" {
			summary = msg(l, "alert.default", "alertname", a.Labels[LabelAlertName], "machine", a.Labels[LabelMachine])
		}
		b.WriteString("\n- " + msg(l, "status."+string(a.Status)) + " [" + msg(l, "severity."+a.Labels[LabelSeverity]) + "] " + summary + "\n")
		if d := annotation(a, l, "description"); d != "" {
			b.WriteString("  " + d + "\n")
		}
		details := []string{msg(l, "alert.since", "time", a.ActiveAt.Format(layout))}
		if a.Status == StatusResolved {
			details = append(details, msg(l, "alert.resolved_at", "time", a.ResolvedAt.Format(layout)))
		}
		if a.Metric != "" {
			details = append(details, msg(l, "alert.value", "value", strconv.FormatFloat(a.Value, 'g', 4, 64)))
		}
		if d := a.Diagnosis; d != nil {
			details = append(details, msg(l, "alert.diagnosis", "fault", api.FaultName(l, d.Label),
				"pct", strconv.Itoa(int(math.Round(100*d.Confidence)))))
		}
		if a.Ack != nil {
			details = append(details, msg(l, "alert.ack", "who", a.Ack.By, "time", a.Ack.At.Format(layout)))
		}
		if len(a.Suppressed) > 0 {
			details = append(details, msg(l, "alert.muted", "reasons", strings.Join(a.Suppressed, ", ")))
		}
		b.WriteString("  " + strings.Join(details, " · ") + "\n")
	}
	return title, b.String()
}

func annotation(a Alert, l, key string) string {
	if v := a.Annotations[l][key]; v != "" {
		return v
	}
	return a.Annotations["en"][key]
}

func groupName(l string, g Labels) string {
	if len(g) == 0 {
		return msg(l, "group.all")
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(g)) {
		parts = append(parts, g[k])
	}
	return strings.Join(parts, ", ")
}
