package alerts

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
)

// Kind is what an edit form changes: a rule, a receiver or a maintenance window. Saving
// replaces the appliance's whole list of that kind (PUT).
type Kind int

// The kinds of edit forms.
const (
	KindRule Kind = iota
	KindReceiver
	KindWindow
)

// Noun names one item of the kind, for messages.
func (k Kind) Noun() string { return [...]string{"rule", "receiver", "maintenance window"}[k] }

// Prefix is how the appliance's 422 answers name the kind's list: "rules[2].severity".
func (k Kind) Prefix() string { return [...]string{"rules", "receivers", "maintenance"}[k] }

// Masked is how the appliance shows a secret to non-admins; a receiver's secret setting
// sent back as Masked keeps its stored value.
const Masked = "****"

// secretSettings are the receiver settings the appliance masks whole (webhook secret, MQTT
// password, NCP secret key). The form shows them as Masked; left so, the stored secret
// stays.
var secretSettings = map[string]bool{"secret": true, "password": true, "secret_key": true}

// ReceiverTypes are the receiver types, with the settings each needs (the form adds them,
// empty, when the type is chosen). The appliance checks the rest.
var ReceiverTypes = map[string][]string{
	"shoutrrr":       {"url"},
	"webhook":        {"url", "secret"},
	"mqtt":           {"broker", "username", "password"},
	"kakao_alimtalk": {"service_id", "access_key", "secret_key", "plus_friend_id", "template_code", "to"},
	"sens_sms":       {"service_id", "access_key", "secret_key", "from", "to"},
	"jandi":          {"url"},
	"dooray":         {"url"},
}

// listSettings are settings that hold a list (written comma-separated).
var listSettings = map[string]bool{"to": true}

// keyNewSetting is the form's last receiver field, where key=value adds a setting; the
// appliance's errors about the settings as a whole land beside it.
const keyNewSetting = "settings"

// editField is one line of an edit form; key is the field's name in the appliance's 422
// answers, after the item's prefix ("severity", "summary.ko", "settings.url").
type editField struct {
	key, label, hint string
	orig             any // a receiver setting's value as read: its type is kept when saving
	in               textinput.Model
}

// editor is an edit form for one item of a list.
type editor struct {
	kind   Kind
	index  int    // the item's position in the list saved
	isNew  bool   // added with n
	name   string // the item's name when the form opened
	fields []editField
	focus  int
	errs   map[string]string // by field key
	saving bool
	inW    int
}

func newInput(value string, w int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 1000
	in.SetWidth(max(w-2, 4)) // room for the cursor
	in.SetValue(value)
	in.CursorStart()
	return in
}

func (e *editor) add(key, label, hint, value string) {
	e.fields = append(e.fields, editField{key: key, label: label, hint: hint, in: newInput(value, e.inW)})
}

func (e *editor) setWidth(w int) {
	e.inW = w
	for i := range e.fields {
		e.fields[i].in.SetWidth(max(w-2, 4))
	}
}

// value returns the trimmed text of the field with the key.
func (e editor) value(key string) string {
	for _, f := range e.fields {
		if f.key == key {
			return strings.TrimSpace(f.in.Value())
		}
	}
	return ""
}

func (e editor) fieldIndex(key string) int {
	return slices.IndexFunc(e.fields, func(f editField) bool { return f.key == key })
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// newRuleEditor opens a form on r, the index-th rule.
func newRuleEditor(r api.AlertRule, index int, isNew bool, inW int) editor {
	e := editor{kind: KindRule, index: index, isNew: isNew, name: r.Name, errs: map[string]string{}, inW: inW}
	enter, exit := "", ""
	if r.Metric != "" {
		enter = num(r.Enter)
		if r.Exit != 0 {
			exit = num(r.Exit)
		}
	}
	e.add("name", "Name", "letters, digits and _", r.Name)
	e.add("metric", "Metric", "anomaly_score, level_dbfs, …", r.Metric)
	e.add("op", "Op", ">, >=, < or <=", r.Op)
	e.add("enter", "Enter", "fires past this", enter)
	e.add("exit", "Exit", "hysteresis; empty: none", exit)
	e.add("sensor_states", "Sensor states", "or: lost, stuck, silent…", strings.Join(r.SensorStates, ", "))
	e.add("for", "For", "before firing: 10s, 1m", r.For)
	e.add("keep_firing_for", "Keep firing for", "before resolving: 5m", r.KeepFiringFor)
	e.add("severity", "Severity", "warning or critical", r.Severity)
	e.add("labels", "Labels", "key=value, key=value", formatPairs(r.Labels))
	e.add("summary.en", "Summary (en)", "{{.Machine}} {{.Value}} …", r.Summary["en"])
	e.add("summary.ko", "Summary (ko)", "e.g. {{.Machine}} 이상음", r.Summary["ko"])
	for _, lang := range slices.Sorted(maps.Keys(r.Summary)) {
		if lang != "en" && lang != "ko" {
			e.add("summary."+lang, "Summary ("+lang+")", "", r.Summary[lang])
		}
	}
	return e
}

// rule reads the form; errs holds what cannot be sent (a number that is not one).
func (e editor) rule() (api.AlertRule, map[string]string) {
	errs := map[string]string{}
	r := api.AlertRule{Name: e.value("name"), Metric: e.value("metric"), Op: e.value("op"), For: e.value("for"),
		KeepFiringFor: e.value("keep_firing_for"), Severity: e.value("severity")}
	for _, k := range []string{"enter", "exit"} {
		v := e.value(k)
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs[k] = "must be a number"
		}
		if k == "enter" {
			r.Enter = f
		} else {
			r.Exit = f
		}
	}
	for _, s := range strings.FieldsFunc(e.value("sensor_states"), func(r rune) bool { return r == ',' || r == ' ' }) {
		r.SensorStates = append(r.SensorStates, s)
	}
	labels, err := parsePairs(e.value("labels"))
	if err != nil {
		errs["labels"] = err.Error()
	}
	r.Labels = labels
	for _, f := range e.fields {
		if lang, ok := strings.CutPrefix(f.key, "summary."); ok {
			if v := strings.TrimSpace(f.in.Value()); v != "" {
				if r.Summary == nil {
					r.Summary = map[string]string{}
				}
				r.Summary[lang] = v
			}
		}
	}
	return r, errs
}

// formatPairs writes a map as key=value, key=value, sorted by key.
func formatPairs(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// parsePairs reads key=value, key=value (nil when empty).
func parsePairs(s string) (map[string]string, error) {
	var out map[string]string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q: want key=value, key=value", part)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// newReceiverEditor opens a form on r, the index-th receiver: name, type, language, send
// resolved, then one field per setting and a last one to add a setting.
func newReceiverEditor(r api.Receiver, index int, isNew bool, inW int) editor {
	e := editor{kind: KindReceiver, index: index, isNew: isNew, name: r.Name, errs: map[string]string{}, inW: inW}
	e.add("name", "Name", "letters, digits, _ . -", r.Name)
	e.add("type", "Type", "webhook, shoutrrr, mqtt, …", r.Type)
	e.add("lang", "Language", "en or ko", r.Lang)
	e.add("send_resolved", "Send resolved", "yes or no", yesNo(r.SendResolved))
	keys := slices.Sorted(maps.Keys(r.Settings))
	// The type's own settings first, in their usual order, then the others.
	var ordered []string
	for _, k := range ReceiverTypes[r.Type] {
		if slices.Contains(keys, k) {
			ordered = append(ordered, k)
		}
	}
	for _, k := range keys {
		if !slices.Contains(ordered, k) {
			ordered = append(ordered, k)
		}
	}
	for _, k := range ordered {
		e.addSetting(k, r.Settings[k])
	}
	e.retype()
	e.add(keyNewSetting, "+ setting", "key=value adds one", "")
	return e
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// addSetting adds a field for a receiver setting before the new-setting field.
func (e *editor) addSetting(k string, v any) {
	value, hint := settingText(v), ""
	if s, ok := v.(string); ok && secretSettings[k] && s != "" {
		value, hint = Masked, "**** keeps the stored secret"
	}
	if listSettings[k] {
		hint = "comma-separated"
	}
	f := editField{key: "settings." + k, label: k, hint: hint, orig: v, in: newInput(value, e.inW)}
	at := e.fieldIndex(keyNewSetting)
	if at < 0 {
		e.fields = append(e.fields, f)
		return
	}
	e.fields = slices.Insert(e.fields, at, f)
	if e.focus >= at {
		e.focus++
	}
}

// retype adds the settings the chosen type needs, empty, and drops empty settings it does
// not use.
func (e *editor) retype() {
	want := ReceiverTypes[e.value("type")]
	for i := len(e.fields) - 1; i >= 0; i-- {
		k, ok := strings.CutPrefix(e.fields[i].key, "settings.")
		if ok && strings.TrimSpace(e.fields[i].in.Value()) == "" && !slices.Contains(want, k) && i != e.focus {
			e.fields = slices.Delete(e.fields, i, i+1)
			if e.focus > i {
				e.focus--
			}
		}
	}
	for _, k := range want {
		if e.fieldIndex("settings."+k) < 0 {
			var orig any
			if listSettings[k] {
				orig = []any{}
			}
			e.addSetting(k, orig)
		}
	}
}

// settingText writes a setting's value for its field.
func settingText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return num(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		scalar := true
		for i, e := range x {
			switch e.(type) {
			case string, float64, bool:
				parts[i] = fmt.Sprint(e)
			default:
				scalar = false
			}
		}
		if scalar {
			return strings.Join(parts, ", ")
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// parseSetting reads a setting's text back into the type it was read as (a string for a
// new one unless it is JSON: a number, true/false, a list or an object).
func parseSetting(text string, orig any) (any, error) {
	switch orig.(type) {
	case string:
		return text, nil
	case float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("must be a number")
		}
		return f, nil
	case bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("must be true or false")
		}
		return b, nil
	case []any:
		if strings.HasPrefix(text, "[") {
			var out []any
			if err := json.Unmarshal([]byte(text), &out); err != nil {
				return nil, fmt.Errorf("must be a list: a, b or JSON [\"a\", \"b\"]")
			}
			return out, nil
		}
		out := []any{}
		for p := range strings.SplitSeq(text, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case map[string]any:
		var out map[string]any
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			return nil, fmt.Errorf(`must be a JSON object such as {"failures": 5}`)
		}
		return out, nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err == nil {
		if _, isString := v.(string); !isString {
			return v, nil
		}
	}
	return text, nil
}

// takeNewSetting turns the new-setting field's key=value into a setting field; it reports
// false (with the field's error set) when the text is not key=value.
func (e *editor) takeNewSetting() bool {
	i := e.fieldIndex(keyNewSetting)
	if i < 0 {
		return true
	}
	text := strings.TrimSpace(e.fields[i].in.Value())
	if text == "" {
		return true
	}
	k, v, ok := strings.Cut(text, "=")
	k = strings.TrimSpace(k)
	switch {
	case !ok || k == "":
		e.errs[keyNewSetting] = "want key=value"
		return false
	case e.fieldIndex("settings."+k) >= 0:
		e.errs[keyNewSetting] = k + " is already a field above"
		return false
	}
	val, _ := parseSetting(strings.TrimSpace(v), nil)
	if listSettings[k] {
		val, _ = parseSetting(strings.TrimSpace(v), []any{})
	}
	e.fields[i].in.SetValue("")
	delete(e.errs, keyNewSetting)
	e.addSetting(k, val)
	if s, isStr := val.(string); isStr && secretSettings[k] && s != "" {
		// Typed now: show it as typed, not as the stored secret's mask.
		j := e.fieldIndex("settings." + k)
		e.fields[j].in.SetValue(s)
		e.fields[j].hint = "secret"
	}
	return true
}

// receiver reads the form; an emptied setting is left out.
func (e *editor) receiver() (api.Receiver, map[string]string) {
	errs := map[string]string{}
	if !e.takeNewSetting() {
		errs[keyNewSetting] = e.errs[keyNewSetting]
	}
	r := api.Receiver{Name: e.value("name"), Type: e.value("type"), Lang: e.value("lang"), Settings: map[string]any{}}
	switch strings.ToLower(e.value("send_resolved")) {
	case "yes", "y", "true":
		r.SendResolved = true
	case "no", "n", "false", "":
	default:
		errs["send_resolved"] = "must be yes or no"
	}
	for _, f := range e.fields {
		k, ok := strings.CutPrefix(f.key, "settings.")
		text := strings.TrimSpace(f.in.Value())
		if !ok || text == "" {
			continue
		}
		v, err := parseSetting(text, f.orig)
		if err != nil {
			errs[f.key] = err.Error()
			continue
		}
		r.Settings[k] = v
	}
	return r, errs
}

// newWindowEditor opens a form on w, the index-th maintenance window.
func newWindowEditor(w api.MaintenanceWindow, index int, isNew bool, inW int) editor {
	e := editor{kind: KindWindow, index: index, isNew: isNew, name: w.Name, errs: map[string]string{}, inW: inW}
	e.add("name", "Name", "", w.Name)
	e.add("days", "Days", "mon…sun; empty: every day", strings.Join(w.Days, ", "))
	e.add("start", "Start", "HH:MM", w.Start)
	e.add("end", "End", "HH:MM; before start: next day", w.End)
	e.add("time_zone", "Time zone", "Asia/Seoul, UTC, …", w.TimeZone)
	e.add("matchers", "Matchers", "line=line-a, severity=warning", FormatMatchers(w.Matchers))
	return e
}

// window reads the form: days as listed (empty: every day), matchers as the silence form
// reads them (empty: none).
func (e editor) window() (api.MaintenanceWindow, map[string]string) {
	errs := map[string]string{}
	w := api.MaintenanceWindow{Name: e.value("name"), Days: []string{}, Start: e.value("start"), End: e.value("end"),
		TimeZone: e.value("time_zone"), Matchers: []api.Matcher{}}
	for _, d := range strings.FieldsFunc(e.value("days"), func(r rune) bool { return r == ',' || r == ' ' }) {
		w.Days = append(w.Days, d)
	}
	if s := e.value("matchers"); s != "" {
		ms, err := ParseMatchers(s)
		if err != nil {
			errs["matchers"] = err.Error()
		}
		w.Matchers = ms
	}
	return w, errs
}

var indexPart = regexp.MustCompile(`^\[(\d+)\]`)

// fieldKey maps a field of the appliance's 422 answer to the form's field for the item at
// index of kind: "rules[2].summary.ko" is summary.ko; "maintenance[0].matchers[1].value"
// is matchers (the message then says "#2 value: …"). It reports false for fields of
// other items or of none.
func (e editor) fieldKey(field, msg string) (key, text string, ok bool) {
	p := fmt.Sprintf("%s[%d].", e.kind.Prefix(), e.index)
	rest, found := strings.CutPrefix(field, p)
	if !found {
		return "", "", false
	}
	for cand := rest; cand != ""; {
		if e.fieldIndex(cand) >= 0 {
			return cand, describeRest(strings.TrimPrefix(rest, cand), msg), true
		}
		i := strings.LastIndexAny(cand, ".[")
		if i <= 0 {
			break
		}
		cand = cand[:i]
	}
	return "", "", false
}

// describeRest prefixes msg with what of the field it is about: "[1].value" is "#2 value".
func describeRest(rest, msg string) string {
	var parts []string
	for rest != "" {
		if m := indexPart.FindStringSubmatch(rest); m != nil {
			n, _ := strconv.Atoi(m[1])
			parts = append(parts, fmt.Sprintf("#%d", n+1))
			rest = rest[len(m[0]):]
			continue
		}
		rest = strings.TrimPrefix(rest, ".")
		seg := rest
		if i := strings.IndexAny(rest, ".["); i >= 0 {
			seg = rest[:i]
		}
		parts = append(parts, seg)
		rest = rest[len(seg):]
	}
	if len(parts) == 0 {
		return msg
	}
	return strings.Join(parts, " ") + ": " + msg
}

// setErrors puts the appliance's field errors beside the form's fields and returns the
// others (about other items, or the item as a whole) as "field: message".
func (e *editor) setErrors(fs []api.FieldError) (other []string) {
	e.errs = map[string]string{}
	for _, f := range fs {
		key, text, ok := e.fieldKey(f.Field, f.Message)
		if !ok {
			other = append(other, strings.TrimPrefix(f.Field+": "+f.Message, ": "))
			continue
		}
		if old := e.errs[key]; old != "" {
			text = old + "; " + text
		}
		e.errs[key] = text
	}
	return other
}

// focusFirstError moves the focus to the first field with an error, if any.
func (e *editor) focusFirstError() tea.Cmd {
	for i, f := range e.fields {
		if e.errs[f.key] != "" {
			return e.setFocus(i)
		}
	}
	return e.setFocus(e.focus)
}

func (e *editor) setFocus(i int) tea.Cmd {
	if e.focus < len(e.fields) {
		e.fields[e.focus].in.Blur()
		e.fields[e.focus].in.CursorStart() // shown from its start
	}
	e.focus = (i + len(e.fields)) % len(e.fields)
	e.fields[e.focus].in.CursorEnd()
	return e.fields[e.focus].in.Focus()
}

// move moves the focus by d fields; leaving a receiver's type field adds the settings of
// the type chosen, and leaving the new-setting field takes its key=value.
func (e *editor) move(d int) tea.Cmd {
	if e.kind == KindReceiver {
		switch e.fields[e.focus].key {
		case "type":
			e.retype()
		case keyNewSetting:
			if strings.TrimSpace(e.fields[e.focus].in.Value()) != "" {
				// The new setting goes above; the focus stays here for the next one (or on
				// the error).
				e.takeNewSetting()
				return e.setFocus(e.focus)
			}
		}
	}
	return e.setFocus(e.focus + d)
}

func (e editor) update(msg tea.Msg) (editor, tea.Cmd) {
	var cmd tea.Cmd
	e.fields[e.focus].in, cmd = e.fields[e.focus].in.Update(msg)
	return e, cmd
}
