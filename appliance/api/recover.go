package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	wire "signalcraft/core/api"
)

// LogReportedKey is the log attribute that carries the error-tracking event id of a
// recovered panic (errtrack.ReportedKey): the ERROR line that logs the panic then makes
// no second event.
const LogReportedKey = "error_event"

// Recovered reports a panic recovered in a handler: v is the panic's value, details the
// request's method, route and path. It is called in the deferred function that
// recovered, so the goroutine's stack still holds the handler's frames. It returns the
// event id, "" if nothing was reported.
type Recovered func(ctx context.Context, v any, details map[string]any) (eventID string)

// recovering turns a panic in h into a logged (and, with Options.Recovered, reported)
// internal error. The client gets 500 "internal error" when nothing was written yet; a
// response already started is cut off. http.ErrAbortHandler passes through, as net/http
// means it.
func (s *Server) recovering(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackedWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			details := map[string]any{"method": r.Method, "route": r.Pattern, "path": r.URL.Path}
			event := ""
			if s.o.Recovered != nil {
				event = s.o.Recovered(r.Context(), v, details)
			}
			s.log.Error("api handler panicked", "method", r.Method, "route", r.Pattern, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()), LogReportedKey, event)
			if !tw.wrote {
				e := &wire.Error{Code: wire.CodeInternal, Message: "internal error"}
				writeJSON(w, e.Status(), e)
				return
			}
			panic(http.ErrAbortHandler) // the response is half written: close the connection
		}()
		h.ServeHTTP(tw, r)
	})
}

// trackedWriter records whether the response has started.
type trackedWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackedWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackedWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *trackedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
