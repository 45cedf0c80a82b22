// Package smtptest runs a real SMTP server (go-smtp) on loopback for tests, as
// net/http/httptest does for HTTP: PLAIN authentication for one user, every message kept.
package smtptest

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running server. Start stops it when the test ends.
type Server struct {
	Addr, User, Password string

	mu       sync.Mutex
	msgs     []Message
	received chan Message
}

// Start serves SMTP on 127.0.0.1 for the test; mail is accepted only after PLAIN
// authentication as user with password (over plain TCP: loopback only).
func Start(t testing.TB, user, password string) *Server {
	t.Helper()
	s := &Server{User: user, Password: password, received: make(chan Message, 64)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 32 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// URL is a shoutrrr smtp:// URL that sends mail from and to the addresses through the
// server as its user, with password (which may differ, to test a refusal).
func (s *Server) URL(from, to, password string) string {
	q := url.Values{"from": {from}, "to": {to}, "encryption": {"None"}, "usestarttls": {"No"}, "auth": {"Plain"}, "timeout": {"10s"}}
	return fmt.Sprintf("smtp://%s:%s@%s/?%s", url.QueryEscape(s.User), url.QueryEscape(password), s.Addr, q.Encode())
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Received delivers each accepted message as it arrives (the first 64 not read are dropped
// from it, never from Messages).
func (s *Server) Received() <-chan Message { return s.received }

type session struct {
	srv  *Server
	auth bool
	cur  Message
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.User || pass != s.srv.Password {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		return nil
	}), nil
}
func (s *session) Reset()        { s.cur = Message{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	select {
	case s.srv.received <- s.cur:
	default:
	}
	return nil
}
