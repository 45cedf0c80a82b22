package notify

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
)

// Type names a receiver's channel.
type Type string

// Receiver types.
const (
	TypeShoutrrr      Type = "shoutrrr"
	TypeWebhook       Type = "webhook"
	TypeMQTT          Type = "mqtt"
	TypeKakaoAlimtalk Type = "kakao_alimtalk"
	TypeSENSSMS       Type = "sens_sms"
	TypeJandi         Type = "jandi"
	TypeDooray        Type = "dooray"
)

// Types lists every receiver type, in documentation order.
func Types() []Type {
	return []Type{TypeShoutrrr, TypeWebhook, TypeMQTT, TypeKakaoAlimtalk, TypeSENSSMS, TypeJandi, TypeDooray}
}

// DefaultSENSBaseURL is the NAVER Cloud SENS API endpoint.
const DefaultSENSBaseURL = "https://sens.apigw.ntruss.com"

// Defaults applied when a field is zero.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultBreakerFailures  = 5
	DefaultBreakerCoolDown  = time.Minute
	DefaultDiscoveryPrefix  = "homeassistant"
	DefaultMQTTTopicPrefix  = "signalcraft"
	redactedMark            = "****"
	maxNameLen              = 64
	maxRateLimitPerMinute   = 6000
	maxBreakerFailures      = 1000
	maxTimeout              = 5 * time.Minute
	maxBreakerCoolDown      = 24 * time.Hour
	defaultSMSCountryCode   = "82"
	defaultAlimtalkCountry  = "82"
	defaultWebhookMethod    = "POST"
	defaultWebhookMediaType = "application/json"
)

// Duration is a time.Duration written as a Go duration string ("30s", "5m") in YAML and JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// CircuitBreaker configures when a failing receiver stops being tried for a while.
type CircuitBreaker struct {
	Failures int      `json:"failures,omitempty" yaml:"failures,omitempty"`   // consecutive failures that open it; 0 → 5
	CoolDown Duration `json:"cool_down,omitempty" yaml:"cool_down,omitempty"` // time open before one trial; 0 → 1m
}

// Receiver is one configured notification destination.
type Receiver struct {
	Name string `json:"name" yaml:"name"`
	Type Type   `json:"type" yaml:"type"`
	Lang string `json:"lang,omitempty" yaml:"lang,omitempty"` // ko | en; "" → en
	// SendResolved: the receiver wants to be told when alerts it was told about resolve. The
	// alert engine decides with it (a route's send_resolved overrides it); Deliver does not
	// look at it.
	SendResolved bool           `json:"send_resolved" yaml:"send_resolved"`
	RateLimit    int            `json:"rate_limit,omitempty" yaml:"rate_limit,omitempty"` // messages per minute (token bucket, burst = RateLimit); 0 = unlimited
	Breaker      CircuitBreaker `json:"circuit_breaker,omitzero" yaml:"circuit_breaker,omitempty"`

	Shoutrrr *ShoutrrrConfig `json:"shoutrrr,omitempty" yaml:"shoutrrr,omitempty"`
	Webhook  *WebhookConfig  `json:"webhook,omitempty" yaml:"webhook,omitempty"`
	MQTT     *MQTTConfig     `json:"mqtt,omitempty" yaml:"mqtt,omitempty"`
	Alimtalk *AlimtalkConfig `json:"kakao_alimtalk,omitempty" yaml:"kakao_alimtalk,omitempty"`
	SMS      *SMSConfig      `json:"sens_sms,omitempty" yaml:"sens_sms,omitempty"`
	Jandi    *JandiConfig    `json:"jandi,omitempty" yaml:"jandi,omitempty"`
	Dooray   *DoorayConfig   `json:"dooray,omitempty" yaml:"dooray,omitempty"`
}

// ShoutrrrConfig sends through a shoutrrr service URL (smtp://, slack://, teams://,
// telegram://, discord://, ntfy://, pagerduty://, generic://, …).
type ShoutrrrConfig struct {
	URL     string   `json:"url" yaml:"url"`                             // secret: credentials and tokens live in it
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"` // how long to wait for the service; 0 → 10s
}

// WebhookConfig posts the message to an HTTP endpoint.
type WebhookConfig struct {
	URL          string            `json:"url" yaml:"url"`
	Method       string            `json:"method,omitempty" yaml:"method,omitempty"` // POST (default) or PUT
	Headers      map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	BodyTemplate string            `json:"body_template,omitempty" yaml:"body_template,omitempty"` // Go text/template over Message; "" → JSON of the Message
	ContentType  string            `json:"content_type,omitempty" yaml:"content_type,omitempty"`   // "" → application/json
	Secret       string            `json:"secret,omitempty" yaml:"secret,omitempty"`               // HMAC-SHA256 key; "" → unsigned
	Timeout      Duration          `json:"timeout,omitempty" yaml:"timeout,omitempty"`             // 0 → 10s
}

// MQTTConfig publishes machine state and alert events to an MQTT broker.
type MQTTConfig struct {
	Broker          string   `json:"broker" yaml:"broker"` // tcp://host:1883, ssl://host:8883, ws://…
	ClientID        string   `json:"client_id,omitempty" yaml:"client_id,omitempty"`
	Username        string   `json:"username,omitempty" yaml:"username,omitempty"`
	Password        string   `json:"password,omitempty" yaml:"password,omitempty"`
	TopicPrefix     string   `json:"topic_prefix,omitempty" yaml:"topic_prefix,omitempty"` // "" → signalcraft
	HomeAssistant   bool     `json:"home_assistant,omitempty" yaml:"home_assistant,omitempty"`
	DiscoveryPrefix string   `json:"discovery_prefix,omitempty" yaml:"discovery_prefix,omitempty"` // "" → homeassistant
	Timeout         Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// NCPCredentials are NAVER Cloud Platform API keys and the SENS service they address.
type NCPCredentials struct {
	BaseURL   string `json:"base_url,omitempty" yaml:"base_url,omitempty"` // "" → DefaultSENSBaseURL
	ServiceID string `json:"service_id" yaml:"service_id"`
	AccessKey string `json:"access_key" yaml:"access_key"`
	SecretKey string `json:"secret_key" yaml:"secret_key"`
}

// AlimtalkConfig sends KakaoTalk Alimtalk through SENS. Content is the text of the
// approved template, with #{variable} placeholders filled from the message: #{title},
// #{body}, #{status}, #{severity}, #{machine}, #{rule}, #{value}, #{summary}, #{time},
// #{count}, and any label as #{label_name}. "" → "#{title}\n\n#{body}".
type AlimtalkConfig struct {
	NCPCredentials `yaml:",inline"`
	PlusFriendID   string   `json:"plus_friend_id" yaml:"plus_friend_id"`
	TemplateCode   string   `json:"template_code" yaml:"template_code"`
	Content        string   `json:"content,omitempty" yaml:"content,omitempty"`
	To             []string `json:"to" yaml:"to"`
	CountryCode    string   `json:"country_code,omitempty" yaml:"country_code,omitempty"` // "" → 82
	Timeout        Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// SMSConfig sends SMS (≤ 80 bytes in EUC-KR) or LMS through SENS.
type SMSConfig struct {
	NCPCredentials `yaml:",inline"`
	From           string   `json:"from" yaml:"from"`
	To             []string `json:"to" yaml:"to"`
	CountryCode    string   `json:"country_code,omitempty" yaml:"country_code,omitempty"` // "" → 82
	Timeout        Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// JandiConfig posts to a Jandi incoming webhook.
type JandiConfig struct {
	URL     string   `json:"url" yaml:"url"` // secret: the token is in the path
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// DoorayConfig posts to a Dooray incoming webhook.
type DoorayConfig struct {
	URL          string   `json:"url" yaml:"url"` // secret: the token is in the path
	BotName      string   `json:"bot_name,omitempty" yaml:"bot_name,omitempty"`
	BotIconImage string   `json:"bot_icon_image,omitempty" yaml:"bot_icon_image,omitempty"`
	Timeout      Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// ConfigError names the receiver field that is wrong and its value (redacted when secret).
type ConfigError struct {
	Receiver string
	Field    string
	Value    string
	Reason   string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("receiver %q: %s %q: %s", e.Receiver, e.Field, e.Value, e.Reason)
}

// Unwrap makes configuration errors match ErrInvalidReceiver and ErrPermanent.
func (e *ConfigError) Unwrap() []error { return []error{ErrInvalidReceiver, ErrPermanent} }

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	phonePattern = regexp.MustCompile(`^[0-9]{4,20}$`)
	topicBad     = regexp.MustCompile(`[+#\x00]`)
)

// Validate checks the receiver; the error names the field and its (redacted) value.
func (r Receiver) Validate() error {
	red := r.Redacted()
	bad := func(field, value, reason string) error {
		return &ConfigError{Receiver: r.Name, Field: field, Value: value, Reason: reason}
	}
	if !namePattern.MatchString(r.Name) || len(r.Name) > maxNameLen {
		return bad("name", r.Name, "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	switch r.Lang {
	case "", LangEnglish, LangKorean:
	default:
		return bad("lang", r.Lang, "must be ko or en")
	}
	if r.RateLimit < 0 || r.RateLimit > maxRateLimitPerMinute {
		return bad("rate_limit", fmt.Sprint(r.RateLimit), fmt.Sprintf("must be between 0 (unlimited) and %d per minute", maxRateLimitPerMinute))
	}
	if r.Breaker.Failures < 0 || r.Breaker.Failures > maxBreakerFailures {
		return bad("circuit_breaker.failures", fmt.Sprint(r.Breaker.Failures), fmt.Sprintf("must be between 0 (default %d) and %d", DefaultBreakerFailures, maxBreakerFailures))
	}
	if cd := time.Duration(r.Breaker.CoolDown); cd < 0 || cd > maxBreakerCoolDown {
		return bad("circuit_breaker.cool_down", cd.String(), "must be between 0 (default 1m) and 24h")
	}
	blocks := map[Type]bool{
		TypeShoutrrr: r.Shoutrrr != nil, TypeWebhook: r.Webhook != nil, TypeMQTT: r.MQTT != nil,
		TypeKakaoAlimtalk: r.Alimtalk != nil, TypeSENSSMS: r.SMS != nil, TypeJandi: r.Jandi != nil, TypeDooray: r.Dooray != nil,
	}
	present, known := blocks[r.Type]
	if !known {
		names := make([]string, 0, 7)
		for _, t := range Types() {
			names = append(names, string(t))
		}
		return bad("type", string(r.Type), "must be one of "+strings.Join(names, ", "))
	}
	if !present {
		return bad(string(r.Type), "", "settings for type "+string(r.Type)+" are missing")
	}
	for t, set := range blocks {
		if set && t != r.Type {
			return bad(string(t), "", "settings for type "+string(t)+" given but type is "+string(r.Type))
		}
	}
	checkTimeout := func(field string, d Duration) error {
		if v := time.Duration(d); v < 0 || v > maxTimeout {
			return bad(field, v.String(), "must be between 0 (default 10s) and 5m")
		}
		return nil
	}
	switch r.Type {
	case TypeShoutrrr:
		c := r.Shoutrrr
		if c.URL == "" {
			return bad("shoutrrr.url", "", "required")
		}
		if _, err := (&router.ServiceRouter{}).Locate(c.URL); err != nil {
			return bad("shoutrrr.url", red.Shoutrrr.URL, "not a valid shoutrrr service URL")
		}
		if err := checkTimeout("shoutrrr.timeout", c.Timeout); err != nil {
			return err
		}
	case TypeWebhook:
		c := r.Webhook
		if err := checkHTTPURL("webhook.url", c.URL, red.Webhook.URL, bad); err != nil {
			return err
		}
		switch strings.ToUpper(c.Method) {
		case "", "POST", "PUT", "PATCH":
		default:
			return bad("webhook.method", c.Method, "must be POST, PUT or PATCH")
		}
		for k, v := range c.Headers {
			if k == "" || strings.ContainsAny(k, " :\r\n") || strings.ContainsAny(v, "\r\n") {
				return bad("webhook.headers", k, "invalid header name or value")
			}
		}
		if c.BodyTemplate != "" {
			if _, err := template.New("body").Funcs(templateFuncs()).Parse(c.BodyTemplate); err != nil {
				return bad("webhook.body_template", c.BodyTemplate, "does not parse: "+err.Error())
			}
		}
		if err := checkTimeout("webhook.timeout", c.Timeout); err != nil {
			return err
		}
	case TypeMQTT:
		c := r.MQTT
		u, err := url.Parse(c.Broker)
		if err != nil || u.Host == "" {
			return bad("mqtt.broker", red.MQTT.Broker, "must be a URL like tcp://127.0.0.1:1883")
		}
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
		default:
			return bad("mqtt.broker", red.MQTT.Broker, "scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss")
		}
		if c.TopicPrefix != "" && (topicBad.MatchString(c.TopicPrefix) || strings.HasPrefix(c.TopicPrefix, "/") || strings.HasSuffix(c.TopicPrefix, "/")) {
			return bad("mqtt.topic_prefix", c.TopicPrefix, "must not contain + or # or start/end with /")
		}
		if c.DiscoveryPrefix != "" && (topicBad.MatchString(c.DiscoveryPrefix) || strings.Contains(c.DiscoveryPrefix, "/")) {
			return bad("mqtt.discovery_prefix", c.DiscoveryPrefix, "must be one topic level without + or #")
		}
		if len(c.ClientID) > 23*4 {
			return bad("mqtt.client_id", c.ClientID, "too long")
		}
		if err := checkTimeout("mqtt.timeout", c.Timeout); err != nil {
			return err
		}
	case TypeKakaoAlimtalk:
		c := r.Alimtalk
		if err := checkNCP("kakao_alimtalk", c.NCPCredentials, red.Alimtalk.NCPCredentials, bad); err != nil {
			return err
		}
		if c.PlusFriendID == "" {
			return bad("kakao_alimtalk.plus_friend_id", "", "required")
		}
		if c.TemplateCode == "" {
			return bad("kakao_alimtalk.template_code", "", "required")
		}
		if err := checkPhones("kakao_alimtalk.to", c.To, bad); err != nil {
			return err
		}
		if err := checkTimeout("kakao_alimtalk.timeout", c.Timeout); err != nil {
			return err
		}
	case TypeSENSSMS:
		c := r.SMS
		if err := checkNCP("sens_sms", c.NCPCredentials, red.SMS.NCPCredentials, bad); err != nil {
			return err
		}
		if !phonePattern.MatchString(c.From) {
			return bad("sens_sms.from", c.From, "must be the registered caller number, digits only")
		}
		if err := checkPhones("sens_sms.to", c.To, bad); err != nil {
			return err
		}
		if err := checkTimeout("sens_sms.timeout", c.Timeout); err != nil {
			return err
		}
	case TypeJandi:
		if err := checkHTTPURL("jandi.url", r.Jandi.URL, red.Jandi.URL, bad); err != nil {
			return err
		}
		if err := checkTimeout("jandi.timeout", r.Jandi.Timeout); err != nil {
			return err
		}
	case TypeDooray:
		if err := checkHTTPURL("dooray.url", r.Dooray.URL, red.Dooray.URL, bad); err != nil {
			return err
		}
		if err := checkTimeout("dooray.timeout", r.Dooray.Timeout); err != nil {
			return err
		}
	}
	return nil
}

type badFunc func(field, value, reason string) error

func checkHTTPURL(field, raw, redacted string, bad badFunc) error {
	if raw == "" {
		return bad(field, "", "required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad(field, redacted, "must be an http or https URL")
	}
	return nil
}

func checkNCP(prefix string, c, red NCPCredentials, bad badFunc) error {
	if c.BaseURL != "" {
		if err := checkHTTPURL(prefix+".base_url", c.BaseURL, red.BaseURL, bad); err != nil {
			return err
		}
	}
	if c.ServiceID == "" || strings.ContainsAny(c.ServiceID, "/?#% ") {
		return bad(prefix+".service_id", c.ServiceID, "required, without '/', '?', '#', '%' or spaces")
	}
	if c.AccessKey == "" {
		return bad(prefix+".access_key", "", "required")
	}
	if c.SecretKey == "" {
		return bad(prefix+".secret_key", "", "required")
	}
	return nil
}

func checkPhones(field string, to []string, bad badFunc) error {
	if len(to) == 0 {
		return bad(field, "", "at least one recipient number is required")
	}
	if len(to) > 100 {
		return bad(field, fmt.Sprint(len(to)), "at most 100 recipients")
	}
	for _, p := range to {
		if !phonePattern.MatchString(p) {
			return bad(field, p, "recipient numbers are digits only")
		}
	}
	return nil
}
