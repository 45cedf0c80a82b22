package alert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MatchType is how a [Matcher] compares a label value.
type MatchType string

// The match types, as in Alertmanager.
const (
	MatchEqual     MatchType = "="
	MatchNotEqual  MatchType = "!="
	MatchRegexp    MatchType = "=~"
	MatchNotRegexp MatchType = "!~"
)

// Matcher selects alerts by one label. A missing label has the value "". Regular expressions
// are anchored at both ends. In YAML and JSON a matcher is written as a string such as
// `machine=~"pump-.*"` (the quotes are optional).
type Matcher struct {
	Name  string
	Type  MatchType
	Value string

	re *regexp.Regexp // compiled by ParseMatcher, UnmarshalText or compile
}

// NewMatcher builds and checks a matcher.
func NewMatcher(t MatchType, name, value string) (Matcher, error) {
	m := Matcher{Name: name, Type: t, Value: value}
	return m.compile()
}

// MustMatcher is NewMatcher for literals in tests and defaults; it panics on error.
func MustMatcher(t MatchType, name, value string) Matcher {
	m, err := NewMatcher(t, name, value)
	if err != nil {
		panic(err)
	}
	return m
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseMatcher parses `name=value`, `name!=value`, `name=~regexp` or `name!~regexp`; the
// value may be double-quoted.
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("%w: matcher %q: want name=value, name!=value, name=~re or name!~re", ErrInvalid, s)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	var t MatchType
	switch {
	case strings.HasPrefix(rest, "=~"):
		t = MatchRegexp
	case strings.HasPrefix(rest, "!~"):
		t = MatchNotRegexp
	case strings.HasPrefix(rest, "!="):
		t = MatchNotEqual
	case strings.HasPrefix(rest, "="):
		t = MatchEqual
	default:
		return Matcher{}, fmt.Errorf("%w: matcher %q: unknown operator", ErrInvalid, s)
	}
	value := strings.TrimSpace(rest[len(t):])
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("%w: matcher %q: bad quoted value", ErrInvalid, s)
		}
		value = v
	}
	return NewMatcher(t, name, value)
}

func (m Matcher) compile() (Matcher, error) {
	if !labelNameRE.MatchString(m.Name) {
		return m, fmt.Errorf("%w: matcher label name %q is not a valid label name", ErrInvalid, m.Name)
	}
	switch m.Type {
	case MatchEqual, MatchNotEqual:
		m.re = nil
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return m, fmt.Errorf("%w: matcher %s: regexp %q: %v", ErrInvalid, m.Name, m.Value, err)
		}
		m.re = re
	default:
		return m, fmt.Errorf("%w: matcher %s: type %q is not one of =, !=, =~, !~", ErrInvalid, m.Name, m.Type)
	}
	return m, nil
}

// Matches reports whether the labels satisfy the matcher.
func (m Matcher) Matches(l Labels) bool {
	v := l[m.Name]
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp, MatchNotRegexp:
		re := m.re
		if re == nil { // built as a literal; compile on the slow path
			c, err := m.compile()
			if err != nil {
				return false
			}
			re = c.re
		}
		return re.MatchString(v) == (m.Type == MatchRegexp)
	}
	return false
}

// String renders the matcher as name<op>"value".
func (m Matcher) String() string { return m.Name + string(m.Type) + strconv.Quote(m.Value) }

// MarshalText implements encoding.TextMarshaler (used by YAML and JSON).
func (m Matcher) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (used by YAML and JSON).
func (m *Matcher) UnmarshalText(b []byte) error {
	p, err := ParseMatcher(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// Matchers is a conjunction of matchers.
type Matchers []Matcher

// Matches reports whether every matcher matches (true for none).
func (ms Matchers) Matches(l Labels) bool {
	for _, m := range ms {
		if !m.Matches(l) {
			return false
		}
	}
	return true
}

// compiled returns a copy whose regular expressions are compiled.
func (ms Matchers) compiled() (Matchers, error) {
	out := make(Matchers, len(ms))
	for i, m := range ms {
		c, err := m.compile()
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
