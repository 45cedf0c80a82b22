package errtrack

import (
	"regexp"
	"slices"
	"strings"

	"github.com/getsentry/sentry-go"
)

// Filtered replaces every secret the scrubber finds.
const Filtered = "[Filtered]"

// secretWords are parts of a key (header, attribute, context or query key) whose value is
// a secret.
var secretWords = []string{"token", "secret", "password", "passwd", "pass", "key", "auth", "signature",
	"credential", "session", "cookie", "dsn", "bearer", "private"}

// notSecretKeys contain a secret word but name no secret.
var notSecretKeys = []string{"monkey", "keyboard", "key_count", "passed", "bypass", "author"}

// secretKey reports whether a key names a secret value.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	if slices.Contains(notSecretKeys, k) {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

var textPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	// Authorization header values: Bearer/Basic and the credential after it.
	{regexp.MustCompile(`(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}`), "${1}${2}" + Filtered},
	// SignalCraft API token secrets (appliance/api SecretPrefix).
	{regexp.MustCompile(`\bsc_[A-Za-z0-9_-]{16,}`), Filtered},
	// Credentials in URLs: scheme://user:password@host, and Sentry DSNs (scheme://key@host).
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@"']+@`), "${1}" + Filtered + "@"},
	// AWS access key ids and secret-looking key=value or "key": "value" pairs.
	{regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`), Filtered},
	{regexp.MustCompile(`(?i)\b([a-z_-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|dsn|authorization|cookie)[a-z_-]*)(["']?\s*[:=]\s*["']?)((?:bearer|basic)\s+)?([^\s"'&,;]+)`), "${1}${2}${3}" + Filtered},
}

// Scrubber removes secrets from events before they leave the appliance: the known secret
// values of the configuration wherever they appear, the values of secret-named keys, and
// secret-shaped text (bearer tokens, SignalCraft token secrets, credentials in URLs,
// DSNs, AWS keys, key=value pairs).
type Scrubber struct {
	secrets []string // longest first
}

// NewScrubber returns a scrubber that also replaces each of the given secret values
// (values shorter than 4 characters are ignored: they would mangle unrelated text).
func NewScrubber(secrets ...string) *Scrubber {
	var s []string
	for _, v := range secrets {
		if len(v) >= 4 && !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return &Scrubber{secrets: s}
}

// Text returns s without the secrets the scrubber knows or recognises.
func (sc *Scrubber) Text(s string) string {
	if s == "" {
		return s
	}
	for _, v := range sc.secrets {
		s = strings.ReplaceAll(s, v, Filtered)
	}
	for _, p := range textPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}

// value scrubs a value of a JSON-like tree; a secret key filters its whole value.
func (sc *Scrubber) value(key string, v any) any {
	if key != "" && secretKey(key) {
		return Filtered
	}
	switch x := v.(type) {
	case string:
		return sc.Text(x)
	case map[string]any:
		return sc.Map(x)
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, s := range x {
			if secretKey(k) {
				out[k] = Filtered
			} else {
				out[k] = sc.Text(s)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sc.value("", e)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = sc.Text(e)
		}
		return out
	case nil, bool, int, int64, uint64, float64, float32, int32, uint32:
		return x
	default:
		// Anything else (a struct, an error) could print a secret: keep its scrubbed text.
		return sc.Text(sprint(x))
	}
}

// Map returns a scrubbed copy of m.
func (sc *Scrubber) Map(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = sc.value(k, v)
	}
	return out
}

// Event scrubs everything in e that could hold a secret; it is the client's BeforeSend.
func (sc *Scrubber) Event(e *sentry.Event) *sentry.Event {
	e.Message = sc.Text(e.Message)
	e.Transaction = sc.Text(e.Transaction)
	e.ServerName = sc.Text(e.ServerName)
	for i := range e.Exception {
		x := &e.Exception[i]
		x.Value = sc.Text(x.Value)
		sc.frames(x.Stacktrace)
	}
	for i := range e.Threads {
		sc.frames(e.Threads[i].Stacktrace)
	}
	for k, v := range e.Tags {
		if secretKey(k) {
			e.Tags[k] = Filtered
		} else {
			e.Tags[k] = sc.Text(v)
		}
	}
	for k, c := range e.Contexts {
		e.Contexts[k] = sentry.Context(sc.Map(c))
	}
	for _, b := range e.Breadcrumbs {
		b.Message = sc.Text(b.Message)
		b.Data = sc.Map(b.Data)
	}
	if r := e.Request; r != nil {
		r.URL = sc.Text(stripQuery(r.URL))
		r.QueryString = ""
		r.Cookies = ""
		r.Data = ""
		r.Env = nil
		for k, v := range r.Headers {
			switch lk := strings.ToLower(k); {
			case lk == "authorization" || lk == "cookie" || lk == "set-cookie" || lk == "proxy-authorization" || secretKey(lk):
				r.Headers[k] = Filtered
			default:
				r.Headers[k] = sc.Text(v)
			}
		}
	}
	e.User = sentry.User{ID: sc.Text(e.User.ID)}
	return e
}

func (sc *Scrubber) frames(st *sentry.Stacktrace) {
	if st == nil {
		return
	}
	for i := range st.Frames {
		f := &st.Frames[i]
		// Source lines around a frame may hold literals; the appliance ships no source,
		// and a developer's build should not send it either.
		f.PreContext, f.ContextLine, f.PostContext = nil, "", nil
		f.Vars = sc.Map(f.Vars)
	}
}

func stripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}
