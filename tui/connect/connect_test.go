package connect

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

const fp = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"

func TestPinTrustOnFirstUse(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "known_appliances")
	c := Config{URL: "https://appliance:8443", KnownFile: file}
	fetches, asks := 0, 0
	fetch := func(_ context.Context, addr string) (string, error) {
		fetches++
		if addr != "appliance:8443" {
			t.Errorf("fetched %q", addr)
		}
		return fp, nil
	}
	yes := func(host, got string) (bool, error) { asks++; return true, nil }
	for range 2 { // the second time the stored pin is used without asking
		got, err := Pin(context.Background(), c, "appliance:8443", yes, fetch)
		if err != nil || got != fp {
			t.Fatalf("Pin = %q, %v", got, err)
		}
	}
	if fetches != 1 || asks != 1 {
		t.Errorf("fetched %d times, asked %d times; want 1 and 1", fetches, asks)
	}
	if got, ok, err := Lookup(file, "appliance:8443"); !ok || got != fp || err != nil {
		t.Errorf("Lookup = %q %v %v", got, ok, err)
	}
}

func TestPinDeclinedIsNotStored(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known")
	c := Config{KnownFile: file}
	no := func(string, string) (bool, error) { return false, nil }
	fetch := func(context.Context, string) (string, error) { return fp, nil }
	_, err := Pin(context.Background(), c, "h:1", no, fetch)
	if !errors.Is(err, ErrNotTrusted) {
		t.Fatalf("err = %v, want ErrNotTrusted", err)
	}
	if _, ok, _ := Lookup(file, "h:1"); ok {
		t.Error("a declined fingerprint was stored")
	}
}

func TestPinFlagWinsAndIsChecked(t *testing.T) {
	never := func(string, string) (bool, error) { t.Error("asked"); return false, nil }
	nofetch := func(context.Context, string) (string, error) { t.Error("fetched"); return "", nil }
	got, err := Pin(context.Background(), Config{Fingerprint: fp}, "h:1", never, nofetch)
	if err != nil || got != fp {
		t.Fatalf("Pin = %q, %v", got, err)
	}
	if _, err := Pin(context.Background(), Config{Fingerprint: "xyz"}, "h:1", never, nofetch); err == nil || !strings.Contains(err.Error(), "--fingerprint") {
		t.Errorf("bad fingerprint: err = %v", err)
	}
}

func TestTarget(t *testing.T) {
	if got := (Config{}).Target(); got != "unix:"+DefaultSocket {
		t.Errorf("Target() = %q", got)
	}
	if got := (Config{URL: "https://a:1"}).Target(); got != "https://a:1" {
		t.Errorf("Target() = %q", got)
	}
}
