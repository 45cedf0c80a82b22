package fakeappliance

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"signalcraft/core/notify"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"signalcraft/core/api"
)

// This file checks what clients send the way the appliance does
// (appliance/api/alertconv.go, core/alert and core/notify): the same field
// names in 422 answers, the same secret masking, the same maintenance
// schedule. Messages are close to the appliance's, not always identical.

// Masked is what a secret reads as for non-admins; sent back as read, it keeps the stored value.
const Masked = "****"

var (
	labelNameRE    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	ruleNameRE     = labelNameRE
	receiverNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	phoneRE        = regexp.MustCompile(`^[0-9]{4,20}$`)
	bandRE         = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?-[0-9]+(\.[0-9]+)?$`)
)

// WeekDays are the day names of api.MaintenanceWindow.Days, Monday first.
var WeekDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// SensorStates are the states a sensor_states rule may name.
var SensorStates = []string{"ok", "silent", "clipping", "offset", "stuck", "lost", "reconnecting", "ended"}

func fe(field, msg string, args ...any) api.FieldError {
	return api.FieldError{Field: field, Message: fmt.Sprintf(msg, args...)}
}

// validateMatchers checks matchers, naming fields "<prefix>[i].label|op|value".
func validateMatchers(prefix string, ms []api.Matcher) []api.FieldError {
	var out []api.FieldError
	for i, m := range ms {
		p := fmt.Sprintf("%s[%d]", prefix, i)
		ok := true
		if !labelNameRE.MatchString(m.Label) {
			out = append(out, fe(p+".label", "must be a label name: a letter or _ followed by letters, digits or _"))
			ok = false
		}
		if !slices.Contains([]string{"=", "!=", "=~", "!~"}, m.Op) {
			out = append(out, fe(p+".op", "must be one of =, !=, =~, !~"))
			ok = false
		}
		if ok && (m.Op == "=~" || m.Op == "!~") {
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				out = append(out, fe(p+".value", "must be a valid regular expression (anchored at both ends)"))
			}
		}
	}
	return out
}

// ValidateSilence checks a new silence the way the appliance does: fields
// "matchers", "matchers[i].label|op|value", "ends_at", "comment". A zero
// StartsAt means now.
func ValidateSilence(sl api.Silence, now time.Time) []api.FieldError {
	out := validateMatchers("matchers", sl.Matchers)
	switch {
	case len(sl.Matchers) == 0:
		out = append(out, fe("matchers", "at least one matcher is needed"))
	case len(out) == 0 && api.MatchLabels(sl.Matchers, map[string]string{}):
		out = append(out, fe("matchers", "would silence every alert: at least one matcher must not match a missing label"))
	}
	start := sl.StartsAt
	if start.IsZero() {
		start = now
	}
	switch {
	case sl.EndsAt.IsZero():
		out = append(out, fe("ends_at", "is required"))
	case !sl.EndsAt.After(start):
		out = append(out, fe("ends_at", "must be after starts_at"))
	case !sl.EndsAt.After(now):
		out = append(out, fe("ends_at", "must be in the future"))
	}
	if len(sl.Comment) > 1000 {
		out = append(out, fe("comment", "must be at most 1000 characters"))
	}
	return out
}

func validMetric(m string) bool {
	switch m {
	case "anomaly_score", "score", "threshold", "level_dbfs", "overruns":
		return true
	}
	family, arg, ok := strings.Cut(m, ":")
	switch {
	case !ok || arg == "":
		return false
	case family == "band_energy_db":
		return arg == "*" || bandRE.MatchString(arg)
	case family == "fault_energy":
		return slices.Contains([]string{"*", "bpfo", "bpfi", "bsf", "ftf"}, arg)
	}
	return false
}

// ValidateRules checks alert rules the way the appliance does: fields
// "rules[i].name", ".metric", ".op", ".exit", ".sensor_states[j]", ".for",
// ".keep_firing_for", ".severity", ".summary.<lang>".
func ValidateRules(rs []api.AlertRule) []api.FieldError {
	var out []api.FieldError
	names := map[string]bool{}
	for i, r := range rs {
		p := fmt.Sprintf("rules[%d]", i)
		add := func(field, msg string, args ...any) { out = append(out, fe(p+field, msg, args...)) }
		switch {
		case !ruleNameRE.MatchString(r.Name):
			add(".name", "%q must be a letter or _ followed by letters, digits or _", r.Name)
		case names[r.Name]:
			add(".name", "%q is used by an earlier rule", r.Name)
		}
		names[r.Name] = true
		for _, f := range []struct{ name, v string }{{"for", r.For}, {"keep_firing_for", r.KeepFiringFor}} {
			if f.v == "" {
				continue
			}
			d, err := time.ParseDuration(f.v)
			switch {
			case err != nil:
				add("."+f.name, "must be a duration such as 30s or 5m")
			case d < 0:
				add("."+f.name, "%v must not be negative", d)
			}
		}
		switch {
		case len(r.SensorStates) > 0:
			if r.Metric != "" || r.Op != "" || r.Enter != 0 || r.Exit != 0 {
				add(".metric", "%q give either sensor_states or metric/op/enter/exit, not both", r.Metric)
			}
			for j, s := range r.SensorStates {
				if !slices.Contains(SensorStates, s) {
					add(fmt.Sprintf(".sensor_states[%d]", j), "%q is not one of %s", s, strings.Join(SensorStates, ", "))
				}
			}
		case r.Metric == "":
			add(".metric", `"" is required (or sensor_states)`)
		default:
			if !validMetric(r.Metric) {
				add(".metric", "%q is not a known metric (anomaly_score, score, threshold, level_dbfs, overruns, band_energy_db:<band>, fault_energy:<bpfo|bpfi|bsf|ftf>)", r.Metric)
			}
			if !slices.Contains([]string{">", "<", ">=", "<="}, r.Op) {
				add(".op", "%q is not one of >, <, >=, <=", r.Op)
			}
			switch {
			case math.IsNaN(r.Enter) || math.IsInf(r.Enter, 0):
				add(".enter", "must be finite")
			case r.Exit == 0:
			case (r.Op == ">" || r.Op == ">=") && r.Exit > r.Enter:
				add(".exit", "%v must not be above enter (%v) for %s", r.Exit, r.Enter, r.Op)
			case (r.Op == "<" || r.Op == "<=") && r.Exit < r.Enter:
				add(".exit", "%v must not be below enter (%v) for %s", r.Exit, r.Enter, r.Op)
			}
		}
		if r.Severity != api.SeverityWarning && r.Severity != api.SeverityCritical {
			add(".severity", "%q is not one of warning, critical", r.Severity)
		}
		for _, lang := range slices.Sorted(mapKeys(r.Summary)) {
			if _, err := template.New("summary").Parse(r.Summary[lang]); err != nil {
				add(".summary."+lang, "%q %v", r.Summary[lang], err)
			}
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
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

// dayIndex reads a day name ("mon", "Monday") as its index in WeekDays.
func dayIndex(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range WeekDays {
		full := strings.ToLower(time.Weekday((i + 1) % 7).String())
		if len(s) >= 3 && strings.HasPrefix(full, s) && strings.HasPrefix(s, d) {
			return i, true
		}
	}
	return 0, false
}

// ValidateWindows checks maintenance windows the way the appliance does
// (fields "maintenance[i].name|days[j]|start|end|time_zone|matchers[j].…")
// and returns them as the appliance stores them: days in week order, none
// for every day, time zone UTC when empty.
func ValidateWindows(in []api.MaintenanceWindow) ([]api.MaintenanceWindow, []api.FieldError) {
	var out []api.FieldError
	ws := make([]api.MaintenanceWindow, 0, len(in))
	names := map[string]bool{}
	for i, w := range in {
		p := fmt.Sprintf("maintenance[%d]", i)
		add := func(field, msg string) { out = append(out, fe(p+field, "%s", msg)) }
		switch {
		case strings.TrimSpace(w.Name) == "" || len(w.Name) > 64:
			add(".name", "must be 1-64 characters")
		case names[w.Name]:
			add(".name", "is used by an earlier window")
		}
		names[w.Name] = true
		var set [7]bool
		for j, d := range w.Days {
			k, ok := dayIndex(d)
			if !ok || strings.ContainsAny(d, ",-") {
				add(fmt.Sprintf(".days[%d]", j), "must be one of mon, tue, wed, thu, fri, sat, sun")
				continue
			}
			set[k] = true
		}
		days := []string{}
		if slices.Contains(set[:], false) {
			for k, on := range set {
				if on {
					days = append(days, WeekDays[k])
				}
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
		out = append(out, validateMatchers(p+".matchers", w.Matchers)...)
		tz := w.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		ms := w.Matchers
		if ms == nil {
			ms = []api.Matcher{}
		}
		ws = append(ws, api.MaintenanceWindow{Name: w.Name, Days: days, Start: w.Start, End: w.End, TimeZone: tz, Matchers: ms})
	}
	return ws, out
}

// WindowOpen reports whether a (valid) maintenance window is open at t: on
// one of its days from Start until End, or, when End is before Start, until
// End the next day.
func WindowOpen(w api.MaintenanceWindow, t time.Time) bool {
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return false
	}
	start, ok1 := parseClock(w.Start, false)
	end, ok2 := parseClock(w.End, true)
	if !ok1 || !ok2 {
		return false
	}
	lt := t.In(loc)
	day := (int(lt.Weekday()) + 6) % 7 // Monday 0
	has := func(d int) bool {
		if len(w.Days) == 0 {
			return true
		}
		return slices.ContainsFunc(w.Days, func(s string) bool { i, ok := dayIndex(s); return ok && i == d })
	}
	m := lt.Hour()*60 + lt.Minute()
	if start < end {
		return has(day) && m >= start && m < end
	}
	return (has(day) && m >= start) || (has((day+6)%7) && m < end)
}

// Receiver types and the settings keys each takes (the JSON of the type's
// block in core/notify), plus rate_limit and circuit_breaker for all.
var ReceiverSettings = map[string][]string{
	"shoutrrr":       {"url", "timeout"},
	"webhook":        {"url", "method", "headers", "body_template", "content_type", "secret", "timeout"},
	"mqtt":           {"broker", "client_id", "username", "password", "topic_prefix", "home_assistant", "discovery_prefix", "timeout"},
	"kakao_alimtalk": {"base_url", "service_id", "access_key", "secret_key", "plus_friend_id", "template_code", "content", "to", "country_code", "timeout"},
	"sens_sms":       {"base_url", "service_id", "access_key", "secret_key", "from", "to", "country_code", "timeout"},
	"jandi":          {"url", "timeout"},
	"dooray":         {"url", "bot_name", "bot_icon_image", "timeout"},
}

// ReceiverTypes lists the receiver types in the appliance's order.
var ReceiverTypes = []string{"shoutrrr", "webhook", "mqtt", "kakao_alimtalk", "sens_sms", "jandi", "dooray"}

// jsonTree returns v's JSON form (maps, slices, strings, float64s, bools).
func jsonTree(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func str(v any) string { s, _ := v.(string); return s }

// ValidateReceivers checks receivers the way the appliance does (fields
// "receivers[i].name|type|lang|settings|settings.<key>"; at most one error
// of notify's own checks per receiver).
func ValidateReceivers(rs []api.Receiver) []api.FieldError {
	var out []api.FieldError
	names := map[string]bool{}
	for i, r := range rs {
		p := fmt.Sprintf("receivers[%d]", i)
		add := func(field, msg string, args ...any) { out = append(out, fe(p+field, msg, args...)) }
		if names[r.Name] {
			add(".name", "is used by an earlier receiver")
		}
		names[r.Name] = true
		keys, ok := ReceiverSettings[r.Type]
		if !ok {
			add(".type", "must be one of %s", strings.Join(ReceiverTypes, ", "))
			continue
		}
		s, _ := jsonTree(r.Settings).(map[string]any)
		if s == nil {
			s = map[string]any{}
		}
		if v, ok := s["rate_limit"]; ok {
			if n, isNum := v.(float64); !isNum || n != math.Trunc(n) || n < 0 {
				add(".settings.rate_limit", "must be a whole number of messages per minute (0: unlimited)")
			}
		}
		unknown := ""
		for _, k := range slices.Sorted(mapKeys(s)) {
			if !slices.Contains(keys, k) && k != "rate_limit" && k != "circuit_breaker" {
				unknown = k
				break
			}
		}
		if unknown != "" {
			add(".settings", "settings of a %s receiver: unknown field %q", r.Type, unknown)
			continue
		}
		if f, msg := checkReceiver(r, s); f != "" {
			add(f, "%s", msg)
		}
	}
	return out
}

// checkReceiver is notify.Receiver.Validate: the first problem, as a field
// suffix and a message.
func checkReceiver(r api.Receiver, s map[string]any) (string, string) {
	if !receiverNameRE.MatchString(r.Name) || len(r.Name) > 64 {
		return ".name", fmt.Sprintf("%q: must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit", r.Name)
	}
	if r.Lang != "" && r.Lang != "en" && r.Lang != "ko" {
		return ".lang", fmt.Sprintf("%q: must be ko or en", r.Lang)
	}
	httpURL := func(k string) (string, string) {
		v := str(s[k])
		if v == "" {
			return ".settings." + k, "required"
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return ".settings." + k, "must be an http or https URL"
		}
		return "", ""
	}
	phones := func() (string, string) {
		to, _ := s["to"].([]any)
		if len(to) == 0 {
			return ".settings.to", "at least one recipient number is required"
		}
		for _, p := range to {
			if !phoneRE.MatchString(str(p)) {
				return ".settings.to", fmt.Sprintf("%q: recipient numbers are digits only", str(p))
			}
		}
		return "", ""
	}
	ncp := func() (string, string) {
		if id := str(s["service_id"]); id == "" || strings.ContainsAny(id, "/?#% ") {
			return ".settings.service_id", "required, without '/', '?', '#', '%' or spaces"
		}
		if str(s["access_key"]) == "" {
			return ".settings.access_key", "required"
		}
		if str(s["secret_key"]) == "" {
			return ".settings.secret_key", "required"
		}
		return "", ""
	}
	switch r.Type {
	case "shoutrrr":
		if v := str(s["url"]); v == "" {
			return ".settings.url", "required"
		} else if u, err := url.Parse(v); err != nil || u.Scheme == "" {
			return ".settings.url", "not a valid shoutrrr service URL"
		}
	case "webhook":
		if f, m := httpURL("url"); f != "" {
			return f, m
		}
		if h, ok := s["headers"]; ok {
			hm, isMap := h.(map[string]any)
			if !isMap {
				return ".settings", "settings of a webhook receiver: headers must be an object"
			}
			for k, v := range hm {
				if k == "" || strings.ContainsAny(k, " :\r\n") || strings.ContainsAny(str(v), "\r\n") {
					return ".settings.headers", fmt.Sprintf("%q: invalid header name or value", k)
				}
			}
		}
	case "mqtt":
		u, err := url.Parse(str(s["broker"]))
		if err != nil || u.Host == "" {
			return ".settings.broker", "must be a URL like tcp://127.0.0.1:1883"
		}
		if !slices.Contains([]string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}, u.Scheme) {
			return ".settings.broker", "scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss"
		}
		if tp := str(s["topic_prefix"]); strings.ContainsAny(tp, "+#") || strings.HasPrefix(tp, "/") || strings.HasSuffix(tp, "/") {
			return ".settings.topic_prefix", fmt.Sprintf("%q: must not contain + or # or start/end with /", tp)
		}
		if v, ok := s["home_assistant"]; ok {
			if _, isBool := v.(bool); !isBool {
				return ".settings", "settings of a mqtt receiver: home_assistant must be true or false"
			}
		}
	case "kakao_alimtalk":
		if f, m := ncp(); f != "" {
			return f, m
		}
		if str(s["plus_friend_id"]) == "" {
			return ".settings.plus_friend_id", "required"
		}
		if str(s["template_code"]) == "" {
			return ".settings.template_code", "required"
		}
		return phones()
	case "sens_sms":
		if f, m := ncp(); f != "" {
			return f, m
		}
		if !phoneRE.MatchString(str(s["from"])) {
			return ".settings.from", fmt.Sprintf("%q: must be the registered caller number, digits only", str(s["from"]))
		}
		return phones()
	case "jandi", "dooray":
		return httpURL("url")
	}
	return "", ""
}

// MaskSettings returns a receiver's settings as a non-admin reads them.
func MaskSettings(typ string, settings map[string]any) map[string]any {
	s, _ := jsonTree(settings).(map[string]any)
	if s == nil {
		return map[string]any{}
	}
	set := func(k string, f func(string) string) {
		if v, ok := s[k].(string); ok && v != "" {
			s[k] = f(v)
		}
	}
	mask := func(string) string { return Masked }
	switch typ {
	case "shoutrrr":
		set("url", func(v string) string { return notify.RedactURL(v, false) })
	case "webhook":
		set("url", func(v string) string { return notify.RedactURL(v, false) })
		set("secret", mask)
		if h, ok := s["headers"].(map[string]any); ok {
			for k := range h {
				if notify.SecretName(k) {
					h[k] = Masked
				}
			}
		}
	case "mqtt":
		set("broker", func(v string) string { return notify.RedactURL(v, false) })
		set("password", mask)
	case "kakao_alimtalk", "sens_sms":
		set("secret_key", mask)
		set("base_url", func(v string) string { return notify.RedactURL(v, false) })
	case "jandi", "dooray":
		set("url", func(v string) string { return notify.RedactURL(v, true) })
	}
	return s
}

// unmask puts stored values back where next holds exactly the masked form
// of a stored secret.
func unmask(next, stored, masked map[string]any) {
	for k, v := range next {
		next[k] = unmaskValue(v, stored[k], masked[k])
	}
}

func unmaskValue(v, stored, masked any) any {
	switch x := v.(type) {
	case string:
		if m, ok := masked.(string); ok && strings.Contains(x, Masked) && m == x && stored != nil {
			return stored
		}
	case map[string]any:
		s, _ := stored.(map[string]any)
		m, _ := masked.(map[string]any)
		if s != nil && m != nil {
			unmask(x, s, m)
		}
	}
	return v
}
