package notify

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Errors returned by Deliver and Test wrap one or more of them.
var (
	// ErrPermanent marks a failure that retrying cannot fix (bad configuration, a 4xx
	// answer other than 408/429, a template that does not render).
	ErrPermanent = errors.New("permanent failure")
	// ErrInvalidReceiver is returned by Receiver.Validate; it is always permanent.
	ErrInvalidReceiver = errors.New("invalid receiver")
	// ErrRateLimited means the receiver's own rate limit has no token left.
	ErrRateLimited = errors.New("rate limited")
	// ErrCircuitOpen means the receiver's circuit breaker is open after repeated failures.
	ErrCircuitOpen = errors.New("circuit open")
	// ErrRejected means the remote end answered with a failure status.
	ErrRejected = errors.New("rejected by receiver")
)

// Permanent wraps err so that IsPermanent reports true (nil stays nil).
func Permanent(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// IsPermanent reports whether retrying the delivery that returned err cannot succeed.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// RetryAfter returns how long the caller should wait before retrying, when the error
// carries such a hint (HTTP Retry-After, rate limit, open circuit); 0 when it does not.
func RetryAfter(err error) time.Duration {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.RetryAfter
	}
	return 0
}

// DeliveryError is the error returned by Deliver and Test. Its message has been scrubbed of
// the receiver's secrets; the original cause is deliberately not kept (third-party errors
// may echo URLs with tokens), only the sentinel errors that classify it.
type DeliveryError struct {
	Receiver   string        // receiver name
	Type       Type          // receiver type
	Msg        string        // scrubbed description of the failure
	RetryAfter time.Duration // hint, 0 if none
	kinds      []error       // sentinels and context errors: what errors.Is matches
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify %s %q: %s", e.Type, e.Receiver, e.Msg)
}

// Unwrap returns the classifying sentinel errors (ErrPermanent, ErrRateLimited, …).
func (e *DeliveryError) Unwrap() []error { return e.kinds }

// sendError is what channel implementations return internally, before scrubbing.
type sendError struct {
	err        error
	permanent  bool
	retryAfter time.Duration
	kind       error // optional extra sentinel (ErrRejected, …)
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

func permanentf(format string, a ...any) error {
	return &sendError{err: fmt.Errorf(format, a...), permanent: true}
}

func retryablef(after time.Duration, format string, a ...any) error {
	return &sendError{err: fmt.Errorf(format, a...), retryAfter: after}
}
