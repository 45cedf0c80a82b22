package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"text/template"
)

// Webhook headers.
const (
	HeaderSignature      = "X-SignalCraft-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderTimestamp      = "X-SignalCraft-Timestamp" // Unix seconds when the request was signed
	HeaderIdempotencyKey = "Idempotency-Key"         // Message.Key
	userAgent            = "SignalCraft-Notify/1"
)

// WebhookSignature returns the X-SignalCraft-Signature value for body signed at timestamp
// (decimal Unix seconds, as sent in X-SignalCraft-Timestamp). Receivers recompute it, compare
// with hmac.Equal, and reject timestamps too far from their clock to prevent replays.
func WebhookSignature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// withDefaults fills Title, Body and Lang so templates and JSON payloads see the
// rendered text.
func (f formatter) withDefaults(m Message, lang string) Message {
	m.Title, m.Body, m.Lang = f.title(m, lang), f.body(m, lang), lang
	return m
}

func (n *Notifier) sendWebhook(ctx context.Context, r Receiver, m Message, lang string) error {
	c := r.Webhook
	m = n.fmt.withDefaults(m, lang)
	var body []byte
	if c.BodyTemplate == "" {
		b, err := json.Marshal(m)
		if err != nil {
			return permanentf("encode message: %w", err)
		}
		body = b
	} else {
		t, err := template.New("body").Funcs(templateFuncs()).Parse(c.BodyTemplate)
		if err != nil {
			return permanentf("parse body template: %w", err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, m); err != nil {
			return permanentf("render body template: %w", err)
		}
		body = buf.Bytes()
	}
	method := strings.ToUpper(c.Method)
	if method == "" {
		method = defaultWebhookMethod
	}
	ctx, cancel := context.WithTimeout(ctx, timeoutOr(c.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.URL, bytes.NewReader(body))
	if err != nil {
		return permanentf("build request: %w", err)
	}
	ct := c.ContentType
	if ct == "" {
		ct = defaultWebhookMediaType
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", userAgent)
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	if m.Key != "" {
		req.Header.Set(HeaderIdempotencyKey, m.Key)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set(HeaderTimestamp, ts)
	if c.Secret != "" {
		req.Header.Set(HeaderSignature, WebhookSignature(c.Secret, ts, body))
	}
	return n.do(req, redactURL(c.URL, false))
}

// postJSON posts v as JSON to rawURL with extra headers; wholePath hides the URL path in
// errors (incoming-webhook URLs carry their token in the path).
func (n *Notifier) postJSON(ctx context.Context, rawURL string, timeout Duration, headers map[string]string, v any, wholePath bool) error {
	body, err := json.Marshal(v)
	if err != nil {
		return permanentf("encode body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeoutOr(timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return permanentf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return n.do(req, redactURL(rawURL, wholePath))
}
