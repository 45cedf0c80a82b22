package notify

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
)

// shoutrrrTitled lists the shoutrrr services whose configuration has a "title" parameter;
// for the others the title is written into the message text.
func shoutrrrTitled(scheme string) bool {
	switch scheme {
	case "smtp", "opsgenie", "generic", "teams", "discord", "mattermost", "lark", "telegram",
		"matrix", "slack", "ntfy", "pushbullet", "gotify", "pushover", "ifttt", "bark", "join":
		return true
	}
	return false
}

// shoutrrrChat lists services that render markdown-ish text (bullets, *bold*).
func shoutrrrChat(scheme string) bool {
	switch scheme {
	case "slack", "mattermost", "discord", "teams", "telegram", "googlechat", "rocketchat",
		"zulip", "matrix", "lark", "wecom":
		return true
	}
	return false
}

// shoutrrrText returns the title parameter ("" when the service has none) and the message.
func (f formatter) shoutrrrText(scheme string, m Message, lang string) (title, text string) {
	t, b := f.title(m, lang), f.body(m, lang)
	switch {
	case scheme == "smtp":
		// Header fields must be 7-bit: encode non-ASCII subjects (RFC 2047); the body is
		// sent as text/plain; charset=UTF-8.
		return mime.BEncoding.Encode("UTF-8", t), b
	case shoutrrrChat(scheme) && shoutrrrTitled(scheme):
		return t, f.chatBody(scheme, m, lang)
	case shoutrrrChat(scheme):
		return "", bold(scheme, t) + "\n" + f.chatBody(scheme, m, lang)
	case shoutrrrTitled(scheme):
		return t, b
	}
	return "", t + "\n" + b
}

// bold marks s bold in the service's markdown dialect (Slack: *s*, most others: **s**;
// Telegram without a parse mode shows text as is).
func bold(scheme, s string) string {
	switch scheme {
	case "slack", "googlechat", "wecom":
		return "*" + s + "*"
	case "telegram":
		return s
	}
	return "**" + s + "**"
}

// chatBody is the caller's body, or one markdown bullet per alert with the machine in bold.
func (f formatter) chatBody(scheme string, m Message, lang string) string {
	if m.Body != "" || m.Status == StatusTest || len(m.Alerts) == 0 {
		return f.body(m, lang)
	}
	w := wordsFor(lang)
	var b strings.Builder
	for i, a := range m.Alerts {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "• %s · %s %s (%s) · %s %s · %s %s", bold(scheme, a.Machine), w.rule, a.Rule, w.severity(a.Severity),
			w.value, formatValue(a.Value), w.since, f.time(a.StartsAt))
		if m.Status == StatusResolved && !a.EndsAt.IsZero() {
			fmt.Fprintf(&b, " · %s %s", w.ended, f.time(a.EndsAt))
		}
		if a.Summary != "" {
			b.WriteString("\n  " + a.Summary)
		}
	}
	return b.String()
}

func (n *Notifier) sendShoutrrr(ctx context.Context, r Receiver, m Message, lang string) error {
	raw := r.Shoutrrr.URL
	u, err := url.Parse(raw)
	if err != nil {
		return permanentf("shoutrrr URL does not parse")
	}
	scheme := strings.ToLower(u.Scheme)
	if i := strings.IndexByte(scheme, '+'); i >= 0 {
		scheme = scheme[:i] // custom URL forms such as generic+https
	}
	svc, err := (&router.ServiceRouter{}).Locate(raw)
	if err != nil {
		return permanentf("shoutrrr service: %w", err)
	}
	title, text := n.fmt.shoutrrrText(scheme, m, lang)
	params := types.Params{}
	if title != "" {
		params.SetTitle(title)
	}
	ctx, cancel := context.WithTimeout(ctx, timeoutOr(r.Shoutrrr.Timeout))
	defer cancel()
	done := make(chan error, 1)
	// Shoutrrr services take no context; each applies its own timeout, so the goroutine
	// ends on its own if we stop waiting.
	go func() { done <- svc.Send(text, &params) }()
	select {
	case err := <-done:
		if err != nil {
			return retryablef(0, "shoutrrr %s: %w", scheme, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shoutrrr %s: %w", scheme, ctx.Err())
	}
}
