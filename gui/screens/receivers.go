package screens

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// settingKind is how the receiver editor edits one setting.
type settingKind int

const (
	settingText    settingKind = iota
	settingSecret              // shown as Masked when set; Masked sent back keeps the stored value
	settingHeaders             // "Name: value" lines; secret-looking headers' values are masked
	settingPhones              // numbers separated by commas, digits only
	settingBool
)

// ReceiverSetting is one setting of a receiver type the editor shows.
type ReceiverSetting struct {
	Key         string // key in api.Receiver.Settings
	Kind        settingKind
	Placeholder string
}

// ReceiverTypes are the receiver types in the order the editor offers them.
var ReceiverTypes = []string{"kakao_alimtalk", "sens_sms", "webhook", "mqtt", "jandi", "dooray", "shoutrrr"}

// ReceiverSettings are the settings the editor shows per type; the others a
// receiver has (timeouts, templates, rate limits) are kept as they are.
var ReceiverSettings = map[string][]ReceiverSetting{
	"webhook": {{"url", settingText, "https://cmms.example.com/hooks/signalcraft"}, {"secret", settingSecret, ""},
		{"headers", settingHeaders, "X-Plant: A"}},
	"shoutrrr": {{"url", settingText, "smtp://user:password@mail.example.com:587/?to=ops@example.com"}},
	"mqtt": {{"broker", settingText, "tcp://broker.plant.local:1883"}, {"topic_prefix", settingText, "signalcraft"},
		{"username", settingText, ""}, {"password", settingSecret, ""}, {"home_assistant", settingBool, ""}},
	"kakao_alimtalk": {{"service_id", settingText, "ncp:kkobizmsg:kr:…"}, {"access_key", settingText, ""}, {"secret_key", settingSecret, ""},
		{"plus_friend_id", settingText, "@channel"}, {"template_code", settingText, ""}, {"to", settingPhones, "01012345678, 01087654321"}},
	"sens_sms": {{"service_id", settingText, "ncp:sms:kr:…"}, {"access_key", settingText, ""}, {"secret_key", settingSecret, ""},
		{"from", settingText, "0215881234"}, {"to", settingPhones, "01012345678, 01087654321"}},
	"jandi":  {{"url", settingText, "https://wh.jandi.com/connect-api/webhook/…"}},
	"dooray": {{"url", settingText, "https://hook.dooray.com/services/…"}},
}

// commonSettings are kept whatever the type.
var commonSettings = []string{"rate_limit", "circuit_breaker"}

// secretHeader reports whether a header's value is masked by the appliance
// (the names core/notify treats as secret).
func secretHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "passwd", "pass", "key", "auth", "sig", "credential", "session", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func settingString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// langChoice maps the receiver languages to their names.
func langChoices() ([]string, []i18n.Lang) {
	var names []string
	for _, l := range i18n.Langs() {
		names = append(names, l.Name())
	}
	return names, i18n.Langs()
}

// settingInput is one settings input of the receiver editor.
type settingInput struct {
	ReceiverSetting
	entry *widget.Entry
	check *widget.Check
}

// receiverForm holds the receiver editor's inputs.
type receiverForm struct {
	name     *widget.Entry
	typ      *widget.Select
	lang     *widget.Select
	resolved *widget.Check
	inputs   []*settingInput
	box      *fyne.Container
}

// settingsForm builds the inputs of type t's settings from s.
func (f *receiverForm) settingsForm(u *UI, e *editor, t string, s map[string]any) fyne.CanvasObject {
	e.drop("settings.")
	f.inputs = nil
	var items []*widget.FormItem
	for _, rs := range ReceiverSettings[t] {
		in := &settingInput{ReceiverSetting: rs}
		var obj fyne.CanvasObject
		switch rs.Kind {
		case settingBool:
			b, _ := s[rs.Key].(bool)
			in.check = widget.NewCheck(u.T("rset."+rs.Key+".check"), nil)
			in.check.SetChecked(b)
			obj = in.check
		case settingSecret:
			in.entry = widget.NewPasswordEntry()
			if settingString(s[rs.Key]) != "" {
				in.entry.SetText(Masked)
			}
			obj = in.entry
		case settingHeaders:
			in.entry = widget.NewMultiLineEntry()
			in.entry.SetMinRowsVisible(3)
			hs, _ := s[rs.Key].(map[string]any)
			var lines []string
			for _, k := range slices.Sorted(maps.Keys(hs)) {
				v := settingString(hs[k])
				if secretHeader(k) && v != "" {
					v = Masked
				}
				lines = append(lines, k+": "+v)
			}
			in.entry.SetText(strings.Join(lines, "\n"))
			obj = in.entry
		case settingPhones:
			var ps []string
			if l, ok := s[rs.Key].([]any); ok {
				for _, p := range l {
					ps = append(ps, settingString(p))
				}
			}
			in.entry = entry(strings.Join(ps, ", "), "")
			obj = in.entry
		default:
			in.entry = entry(settingString(s[rs.Key]), "")
			obj = in.entry
		}
		if in.entry != nil {
			in.entry.SetPlaceHolder(rs.Placeholder)
		}
		hint := ""
		if k := "rset." + rs.Key + ".hint"; u.tr.Has(k) {
			hint = u.T(k)
		}
		if rs.Kind == settingSecret {
			hint = u.T("rset.secret.hint")
		}
		f.inputs = append(f.inputs, in)
		items = append(items, e.item("settings."+rs.Key, u.T("rset."+rs.Key), hint, obj))
	}
	if len(items) == 0 {
		return widget.NewLabel(u.T("receiver.pick"))
	}
	return widget.NewForm(items...)
}

// editReceiver opens the editor of receiver i (-1: a new one).
func (u *UI) editReceiver(i int) {
	var orig api.Receiver
	isNew := i < 0 || i >= len(u.nt.receivers)
	if isNew {
		i = len(u.nt.receivers)
		orig = api.Receiver{Type: "webhook", Lang: string(u.Lang()), SendResolved: true}
	} else {
		orig = u.nt.receivers[i]
	}
	e := newEditor(u, fmt.Sprintf("receivers[%d]", i))
	f := &receiverForm{box: container.NewVBox()}
	f.name = entry(orig.Name, "ops-room-kakao")
	var typeWords []string
	for _, t := range ReceiverTypes {
		typeWords = append(typeWords, u.receiverType(t))
	}
	typeOf := func(word string) string {
		if k := slices.Index(typeWords, word); k >= 0 {
			return ReceiverTypes[k]
		}
		return orig.Type
	}
	f.typ = widget.NewSelect(typeWords, nil)
	if k := slices.Index(ReceiverTypes, orig.Type); k >= 0 {
		f.typ.SetSelected(typeWords[k])
	}
	f.box.Objects = []fyne.CanvasObject{f.settingsForm(u, e, orig.Type, orig.Settings)}
	f.typ.OnChanged = func(word string) {
		t := typeOf(word)
		s := orig.Settings
		if t != orig.Type {
			s = nil
		}
		f.box.Objects = []fyne.CanvasObject{f.settingsForm(u, e, t, s)}
		f.box.Refresh()
	}
	langNames, langs := langChoices()
	f.lang = widget.NewSelect(langNames, nil)
	if k := slices.Index(langs, i18n.Lang(orig.Lang)); k >= 0 {
		f.lang.SetSelected(langNames[k])
	}
	f.resolved = widget.NewCheck(u.T("receiver.resolved.check"), nil)
	f.resolved.SetChecked(orig.SendResolved)
	form := container.NewVBox(
		widget.NewForm(
			e.item("name", u.T("receiver.name"), u.T("receiver.name.hint"), f.name),
			e.item("type", u.T("receiver.type"), "", f.typ),
			e.item("lang", u.T("receiver.lang"), u.T("receiver.lang.hint"), f.lang),
			e.item("send_resolved", u.T("receiver.resolved"), "", f.resolved),
		),
		heading(u.T("receiver.settings")),
		widget.NewForm(e.item("settings", "", "", f.box)),
	)
	title := u.T("receiver.edit", orig.Name)
	if isNew {
		title = u.T("receiver.add")
	}
	e.open(title, form, func() {
		nr := api.Receiver{Name: strings.TrimSpace(f.name.Text), Type: typeOf(f.typ.Selected), SendResolved: f.resolved.Checked, Lang: orig.Lang}
		if k := slices.Index(langNames, f.lang.Selected); k >= 0 {
			nr.Lang = string(langs[k])
		}
		nr.Settings = f.read(orig, nr, !isNew && nr.Name == orig.Name && nr.Type == orig.Type)
		list := slices.Clone(u.nt.receivers)
		if i < len(list) {
			list[i] = nr
		} else {
			list = append(list, nr)
		}
		u.putReceivers(list, e.sending, e.done)
	})
}

// read returns the settings as edited: orig's settings the form does not
// show are kept (all of them when the type is unchanged, the common ones
// otherwise). A secret left at Masked is sent as Masked when the receiver
// keeps its name and type (the appliance keeps the stored value), else as
// the value read.
func (f *receiverForm) read(orig, nr api.Receiver, same bool) map[string]any {
	out := map[string]any{}
	for k, v := range orig.Settings {
		if nr.Type == orig.Type || slices.Contains(commonSettings, k) {
			out[k] = v
		}
	}
	secret := func(v string, stored any) any {
		if v == Masked && !same && stored != nil {
			return stored
		}
		return v
	}
	for _, in := range f.inputs {
		k := in.Key
		var v any
		switch in.Kind {
		case settingBool:
			if in.check.Checked {
				v = true
			}
		case settingSecret:
			if t := strings.TrimSpace(in.entry.Text); t != "" {
				v = secret(t, orig.Settings[k])
			}
		case settingHeaders:
			old, _ := orig.Settings[k].(map[string]any)
			hs := map[string]any{}
			for _, line := range strings.Split(in.entry.Text, "\n") {
				name, val, ok := strings.Cut(line, ":")
				name, val = strings.TrimSpace(name), strings.TrimSpace(val)
				if !ok || name == "" {
					continue
				}
				hs[name] = secret(val, old[name])
			}
			if len(hs) > 0 {
				v = hs
			}
		case settingPhones:
			var ps []any
			for _, p := range strings.FieldsFunc(in.entry.Text, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' }) {
				if p = strings.NewReplacer("-", "", "(", "", ")", "").Replace(p); p != "" {
					ps = append(ps, p)
				}
			}
			if len(ps) > 0 {
				v = ps
			}
		default:
			if t := strings.TrimSpace(in.entry.Text); t != "" {
				v = t
			}
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// putReceivers replaces the receivers.
func (u *UI) putReceivers(list []api.Receiver, start func(), done func(error)) {
	start()
	var got []api.Receiver
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		got, err = a.SetReceivers(ctx, list)
		return err
	}, func(err error) {
		if err == nil {
			u.nt.receivers = got
			u.notifyUI.show()
		}
		done(err)
	})
}

func (u *UI) deleteReceiver(i int) {
	r := u.nt.receivers[i]
	u.confirmDelete(u.T("receiver.delete.title"), u.T("receiver.delete.q", r.Name), func() {
		u.putReceivers(slices.Delete(slices.Clone(u.nt.receivers), i, i+1), func() {}, u.notifyUI.showResult)
	})
}

// receiverDest says where a receiver sends, from its settings ("" if unknown).
func receiverDest(r api.Receiver) string {
	s := r.Settings
	switch r.Type {
	case "mqtt":
		return settingString(s["broker"])
	case "kakao_alimtalk", "sens_sms":
		var ps []string
		if l, ok := s["to"].([]any); ok {
			for _, p := range l {
				ps = append(ps, settingString(p))
			}
		}
		return strings.Join(ps, ", ")
	}
	return settingString(s["url"])
}
