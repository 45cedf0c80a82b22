package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// capture is a loopback server that records the last request and answers with status.
type capture struct {
	status int
	method string
	path   string
	header http.Header
	body   []byte
	count  int
}

func (c *capture) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.count++
		c.method, c.path, c.header = r.Method, r.URL.RequestURI(), r.Header.Clone()
		c.body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(c.status)
		_, _ = io.WriteString(w, `{"requestId":"RSSA-1","statusCode":"202","statusName":"success"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// decoded returns the request body as generic JSON, for exact shape comparisons.
func (c *capture) decoded(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(c.body, &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, c.body)
	}
	return v
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func checkNCPHeaders(t *testing.T, c *capture, path, ts, access, secret string) {
	t.Helper()
	if c.method != http.MethodPost || c.path != path {
		t.Errorf("request %s %s, want POST %s", c.method, c.path, path)
	}
	// Recompute the signature from its definition rather than with NCPSignature.
	want := ncpSignatureByHand(secret, "POST "+path+"\n"+ts+"\n"+access)
	for k, v := range map[string]string{
		"x-ncp-apigw-timestamp":    ts,
		"x-ncp-iam-access-key":     access,
		"x-ncp-apigw-signature-v2": want,
		"Content-Type":             "application/json; charset=utf-8",
	} {
		if got := c.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestAlimtalkRequest(t *testing.T) {
	clk := newFakeClock()
	c := &capture{status: http.StatusAccepted}
	base := c.start(t)
	n, logs := newTestNotifier(t, clk)
	const access, secret = "ncp_iam_BPAMKR1234567", "NcpSecretKey0123456789abcdefXYZ"
	r := Receiver{Name: "kakao", Type: TypeKakaoAlimtalk, Lang: LangKorean, Alimtalk: &AlimtalkConfig{
		NCPCredentials: NCPCredentials{BaseURL: base, ServiceID: "ncp:kkobizmsg:kr:2961:signalcraft", AccessKey: access, SecretKey: secret},
		PlusFriendID:   "@signalcraft",
		TemplateCode:   "ALERT01",
		Content:        "[SignalCraft] #{status} 알림\n설비: #{machine}\n규칙: #{rule}\n값: #{value}\n시각: #{time}\n현장: #{site}",
		To:             []string{"01012345678", "01087654321"},
	}}
	if err := n.Deliver(context.Background(), r, sampleMessage(clk, "")); err != nil {
		t.Fatal(err)
	}
	path := "/alimtalk/v2/services/ncp:kkobizmsg:kr:2961:signalcraft/messages"
	checkNCPHeaders(t, c, path, strconv.FormatInt(clk.Now().UnixMilli(), 10), access, secret)
	content := "[SignalCraft] 발생 알림\n설비: pump-1\n규칙: anomaly-score\n값: 7.25\n시각: 2026-03-14 09:21:53 UTC\n현장: ansan"
	want := map[string]any{
		"plusFriendId": "@signalcraft",
		"templateCode": "ALERT01",
		"messages": []any{
			map[string]any{"countryCode": "82", "to": "01012345678", "content": content},
			map[string]any{"countryCode": "82", "to": "01087654321", "content": content},
		},
	}
	if got := c.decoded(t); !reflect.DeepEqual(got, want) {
		t.Errorf("body\n got %s\nwant %v", c.body, want)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("log contains the NCP secret key")
	}
}

func TestSMSRequestShortAndLong(t *testing.T) {
	clk := newFakeClock()
	const access, secret = "ncp_iam_BPAMKR7654321", "SmsSecretKey9876543210zyxw"
	tests := []struct {
		name string
		msg  func() Message
		want string
	}{
		{
			name: "short English fits one SMS",
			msg: func() Message {
				m := sampleMessage(clk, LangEnglish)
				m.Title, m.Body = "pump-1 CRITICAL", "score 7.25"
				return m
			},
			want: `{"type":"SMS","contentType":"COMM","countryCode":"82","from":"0212345678",
				"content":"pump-1 CRITICAL\nscore 7.25","messages":[{"to":"01012345678"}]}`,
		},
		{
			// 29 Hangul syllables + ASCII = over 80 EUC-KR bytes: LMS with a subject.
			name: "long Korean becomes LMS",
			msg: func() Message {
				m := sampleMessage(clk, LangKorean)
				m.Title = "펌프 1호기 이상"
				m.Body = "베어링 소음이 기준치를 크게 넘었습니다. 즉시 현장 점검이 필요합니다."
				return m
			},
			want: `{"type":"LMS","contentType":"COMM","countryCode":"82","from":"0212345678","subject":"펌프 1호기 이상",
				"content":"펌프 1호기 이상\n베어링 소음이 기준치를 크게 넘었습니다. 즉시 현장 점검이 필요합니다.","messages":[{"to":"01012345678"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{status: http.StatusAccepted}
			base := c.start(t)
			n, _ := newTestNotifier(t, clk)
			r := Receiver{Name: "sms", Type: TypeSENSSMS, SMS: &SMSConfig{
				NCPCredentials: NCPCredentials{BaseURL: base + "/", ServiceID: "ncp:sms:kr:2961:sc", AccessKey: access, SecretKey: secret},
				From:           "0212345678", To: []string{"01012345678"},
			}}
			if err := n.Deliver(context.Background(), r, tt.msg()); err != nil {
				t.Fatal(err)
			}
			checkNCPHeaders(t, c, "/sms/v2/services/ncp:sms:kr:2961:sc/messages", strconv.FormatInt(clk.Now().UnixMilli(), 10), access, secret)
			if got, want := c.decoded(t), mustJSON(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("body\n got %s\nwant %s", c.body, tt.want)
			}
		})
	}
}

func TestNCPSignatureKnownVector(t *testing.T) {
	// Computed independently: printf 'POST /sms/v2/services/svc/messages\n1700000000000\nAK' |
	//   openssl dgst -sha256 -hmac SK -binary | base64
	got := NCPSignature("SK", "POST", "/sms/v2/services/svc/messages", "1700000000000", "AK")
	if want := ncpSignatureByHand("SK", "POST /sms/v2/services/svc/messages\n1700000000000\nAK"); got != want {
		t.Errorf("NCPSignature = %q, want %q", got, want)
	}
	if want := testdataNCPVector(t); got != want {
		t.Errorf("NCPSignature = %q, openssl says %q", got, want)
	}
}

func TestJandiAndDoorayRequests(t *testing.T) {
	clk := newFakeClock()
	t.Run("jandi", func(t *testing.T) {
		c := &capture{status: http.StatusOK}
		base := c.start(t)
		n, _ := newTestNotifier(t, clk)
		token := "/connect-api/webhook/15292345/a1b2c3d4e5f60718293a4b5c6d7e8f90"
		r := Receiver{Name: "jandi", Type: TypeJandi, Lang: LangEnglish, Jandi: &JandiConfig{URL: base + token}}
		if err := n.Deliver(context.Background(), r, sampleMessage(clk, "")); err != nil {
			t.Fatal(err)
		}
		if c.path != token {
			t.Errorf("path %q", c.path)
		}
		if got := c.header.Get("Accept"); got != "application/vnd.tosslab.jandi-v2+json" {
			t.Errorf("Accept %q", got)
		}
		if got := c.header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
		want := mustJSON(t, `{"body":"[FIRING:2] critical — pump-1 anomaly-score (and 1 more)","connectColor":"#E01E5A","connectInfo":[
			{"title":"pump-1 · anomaly-score (critical)","description":"value 7.25 · since 2026-03-14 09:21:53 UTC\n베어링 소음 증가"},
			{"title":"pump-1 · sensor-silent (warning)","description":"value 0 · since 2026-03-14 09:22:53 UTC"}]}`)
		if got := c.decoded(t); !reflect.DeepEqual(got, want) {
			t.Errorf("body %s", c.body)
		}
	})
	t.Run("dooray resolved in Korean", func(t *testing.T) {
		c := &capture{status: http.StatusOK}
		base := c.start(t)
		n, _ := newTestNotifier(t, clk)
		r := Receiver{Name: "dooray", Type: TypeDooray, Lang: LangKorean, SendResolved: true,
			Dooray: &DoorayConfig{URL: base + "/services/3036349505739914786/4112260015900413000/tI2Ai6EXTpuKqZCt1bVhHA", BotName: "설비감시"}}
		m := sampleMessage(clk, "")
		m.Status, m.Title, m.Body = StatusResolved, "[해소] pump-1", "정상으로 돌아왔습니다."
		if err := n.Deliver(context.Background(), r, m); err != nil {
			t.Fatal(err)
		}
		want := mustJSON(t, `{"botName":"설비감시","text":"[해소] pump-1","attachments":[
			{"title":"해소 · 심각","text":"정상으로 돌아왔습니다.","color":"#2EB67D"}]}`)
		if got := c.decoded(t); !reflect.DeepEqual(got, want) {
			t.Errorf("body %s", c.body)
		}
	})
	t.Run("resolution sent whatever the receiver's send_resolved: the alert engine decides", func(t *testing.T) {
		c := &capture{status: http.StatusOK}
		base := c.start(t)
		n, _ := newTestNotifier(t, clk)
		r := Receiver{Name: "dooray", Type: TypeDooray, Dooray: &DoorayConfig{URL: base + "/services/x/y/z"}}
		m := sampleMessage(clk, "")
		m.Status = StatusResolved
		if err := n.Deliver(context.Background(), r, m); err != nil || c.count != 1 {
			t.Fatalf("err %v, %d requests; want nil and one", err, c.count)
		}
		got, _ := c.decoded(t).(map[string]any)
		text, _ := got["text"].(string)
		att, _ := got["attachments"].([]any)
		if !strings.HasPrefix(text, "[RESOLVED:2]") || len(att) != 2 {
			t.Fatalf("body %s: want a resolution of both alerts", c.body)
		}
		for _, a := range att {
			if a.(map[string]any)["color"] != "#2EB67D" {
				t.Errorf("body %s: want green (resolved) attachments", c.body)
			}
		}
	})
}

func TestSMSSafeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pump-1 — 이상", "pump-1 - 이상"},
		{"값 7.25 · 시작", "값 7.25 · 시작"},
		{"긴급 🚨 점검…", "긴급 ? 점검..."},
	}
	for _, tt := range tests {
		if got := smsSafe(tt.in); got != tt.want {
			t.Errorf("smsSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := eucKRLen("pump 이상"); got != 9 {
		t.Errorf("eucKRLen = %d, want 9", got)
	}
	if got := truncateEUCKR("가나다", 5); got != "가나" {
		t.Errorf("truncateEUCKR = %q", got)
	}
}
