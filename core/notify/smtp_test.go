package notify

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/mail"
	"net/url"
	"strings"
	"testing"

	"signalcraft/core/notify/smtptest"
)

// mailURL is a shoutrrr URL sending as the test's alert mailer through srv with password.
func mailURL(srv *smtptest.Server, password string) string {
	return srv.URL("alerts@signalcraft.test", "ops@factory.test", password)
}

func TestShoutrrrSMTPKorean(t *testing.T) {
	const user, password = "mailer", "Sm7pPassw0rd-do-not-leak"
	sink := smtptest.Start(t, user, password)
	clk := newFakeClock()
	n, logs := newTestNotifier(t, clk)
	r := Receiver{Name: "mail-ko", Type: TypeShoutrrr, Lang: LangKorean, Shoutrrr: &ShoutrrrConfig{URL: mailURL(sink, password)}}
	m := sampleMessage(clk, "")
	m.Title = "[발생] 펌프 1호기 이상 감지"
	if err := n.Deliver(context.Background(), r, m); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "alerts@signalcraft.test" || len(got.To) != 1 || got.To[0] != "ops@factory.test" {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	// shoutrrr writes bare LF line ends; net/mail wants CRLF or LF and accepts both.
	pm, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, got.Data)
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
	bad.Shoutrrr = &ShoutrrrConfig{URL: mailURL(sink, "Wr0ngPassw0rd-secret")}
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
