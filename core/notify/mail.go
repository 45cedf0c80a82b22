package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Shoutrrr's smtp service sends text only. Reports go out as attachments, so this file
// sends a MIME multipart/mixed message itself, to the server, sender, recipients and
// credentials of a receiver's shoutrrr smtp:// URL, with the same encryption and
// authentication choices (encryption None, ExplicitTLS, ImplicitTLS or Auto; usestarttls;
// auth None, Plain, CRAMMD5 or Unknown; skiptlsverify; clienthost; timeout).

// ErrNotMail is returned by ParseMailURL for a receiver that is not an SMTP receiver.
var ErrNotMail = errors.New("not a shoutrrr smtp:// receiver")

// Attachment is a file sent with a mail.
type Attachment struct {
	Name        string // file name, e.g. report-2026-12-07-ko.pdf
	ContentType string // e.g. application/pdf
	Data        []byte
}

// Mail is a message with attachments.
type Mail struct {
	Subject, Body string // UTF-8
	Attachments   []Attachment
	Date          time.Time
}

// MailServer is where and how a receiver's mail is sent: the settings of its shoutrrr
// smtp:// URL. String never shows the password.
type MailServer struct {
	Host          string
	Port          int
	User          string
	password      string
	From          string
	FromName      string
	To            []string
	Encryption    string // None, ExplicitTLS, ImplicitTLS, Auto
	StartTLS      bool
	Auth          string // None, Plain, CRAMMD5, Unknown
	SkipTLSVerify bool
	ClientHost    string
	Timeout       time.Duration
}

func (s MailServer) String() string {
	return fmt.Sprintf("smtp %s:%d from %s to %s", s.Host, s.Port, s.From, strings.Join(s.To, ","))
}

// IsMail reports whether r sends through a shoutrrr smtp:// URL.
func IsMail(r Receiver) bool {
	_, err := ParseMailURL(r)
	return err == nil
}

// ParseMailURL reads the SMTP settings of r's shoutrrr smtp:// URL. Its errors never hold
// the URL (it has the password).
func ParseMailURL(r Receiver) (MailServer, error) {
	if r.Type != TypeShoutrrr || r.Shoutrrr == nil {
		return MailServer{}, fmt.Errorf("receiver %q: %w", r.Name, ErrNotMail)
	}
	u, err := url.Parse(r.Shoutrrr.URL)
	if err != nil {
		return MailServer{}, fmt.Errorf("receiver %q: shoutrrr URL does not parse: %w", r.Name, ErrNotMail)
	}
	if !strings.EqualFold(u.Scheme, "smtp") {
		return MailServer{}, fmt.Errorf("receiver %q: scheme %q: %w", r.Name, u.Scheme, ErrNotMail)
	}
	q := url.Values{}
	for k, v := range u.Query() {
		q[strings.ToLower(k)] = v
	}
	get := func(keys ...string) string {
		for _, k := range keys {
			if v := q.Get(k); v != "" {
				return v
			}
		}
		return ""
	}
	s := MailServer{Host: u.Hostname(), Port: 25, From: get("fromaddress", "from"), FromName: get("fromname"),
		Encryption: "Auto", StartTLS: true, Auth: "Unknown", ClientHost: "localhost", Timeout: timeoutOr(r.Shoutrrr.Timeout)}
	if u.User != nil {
		s.User = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return MailServer{}, fmt.Errorf("receiver %q: port %q: %w", r.Name, p, ErrNotMail)
		}
		s.Port = n
	}
	for _, to := range strings.Split(get("toaddresses", "to"), ",") {
		if to = strings.TrimSpace(to); to != "" {
			s.To = append(s.To, to)
		}
	}
	if v := get("encryption"); v != "" {
		s.Encryption = v
	}
	if v := get("auth"); v != "" {
		s.Auth = v
	}
	if v := get("clienthost"); v != "" {
		s.ClientHost = v
	}
	yes := func(v string) bool { return strings.EqualFold(v, "yes") || strings.EqualFold(v, "true") || v == "1" }
	if v := get("usestarttls", "starttls"); v != "" {
		s.StartTLS = yes(v)
	}
	s.SkipTLSVerify = yes(get("skiptlsverify"))
	if v := get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return MailServer{}, fmt.Errorf("receiver %q: timeout %q: %w", r.Name, v, ErrNotMail)
		}
		s.Timeout = d
	}
	switch {
	case s.Host == "":
		return MailServer{}, fmt.Errorf("receiver %q: no SMTP host: %w", r.Name, ErrNotMail)
	case s.From == "" || len(s.To) == 0:
		return MailServer{}, fmt.Errorf("receiver %q: from and to are needed: %w", r.Name, ErrNotMail)
	}
	switch strings.ToLower(s.Encryption) {
	case "none", "explicittls", "implicittls", "auto":
	default:
		return MailServer{}, fmt.Errorf("receiver %q: encryption %q: %w", r.Name, s.Encryption, ErrNotMail)
	}
	switch strings.ToLower(s.Auth) {
	case "none", "plain", "crammd5", "unknown":
	default:
		return MailServer{}, fmt.Errorf("receiver %q: auth %q (reports support None, Plain, CRAMMD5): %w", r.Name, s.Auth, ErrNotMail)
	}
	return s, nil
}

// SendMail sends m to s's recipients. Plain authentication is refused by net/smtp on a
// connection that is neither TLS nor to localhost, as shoutrrr does.
func SendMail(ctx context.Context, s MailServer, m Mail) error {
	msg, err := BuildMail(s, m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	tlsCfg := &tls.Config{ServerName: s.Host, InsecureSkipVerify: s.SkipTLSVerify} //nolint:gosec // the operator's choice (skiptlsverify)
	enc := strings.ToLower(s.Encryption)
	implicit := enc == "implicittls" || (enc == "auto" && s.Port == 465)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if implicit {
		conn = tls.Client(conn, tlsCfg)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello(s.ClientHost); err != nil {
		return fmt.Errorf("smtp %s: hello: %w", addr, err)
	}
	if !implicit && enc != "none" && (s.StartTLS || enc == "explicittls") {
		ok, _ := c.Extension("STARTTLS")
		switch {
		case ok:
			if err := c.StartTLS(tlsCfg); err != nil {
				return fmt.Errorf("smtp %s: starttls: %w", addr, err)
			}
		case enc == "explicittls":
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS", addr)
		}
	}
	var auth smtp.Auth
	switch strings.ToLower(s.Auth) {
	case "plain":
		auth = smtp.PlainAuth("", s.User, s.password, s.Host)
	case "crammd5":
		auth = smtp.CRAMMD5Auth(s.User, s.password)
	case "unknown": // shoutrrr's default: plain when a user is given
		if s.User != "" {
			auth = smtp.PlainAuth("", s.User, s.password, s.Host)
		}
	}
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("smtp %s: auth as %q: %w", addr, s.User, err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp %s: mail from %s: %w", addr, s.From, err)
	}
	for _, to := range s.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp %s: rcpt to %s: %w", addr, to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: data: %w", addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp %s: data: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: data: %w", addr, err)
	}
	return c.Quit()
}

// BuildMail writes m as a MIME message (RFC 5322 with CRLF line ends): multipart/mixed with
// a text/plain UTF-8 part and one base64 part per attachment.
func BuildMail(s MailServer, m Mail) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	from := s.From
	if s.FromName != "" {
		from = mime.QEncoding.Encode("UTF-8", s.FromName) + " <" + s.From + ">"
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	domain := s.From[strings.LastIndexByte(s.From, '@')+1:]
	var h bytes.Buffer
	for _, kv := range [][2]string{
		{"From", from},
		{"To", strings.Join(s.To, ", ")},
		{"Subject", mime.BEncoding.Encode("UTF-8", m.Subject)},
		{"Date", date.Format(time.RFC1123Z)},
		{"Message-ID", fmt.Sprintf("<%x@%s>", id, domain)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/mixed; boundary=" + strconv.Quote(mw.Boundary())},
	} {
		h.WriteString(kv[0] + ": " + kv[1] + "\r\n")
	}
	h.WriteString("\r\n")
	part := func(hdr textproto.MIMEHeader, data []byte) error {
		hdr.Set("Content-Transfer-Encoding", "base64")
		w, err := mw.CreatePart(hdr)
		if err != nil {
			return err
		}
		return writeBase64(w, data)
	}
	if err := part(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=UTF-8"}}, []byte(m.Body)); err != nil {
		return nil, fmt.Errorf("build mail: %w", err)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		hdr := textproto.MIMEHeader{
			"Content-Type":        {mime.FormatMediaType(ct, map[string]string{"name": a.Name})},
			"Content-Disposition": {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
		}
		if err := part(hdr, a.Data); err != nil {
			return nil, fmt.Errorf("build mail: attachment %q: %w", a.Name, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("build mail: %w", err)
	}
	return append(h.Bytes(), b.Bytes()...), nil
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		if _, err := w.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err := w.Write([]byte(enc + "\r\n"))
	return err
}
