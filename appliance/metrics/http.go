package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// routeOther labels requests no route matched, so unknown paths cannot grow the series.
const routeOther = "other"

// knownMethods are the methods labelled as themselves; others become "OTHER".
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// InstrumentAPI wraps an API handler to count requests and time them by method, route and
// status code. The route is the net/http pattern the request matched (r.Pattern, set by
// the ServeMux inside next), so /api/v1/events/42 counts as /api/v1/events/{id}. The
// response writer passed on keeps Flush for live streams (through Unwrap).
func (m *Metrics) InstrumentAPI(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // a duration measured, never compared with another clock
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		method := r.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		route := routeOther
		if _, path, ok := strings.Cut(r.Pattern, " "); ok {
			route = path
		} else if r.Pattern != "" {
			route = r.Pattern
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		m.apiRequests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
		m.apiDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes flushes on, for handlers that assert http.Flusher.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
