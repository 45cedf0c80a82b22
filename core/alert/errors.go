package alert

import (
	"errors"
	"fmt"
)

// Sentinel errors; the engine wraps them with context.
var (
	// ErrInvalid is wrapped by every configuration, silence and matcher validation error.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound is returned for an unknown silence, alert or group.
	ErrNotFound = errors.New("not found")
	// ErrExpired is returned when expiring a silence that has already ended.
	ErrExpired = errors.New("silence already expired")
)

// FieldError is a validation error that names the field (as a path such as
// rules[2].expr.op) and the offending value.
type FieldError struct {
	Field  string
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.Field, fmtValue(e.Value), e.Reason)
}

// Unwrap makes every FieldError match ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fmtValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "(empty)"
	}
	return fmt.Sprint(v)
}

// errs collects field errors.
type errs []error

func (e *errs) add(field string, value any, format string, args ...any) {
	*e = append(*e, &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)})
}

func (e errs) err() error { return errors.Join(e...) }
