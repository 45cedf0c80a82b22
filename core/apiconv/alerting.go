// Package apiconv holds the wire <-> core conversions and validation: the one definition of
// what the appliance accepts. The appliance's API serves through it and the clients may
// check a form with it; it talks to nothing (no store, job queue, SQLite or audio).
package apiconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/notify"
)

// masked is what a secret reads as for non-admins (notify.Receiver.Redacted).
const masked = "****"

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// matchersFromWire converts and checks matchers; field names them as "<prefix>[i].label",
// ".op" or ".value".
func matchersFromWire(prefix string, in []wire.Matcher) (alert.Matchers, []wire.FieldError) {
	var fs []wire.FieldError
	out := make(alert.Matchers, 0, len(in))
	for i, m := range in {
		p := fmt.Sprintf("%s[%d]", prefix, i)
		ok := true
		if !labelName.MatchString(m.Label) {
			fs = append(fs, wire.FieldError{Field: p + ".label", Message: "must be a label name: a letter or _ followed by letters, digits or _"})
			ok = false
		}
		t := alert.MatchType(m.Op)
		if !slices.Contains([]alert.MatchType{alert.MatchEqual, alert.MatchNotEqual, alert.MatchRegexp, alert.MatchNotRegexp}, t) {
			fs = append(fs, wire.FieldError{Field: p + ".op", Message: "must be one of =, !=, =~, !~"})
			ok = false
		}
		if !ok {
			continue
		}
		c, err := alert.NewMatcher(t, m.Label, m.Value)
		if err != nil {
			fs = append(fs, wire.FieldError{Field: p + ".value", Message: "must be a valid regular expression (anchored at both ends)"})
			continue
		}
		out = append(out, c)
	}
	return out, fs
}

func matchersToWire(ms alert.Matchers) []wire.Matcher {
	out := make([]wire.Matcher, len(ms))
	for i, m := range ms {
		out[i] = wire.Matcher{Label: m.Name, Op: string(m.Type), Value: m.Value}
	}
	return out
}

// SilenceFromWire checks a silence being created at now and converts it: a zero StartsAt
// means now. ID, CreatedBy and State are the appliance's and ignored.
func SilenceFromWire(in wire.Silence, now time.Time) (alert.Silence, []wire.FieldError) {
	ms, fs := matchersFromWire("matchers", in.Matchers)
	switch {
	case len(in.Matchers) == 0:
		fs = append(fs, wire.FieldError{Field: "matchers", Message: "at least one matcher is needed"})
	case len(fs) == 0 && emptyMatches(ms):
		fs = append(fs, wire.FieldError{Field: "matchers", Message: "would silence every alert: at least one matcher must not match a missing label"})
	}
	start := in.StartsAt
	if start.IsZero() {
		start = now
	}
	switch {
	case in.EndsAt.IsZero():
		fs = append(fs, wire.FieldError{Field: "ends_at", Message: "is required"})
	case !in.EndsAt.After(start):
		fs = append(fs, wire.FieldError{Field: "ends_at", Message: "must be after starts_at"})
	case !in.EndsAt.After(now):
		fs = append(fs, wire.FieldError{Field: "ends_at", Message: "must be in the future"})
	}
	if len(in.Comment) > 1000 {
		fs = append(fs, wire.FieldError{Field: "comment", Message: "must be at most 1000 characters"})
	}
	return alert.Silence{Matchers: ms, StartsAt: start, EndsAt: in.EndsAt, Comment: in.Comment}, fs
}

func emptyMatches(ms alert.Matchers) bool {
	for _, m := range ms {
		if !m.Matches(alert.Labels{}) {
			return false
		}
	}
	return true
}

// SilenceToWire converts a silence, in force or not at now.
func SilenceToWire(s alert.Silence, now time.Time) wire.Silence {
	return wire.Silence{ID: s.ID, Matchers: matchersToWire(s.Matchers), StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		CreatedBy: s.CreatedBy, Comment: s.Comment, State: string(s.Status(now))}
}

// weekDays are the day names of MaintenanceWindow.Days, Monday first.
var weekDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// parseDay reads a day name ("mon", "Monday") as its index in weekDays.
func parseDay(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range weekDays {
		full := strings.ToLower(time.Weekday((i + 1) % 7).String())
		if len(s) >= 3 && strings.HasPrefix(full, s) && strings.HasPrefix(s, d) {
			return i, true
		}
	}
	return 0, false
}

// parseClock reads "HH:MM" as minutes after midnight; "24:00" only when allow24.
func parseClock(s string, allow24 bool) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) != 2 || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 {
		return 0, false
	}
	if hh > 23 && !(allow24 && hh == 24 && mm == 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

// WindowsFromWire checks maintenance windows field by field ("maintenance[i].start") and
// converts them. Empty Days means every day.
func WindowsFromWire(in []wire.MaintenanceWindow) ([]alert.MaintenanceWindow, []wire.FieldError) {
	var fs []wire.FieldError
	out := make([]alert.MaintenanceWindow, 0, len(in))
	names := map[string]bool{}
	for i, w := range in {
		p := fmt.Sprintf("maintenance[%d]", i)
		add := func(field, msg string) { fs = append(fs, wire.FieldError{Field: p + field, Message: msg}) }
		switch {
		case strings.TrimSpace(w.Name) == "" || len(w.Name) > 64:
			add(".name", "must be 1-64 characters")
		case names[w.Name]:
			add(".name", "is used by an earlier window")
		}
		names[w.Name] = true
		days := make([]string, 0, 7)
		if len(w.Days) == 0 {
			days = append(days, weekDays...)
		}
		for j, d := range w.Days {
			k, ok := parseDay(d)
			if !ok || strings.ContainsAny(d, ",-") {
				add(fmt.Sprintf(".days[%d]", j), "must be one of mon, tue, wed, thu, fri, sat, sun")
				continue
			}
			if !slices.Contains(days, weekDays[k]) {
				days = append(days, weekDays[k])
			}
		}
		start, okStart := parseClock(w.Start, false)
		if !okStart {
			add(".start", "must be a time of day HH:MM from 00:00 to 23:59")
		}
		end, okEnd := parseClock(w.End, true)
		switch {
		case !okEnd:
			add(".end", "must be a time of day HH:MM from 00:00 to 24:00")
		case okStart && start == end:
			add(".end", "must differ from start (00:00-24:00 is a whole day; an end before the start runs past midnight)")
		}
		if _, err := time.LoadLocation(w.TimeZone); err != nil || strings.EqualFold(w.TimeZone, "local") {
			add(".time_zone", "must be an IANA time zone such as Asia/Seoul or UTC (empty: UTC)")
		}
		ms, mfs := matchersFromWire(p+".matchers", w.Matchers)
		fs = append(fs, mfs...)
		out = append(out, alert.MaintenanceWindow{Name: w.Name, Days: days, Start: w.Start, End: w.End, TimeZone: w.TimeZone, Matchers: ms})
	}
	if len(fs) > 0 {
		return nil, fs
	}
	// The engine's own checks, in case they are stricter.
	c := alert.Config{MaintenanceWindows: out}
	if err := c.Validate(); err != nil {
		for _, fe := range alertFieldErrors(err) {
			if strings.HasPrefix(fe.Field, "maintenance_windows[") {
				fs = append(fs, wire.FieldError{Field: WindowField(fe.Field), Message: fe.Reason})
			}
		}
	}
	return out, fs
}

// WindowField names an engine configuration path of a maintenance window as the API does.
func WindowField(path string) string {
	if rest, ok := strings.CutPrefix(path, "maintenance_windows["); ok {
		return "maintenance[" + rest
	}
	return path
}

// WindowToWire converts a maintenance window, open or not at now. A window written as a
// schedule ("Mon-Fri 12:00-13:00 Asia/Seoul") is shown as days, start, end and time zone.
func WindowToWire(w alert.MaintenanceWindow, now time.Time) wire.MaintenanceWindow {
	days, start, end, tz := w.Days, w.Start, w.End, w.TimeZone
	if w.Schedule != "" {
		f := strings.Fields(w.Schedule)
		if len(f) >= 2 {
			days = []string{f[0]}
			start, end, _ = strings.Cut(f[1], "-")
		}
		if len(f) == 3 {
			tz = f[2]
		}
	}
	out := wire.MaintenanceWindow{Name: w.Name, Days: []string{}, Start: start, End: end, TimeZone: tz,
		Matchers: matchersToWire(w.Matchers), Open: w.Active(now)}
	if out.TimeZone == "" {
		out.TimeZone = "UTC"
	}
	if set, err := alert.ParseDays(days); err == nil && slices.Contains(set[:], false) {
		for i, d := range weekDays {
			if set[(i+1)%7] { // set is Sunday first
				out.Days = append(out.Days, d)
			}
		}
	}
	return out
}

// RuleToWire converts an alert rule; Summary holds its summary annotation by language.
func RuleToWire(r alert.Rule) wire.AlertRule {
	out := wire.AlertRule{Name: r.Name, Metric: r.Expr.Metric, Op: string(r.Expr.Op), Enter: r.Expr.Enter,
		SensorStates: slices.Clone(r.Expr.SensorStates), For: r.For.String(), Severity: string(r.Severity),
		Labels: maps.Clone(r.Labels)}
	if r.Expr.Exit != nil {
		out.Exit = *r.Expr.Exit
	}
	if r.KeepFiringFor != 0 {
		out.KeepFiringFor = r.KeepFiringFor.String()
	}
	for lang, a := range r.Annotations {
		if s, ok := a["summary"]; ok {
			if out.Summary == nil {
				out.Summary = map[string]string{}
			}
			out.Summary[lang] = s
		}
	}
	return out
}

// RulesFromWire checks and converts alert rules. What the API's form does not carry (the
// other annotations such as description, the machines a rule applies to, its no-data
// handling) is kept from the rule of the same name in old. An Exit of 0 means no
// hysteresis. Fields are named "rules[i].severity", "rules[i].summary.ko", ….
func RulesFromWire(in []wire.AlertRule, old []alert.Rule) ([]alert.Rule, []wire.FieldError) {
	var fs []wire.FieldError
	out := make([]alert.Rule, 0, len(in))
	for i, w := range in {
		p := fmt.Sprintf("rules[%d]", i)
		var r alert.Rule
		if j := slices.IndexFunc(old, func(o alert.Rule) bool { return o.Name == w.Name }); j >= 0 {
			r = old[j]
		}
		dur := func(field, v string) time.Duration {
			if v == "" {
				return 0
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				fs = append(fs, wire.FieldError{Field: p + "." + field, Message: "must be a duration such as 30s or 5m"})
			}
			return d
		}
		expr := alert.Expr{Metric: w.Metric, Op: alert.Op(w.Op), Enter: w.Enter, SensorStates: slices.Clone(w.SensorStates)}
		switch {
		case w.Exit != 0:
			exit := w.Exit
			expr.Exit = &exit
		case r.Expr.Exit != nil && *r.Expr.Exit == 0 && r.Expr.Metric == w.Metric:
			expr.Exit = r.Expr.Exit
		}
		r.Name, r.Expr, r.Severity, r.Labels = w.Name, expr, alert.Severity(w.Severity), maps.Clone(w.Labels)
		r.For, r.KeepFiringFor = dur("for", w.For), dur("keep_firing_for", w.KeepFiringFor)
		r.Annotations = mergeSummary(r.Annotations, w.Summary)
		out = append(out, r)
	}
	c := alert.Config{Rules: out}
	if err := c.Validate(); err != nil {
		for _, fe := range alertFieldErrors(err) {
			if strings.HasPrefix(fe.Field, "rules[") {
				fs = append(fs, wire.FieldError{Field: RuleField(fe.Field), Message: reason(fe)})
			}
		}
	}
	return out, fs
}

// mergeSummary replaces the summary annotations of old by summary. Other keys of the
// languages summary names are kept, and dropped where some language lacks them (every
// language needs the same keys); an empty summary keeps old's languages.
func mergeSummary(old map[string]map[string]string, summary map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for lang, a := range old {
		if _, ok := summary[lang]; len(summary) > 0 && !ok {
			continue
		}
		out[lang] = maps.Clone(a)
		delete(out[lang], "summary")
	}
	for lang, s := range summary {
		if out[lang] == nil {
			out[lang] = map[string]string{}
		}
		out[lang]["summary"] = s
	}
	keys := map[string]int{}
	for _, a := range out {
		for k := range a {
			keys[k]++
		}
	}
	for k, n := range keys {
		if n < len(out) {
			for _, a := range out {
				delete(a, k)
			}
		}
	}
	for lang, a := range out {
		if len(a) == 0 {
			delete(out, lang)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var rulePath = regexp.MustCompile(`^(rules\[\d+\])\.(.*)$`)

// RuleField names an engine configuration path of a rule as the API's AlertRule does:
// rules[0].expr.op is rules[0].op, rules[0].annotations.ko.summary is rules[0].summary.ko.
func RuleField(path string) string {
	m := rulePath.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	p, rest := m[1], m[2]
	switch {
	case rest == "expr":
		return p + ".metric"
	case strings.HasPrefix(rest, "expr."):
		return p + "." + strings.TrimPrefix(rest, "expr.")
	case strings.HasPrefix(rest, "annotations."):
		lang, _, _ := strings.Cut(strings.TrimPrefix(rest, "annotations."), ".")
		return p + ".summary." + lang
	}
	return path
}

func reason(fe *alert.FieldError) string {
	if fe.Value == nil {
		return fe.Reason
	}
	if s, ok := fe.Value.(string); ok {
		return fmt.Sprintf("%q %s", s, fe.Reason)
	}
	return fmt.Sprintf("%v %s", fe.Value, fe.Reason)
}

// alertFieldErrors collects the *alert.FieldError in err's tree.
func alertFieldErrors(err error) []*alert.FieldError {
	var out []*alert.FieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*alert.FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if c := u.Unwrap(); c != nil {
				walk(c)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// FieldsFromAlert turns the engine's field errors in err into a 422 naming the fields
// (through name, when set); other errors pass unchanged.
func FieldsFromAlert(err error, msg string, name func(string) string) error {
	fes := alertFieldErrors(err)
	var we *wire.Error
	if len(fes) == 0 || errors.As(err, &we) {
		return err
	}
	fs := make([]wire.FieldError, len(fes))
	for i, fe := range fes {
		f := fe.Field
		if name != nil {
			f = name(f)
		}
		fs[i] = wire.FieldError{Field: f, Message: reason(fe)}
	}
	return &wire.Error{Code: wire.CodeInvalid, Message: msg, Fields: fs}
}

// receiverBlock points at the field holding the settings block of the receiver's type
// (which holds a nil pointer if unset); nil for an unknown type.
func receiverBlock(r *notify.Receiver) any {
	switch r.Type {
	case notify.TypeShoutrrr:
		return &r.Shoutrrr
	case notify.TypeWebhook:
		return &r.Webhook
	case notify.TypeMQTT:
		return &r.MQTT
	case notify.TypeKakaoAlimtalk:
		return &r.Alimtalk
	case notify.TypeSENSSMS:
		return &r.SMS
	case notify.TypeJandi:
		return &r.Jandi
	case notify.TypeDooray:
		return &r.Dooray
	}
	return nil
}

// toTree returns v's JSON form as a map (empty for nil).
func toTree(v any) map[string]any {
	out := map[string]any{}
	if b, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(b, &out)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// ReceiverToWire converts a receiver; Settings are its type's block, with rate_limit and
// circuit_breaker when set. Mask secrets first (Redacted) for non-admins.
func ReceiverToWire(r notify.Receiver) wire.Receiver {
	s := toTree(receiverBlock(&r))
	if r.RateLimit != 0 {
		s["rate_limit"] = r.RateLimit
	}
	if r.Breaker != (notify.CircuitBreaker{}) {
		s["circuit_breaker"] = toTree(r.Breaker)
	}
	lang := r.Lang
	if lang == "" {
		lang = notify.LangEnglish
	}
	return wire.Receiver{Name: r.Name, Type: string(r.Type), Lang: lang, SendResolved: r.SendResolved, Settings: s}
}

// strictDecode decodes v's JSON form into dst, refusing unknown fields.
func strictDecode(v any, dst any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// ReceiversFromWire checks and converts receivers. A secret sent back masked, exactly as
// it reads for a non-admin, keeps the value stored in old under the same name and type.
// Fields are named "receivers[i].name", "receivers[i].settings.url", ….
func ReceiversFromWire(in []wire.Receiver, old []notify.Receiver) ([]notify.Receiver, []wire.FieldError) {
	var fs []wire.FieldError
	out := make([]notify.Receiver, 0, len(in))
	names := map[string]bool{}
	for i, w := range in {
		p := fmt.Sprintf("receivers[%d]", i)
		add := func(field, msg string) { fs = append(fs, wire.FieldError{Field: p + field, Message: msg}) }
		r := notify.Receiver{Name: w.Name, Type: notify.Type(w.Type), Lang: w.Lang, SendResolved: w.SendResolved}
		if names[w.Name] {
			add(".name", "is used by an earlier receiver")
		}
		names[w.Name] = true
		settings := maps.Clone(w.Settings)
		if settings == nil {
			settings = map[string]any{}
		}
		if v, ok := settings["rate_limit"]; ok {
			delete(settings, "rate_limit")
			n, isNum := v.(float64)
			if !isNum || n != math.Trunc(n) || n < 0 || n > math.MaxInt32 {
				add(".settings.rate_limit", "must be a whole number of messages per minute (0: unlimited)")
			} else {
				r.RateLimit = int(n)
			}
		}
		if v, ok := settings["circuit_breaker"]; ok {
			delete(settings, "circuit_breaker")
			if err := strictDecode(v, &r.Breaker); err != nil {
				add(".settings.circuit_breaker", fmt.Sprintf(`must be {"failures": 5, "cool_down": "1m"}: %v`, err))
			}
		}
		if j := slices.IndexFunc(old, func(o notify.Receiver) bool { return o.Name == w.Name && o.Type == r.Type }); j >= 0 {
			redacted := old[j].Redacted()
			unmask(settings, toTree(receiverBlock(&old[j])), toTree(receiverBlock(&redacted)))
		}
		block := receiverBlock(&r)
		if block == nil {
			types := make([]string, 0, 7)
			for _, t := range notify.Types() {
				types = append(types, string(t))
			}
			add(".type", "must be one of "+strings.Join(types, ", "))
			continue
		}
		if err := strictDecode(settings, block); err != nil {
			add(".settings", fmt.Sprintf("settings of a %s receiver: %v", r.Type, strings.TrimPrefix(err.Error(), "json: ")))
			continue
		}
		var ce *notify.ConfigError
		if err := r.Validate(); errors.As(err, &ce) {
			add(receiverField(r.Type, ce.Field), ce.Reason)
		} else if err != nil {
			add("", err.Error())
		}
		out = append(out, r)
	}
	return out, fs
}

// receiverField names a notify.ConfigError field as the API's Receiver does.
func receiverField(t notify.Type, field string) string {
	switch {
	case field == "rate_limit" || strings.HasPrefix(field, "circuit_breaker"):
		return ".settings." + field
	case field == string(t):
		return ".settings"
	}
	for _, typ := range notify.Types() {
		if rest, ok := strings.CutPrefix(field, string(typ)+"."); ok {
			return ".settings." + rest
		}
	}
	return "." + field
}

// unmask puts stored values back where the new settings hold exactly the masked form of
// a stored secret.
func unmask(next, stored, redacted map[string]any) {
	for k, v := range next {
		next[k] = unmaskValue(v, stored[k], redacted[k])
	}
}

func unmaskValue(v, stored, redacted any) any {
	switch x := v.(type) {
	case string:
		if r, ok := redacted.(string); ok && strings.Contains(x, masked) && r == x && stored != nil {
			return stored
		}
	case map[string]any:
		s, _ := stored.(map[string]any)
		r, _ := redacted.(map[string]any)
		if s != nil && r != nil {
			unmask(x, s, r)
		}
	case []any:
		s, _ := stored.([]any)
		r, _ := redacted.([]any)
		for i := range x {
			if i < len(s) && i < len(r) {
				x[i] = unmaskValue(x[i], s[i], r[i])
			}
		}
	}
	return v
}
