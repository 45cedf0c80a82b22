package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes. Each maps to one HTTP status (see [StatusOf]) and back (see
// [CodeOf]), so a client gets the same code the server chose.
const (
	CodeUnauthorized = "unauthorized" // 401: no token, or an unknown, revoked or expired one
	CodeForbidden    = "forbidden"    // 403: the token's role may not use this route
	CodeNotFound     = "not_found"    // 404
	CodeInvalid      = "invalid"      // 400; 422 when Fields names the invalid fields
	CodeConflict     = "conflict"     // 409: contradicts the current state (already acknowledged, name taken, ...)
	CodeRateLimited  = "rate_limited" // 429: too many failed authentications from the client's address; wait Retry-After
	CodeInternal     = "internal"     // 500: anything else; the message is deliberately vague
)

// Error is the body of every failed request, and the error the client returns.
type Error struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

// FieldError names one invalid field of a request body, as a dotted path
// such as "detection.quantile".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error implements error: "message (code)" followed by the field errors.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Message != "" {
		b.WriteString(e.Message)
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteString(")")
	} else {
		b.WriteString(e.Code)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Status returns the HTTP status the server sends with e.
func (e *Error) Status() int {
	if e.Code == CodeInvalid && len(e.Fields) > 0 {
		return http.StatusUnprocessableEntity
	}
	return StatusOf(e.Code)
}

// StatusOf maps an error code to its HTTP status; unknown codes are 500.
func StatusOf(code string) int {
	switch code {
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeInvalid:
		return http.StatusBadRequest
	case CodeConflict:
		return http.StatusConflict
	case CodeRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// CodeOf maps an HTTP status to an error code, for responses without an
// Error body (a proxy's page, a 405): other 4xx are invalid, the rest internal.
func CodeOf(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return CodeInvalid
	case http.StatusConflict:
		return CodeConflict
	case http.StatusTooManyRequests:
		return CodeRateLimited
	}
	if status >= 400 && status < 500 {
		return CodeInvalid
	}
	return CodeInternal
}

// ErrorCode returns the code of the *Error in err's chain, or "" when there
// is none (nil, a network failure, a cancelled context).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsCode reports whether err carries the given code:
// api.IsCode(err, api.CodeForbidden).
func IsCode(err error, code string) bool { return err != nil && ErrorCode(err) == code }
