package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
)

// NAVER Cloud API gateway headers.
const (
	HeaderNCPTimestamp = "x-ncp-apigw-timestamp"    // Unix milliseconds
	HeaderNCPAccessKey = "x-ncp-iam-access-key"     // access key id
	HeaderNCPSignature = "x-ncp-apigw-signature-v2" // NCPSignature(...)
)

// SENS limits, in EUC-KR bytes (Hangul counts 2).
const (
	smsMaxBytes        = 80
	lmsSubjectMaxBytes = 40
	lmsMaxBytes        = 2000
	alimtalkMaxRunes   = 1000
)

// NCPSignature returns the x-ncp-apigw-signature-v2 value:
// base64(HMAC-SHA256(secretKey, method + " " + pathAndQuery + "\n" + timestamp + "\n" + accessKey)).
func NCPSignature(secretKey, method, pathAndQuery, timestamp, accessKey string) string {
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte(method + " " + pathAndQuery + "\n" + timestamp + "\n" + accessKey))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// AlimtalkRequest is the SENS Alimtalk send request body.
type AlimtalkRequest struct {
	PlusFriendID string            `json:"plusFriendId"`
	TemplateCode string            `json:"templateCode"`
	Messages     []AlimtalkMessage `json:"messages"`
}

// AlimtalkMessage is one recipient of an Alimtalk request.
type AlimtalkMessage struct {
	CountryCode string `json:"countryCode,omitempty"`
	To          string `json:"to"`
	Content     string `json:"content"`
}

// SMSRequest is the SENS SMS/LMS send request body.
type SMSRequest struct {
	Type        string       `json:"type"` // SMS or LMS
	ContentType string       `json:"contentType"`
	CountryCode string       `json:"countryCode,omitempty"`
	From        string       `json:"from"`
	Subject     string       `json:"subject,omitempty"`
	Content     string       `json:"content"`
	Messages    []SMSMessage `json:"messages"`
}

// SMSMessage is one recipient of an SMS request.
type SMSMessage struct {
	To string `json:"to"`
}

// sensPost signs and posts body to base + path.
func (n *Notifier) sensPost(ctx context.Context, c NCPCredentials, path string, timeout Duration, body any) error {
	base := c.BaseURL
	if base == "" {
		base = DefaultSENSBaseURL
	}
	ts := strconv.FormatInt(n.now().UnixMilli(), 10)
	headers := map[string]string{
		HeaderNCPTimestamp: ts,
		HeaderNCPAccessKey: c.AccessKey,
		HeaderNCPSignature: NCPSignature(c.SecretKey, "POST", path, ts, c.AccessKey),
	}
	return n.postJSON(ctx, strings.TrimSuffix(base, "/")+path, timeout, headers, body, false)
}

func (f formatter) alimtalk(c *AlimtalkConfig, m Message, lang string) AlimtalkRequest {
	tmpl := c.Content
	if tmpl == "" {
		tmpl = "#{title}\n\n#{body}"
	}
	content := truncateRunes(fillVars(tmpl, f.templateVars(m, lang)), alimtalkMaxRunes)
	cc := c.CountryCode
	if cc == "" {
		cc = defaultAlimtalkCountry
	}
	req := AlimtalkRequest{PlusFriendID: c.PlusFriendID, TemplateCode: c.TemplateCode}
	for _, to := range c.To {
		req.Messages = append(req.Messages, AlimtalkMessage{CountryCode: cc, To: to, Content: content})
	}
	return req
}

func (n *Notifier) sendAlimtalk(ctx context.Context, r Receiver, m Message, lang string) error {
	c := r.Alimtalk
	path := "/alimtalk/v2/services/" + url.PathEscape(c.ServiceID) + "/messages"
	return n.sensPost(ctx, c.NCPCredentials, path, c.Timeout, n.fmt.alimtalk(c, m, lang))
}

func (f formatter) sms(c *SMSConfig, m Message, lang string) SMSRequest {
	title, body := smsSafe(f.title(m, lang)), smsSafe(f.body(m, lang))
	cc := c.CountryCode
	if cc == "" {
		cc = defaultSMSCountryCode
	}
	req := SMSRequest{Type: "SMS", ContentType: "COMM", CountryCode: cc, From: c.From}
	if text := strings.TrimSpace(title + "\n" + body); eucKRLen(text) <= smsMaxBytes {
		req.Content = text
	} else {
		req.Type = "LMS"
		req.Subject = truncateEUCKR(title, lmsSubjectMaxBytes)
		req.Content = truncateEUCKR(title+"\n"+body, lmsMaxBytes)
	}
	for _, to := range c.To {
		req.Messages = append(req.Messages, SMSMessage{To: to})
	}
	return req
}

func (n *Notifier) sendSMS(ctx context.Context, r Receiver, m Message, lang string) error {
	c := r.SMS
	path := "/sms/v2/services/" + url.PathEscape(c.ServiceID) + "/messages"
	return n.sensPost(ctx, c.NCPCredentials, path, c.Timeout, n.fmt.sms(c, m, lang))
}

// smsSafe makes text sendable by SENS SMS, which encodes in EUC-KR: common punctuation
// outside EUC-KR is replaced by an ASCII look-alike, anything else by '?'.
func smsSafe(text string) string {
	enc := korean.EUCKR.NewEncoder()
	var b strings.Builder
	for _, r := range text {
		switch r {
		case '—', '–', '―':
			r = '-'
		case '…':
			b.WriteString("...")
			continue
		}
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if _, err := enc.String(string(r)); err != nil {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// eucKRLen is the length SENS counts for text already passed through smsSafe:
// ASCII 1 byte, everything else 2.
func eucKRLen(s string) int {
	n := 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			n++
		} else {
			n += 2
		}
	}
	return n
}

func truncateEUCKR(s string, max int) string {
	n := 0
	for i, r := range s {
		w := 1
		if r >= utf8.RuneSelf {
			w = 2
		}
		if n+w > max {
			return s[:i]
		}
		n += w
	}
	return s
}

func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}
