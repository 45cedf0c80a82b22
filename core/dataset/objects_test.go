package dataset

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestObjectsPut(t *testing.T) {
	o := Objects{Dir: filepath.Join(t.TempDir(), "objects")}
	s, n, err := o.Put(strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if s != sha("hello") || n != 5 {
		t.Fatalf("Put = %s, %d; want %s, 5", s, n, sha("hello"))
	}
	if want := filepath.Join(o.Dir, s[:2], s+".wav"); o.Path(s) != want {
		t.Errorf("Path = %s, want %s", o.Path(s), want)
	}
	if b, err := os.ReadFile(o.Path(s)); err != nil || string(b) != "hello" {
		t.Errorf("object holds %q, %v", b, err)
	}
	if !o.Has(s) || o.Has(sha("other")) || o.Has("../../etc/passwd") {
		t.Error("Has is wrong")
	}
	if s2, _, err := o.Put(strings.NewReader("hello")); err != nil || s2 != s {
		t.Errorf("second Put = %s, %v", s2, err)
	}
	if err := o.Verify(s); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := o.Verify(sha("other")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Verify of a missing object = %v, want ErrNotFound", err)
	}
	all, err := o.All()
	if err != nil || len(all) != 1 || all[0] != s {
		t.Errorf("All = %v, %v", all, err)
	}
	noTemps(t, o)
	if _, err := o.PutVerified(strings.NewReader("hellO"), s); !errors.Is(err, ErrHash) {
		t.Errorf("PutVerified of other bytes = %v, want ErrHash", err)
	}
	noTemps(t, o)
	if b, _ := os.ReadFile(o.Path(s)); string(b) != "hello" {
		t.Errorf("a refused PutVerified changed the object: %q", b)
	}
	if all, _ := (Objects{Dir: filepath.Join(t.TempDir(), "none")}).All(); len(all) != 0 {
		t.Errorf("All of a missing directory = %v", all)
	}
}

// noTemps fails when a temp file was left in the object directory.
func noTemps(t *testing.T, o Objects) {
	t.Helper()
	entries, _ := os.ReadDir(o.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestPutFileAndLinkClip(t *testing.T) {
	dir := t.TempDir()
	clip := filepath.Join(dir, "clips", "42.wav")
	if err := os.MkdirAll(filepath.Dir(clip), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clip, []byte("RIFF clip bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Objects{Dir: filepath.Join(dir, "objects")}

	if err := LinkClip(o, clip, sha("not the clip")); !errors.Is(err, ErrHash) {
		t.Fatalf("LinkClip with a wrong hash = %v, want ErrHash", err)
	}
	if all, _ := o.All(); len(all) != 0 {
		t.Fatalf("a refused LinkClip stored %v", all)
	}
	noTemps(t, o)
	want := sha("RIFF clip bytes")
	if err := LinkClip(o, clip, want); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(clip)
	b, err := os.Stat(o.Path(want))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Error("LinkClip copied a file on the same file system instead of linking it")
	}
	if err := LinkClip(o, clip, want); err != nil {
		t.Errorf("second LinkClip: %v", err)
	}
	if err := LinkClip(o, filepath.Join(dir, "missing.wav"), sha("x")); err == nil || !strings.Contains(err.Error(), "missing.wav") {
		t.Errorf("LinkClip of a missing file = %v", err)
	}

	other := filepath.Join(dir, "other.wav")
	if err := os.WriteFile(other, []byte("other bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, n, err := o.PutFile(other)
	if err != nil || s != sha("other bytes") || n != 11 {
		t.Fatalf("PutFile = %s, %d, %v", s, n, err)
	}
	noTemps(t, o)
}

// TestPutFileCopiesAcrossFileSystems stores a file from /dev/shm (another file system than
// the temp dir on most Linux machines) to take the copy path.
func TestPutFileCopiesAcrossFileSystems(t *testing.T) {
	src, err := os.CreateTemp("/dev/shm", "dataset-test-*")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	defer os.Remove(src.Name())
	src.WriteString("shm bytes")
	src.Close()
	o := Objects{Dir: t.TempDir()}
	s, _, err := o.PutFile(src.Name())
	if err != nil || s != sha("shm bytes") {
		t.Fatalf("PutFile = %s, %v", s, err)
	}
	if err := o.Verify(s); err != nil {
		t.Error(err)
	}
}

// mapGetter serves objects from memory; bad makes it return other bytes.
type mapGetter struct {
	objs map[string][]byte
	bad  bool
	gets int
}

func (g *mapGetter) Get(_ context.Context, s string) (io.ReadCloser, error) {
	g.gets++
	b, ok := g.objs[s]
	if !ok {
		return nil, errors.New("no such key")
	}
	if g.bad {
		b = append(bytes.Clone(b), 'x')
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func TestFetch(t *testing.T) {
	g := &mapGetter{objs: map[string][]byte{}}
	var items []Item
	for i, c := range []string{"a", "b", "c"} {
		g.objs[sha(c)] = []byte(c)
		items = append(items, Item{SHA256: sha(c), Label: Normal, Start: t0.Add(time.Duration(i) * time.Second), Seconds: 1, Source: "import:" + c})
	}
	m := New("m", items, 0.25)
	o := Objects{Dir: t.TempDir()}
	if _, _, err := o.Put(strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	n, err := Fetch(context.Background(), m, o, g)
	if err != nil || n != 2 || g.gets != 2 {
		t.Fatalf("Fetch = %d, %v after %d gets; want 2 fetched", n, err, g.gets)
	}
	for _, it := range m.Items {
		if err := o.Verify(it.SHA256); err != nil {
			t.Error(err)
		}
	}
	bad := &mapGetter{objs: g.objs, bad: true}
	if _, err := Fetch(context.Background(), m, Objects{Dir: t.TempDir()}, bad); !errors.Is(err, ErrHash) || !strings.Contains(err.Error(), "import:a") {
		t.Errorf("Fetch of altered bytes = %v, want ErrHash naming the item", err)
	}
}
