package connect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAppliance(t *testing.T) {
	tests := []struct {
		in      string
		want    Appliance
		wantErr string
	}{
		{in: "line-a=unix:/run/signalcraft/api.sock", want: Appliance{Name: "line-a", Config: Config{Socket: "/run/signalcraft/api.sock"}}},
		{in: "line-b=https://10.0.0.2:8443,token=sc_abc,fingerprint=AB:CD", want: Appliance{Name: "line-b",
			Config: Config{URL: "https://10.0.0.2:8443", Token: "sc_abc", Fingerprint: "AB:CD"}}},
		{in: "noequals", wantErr: `appliance "noequals": want name=unix:/path`},
		{in: "=https://x:1", wantErr: "want name="},
		{in: "a=unix:relative.sock", wantErr: `appliance a: socket "relative.sock": want an absolute path`},
		{in: "a=ftp://x", wantErr: `appliance a: address "ftp://x": want unix:/path or https://host:port`},
		{in: "a=https://x:1,colour=red", wantErr: `appliance a: option "colour": want token= or fingerprint=`},
		{in: "bad name=https://x:1,token=sc_secret", wantErr: "token=****"},
	}
	for _, tt := range tests {
		got, err := ParseAppliance(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "sc_secret") {
				t.Errorf("ParseAppliance(%q) error %v, want one containing %q (and no token)", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseAppliance(%q): %v", tt.in, err)
		case got != tt.want:
			t.Errorf("ParseAppliance(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if s := (Appliance{Name: "x", Config: Config{URL: "https://h:1", Token: "sc_secret"}}).String(); strings.Contains(s, "sc_secret") {
		t.Errorf("String leaks the token: %s", s)
	}
}

func TestLoadFleet(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet")
	if apps, err := LoadFleet(file); err != nil || apps != nil {
		t.Fatalf("missing file: %v %v", apps, err)
	}
	os.WriteFile(file, []byte("# plant 1\nline-a=unix:/run/a.sock\n\nline-b=https://b:8443,token=sc_b\n"), 0o600)
	apps, err := LoadFleet(file)
	if err != nil || len(apps) != 2 || apps[1].Config.Token != "sc_b" {
		t.Fatalf("LoadFleet = %+v, %v", apps, err)
	}
	merged := MergeFleet(apps, []Appliance{{Name: "line-b", Config: Config{URL: "https://b2:8443"}}, {Name: "line-c", Config: Config{Socket: "/c"}}})
	var names []string
	for _, a := range merged {
		names = append(names, a.Name+"="+a.Config.Target())
	}
	if got := strings.Join(names, " "); got != "line-a=unix:/run/a.sock line-b=https://b2:8443 line-c=unix:/c" {
		t.Errorf("merged %s", got)
	}
	os.WriteFile(file, []byte("line-a=unix:/a\nline-b=gopher://x\n"), 0o600)
	if _, err := LoadFleet(file); err == nil || !strings.Contains(err.Error(), "fleet:2:") && !strings.Contains(err.Error(), file+":2:") {
		t.Errorf("bad line: %v, want the file and line 2", err)
	}
}
