package notify

import (
	"context"
	"fmt"
)

// JandiAccept is the Accept header Jandi incoming webhooks require.
const JandiAccept = "application/vnd.tosslab.jandi-v2+json"

// chatSection is one titled block of a chat message (a Jandi connectInfo entry, a Dooray
// attachment).
type chatSection struct{ title, text string }

// sections splits a message into blocks: one per alert with the default wording, or one
// block holding the caller's rendered body.
func (f formatter) sections(m Message, lang string) []chatSection {
	w := wordsFor(lang)
	if m.Body != "" || len(m.Alerts) == 0 || m.Status == StatusTest {
		return []chatSection{{title: w.status(m.Status) + " · " + w.severity(m.Severity), text: f.body(m, lang)}}
	}
	out := make([]chatSection, 0, len(m.Alerts))
	for _, a := range m.Alerts {
		text := fmt.Sprintf("%s %s · %s %s", w.value, formatValue(a.Value), w.since, f.time(a.StartsAt))
		if m.Status == StatusResolved && !a.EndsAt.IsZero() {
			text += fmt.Sprintf(" · %s %s", w.ended, f.time(a.EndsAt))
		}
		if a.Summary != "" {
			text += "\n" + a.Summary
		}
		out = append(out, chatSection{title: a.Machine + " · " + a.Rule + " (" + w.severity(a.Severity) + ")", text: text})
	}
	return out
}

// JandiMessage is the body of a Jandi incoming-webhook request.
type JandiMessage struct {
	Body         string             `json:"body"`
	ConnectColor string             `json:"connectColor"`
	ConnectInfo  []JandiConnectInfo `json:"connectInfo"`
}

// JandiConnectInfo is one block of a Jandi message.
type JandiConnectInfo struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

func (f formatter) jandi(m Message, lang string) JandiMessage {
	jm := JandiMessage{Body: f.title(m, lang), ConnectColor: severityColor(m)}
	for _, s := range f.sections(m, lang) {
		jm.ConnectInfo = append(jm.ConnectInfo, JandiConnectInfo{Title: s.title, Description: s.text})
	}
	return jm
}

func (n *Notifier) sendJandi(ctx context.Context, r Receiver, m Message, lang string) error {
	c := r.Jandi
	return n.postJSON(ctx, c.URL, c.Timeout, map[string]string{"Accept": JandiAccept}, n.fmt.jandi(m, lang), true)
}

// DoorayMessage is the body of a Dooray incoming-webhook request.
type DoorayMessage struct {
	BotName      string             `json:"botName"`
	BotIconImage string             `json:"botIconImage,omitempty"`
	Text         string             `json:"text"`
	Attachments  []DoorayAttachment `json:"attachments"`
}

// DoorayAttachment is one block of a Dooray message.
type DoorayAttachment struct {
	Title string `json:"title"`
	Text  string `json:"text"`
	Color string `json:"color"`
}

func (f formatter) dooray(c *DoorayConfig, m Message, lang string) DoorayMessage {
	dm := DoorayMessage{BotName: c.BotName, BotIconImage: c.BotIconImage, Text: f.title(m, lang)}
	if dm.BotName == "" {
		dm.BotName = "SignalCraft"
	}
	color := severityColor(m)
	for _, s := range f.sections(m, lang) {
		dm.Attachments = append(dm.Attachments, DoorayAttachment{Title: s.title, Text: s.text, Color: color})
	}
	return dm
}

func (n *Notifier) sendDooray(ctx context.Context, r Receiver, m Message, lang string) error {
	c := r.Dooray
	return n.postJSON(ctx, c.URL, c.Timeout, nil, n.fmt.dooray(c, m, lang), true)
}
