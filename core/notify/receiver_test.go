package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Secrets used across the receiver tests; none may appear in redacted output, errors or logs.
const (
	secSlackToken  = "123456789012-1234567890123-4pt99qFn9Y4IybbLoqhpQj1e"
	secSMTPPass    = "SmtpP4ssw0rdSecret"
	secHMAC        = "HmacSecretValue-77aa88bb"
	secHeaderToken = "Bearer HeaderT0kenSecret123"
	secQueryToken  = "QueryT0kenSecret456abc"
	secMQTTPass    = "MqttP4ssw0rdSecret"
	secNCP         = "NcpS3cretKeyValue0123456789"
	secJandiToken  = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	secDoorayToken = "tI2Ai6EXTpuKqZCt1bVhHA0"
	secPDKey       = "eb243592faa24ba2a5511afdf565c889"
)

func allSecrets() []string {
	return []string{secSlackToken, secSMTPPass, secHMAC, secHeaderToken, secQueryToken, secMQTTPass, secNCP, secJandiToken, secDoorayToken, secPDKey}
}

func secretReceivers(base string) []Receiver {
	host := strings.TrimPrefix(base, "http://")
	return []Receiver{
		{Name: "slack", Type: TypeShoutrrr, Shoutrrr: &ShoutrrrConfig{URL: "slack://xoxb:" + secSlackToken + "@C001CH4NN"}},
		{Name: "mail", Type: TypeShoutrrr, Shoutrrr: &ShoutrrrConfig{URL: "smtp://ops:" + secSMTPPass + "@" + host + "/?from=a@b.test&to=c@d.test&encryption=None&usestarttls=No&timeout=2s"}},
		{Name: "pd", Type: TypeShoutrrr, Shoutrrr: &ShoutrrrConfig{URL: "pagerduty://" + host + "/" + secPDKey}},
		{Name: "generic", Type: TypeShoutrrr, Shoutrrr: &ShoutrrrConfig{URL: "generic://" + host + "/hook?disabletls=yes&token=" + secQueryToken}},
		{Name: "hook", Type: TypeWebhook, Webhook: &WebhookConfig{
			URL: base + "/in?token=" + secQueryToken, Secret: secHMAC,
			Headers: map[string]string{"Authorization": secHeaderToken, "X-Site": "ansan"}}},
		{Name: "mq", Type: TypeMQTT, MQTT: &MQTTConfig{Broker: "tcp://" + host, Username: "u", Password: secMQTTPass, Timeout: Duration(time.Second)}},
		{Name: "kakao", Type: TypeKakaoAlimtalk, Alimtalk: &AlimtalkConfig{
			NCPCredentials: NCPCredentials{BaseURL: base, ServiceID: "svc", AccessKey: "AK", SecretKey: secNCP},
			PlusFriendID:   "@sc", TemplateCode: "T1", To: []string{"01012345678"}}},
		{Name: "sms", Type: TypeSENSSMS, SMS: &SMSConfig{
			NCPCredentials: NCPCredentials{BaseURL: base, ServiceID: "svc", AccessKey: "AK", SecretKey: secNCP},
			From:           "0212345678", To: []string{"01012345678"}}},
		{Name: "jandi", Type: TypeJandi, Jandi: &JandiConfig{URL: base + "/connect-api/webhook/15292345/" + secJandiToken}},
		{Name: "dooray", Type: TypeDooray, Dooray: &DoorayConfig{URL: base + "/services/3036349505739914786/4112260015900413000/" + secDoorayToken}},
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	for _, r := range secretReceivers("http://127.0.0.1:9") {
		t.Run(r.Name, func(t *testing.T) {
			if err := r.Validate(); err != nil {
				t.Fatalf("fixture invalid: %v", err)
			}
			red := r.Redacted()
			out, err := json.Marshal(red)
			if err != nil {
				t.Fatal(err)
			}
			y, _ := yaml.Marshal(red)
			for _, s := range allSecrets() {
				for _, enc := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
					if bytes.Contains(out, []byte(enc)) || bytes.Contains(y, []byte(enc)) {
						t.Errorf("redacted receiver shows %q: %s", enc, out)
					}
				}
			}
			if !bytes.Contains(out, []byte(redactedMark)) {
				t.Errorf("nothing redacted: %s", out)
			}
			// Redacting must not touch the original.
			orig, _ := json.Marshal(r)
			if bytes.Equal(orig, out) {
				t.Error("original receiver was modified")
			}
		})
	}
	// Non-secret parts stay readable for the admin screens.
	r := Receiver{Name: "hook", Type: TypeWebhook, Webhook: &WebhookConfig{URL: "https://erp.example/api/alerts?site=ansan&api_key=k123", Secret: "s",
		Headers: map[string]string{"X-Site": "ansan"}}}
	red := r.Redacted()
	if got, want := red.Webhook.URL, "https://erp.example/api/alerts?api_key=****&site=ansan"; got != want {
		t.Errorf("redacted URL %q, want %q", got, want)
	}
	if red.Webhook.Headers["X-Site"] != "ansan" || red.Webhook.Secret != redactedMark || r.Webhook.Secret != "s" {
		t.Errorf("redacted webhook %+v (original secret %q)", red.Webhook, r.Webhook.Secret)
	}
}

// TestDeliverNeverLeaksSecrets makes every receiver fail against a loopback server that
// echoes the whole request (URL, headers, body) back in its error answer, or against a
// closed port, and checks neither the returned errors nor the log lines show a secret.
func TestDeliverNeverLeaksSecrets(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, r.URL.String()+" "+r.Header.Get("Authorization")+" "+r.Header.Get(HeaderNCPAccessKey)+" "+string(body))
	}))
	defer echo.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	clk := newFakeClock()
	n, logs := newTestNotifier(t, clk)
	var errs []string
	for _, base := range []string{echo.URL, closed} {
		for _, r := range secretReceivers(base) {
			if r.Name == "slack" {
				continue // would go to the Internet
			}
			if base == echo.URL && (r.Name == "mail" || r.Name == "mq") {
				continue // an HTTP server never sends the SMTP/MQTT greeting
			}
			err := n.Deliver(context.Background(), r, sampleMessage(clk, "en"))
			if err == nil {
				t.Errorf("%s via %s: delivered, want a failure", r.Name, base)
				continue
			}
			errs = append(errs, err.Error())
		}
	}
	// A receiver whose configuration is invalid reports the redacted value.
	bad := Receiver{Name: "badurl", Type: TypeShoutrrr, Shoutrrr: &ShoutrrrConfig{URL: "nosuchservice://" + secSlackToken + "@x"}}
	err = n.Deliver(context.Background(), bad, sampleMessage(clk, "en"))
	if !IsPermanent(err) || !errors.Is(err, ErrInvalidReceiver) {
		t.Errorf("invalid receiver: %v, want permanent ErrInvalidReceiver", err)
	} else {
		errs = append(errs, err.Error())
	}
	all := strings.Join(errs, "\n") + "\n" + logs.String()
	for _, s := range allSecrets() {
		for _, enc := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if strings.Contains(all, enc) {
				t.Errorf("secret %q leaked in:\n%s", enc, all)
			}
		}
	}
	if !strings.Contains(all, "HTTP 400") || !strings.Contains(all, "connection refused") {
		t.Errorf("errors do not say what went wrong:\n%s", all)
	}
	t.Log(strings.Join(errs, "\n"))
}

func TestValidate(t *testing.T) {
	ok := func() Receiver {
		return Receiver{Name: "ops", Type: TypeWebhook, Webhook: &WebhookConfig{URL: "https://erp.example/hook"}}
	}
	tests := []struct {
		name string
		mod  func(r *Receiver)
		want string // substring of the error; "" = valid
	}{
		{"valid", func(*Receiver) {}, ""},
		{"empty name", func(r *Receiver) { r.Name = "" }, `receiver "": name ""`},
		{"bad name", func(r *Receiver) { r.Name = "ops room" }, `name "ops room"`},
		{"bad lang", func(r *Receiver) { r.Lang = "jp" }, `lang "jp": must be ko or en`},
		{"negative rate", func(r *Receiver) { r.RateLimit = -1 }, `rate_limit "-1"`},
		{"breaker failures", func(r *Receiver) { r.Breaker.Failures = -3 }, `circuit_breaker.failures "-3"`},
		{"breaker cool-down", func(r *Receiver) { r.Breaker.CoolDown = Duration(48 * time.Hour) }, `circuit_breaker.cool_down "48h0m0s"`},
		{"unknown type", func(r *Receiver) { r.Type = "fax" }, `type "fax": must be one of shoutrrr, webhook, mqtt, kakao_alimtalk, sens_sms, jandi, dooray`},
		{"missing block", func(r *Receiver) { r.Webhook = nil }, `webhook "": settings for type webhook are missing`},
		{"extra block", func(r *Receiver) { r.Jandi = &JandiConfig{URL: "https://x"} }, `jandi "": settings for type jandi given but type is webhook`},
		{"webhook scheme", func(r *Receiver) { r.Webhook.URL = "ftp://erp.example/x" }, `webhook.url "ftp://erp.example/x": must be an http or https URL`},
		{"webhook secret url", func(r *Receiver) { r.Webhook.URL = "ftp://u:" + secSMTPPass + "@erp.example/x" }, `webhook.url "ftp://****:****@erp.example/x"`},
		{"webhook method", func(r *Receiver) { r.Webhook.Method = "DELETE" }, `webhook.method "DELETE"`},
		{"webhook header", func(r *Receiver) { r.Webhook.Headers = map[string]string{"Bad Name": "x"} }, `webhook.headers "Bad Name"`},
		{"webhook template", func(r *Receiver) { r.Webhook.BodyTemplate = "{{ .Nope" }, `webhook.body_template "{{ .Nope": does not parse`},
		{"webhook timeout", func(r *Receiver) { r.Webhook.Timeout = Duration(time.Hour) }, `webhook.timeout "1h0m0s"`},
		{"shoutrrr missing", func(r *Receiver) {
			r.Type, r.Webhook, r.Shoutrrr = TypeShoutrrr, nil, &ShoutrrrConfig{}
		}, `shoutrrr.url "": required`},
		{"shoutrrr unknown service", func(r *Receiver) {
			r.Type, r.Webhook, r.Shoutrrr = TypeShoutrrr, nil, &ShoutrrrConfig{URL: "nosuch://host/x"}
		}, `shoutrrr.url "nosuch://host/x": not a valid shoutrrr service URL`},
		{"shoutrrr ok", func(r *Receiver) {
			r.Type, r.Webhook, r.Shoutrrr = TypeShoutrrr, nil, &ShoutrrrConfig{URL: "ntfy://ntfy.sh/signalcraft-alerts"}
		}, ""},
		{"mqtt scheme", func(r *Receiver) {
			r.Type, r.Webhook, r.MQTT = TypeMQTT, nil, &MQTTConfig{Broker: "http://127.0.0.1:1883"}
		}, `mqtt.broker "http://127.0.0.1:1883": scheme must be`},
		{"mqtt prefix", func(r *Receiver) {
			r.Type, r.Webhook, r.MQTT = TypeMQTT, nil, &MQTTConfig{Broker: "tcp://127.0.0.1:1883", TopicPrefix: "a/#"}
		}, `mqtt.topic_prefix "a/#"`},
		{"sms from", func(r *Receiver) {
			r.Type, r.Webhook, r.SMS = TypeSENSSMS, nil, &SMSConfig{NCPCredentials: NCPCredentials{ServiceID: "s", AccessKey: "a", SecretKey: "k"}, From: "02-123", To: []string{"01012345678"}}
		}, `sens_sms.from "02-123"`},
		{"sms to", func(r *Receiver) {
			r.Type, r.Webhook, r.SMS = TypeSENSSMS, nil, &SMSConfig{NCPCredentials: NCPCredentials{ServiceID: "s", AccessKey: "a", SecretKey: "k"}, From: "0212345678", To: []string{"010-1234"}}
		}, `sens_sms.to "010-1234": recipient numbers are digits only`},
		{"alimtalk secret", func(r *Receiver) {
			r.Type, r.Webhook, r.Alimtalk = TypeKakaoAlimtalk, nil, &AlimtalkConfig{NCPCredentials: NCPCredentials{ServiceID: "s", AccessKey: "a"}, PlusFriendID: "@p", TemplateCode: "t", To: []string{"01012345678"}}
		}, `kakao_alimtalk.secret_key "": required`},
		{"alimtalk template", func(r *Receiver) {
			r.Type, r.Webhook, r.Alimtalk = TypeKakaoAlimtalk, nil, &AlimtalkConfig{NCPCredentials: NCPCredentials{ServiceID: "s", AccessKey: "a", SecretKey: "k"}, PlusFriendID: "@p", To: []string{"01012345678"}}
		}, `kakao_alimtalk.template_code "": required`},
		{"jandi url", func(r *Receiver) { r.Type, r.Webhook, r.Jandi = TypeJandi, nil, &JandiConfig{URL: "wh.jandi.com/x"} }, `jandi.url "****": must be an http or https URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok()
			tt.mod(&r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidReceiver) || !IsPermanent(err) {
				t.Errorf("error %v is not a permanent ErrInvalidReceiver", err)
			}
			if strings.Contains(err.Error(), secSMTPPass) {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

func TestReceiverDecodesFromYAMLAndJSON(t *testing.T) {
	const y = `
name: plant-sms
type: sens_sms
lang: ko
send_resolved: true
rate_limit: 6
circuit_breaker:
  failures: 4
  cool_down: 2m30s
sens_sms:
  service_id: ncp:sms:kr:1:sc
  access_key: AK
  secret_key: SK
  from: "0212345678"
  to: ["01012345678"]
  timeout: 5s
`
	var fromYAML Receiver
	dec := yaml.NewDecoder(strings.NewReader(y))
	dec.KnownFields(true)
	if err := dec.Decode(&fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := fromYAML.Validate(); err != nil {
		t.Fatal(err)
	}
	if fromYAML.Breaker.CoolDown != Duration(150*time.Second) || fromYAML.SMS.Timeout != Duration(5*time.Second) ||
		fromYAML.SMS.SecretKey != "SK" || fromYAML.RateLimit != 6 || !fromYAML.SendResolved {
		t.Errorf("decoded %+v %+v", fromYAML, fromYAML.SMS)
	}
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Receiver
	jd := json.NewDecoder(bytes.NewReader(b))
	jd.DisallowUnknownFields()
	if err := jd.Decode(&fromJSON); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b2, _ := json.Marshal(fromJSON)
	if !bytes.Equal(b, b2) {
		t.Errorf("JSON round trip differs:\n%s\n%s", b, b2)
	}
	if !strings.Contains(string(b), `"cool_down":"2m30s"`) || !strings.Contains(string(b), `"secret_key":"SK"`) {
		t.Errorf("JSON form %s", b)
	}
	var d Duration
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("bad duration accepted")
	}
}
