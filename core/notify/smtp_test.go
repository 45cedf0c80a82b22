package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpSink is an in-process SMTP server that keeps every message it receives.
type smtpSink struct {
	mu       sync.Mutex
	user     string
	password string
	msgs     []smtpMsg
}

type smtpMsg struct {
	from string
	to   []string
	data []byte
}

type smtpSession struct {
	sink *smtpSink
	auth bool
	cur  smtpMsg
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.sink.user || pass != s.sink.password {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		return nil
	}), nil
}
func (s *smtpSession) Reset()        { s.cur = smtpMsg{} }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, s.cur)
	s.sink.mu.Unlock()
	return nil
}

func startSMTP(t *testing.T, user, password string) (*smtpSink, string) {
	t.Helper()
	sink := &smtpSink{user: user, password: password}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{sink: sink}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink, ln.Addr().String()
}

func smtpURL(addr, user, password string) string {
	q := url.Values{
		"from": {"alerts@signalcraft.test"}, "to": {"ops@factory.test"},
		"encryption": {"None"}, "usestarttls": {"No"}, "auth": {"Plain"}, "timeout": {"5s"},
	}
	return fmt.Sprintf("smtp://%s:%s@%s/?%s", url.QueryEscape(user), url.QueryEscape(password), addr, q.Encode())
}

func TestShoutrrrSMTPKorean(t *testing.T) {
	const user, password = "mailer", "Sm7pPassw0rd-do-not-leak"
	sink, addr := startSMTP(t, user, password)
	clk := newFakeClock()
	n, logs := newTestNotifier(t, clk)
	r := Receiver{Name: "mail-ko", Type: TypeShoutrrr, Lang: LangKorean, Shoutrrr: &ShoutrrrConfig{URL: smtpURL(addr, user, password)}}
	m := sampleMessage(clk, "")
	m.Title = "[발생] 펌프 1호기 이상 감지"
	if err := n.Deliver(context.Background(), r, m); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	sink.mu.Lock()
	msgs := append([]smtpMsg(nil), sink.msgs...)
	sink.mu.Unlock()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.from != "alerts@signalcraft.test" || len(got.to) != 1 || got.to[0] != "ops@factory.test" {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	// shoutrrr writes bare LF line ends; net/mail wants CRLF or LF and accepts both.
	pm, err := mail.ReadMessage(strings.NewReader(string(got.data)))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, got.data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if subject != m.Title {
		t.Errorf("subject %q, want %q (raw %q)", subject, m.Title, pm.Header.Get("Subject"))
	}
	if ct := pm.Header.Get("Content-Type"); !strings.Contains(strings.ToLower(ct), "utf-8") {
		t.Errorf("content type %q does not declare UTF-8", ct)
	}
	body, _ := io.ReadAll(pm.Body)
	for _, want := range []string{"설비 pump-1", "규칙 anomaly-score", "값 7.25", "베어링 소음 증가", "규칙 sensor-silent"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("log contains the SMTP password:\n%s", logs)
	}

	// A wrong password is refused by the server; neither the error nor the log may show it.
	bad := r
	bad.Name = "mail-bad"
	bad.Shoutrrr = &ShoutrrrConfig{URL: smtpURL(addr, user, "Wr0ngPassw0rd-secret")}
	err = n.Deliver(context.Background(), bad, m)
	if err == nil {
		t.Fatal("deliver with a wrong password succeeded")
	}
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *DeliveryError", err)
	}
	for _, s := range []string{"Wr0ngPassw0rd-secret", url.QueryEscape("Wr0ngPassw0rd-secret")} {
		if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
			t.Errorf("secret %q leaked: error %q\nlogs:\n%s", s, err, logs)
		}
	}
}
