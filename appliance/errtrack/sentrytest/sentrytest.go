// Package sentrytest is a fake Sentry ingestion endpoint for tests: an HTTP server on
// 127.0.0.1 that accepts envelopes at /api/PROJECT/envelope/, parses them as the envelope
// format documents (a header line, then items: an item header line and its payload, of the
// item's length when given, else up to the next newline) and records them with the raw
// request bytes and headers, so tests can check both what arrived and what did not.
package sentrytest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Item is one item of an envelope.
type Item struct {
	Header  map[string]any
	Payload []byte
}

// Envelope is one request's envelope.
type Envelope struct {
	Header  map[string]any
	Items   []Item
	Raw     []byte      // the request body as sent
	Headers http.Header // the request's headers
}

// Event is an event item's payload, decoded (only what tests look at).
type Event struct {
	EventID     string                    `json:"event_id"`
	Level       string                    `json:"level"`
	Message     string                    `json:"message"`
	Logger      string                    `json:"logger"`
	Release     string                    `json:"release"`
	Environment string                    `json:"environment"`
	ServerName  string                    `json:"server_name"`
	Tags        map[string]string         `json:"tags"`
	Contexts    map[string]map[string]any `json:"contexts"`
	// Exception holds the exceptions; the protocol allows a list or {"values": list}.
	Exception Exceptions `json:"exception"`
}

// Exceptions are an event's exceptions.
type Exceptions struct {
	Values []Exception `json:"values"`
}

// UnmarshalJSON reads both forms the protocol allows.
func (x *Exceptions) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, &x.Values)
	}
	type plain Exceptions
	return json.Unmarshal(b, (*plain)(x))
}

// Exception is one exception of an event.
type Exception struct {
	Type       string `json:"type"`
	Value      string `json:"value"`
	Stacktrace struct {
		Frames []Frame `json:"frames"`
	} `json:"stacktrace"`
}

// Frame is a stack frame of an event.
type Frame struct {
	Function string `json:"function"`
	Module   string `json:"module"`
	Filename string `json:"filename"`
	AbsPath  string `json:"abs_path"`
	Lineno   int    `json:"lineno"`
	InApp    bool   `json:"in_app"`
}

// Server records envelopes.
type Server struct {
	*httptest.Server
	Project string

	mu        sync.Mutex
	envelopes []Envelope
	errs      []error
	arrived   chan struct{}
}

// New starts a server; it is closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{Project: "42", arrived: make(chan struct{}, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// DSN returns a DSN for the server with the given public key and, when secret is not
// empty, the legacy secret key.
func (s *Server) DSN(key, secret string) string {
	host := strings.TrimPrefix(s.URL, "http://")
	if secret != "" {
		key += ":" + secret
	}
	return fmt.Sprintf("http://%s@%s/%s", key, host, s.Project)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err == nil && (r.Method != http.MethodPost || r.URL.Path != "/api/"+s.Project+"/envelope/") {
		err = fmt.Errorf("%s %s: want POST /api/%s/envelope/", r.Method, r.URL.Path, s.Project)
	}
	var env Envelope
	if err == nil {
		env, err = Parse(raw)
	}
	env.Headers = r.Header.Clone()
	s.mu.Lock()
	if err != nil {
		s.errs = append(s.errs, err)
	} else {
		s.envelopes = append(s.envelopes, env)
	}
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, env.Header["event_id"])
}

// Parse parses an envelope.
func Parse(raw []byte) (Envelope, error) {
	env := Envelope{Raw: raw}
	rd := bufio.NewReader(bytes.NewReader(raw))
	line, err := rd.ReadBytes('\n')
	if err != nil && err != io.EOF {
		return env, err
	}
	if err := json.Unmarshal(bytes.TrimSuffix(line, []byte("\n")), &env.Header); err != nil {
		return env, fmt.Errorf("envelope header: %w", err)
	}
	for {
		line, err := rd.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				break
			}
			if err != nil {
				return env, err
			}
			continue
		}
		var it Item
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte("\n")), &it.Header); err != nil {
			return env, fmt.Errorf("item header %q: %w", line, err)
		}
		if _, ok := it.Header["type"].(string); !ok {
			return env, fmt.Errorf("item header %q has no type", line)
		}
		if l, ok := it.Header["length"].(float64); ok {
			it.Payload = make([]byte, int(l))
			if _, err := io.ReadFull(rd, it.Payload); err != nil {
				return env, fmt.Errorf("item payload of length %d: %w", int(l), err)
			}
			if b, err := rd.ReadByte(); err == nil && b != '\n' {
				_ = rd.UnreadByte()
			}
		} else {
			p, err := rd.ReadBytes('\n')
			if err != nil && err != io.EOF {
				return env, err
			}
			it.Payload = bytes.TrimSuffix(p, []byte("\n"))
		}
		env.Items = append(env.Items, it)
	}
	return env, nil
}

// Envelopes returns what arrived so far; it fails the test on any malformed request.
func (s *Server) Envelopes(t testing.TB) []Envelope {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range s.errs {
		t.Errorf("sentrytest: malformed request: %v", err)
	}
	return append([]Envelope(nil), s.envelopes...)
}

// Events returns the event items that arrived so far, decoded, with their envelopes.
func (s *Server) Events(t testing.TB) ([]Event, []Envelope) {
	t.Helper()
	var evs []Event
	var envs []Envelope
	for _, env := range s.Envelopes(t) {
		for _, it := range env.Items {
			if it.Header["type"] != "event" {
				continue
			}
			var ev Event
			if err := json.Unmarshal(it.Payload, &ev); err != nil {
				t.Fatalf("sentrytest: event payload: %v\n%s", err, it.Payload)
			}
			evs = append(evs, ev)
			envs = append(envs, env)
		}
	}
	return evs, envs
}

// WaitEvents waits until n events arrived or timeout passed, and returns them.
func (s *Server) WaitEvents(t testing.TB, n int, timeout time.Duration) ([]Event, []Envelope) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if evs, envs := s.Events(t); len(evs) >= n {
			return evs, envs
		}
		select {
		case <-s.arrived:
		case <-deadline:
			evs, envs := s.Events(t)
			t.Fatalf("sentrytest: %d event(s) arrived within %v, want %d", len(evs), timeout, n)
			return evs, envs
		}
	}
}

// Length returns an item's declared length (-1 if none), for tests of the format itself.
func (it Item) Length() int {
	if l, ok := it.Header["length"].(float64); ok {
		return int(l)
	}
	return -1
}
