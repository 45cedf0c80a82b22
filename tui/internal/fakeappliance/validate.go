package fakeappliance

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"signalcraft/core/api"
)

// The checks below follow the appliance's (appliance/api/alertconv.go and the engine's and
// notifier's own checks): the same field names, in the same places, with messages close to
// its own, so the client's handling of 422s is tested against what it will get.

var (
	labelNameRE    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	ruleNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	receiverNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	weekDays       = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	sensorStates   = []string{"ok", "silent", "clipping", "offset", "stuck", "lost", "reconnecting", "ended"}
	metricRE       = regexp.MustCompile(`^(anomaly_score|score|threshold|level_dbfs|overruns|band_energy_db:[A-Za-z0-9_*-]+|fault_energy:(bpfo|bpfi|bsf|ftf|\*))$`)
)

// masked is what a secret reads as for non-admins.
const masked = "****"

// receiverTypes are the settings each receiver type takes (its block in the configuration
// file), and which of them are required.
var receiverTypes = map[string]struct{ keys, required []string }{
	"shoutrrr": {[]string{"url", "timeout"}, []string{"url"}},
	"webhook":  {[]string{"url", "method", "headers", "body_template", "content_type", "secret", "timeout"}, []string{"url"}},
	"mqtt": {[]string{"broker", "client_id", "username", "password", "topic_prefix", "home_assistant", "discovery_prefix", "timeout"},
		[]string{"broker"}},
	"kakao_alimtalk": {[]string{"base_url", "service_id", "access_key", "secret_key", "plus_friend_id", "template_code", "content", "to", "country_code", "timeout"},
		[]string{"service_id", "access_key", "secret_key", "plus_friend_id", "template_code", "to"}},
	"sens_sms": {[]string{"base_url", "service_id", "access_key", "secret_key", "from", "to", "country_code", "timeout"},
		[]string{"service_id", "access_key", "secret_key", "from", "to"}},
	"jandi":  {[]string{"url", "timeout"}, []string{"url"}},
	"dooray": {[]string{"url", "bot_name", "bot_icon_image", "timeout"}, []string{"url"}},
}

// secretKeys are the settings the appliance masks whole for non-admins; secrets inside URLs
// (user:password@) are masked in place.
var secretKeys = map[string]bool{"secret": true, "password": true, "secret_key": true}

// maskSettings returns s as a non-admin reads it.
func maskSettings(s map[string]any) map[string]any {
	out := maps.Clone(s)
	for k, v := range out {
		str, ok := v.(string)
		switch {
		case !ok || str == "":
		case secretKeys[k]:
			out[k] = masked
		case strings.Contains(str, "://"):
			if u, err := url.Parse(str); err == nil && u.User != nil {
				if _, has := u.User.Password(); has {
					out[k] = strings.Replace(str, ":"+passwordOf(u)+"@", ":"+masked+"@", 1)
				}
			}
		}
	}
	return out
}

func passwordOf(u *url.URL) string { p, _ := u.User.Password(); return p }

// unmaskSettings puts stored values back where next holds exactly their masked form.
func unmaskSettings(next, stored map[string]any) {
	red := maskSettings(stored)
	for k, v := range next {
		if s, ok := v.(string); ok && strings.Contains(s, masked) && red[k] == s && stored[k] != nil {
			next[k] = stored[k]
		}
	}
}

type fieldErrs []api.FieldError

func (fs *fieldErrs) add(field, format string, args ...any) {
	*fs = append(*fs, api.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// checkMatchers checks matchers as "<prefix>[i].label|op|value".
func checkMatchers(prefix string, ms []api.Matcher, fs *fieldErrs) {
	for i, m := range ms {
		p := fmt.Sprintf("%s[%d]", prefix, i)
		ok := true
		if !labelNameRE.MatchString(m.Label) {
			fs.add(p+".label", "must be a label name: a letter or _ followed by letters, digits or _")
			ok = false
		}
		if !slices.Contains([]string{"=", "!=", "=~", "!~"}, m.Op) {
			fs.add(p+".op", "must be one of =, !=, =~, !~")
			ok = false
		}
		if ok && (m.Op == "=~" || m.Op == "!~") {
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				fs.add(p+".value", "must be a valid regular expression (anchored at both ends)")
			}
		}
	}
}

// checkSilence checks a silence being created at now.
func checkSilence(in api.Silence, now time.Time) fieldErrs {
	var fs fieldErrs
	n := len(fs)
	checkMatchers("matchers", in.Matchers, &fs)
	switch {
	case len(in.Matchers) == 0:
		fs.add("matchers", "at least one matcher is needed")
	case len(fs) == n && api.MatchLabels(in.Matchers, map[string]string{}):
		fs.add("matchers", "would silence every alert: at least one matcher must not match a missing label")
	}
	start := in.StartsAt
	if start.IsZero() {
		start = now
	}
	switch {
	case in.EndsAt.IsZero():
		fs.add("ends_at", "is required")
	case !in.EndsAt.After(start):
		fs.add("ends_at", "must be after starts_at")
	case !in.EndsAt.After(now):
		fs.add("ends_at", "must be in the future")
	}
	if len(in.Comment) > 1000 {
		fs.add("comment", "must be at most 1000 characters")
	}
	return fs
}

func parseClock(s string, allow24 bool) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 {
		return 0, false
	}
	if h > 23 && !(allow24 && h == 24 && m == 0) {
		return 0, false
	}
	return h*60 + m, true
}

func dayIndex(d string) (int, bool) {
	d = strings.ToLower(strings.TrimSpace(d))
	for i, w := range weekDays {
		full := strings.ToLower(time.Weekday((i + 1) % 7).String())
		if len(d) >= 3 && strings.HasPrefix(full, d) && strings.HasPrefix(d, w) {
			return i, true
		}
	}
	return 0, false
}

// checkWindows checks maintenance windows and returns them as the appliance stores them
// (days normalized, every day as []).
func checkWindows(in []api.MaintenanceWindow) ([]api.MaintenanceWindow, fieldErrs) {
	var fs fieldErrs
	names := map[string]bool{}
	out := make([]api.MaintenanceWindow, 0, len(in))
	for i, w := range in {
		p := fmt.Sprintf("maintenance[%d]", i)
		switch {
		case strings.TrimSpace(w.Name) == "" || len(w.Name) > 64:
			fs.add(p+".name", "must be 1-64 characters")
		case names[w.Name]:
			fs.add(p+".name", "is used by an earlier window")
		}
		names[w.Name] = true
		var set [7]bool
		for j, d := range w.Days {
			k, ok := dayIndex(d)
			if !ok || strings.ContainsAny(d, ",-") {
				fs.add(fmt.Sprintf("%s.days[%d]", p, j), "must be one of mon, tue, wed, thu, fri, sat, sun")
				continue
			}
			set[k] = true
		}
		start, okStart := parseClock(w.Start, false)
		if !okStart {
			fs.add(p+".start", "must be a time of day HH:MM from 00:00 to 23:59")
		}
		end, okEnd := parseClock(w.End, true)
		switch {
		case !okEnd:
			fs.add(p+".end", "must be a time of day HH:MM from 00:00 to 24:00")
		case okStart && start == end:
			fs.add(p+".end", "must differ from start (00:00-24:00 is a whole day; an end before the start runs past midnight)")
		}
		if _, err := time.LoadLocation(w.TimeZone); err != nil || strings.EqualFold(w.TimeZone, "local") {
			fs.add(p+".time_zone", "must be an IANA time zone such as Asia/Seoul or UTC (empty: UTC)")
		}
		checkMatchers(p+".matchers", w.Matchers, &fs)
		w.Days = []string{}
		if slices.Contains(set[:], false) {
			for k, on := range set {
				if on {
					w.Days = append(w.Days, weekDays[k])
				}
			}
		}
		if w.TimeZone == "" {
			w.TimeZone = "UTC"
		}
		w.Matchers = nonNil(w.Matchers)
		out = append(out, w)
	}
	return out, fs
}

// windowOpen reports whether w is open at now.
func windowOpen(w api.MaintenanceWindow, now time.Time) bool {
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return false
	}
	start, ok1 := parseClock(w.Start, false)
	end, ok2 := parseClock(w.End, true)
	if !ok1 || !ok2 {
		return false
	}
	t := now.In(loc)
	day := (int(t.Weekday()) + 6) % 7 // mon = 0
	on := func(d int) bool {
		if len(w.Days) == 0 {
			return true
		}
		k := slices.IndexFunc(w.Days, func(s string) bool { i, ok := dayIndex(s); return ok && i == d })
		return k >= 0
	}
	mins := t.Hour()*60 + t.Minute()
	if start < end {
		return on(day) && mins >= start && mins < end
	}
	return on(day) && mins >= start || on((day+6)%7) && mins < end
}

// checkRules checks alert rules as the appliance does.
func checkRules(in []api.AlertRule) fieldErrs {
	var fs fieldErrs
	names := map[string]bool{}
	for i, r := range in {
		p := fmt.Sprintf("rules[%d]", i)
		switch {
		case !ruleNameRE.MatchString(r.Name):
			fs.add(p+".name", "%q must be a letter or _ followed by letters, digits or _", r.Name)
		case names[r.Name]:
			fs.add(p+".name", "%q is used by an earlier rule", r.Name)
		}
		names[r.Name] = true
		switch {
		case len(r.SensorStates) > 0:
			if r.Metric != "" || r.Op != "" || r.Enter != 0 || r.Exit != 0 {
				fs.add(p+".metric", "%q give either sensor_states or metric/op/enter/exit, not both", r.Metric)
			}
			for j, s := range r.SensorStates {
				if !slices.Contains(sensorStates, s) {
					fs.add(fmt.Sprintf("%s.sensor_states[%d]", p, j), "%q is not one of %s", s, strings.Join(sensorStates, ", "))
				}
			}
		case r.Metric == "":
			fs.add(p+".metric", `"" is required (or sensor_states)`)
		default:
			if !metricRE.MatchString(r.Metric) {
				fs.add(p+".metric", "%q is not a known metric (anomaly_score, score, threshold, level_dbfs, overruns, band_energy_db:<band>, fault_energy:<bpfo|bpfi|bsf|ftf>)", r.Metric)
			}
			if !slices.Contains([]string{">", "<", ">=", "<="}, r.Op) {
				fs.add(p+".op", "%q is not one of >, <, >=, <=", r.Op)
			} else if r.Exit != 0 {
				if (r.Op == ">" || r.Op == ">=") && r.Exit > r.Enter {
					fs.add(p+".exit", "%v must not be above enter (%v) for %s", r.Exit, r.Enter, r.Op)
				}
				if (r.Op == "<" || r.Op == "<=") && r.Exit < r.Enter {
					fs.add(p+".exit", "%v must not be below enter (%v) for %s", r.Exit, r.Enter, r.Op)
				}
			}
			if math.IsNaN(r.Enter) || math.IsInf(r.Enter, 0) {
				fs.add(p+".enter", "must be finite")
			}
		}
		if r.Severity != api.SeverityWarning && r.Severity != api.SeverityCritical {
			fs.add(p+".severity", "%q is not one of warning, critical", r.Severity)
		}
		for field, v := range map[string]string{"for": r.For, "keep_firing_for": r.KeepFiringFor} {
			if v == "" {
				continue
			}
			d, err := time.ParseDuration(v)
			switch {
			case err != nil:
				fs.add(p+"."+field, "must be a duration such as 30s or 5m")
			case d < 0:
				fs.add(p+"."+field, "%s must not be negative", d)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
			switch {
			case !labelNameRE.MatchString(k):
				fs.add(p+".labels", "%q is not a valid label name", k)
			case slices.Contains([]string{"alertname", "machine", "line", "sensor", "severity"}, k):
				fs.add(p+".labels."+k, "%q is set by the engine and may not be overridden", r.Labels[k])
			}
		}
		for _, lang := range slices.Sorted(maps.Keys(r.Summary)) {
			t, err := template.New("").Parse(r.Summary[lang])
			if err == nil {
				err = t.Execute(&bytes.Buffer{}, struct {
					Machine, Sensor, SensorState, Metric string
					Value                                float64
					NoData                               bool
					Labels                               map[string]string
				}{})
			}
			if err != nil {
				fs.add(p+".summary."+lang, "%q %v", r.Summary[lang], err)
			}
		}
	}
	return fs
}

// checkReceivers checks receivers as the appliance does and returns them with masked
// secrets replaced by the stored ones (same name and type in old).
func checkReceivers(in, old []api.Receiver) ([]api.Receiver, fieldErrs) {
	var fs fieldErrs
	names := map[string]bool{}
	out := make([]api.Receiver, 0, len(in))
	for i, r := range in {
		p := fmt.Sprintf("receivers[%d]", i)
		if names[r.Name] {
			fs.add(p+".name", "is used by an earlier receiver")
		}
		names[r.Name] = true
		r.Settings = maps.Clone(r.Settings)
		if r.Settings == nil {
			r.Settings = map[string]any{}
		}
		if j := slices.IndexFunc(old, func(o api.Receiver) bool { return o.Name == r.Name && o.Type == r.Type }); j >= 0 {
			unmaskSettings(r.Settings, old[j].Settings)
		}
		out = append(out, r)
		if v, ok := r.Settings["rate_limit"]; ok {
			if n, isNum := v.(float64); !isNum || n != math.Trunc(n) || n < 0 {
				fs.add(p+".settings.rate_limit", "must be a whole number of messages per minute (0: unlimited)")
			}
		}
		t, known := receiverTypes[r.Type]
		if !known {
			fs.add(p+".type", "must be one of dooray, jandi, kakao_alimtalk, mqtt, sens_sms, shoutrrr, webhook")
			continue
		}
		bad := false
		for _, k := range slices.Sorted(maps.Keys(r.Settings)) {
			if !slices.Contains(t.keys, k) && k != "rate_limit" && k != "circuit_breaker" {
				fs.add(p+".settings", "settings of a %s receiver: unknown field %q", r.Type, k)
				bad = true
			}
		}
		if bad {
			continue
		}
		switch {
		case !receiverNameRE.MatchString(r.Name):
			fs.add(p+".name", "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
			continue
		case r.Lang != "" && r.Lang != "en" && r.Lang != "ko":
			fs.add(p+".lang", "must be ko or en")
			continue
		}
		for _, k := range t.required {
			if v, ok := r.Settings[k]; !ok || v == "" || v == nil {
				fs.add(p+".settings."+k, "required")
				break
			}
		}
		if u, ok := r.Settings["url"].(string); ok && u != "" && (r.Type == "webhook" || r.Type == "jandi" || r.Type == "dooray") &&
			!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			fs.add(p+".settings.url", "must be an http or https URL")
		}
	}
	return out, fs
}
