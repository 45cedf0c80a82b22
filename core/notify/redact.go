package notify

import (
	"net/url"
	"sort"
	"strings"
	"unicode"
)

// Redacted returns a copy of the receiver with every secret replaced by "****": passwords
// and user names in URLs, token-like path segments and secret query values, whole
// incoming-webhook paths (Jandi, Dooray), the webhook HMAC secret and secret-looking
// headers, the MQTT password and the NCP secret key. Use it for non-admins and for logs.
func (r Receiver) Redacted() Receiver {
	out := r
	if c := r.Shoutrrr; c != nil {
		cp := *c
		cp.URL = redactURL(c.URL, false)
		out.Shoutrrr = &cp
	}
	if c := r.Webhook; c != nil {
		cp := *c
		cp.URL = redactURL(c.URL, false)
		if cp.Secret != "" {
			cp.Secret = redactedMark
		}
		if len(c.Headers) > 0 {
			cp.Headers = make(map[string]string, len(c.Headers))
			for k, v := range c.Headers {
				if secretName(k) {
					v = redactedMark
				}
				cp.Headers[k] = v
			}
		}
		out.Webhook = &cp
	}
	if c := r.MQTT; c != nil {
		cp := *c
		cp.Broker = redactURL(c.Broker, false)
		if cp.Password != "" {
			cp.Password = redactedMark
		}
		out.MQTT = &cp
	}
	if c := r.Alimtalk; c != nil {
		cp := *c
		cp.NCPCredentials = c.NCPCredentials.redacted()
		out.Alimtalk = &cp
	}
	if c := r.SMS; c != nil {
		cp := *c
		cp.NCPCredentials = c.NCPCredentials.redacted()
		out.SMS = &cp
	}
	if c := r.Jandi; c != nil {
		cp := *c
		cp.URL = redactURL(c.URL, true)
		out.Jandi = &cp
	}
	if c := r.Dooray; c != nil {
		cp := *c
		cp.URL = redactURL(c.URL, true)
		out.Dooray = &cp
	}
	return out
}

func (c NCPCredentials) redacted() NCPCredentials {
	if c.SecretKey != "" {
		c.SecretKey = redactedMark
	}
	c.BaseURL = redactURL(c.BaseURL, false)
	return c
}

// RedactURL is how a receiver URL reads in Redacted: user info, secret query values and
// token-like path segments (the whole path when wholePath) become "****". Test doubles of
// the appliance use it to mask exactly as the appliance does.
func RedactURL(raw string, wholePath bool) string { return redactURL(raw, wholePath) }

// SecretName reports whether a header or query key usually carries a secret.
func SecretName(name string) bool { return secretName(name) }

// redactURL hides the user info, secret query values and token-like path segments of raw
// (the whole path when wholePath). A URL that does not parse is hidden entirely.
func redactURL(raw string, wholePath bool) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return redactedMark
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(redactedMark, redactedMark)
		} else {
			u.User = url.User(redactedMark)
		}
	}
	if wholePath {
		if u.Path != "" && u.Path != "/" {
			u.Path, u.RawPath = "/"+redactedMark, ""
		}
	} else {
		segs := strings.Split(u.Path, "/")
		for i, s := range segs {
			if tokenLike(s) {
				segs[i] = redactedMark
			}
		}
		u.Path, u.RawPath = strings.Join(segs, "/"), ""
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i, v := range vs {
				if secretName(k) || tokenLike(v) {
					vs[i] = redactedMark
				}
			}
		}
		u.RawQuery = encodeQuery(q)
	}
	// Keep the marks readable (url.URL would escape nothing here, but be explicit).
	return strings.ReplaceAll(u.String(), "%2A%2A%2A%2A", redactedMark)
}

func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			if v == redactedMark {
				b.WriteString(v)
			} else {
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}

// secretName reports whether a query key or header name usually carries a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "passwd", "pass", "key", "auth", "sig", "credential", "session", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// tokenLike reports whether s looks like a generated credential: at least 16 characters
// mixing letters and digits (webhook tokens, integration keys, bot tokens).
func tokenLike(s string) bool {
	if len(s) < 16 {
		return false
	}
	var letters, digits bool
	for _, c := range s {
		switch {
		case unicode.IsDigit(c):
			digits = true
		case unicode.IsLetter(c):
			letters = true
		}
	}
	return letters && digits
}

// secrets lists the raw secret strings of the receiver (and their common encodings), for
// scrubbing error messages and log lines. Longest first, so that a URL is replaced whole
// before its parts.
func (r Receiver) secrets() []string {
	var raw []string
	addURL := func(s string, wholePath bool) {
		if s == "" {
			return
		}
		if redactURL(s, wholePath) != s {
			raw = append(raw, s)
		}
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		if u.User != nil {
			raw = append(raw, u.User.Username(), u.User.String())
			if p, ok := u.User.Password(); ok {
				raw = append(raw, p)
			}
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if wholePath || tokenLike(seg) {
				raw = append(raw, seg)
			}
		}
		if wholePath {
			raw = append(raw, u.Path)
		}
		for k, vs := range u.Query() {
			for _, v := range vs {
				if secretName(k) || tokenLike(v) {
					raw = append(raw, v)
				}
			}
		}
	}
	if c := r.Shoutrrr; c != nil {
		addURL(c.URL, false)
	}
	if c := r.Webhook; c != nil {
		addURL(c.URL, false)
		raw = append(raw, c.Secret)
		for k, v := range c.Headers {
			if secretName(k) {
				raw = append(raw, v)
			}
		}
	}
	if c := r.MQTT; c != nil {
		addURL(c.Broker, false)
		raw = append(raw, c.Password)
	}
	if c := r.Alimtalk; c != nil {
		raw = append(raw, c.SecretKey)
	}
	if c := r.SMS; c != nil {
		raw = append(raw, c.SecretKey)
	}
	if c := r.Jandi; c != nil {
		addURL(c.URL, true)
	}
	if c := r.Dooray; c != nil {
		addURL(c.URL, true)
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range raw {
		// Short strings (a user name like "u", an empty path segment) would mangle
		// unrelated text; secrets that short are not worth hiding.
		for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if len(v) >= 4 && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// scrubber replaces the receiver's secrets in text.
type scrubber struct{ secrets []string }

func newScrubber(r Receiver) scrubber { return scrubber{secrets: r.secrets()} }

func (s scrubber) scrub(text string) string {
	for _, sec := range s.secrets {
		text = strings.ReplaceAll(text, sec, redactedMark)
	}
	return text
}

// Secrets returns the receiver's raw secret values (and their URL encodings), longest
// first, for scrubbers outside this package (error tracking).
func (r Receiver) Secrets() []string { return r.secrets() }
