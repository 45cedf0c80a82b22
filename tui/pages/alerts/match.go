package alerts

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"signalcraft/core/api"
	"signalcraft/tui/i18n"
)

// ErrMatcher reports a matcher the silence form cannot read.
var ErrMatcher = errors.New("matcher")

// Matcher operators, longest first so "=~" is not read as "=".
var ops = []string{"=~", "!~", "!=", "="}

var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseMatchers reads matchers written as `label=value, label!=value, label=~regex,
// label!~regex`; a value may be double-quoted (to hold a comma).
func ParseMatchers(s string) ([]api.Matcher, error) {
	var out []api.Matcher
	for _, part := range splitOutsideQuotes(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, "=!")
		if i < 0 {
			return nil, fmt.Errorf("%w %q: want label=value, label!=value, label=~regex or label!~regex", ErrMatcher, part)
		}
		label := strings.TrimSpace(part[:i])
		rest := part[i:]
		op := ""
		for _, o := range ops {
			if strings.HasPrefix(rest, o) {
				op = o
				break
			}
		}
		if op == "" || !labelName.MatchString(label) {
			return nil, fmt.Errorf("%w %q: want label=value, label!=value, label=~regex or label!~regex", ErrMatcher, part)
		}
		value := strings.TrimSpace(rest[len(op):])
		if strings.HasPrefix(value, `"`) {
			v, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%w %q: bad quoted value", ErrMatcher, part)
			}
			value = v
		}
		if op == "=~" || op == "!~" {
			if _, err := regexp.Compile(value); err != nil {
				return nil, fmt.Errorf("%w %q: %v", ErrMatcher, part, err)
			}
		}
		out = append(out, api.Matcher{Label: label, Op: op, Value: value})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: at least one is needed, e.g. machine=pump-2", ErrMatcher)
	}
	return out, nil
}

func splitOutsideQuotes(s string) []string {
	var parts []string
	var b strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			parts = append(parts, b.String())
			b.Reset()
			continue
		}
		b.WriteRune(r)
	}
	return append(parts, b.String())
}

// FormatMatchers writes matchers as ParseMatchers reads them.
func FormatMatchers(ms []api.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		v := m.Value
		if v == "" || strings.ContainsAny(v, `, "`) {
			v = strconv.Quote(v)
		}
		parts[i] = m.Label + m.Op + v
	}
	return strings.Join(parts, ", ")
}

// LabelsOf returns an alert's labels, with alertname, machine and severity filled in from
// its fields when the appliance left them out.
func LabelsOf(a api.Alert) map[string]string {
	l := maps.Clone(a.Labels)
	if l == nil {
		l = map[string]string{}
	}
	for k, v := range map[string]string{"alertname": a.Rule, "machine": a.MachineID, "severity": a.Severity} {
		if _, ok := l[k]; !ok && v != "" {
			l[k] = v
		}
	}
	return l
}

// Matches reports whether every matcher matches the labels (a missing label is ""); regular
// expressions are anchored, as the appliance's are. An invalid one matches nothing.
func Matches(ms []api.Matcher, labels map[string]string) bool {
	return len(ms) > 0 && api.MatchLabels(ms, labels)
}

// Muting says why a silenced or inhibited alert is muted: Short for its row, Long for its
// details.
type Muting struct{ Short, Long string }

// Why explains why a is muted: from a.MutedBy as the appliance gives it ("silence:<id>",
// "maintenance:<name>", "inhibited"), with the silence's or window's details from those
// loaded. An appliance that only says that the alert is silenced or inhibited (no MutedBy)
// gets a guess from the silences, maintenance windows and alerts loaded. Why is zero when
// a is not muted.
func Why(a api.Alert, silences []api.Silence, windows []api.MaintenanceWindow, alerts []api.Alert, now time.Time) Muting {
	return WhyIn(i18n.Translator{}, a, silences, windows, alerts, now)
}

// WhyIn is Why in tr's language.
func WhyIn(tr i18n.Translator, a api.Alert, silences []api.Silence, windows []api.MaintenanceWindow, alerts []api.Alert, now time.Time) Muting {
	if len(a.MutedBy) > 0 {
		var short string
		var long []string
		for _, r := range a.MutedBy {
			s, l := mutedBy(tr, r, silences, windows, now)
			if short == "" {
				short = s
			}
			long = append(long, l)
		}
		if len(a.MutedBy) > 1 {
			short += fmt.Sprintf(" +%d", len(a.MutedBy)-1)
		}
		return Muting{Short: short, Long: strings.Join(long, "; ")}
	}
	return guessWhy(tr, a, silences, windows, alerts, now)
}

// mutedBy explains one reason of Alert.MutedBy.
func mutedBy(tr i18n.Translator, reason string, silences []api.Silence, windows []api.MaintenanceWindow, now time.Time) (short, long string) {
	kind, name, _ := strings.Cut(reason, ":")
	switch kind {
	case "silence":
		for _, s := range silences {
			if s.ID == name {
				return tr.T("mute.silenced.id", name), tr.T("mute.silenced.long", s.ID, clock(now, s.EndsAt), s.CreatedBy, s.Comment)
			}
		}
		return tr.T("mute.silenced.id", name), tr.T("mute.silenced.by", name)
	case "maintenance":
		for _, w := range windows {
			if w.Name == name {
				return tr.T("mute.maint.id", name), tr.T("mute.maint.long", w.Name, w.Start, w.End, w.TimeZone)
			}
		}
		return tr.T("mute.maint.id", name), tr.T("mute.maint.by", name)
	case "inhibited":
		return tr.T("mute.inhibited"), tr.T("mute.inhibited.machine")
	}
	return reason, tr.T("mute.other", reason)
}

// guessWhy finds which silence, maintenance window or alert mutes a, for an appliance that
// does not say (no MutedBy).
func guessWhy(tr i18n.Translator, a api.Alert, silences []api.Silence, windows []api.MaintenanceWindow, alerts []api.Alert, now time.Time) Muting {
	labels := LabelsOf(a)
	switch {
	case a.Silenced:
		for _, s := range silences {
			if s.State == "active" && Matches(s.Matchers, labels) {
				return Muting{Short: tr.T("mute.silenced.id", s.ID),
					Long: tr.T("mute.silenced.long", s.ID, clock(now, s.EndsAt), s.CreatedBy, s.Comment)}
			}
		}
		for _, w := range windows {
			if w.Open && Matches(w.Matchers, labels) {
				return Muting{Short: tr.T("mute.maint.id", w.Name),
					Long: tr.T("mute.maint.long", w.Name, w.Start, w.End, w.TimeZone)}
			}
		}
		return Muting{Short: tr.T("mute.silenced"), Long: tr.T("mute.silenced.guess")}
	case a.Inhibited:
		// The inhibiting alert: another unmuted firing alert of the same machine, critical first.
		var by *api.Alert
		for i, o := range alerts {
			if o.Fingerprint == a.Fingerprint || o.MachineID != a.MachineID || o.State != api.AlertFiring || o.Inhibited {
				continue
			}
			if by == nil || o.Severity == api.SeverityCritical && by.Severity != api.SeverityCritical {
				by = &alerts[i]
			}
		}
		if by != nil {
			return Muting{Short: tr.T("mute.inhibited.id", by.Rule), Long: tr.T("mute.inhibited.by", by.Rule, by.MachineID)}
		}
		return Muting{Short: tr.T("mute.inhibited"), Long: tr.T("mute.inhibited.guess")}
	}
	return Muting{}
}

// clock renders t as wall-clock time, with the date when it is not today.
func clock(now, t time.Time) string {
	t = t.In(now.Location())
	if t.Format(time.DateOnly) == now.In(now.Location()).Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("Jan 02 15:04")
}

// parseDuration reads a silence duration: a Go duration ("90m", "1h30m") or whole days ("2d").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: want e.g. 30m, 2h or 1d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want e.g. 30m, 2h or 1d", s)
	}
	return d, nil
}

// settingsText renders a receiver's settings sorted by key, as the appliance gives them.
func settingsText(s map[string]any) string {
	parts := make([]string, 0, len(s))
	for _, k := range slices.Sorted(maps.Keys(s)) {
		var v string
		switch x := s[k].(type) {
		case string:
			v = x
		case []any:
			vs := make([]string, len(x))
			for i, e := range x {
				vs[i] = fmt.Sprint(e)
			}
			v = strings.Join(vs, ",")
		default:
			v = fmt.Sprint(x)
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}
