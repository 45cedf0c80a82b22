package conn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fp = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		p     Profile
		field string // "" when valid
	}{
		{"http", Profile{Name: "a", URL: "http://127.0.0.1:8080"}, ""},
		{"https pinned", Profile{Name: "a", URL: "https://x:8443", Fingerprint: fp}, ""},
		{"socket", Profile{Name: "a", Socket: "/run/signalcraft/api.sock"}, ""},
		{"no name", Profile{URL: "http://x"}, "name"},
		{"nothing", Profile{Name: "a"}, "url"},
		{"both", Profile{Name: "a", URL: "http://x", Socket: "/s"}, "socket"},
		{"relative socket", Profile{Name: "a", Socket: "api.sock"}, "socket"},
		{"ftp", Profile{Name: "a", URL: "ftp://x"}, "url"},
		{"bad fingerprint", Profile{Name: "a", URL: "https://x", Fingerprint: "abc"}, "fingerprint"},
		{"pin on http", Profile{Name: "a", URL: "http://x", Fingerprint: fp}, "fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			var fe *FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.field != "" && !errors.As(err, &fe):
				t.Fatalf("Validate() = %v, want a *FieldError on %s", err, tt.field)
			case tt.field != "" && fe.Field != tt.field:
				t.Fatalf("Validate() field %q, want %q (%v)", fe.Field, tt.field, err)
			case tt.field != "" && !errors.Is(err, ErrInvalid):
				t.Fatalf("Validate() = %v, does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestNeedsTrustAndClient(t *testing.T) {
	p := Profile{Name: "a", URL: "https://appliance:8443", Token: "sc_x"}
	if !p.NeedsTrust() {
		t.Fatal("https without fingerprint: NeedsTrust() = false")
	}
	if _, err := p.Client(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Client() of an untrusted https profile = %v, want ErrInvalid", err)
	}
	p.Fingerprint = fp
	c, err := p.Client()
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://appliance:8443" {
		t.Errorf("BaseURL() = %q", c.BaseURL())
	}
	s := Profile{Name: "local", Socket: "/run/signalcraft/api.sock"}
	if s.NeedsTrust() {
		t.Error("socket profile needs trust")
	}
	if c, err := s.Client(); err != nil || c.BaseURL() != "http://unix" {
		t.Errorf("socket Client() = %v, %v", c, err)
	}
}

func TestStringNeverShowsToken(t *testing.T) {
	p := Profile{Name: "plant", URL: "http://x", Token: "sc_supersecret"}
	for _, s := range []string{p.String(), fmt.Sprintf("%v", p), fmt.Sprintf("%+v", p), fmt.Sprintf("%#v", p)} {
		if strings.Contains(s, "supersecret") {
			t.Errorf("formatted profile %q shows the token", s)
		}
	}
}

func TestConfigPutRemove(t *testing.T) {
	var c Config
	a := Profile{Name: "a", URL: "http://a"}
	if err := c.Put("", a); err != nil {
		t.Fatal(err)
	}
	if err := c.Put("", a); err == nil {
		t.Fatal("adding a duplicate name succeeded")
	}
	c.Active = "a"
	if err := c.Put("a", Profile{Name: "b", URL: "http://b"}); err != nil {
		t.Fatal(err)
	}
	if c.Active != "b" || len(c.Profiles) != 1 {
		t.Fatalf("after rename: %+v", c)
	}
	if err := c.Put("zz", a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Put(unknown) = %v", err)
	}
	if err := c.Remove("b"); err != nil || c.Active != "" || len(c.Profiles) != 0 {
		t.Fatalf("Remove: %v %+v", err, c)
	}
	if err := c.Remove("b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove twice = %v", err)
	}
}

func TestStoreRoundTrip(t *testing.T) {
	s := Store{Path: filepath.Join(t.TempDir(), "sub", "connections.json")}
	c, err := s.Load()
	if err != nil || len(c.Profiles) != 0 {
		t.Fatalf("Load() of a missing file = %+v, %v", c, err)
	}
	want := Config{Profiles: []Profile{{Name: "plant", URL: "https://x:8443", Token: "sc_t", Fingerprint: fp}}, Active: "plant", Language: "ko"}
	if err := s.Save(want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (the file holds tokens)", fi.Mode().Perm())
	}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Profiles[0].Token, got.Active, got.Language, got.Profiles[0].Fingerprint) != fmt.Sprint("sc_t", "plant", "ko", fp) {
		t.Errorf("Load() = %+v, want %+v", got, want)
	}
}

func TestStoreRejectsBadFiles(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"profiles":[{"name":"a","url":"http://x"}],"colour":"red"}`, `unknown field "colour"`},
		{`{"profiles":[{"name":"a"}]}`, `connection "a": url`},
		{`{`, "unexpected EOF"},
	}
	for _, tt := range tests {
		s := Store{Path: filepath.Join(t.TempDir(), "c.json")}
		if err := os.WriteFile(s.Path, []byte(tt.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s) = %v, want error containing %q", tt.body, err, tt.want)
		}
	}
}

func TestFormatFingerprint(t *testing.T) {
	got := FormatFingerprint(strings.ReplaceAll(fp, ":", ""))
	if got != strings.ToUpper(fp) {
		t.Errorf("FormatFingerprint = %q", got)
	}
	if FormatFingerprint("junk") != "junk" {
		t.Error("junk not passed through")
	}
}

// TestAbsoluteSocket: a relative socket (the demo's .demo/api.sock) is saved absolute, so
// the connection still works when the app starts from another folder.
func TestAbsoluteSocket(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Profile{Name: "demo", Socket: ".demo/api.sock"}.Absolute()
	if err != nil || p.Socket != filepath.Join(wd, ".demo/api.sock") {
		t.Fatalf("Absolute = %q, %v", p.Socket, err)
	}
	for _, q := range []Profile{{Socket: "/run/signalcraft/api.sock"}, {URL: "https://a:8443"}} {
		if got, err := q.Absolute(); err != nil || got != q {
			t.Errorf("Absolute(%v) = %v, %v; want it unchanged", q, got, err)
		}
	}
}
