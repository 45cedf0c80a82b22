package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestStatusCodeRoundTrip(t *testing.T) {
	for _, code := range []string{CodeUnauthorized, CodeForbidden, CodeNotFound, CodeInvalid, CodeConflict, CodeRateLimited, CodeInternal} {
		if got := CodeOf(StatusOf(code)); got != code {
			t.Errorf("CodeOf(StatusOf(%q)) = %q", code, got)
		}
	}
	fieldErr := &Error{Code: CodeInvalid, Fields: []FieldError{{"detection.quantile", "must be at least 0.5 and below 1"}}}
	if got := fieldErr.Status(); got != http.StatusUnprocessableEntity {
		t.Errorf("field error status = %d, want 422", got)
	}
	if got := CodeOf(fieldErr.Status()); got != CodeInvalid {
		t.Errorf("CodeOf(422) = %q", got)
	}
	for status, want := range map[int]string{405: CodeInvalid, 429: CodeRateLimited, 502: CodeInternal, 503: CodeInternal} {
		if got := CodeOf(status); got != want {
			t.Errorf("CodeOf(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestIsCode(t *testing.T) {
	err := fmt.Errorf("load: %w", Errorf(CodeForbidden, "role %s may not do this", RoleViewer))
	if !IsCode(err, CodeForbidden) || IsCode(err, CodeNotFound) {
		t.Errorf("IsCode wrong for %v", err)
	}
	if IsCode(errors.New("connection refused"), CodeInternal) || IsCode(nil, "") {
		t.Error("a non-API error or nil must not carry a code")
	}
	want := "bad machine (invalid): detection.quantile: must be below 1; name: too long"
	e := &Error{Code: CodeInvalid, Message: "bad machine", Fields: []FieldError{{"detection.quantile", "must be below 1"}, {"name", "too long"}}}
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		r, min Role
		want   bool
	}{
		{RoleViewer, RoleViewer, true}, {RoleViewer, RoleOperator, false}, {RoleViewer, RoleAdmin, false},
		{RoleOperator, RoleViewer, true}, {RoleOperator, RoleOperator, true}, {RoleOperator, RoleAdmin, false},
		{RoleAdmin, RoleViewer, true}, {RoleAdmin, RoleOperator, true}, {RoleAdmin, RoleAdmin, true},
		{"", RoleViewer, false}, {"root", RoleViewer, false},
	}
	for _, tt := range tests {
		if got := tt.r.Allows(tt.min); got != tt.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", tt.r, tt.min, got, tt.want)
		}
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Error("ParseRole accepted an unknown role")
	}
	if r, err := ParseRole("operator"); err != nil || r != RoleOperator {
		t.Errorf("ParseRole(operator) = %q, %v", r, err)
	}
}

func TestRoutesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Routes {
		if seen[r.Pattern()] {
			t.Errorf("route %s listed twice", r.Pattern())
		}
		seen[r.Pattern()] = true
		if !strings.HasPrefix(r.Path, Prefix) {
			t.Errorf("route %s outside %s", r.Pattern(), Prefix)
		}
		if !r.MinRole.Valid() {
			t.Errorf("route %s: invalid role %q", r.Pattern(), r.MinRole)
		}
		if r.Method != "GET" && !r.Audited {
			t.Errorf("route %s changes state but is not audited", r.Pattern())
		}
		if r.Method == "GET" && r.Audited {
			t.Errorf("route %s reads but is marked audited", r.Pattern())
		}
		if r.Summary == "" {
			t.Errorf("route %s has no summary", r.Pattern())
		}
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		path   string
		params []string
		want   string
	}{
		{PathEvent, []string{"42"}, "/api/v1/events/42"},
		{PathModels, []string{"pump-1"}, "/api/v1/machines/pump-1/models"},
		{PathMachine, []string{"a/b c"}, "/api/v1/machines/a%2Fb%20c"},
		{PathMachines, nil, "/api/v1/machines"},
	}
	for _, tt := range tests {
		if got := Expand(tt.path, tt.params...); got != tt.want {
			t.Errorf("Expand(%q, %q) = %q, want %q", tt.path, tt.params, got, tt.want)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	fp := Fingerprint([]byte("certificate"))
	if len(fp) != 64 || strings.ToLower(fp) != fp {
		t.Fatalf("Fingerprint = %q, want 64 lowercase hex digits", fp)
	}
	var colons []string
	for i := 0; i < len(fp); i += 2 {
		colons = append(colons, strings.ToUpper(fp[i:i+2]))
	}
	for _, in := range []string{fp, strings.ToUpper(fp), strings.Join(colons, ":"), " " + fp + "\n"} {
		b, err := ParseFingerprint(in)
		if err != nil || fmt.Sprintf("%x", b) != fp {
			t.Errorf("ParseFingerprint(%q) = %x, %v", in, b, err)
		}
	}
	for _, bad := range []string{"", "abc", fp[:62], fp + "00", strings.Replace(fp, fp[:1], "g", 1)} {
		if _, err := ParseFingerprint(bad); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", bad)
		}
	}
}

func TestReadSSE(t *testing.T) {
	in := ": ping\n\nid: 7\ndata: {\"a\":1}\n\nevent: other\nid: 8\ndata: x\n\n" +
		"id: 9\r\ndata: line1\r\ndata: line2\r\n\r\n: ping\n\ndata: no-id\n\n"
	type msg struct{ id, event, data string }
	var got []msg
	lines := 0
	err := readSSE(strings.NewReader(in), func() { lines++ }, func(id, event string, data []byte) error {
		got = append(got, msg{id, event, string(data)})
		return nil
	})
	if err != io.ErrUnexpectedEOF {
		t.Errorf("err = %v, want unexpected EOF at the end of the body", err)
	}
	want := []msg{{"7", "", `{"a":1}`}, {"8", "other", "x"}, {"9", "", "line1\nline2"}, {"9", "", "no-id"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages\n got %q\nwant %q", got, want)
	}
	if lines != 17 {
		t.Errorf("line callback ran %d times, want 17", lines)
	}
}

func TestMatchLabels(t *testing.T) {
	labels := map[string]string{"machine": "pump-2", "severity": "critical"}
	tests := []struct {
		ms   []Matcher
		want bool
	}{
		{nil, true},
		{[]Matcher{{"machine", "=", "pump-2"}}, true},
		{[]Matcher{{"machine", "!=", "pump-2"}}, false},
		{[]Matcher{{"machine", "=~", "pump-.*"}, {"severity", "=", "critical"}}, true},
		{[]Matcher{{"machine", "=~", "pump"}}, false}, // anchored
		{[]Matcher{{"machine", "!~", "fan-.*"}}, true},
		{[]Matcher{{"line", "=", ""}}, true}, // a missing label is empty
		{[]Matcher{{"machine", "=~", "("}}, false},
	}
	for _, tc := range tests {
		if got := MatchLabels(tc.ms, labels); got != tc.want {
			t.Errorf("MatchLabels(%v) = %v, want %v", tc.ms, got, tc.want)
		}
	}
}
