package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"signalcraft/core/notify/smtptest"
)

// parsedMail is a received message taken apart: subject, text body and attachments by name.
type parsedMail struct {
	subject, body string
	files         map[string][]byte
	types         map[string]string
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q (%v), want multipart/mixed", m.Header.Get("Content-Type"), err)
	}
	out := parsedMail{subject: subject, files: map[string][]byte{}, types: map[string]string{}}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Fatalf("part %q is not base64", p.Header.Get("Content-Type"))
		}
		data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		if name := p.FileName(); name != "" {
			out.files[name] = data
			out.types[name] = strings.SplitN(p.Header.Get("Content-Type"), ";", 2)[0]
		} else {
			out.body = string(data)
		}
	}
	return out
}

// TestSendMailAttachments sends a mail with two binary attachments (every byte value) to a
// real SMTP server on loopback through the receiver's shoutrrr URL, and checks that they
// arrive byte for byte, with the Korean subject and body intact.
func TestSendMailAttachments(t *testing.T) {
	const user, password = "mailer", "Sm7pPassw0rd-do-not-leak"
	sink := smtptest.Start(t, user, password)
	r := Receiver{Name: "mail-ko", Type: TypeShoutrrr, Lang: LangKorean, Shoutrrr: &ShoutrrrConfig{URL: mailURL(sink, password)}}
	srv, err := ParseMailURL(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := srv.String(); strings.Contains(s, password) {
		t.Errorf("String() shows the password: %s", s)
	}
	all := make([]byte, 256*40)
	for i := range all {
		all[i] = byte(i)
	}
	en := append([]byte("%PDF-1.3\n"), all...)
	ko := append([]byte("%PDF-1.3\n한글"), all[:1000]...)
	m := Mail{Subject: "[SignalCraft] 주간 보고서 signalcraft-demo", Body: "첨부: 주간 보고서 (PDF, CSV)\n",
		Date: time.Date(2026, 12, 7, 6, 2, 0, 0, time.UTC),
		Attachments: []Attachment{{Name: "report-en.pdf", ContentType: "application/pdf", Data: en},
			{Name: "report-ko.pdf", ContentType: "application/pdf", Data: ko},
			{Name: "report-ko.zip", ContentType: "application/zip", Data: all[:77]}}}
	if err := SendMail(context.Background(), srv, m); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || msgs[0].From != "alerts@signalcraft.test" || len(msgs[0].To) != 1 || msgs[0].To[0] != "ops@factory.test" {
		t.Fatalf("received %d messages, envelope %+v", len(msgs), msgs)
	}
	got := parseMail(t, msgs[0].Data)
	if got.subject != m.Subject || got.body != m.Body {
		t.Errorf("subject %q body %q, want %q %q", got.subject, got.body, m.Subject, m.Body)
	}
	for _, a := range m.Attachments {
		if !bytes.Equal(got.files[a.Name], a.Data) || got.types[a.Name] != a.ContentType {
			t.Errorf("attachment %s: %d bytes of %s, want %d bytes of %s", a.Name, len(got.files[a.Name]), got.types[a.Name], len(a.Data), a.ContentType)
		}
	}
	if len(got.files) != len(m.Attachments) {
		t.Errorf("got %d attachments, want %d", len(got.files), len(m.Attachments))
	}

	bad := r
	bad.Shoutrrr = &ShoutrrrConfig{URL: mailURL(sink, "Wr0ngPassw0rd-secret")}
	bs, err := ParseMailURL(bad)
	if err != nil {
		t.Fatal(err)
	}
	err = SendMail(context.Background(), bs, m)
	if err == nil || strings.Contains(err.Error(), "Wr0ngPassw0rd-secret") {
		t.Errorf("wrong password: err = %v, want an error without the password", err)
	}
}

func TestParseMailURL(t *testing.T) {
	rcv := func(u string) Receiver {
		return Receiver{Name: "m", Type: TypeShoutrrr, Shoutrrr: &ShoutrrrConfig{URL: u}}
	}
	tests := []struct {
		name string
		r    Receiver
		want MailServer // compared on the fields below; zero Host: an error is wanted
	}{
		{"defaults", rcv("smtp://u:p@mail.plant.local/?from=a@plant.local&to=b@plant.local,c@plant.local"),
			MailServer{Host: "mail.plant.local", Port: 25, User: "u", From: "a@plant.local", To: []string{"b@plant.local", "c@plant.local"},
				Encryption: "Auto", StartTLS: true, Auth: "Unknown", ClientHost: "localhost", Timeout: DefaultTimeout}},
		{"everything", rcv("smtp://mail.plant.local:465/?FromAddress=a@x&ToAddresses=b@x&encryption=ImplicitTLS&auth=None&usestarttls=No&clienthost=box&timeout=3s&fromname=SignalCraft"),
			MailServer{Host: "mail.plant.local", Port: 465, From: "a@x", FromName: "SignalCraft", To: []string{"b@x"},
				Encryption: "ImplicitTLS", Auth: "None", ClientHost: "box", Timeout: 3 * time.Second}},
		{"webhook", Receiver{Name: "h", Type: TypeWebhook}, MailServer{}},
		{"slack", rcv("slack://token@channel"), MailServer{}},
		{"no recipient", rcv("smtp://mail.plant.local/?from=a@x"), MailServer{}},
		{"bad port", rcv("smtp://mail.plant.local:99999/?from=a@x&to=b@x"), MailServer{}},
		{"oauth", rcv("smtp://mail.plant.local/?from=a@x&to=b@x&auth=OAuth2"), MailServer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMailURL(tc.r)
			if tc.want.Host == "" {
				if !errors.Is(err, ErrNotMail) {
					t.Errorf("err = %v, want ErrNotMail", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.password = ""
			if got.String() != tc.want.String() || got.Port != tc.want.Port || got.User != tc.want.User || got.FromName != tc.want.FromName ||
				got.Encryption != tc.want.Encryption || got.StartTLS != tc.want.StartTLS || got.Auth != tc.want.Auth ||
				got.ClientHost != tc.want.ClientHost || got.Timeout != tc.want.Timeout {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
