package theme

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/go-text/typesetting/font"

	"signalcraft/gui/status"
)

// sfnt builds a minimal font file image with the given tables at base.
func sfnt(base int, tables map[string][]byte, order []string) (dir []byte, data []byte) {
	var d bytes.Buffer
	binary.Write(&d, binary.BigEndian, uint32(0x4f54544f)) // OTTO
	binary.Write(&d, binary.BigEndian, uint16(len(order)))
	d.Write(make([]byte, 6))
	pos := base + 12 + 16*len(order)
	var body bytes.Buffer
	for _, tag := range order {
		d.WriteString(tag)
		binary.Write(&d, binary.BigEndian, uint32(0))
		binary.Write(&d, binary.BigEndian, uint32(pos+body.Len()))
		binary.Write(&d, binary.BigEndian, uint32(len(tables[tag])))
		body.Write(tables[tag])
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	return d.Bytes(), body.Bytes()
}

func TestExtractFace(t *testing.T) {
	// A collection of two faces, each with its own tables.
	head := 12 + 8
	f0dir, f0data := sfnt(head, map[string][]byte{"aaaa": []byte("zero"), "bbbb": []byte("0b")}, []string{"aaaa", "bbbb"})
	off1 := head + len(f0dir) + len(f0data)
	f1dir, f1data := sfnt(off1, map[string][]byte{"aaaa": []byte("one!!")}, []string{"aaaa"})
	var c bytes.Buffer
	c.WriteString("ttcf")
	binary.Write(&c, binary.BigEndian, uint32(0x00010000))
	binary.Write(&c, binary.BigEndian, uint32(2))
	binary.Write(&c, binary.BigEndian, uint32(head))
	binary.Write(&c, binary.BigEndian, uint32(off1))
	c.Write(f0dir)
	c.Write(f0data)
	c.Write(f1dir)
	c.Write(f1data)

	got, err := ExtractFace(c.Bytes(), 1)
	if err != nil {
		t.Fatal(err)
	}
	wantDir, wantData := sfnt(0, map[string][]byte{"aaaa": []byte("one!!")}, []string{"aaaa"})
	if want := append(wantDir, wantData...); !bytes.Equal(got, want) {
		t.Fatalf("face 1 =\n%q\nwant\n%q", got, want)
	}
	if _, err := ExtractFace(c.Bytes(), 2); !errors.Is(err, ErrFont) {
		t.Errorf("face 2 of 2: %v", err)
	}
	if _, err := ExtractFace([]byte("ttcf"), 0); !errors.Is(err, ErrFont) {
		t.Errorf("short file: %v", err)
	}
	single := append(wantDir, wantData...)
	if got, err := ExtractFace(single, 0); err != nil || !bytes.Equal(got, single) {
		t.Errorf("a single font is not passed through: %v", err)
	}
}

// The real collection, when installed, must give a font that go-text (Fyne's
// shaper) parses and that has Hangul.
func TestSystemCJKHasHangul(t *testing.T) {
	if _, err := os.Stat(NotoCJKRegular); err != nil {
		t.Skipf("fonts-noto-cjk not installed: %v", err)
	}
	reg, bold, err := SystemCJK()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []fyne.Resource{reg, bold} {
		f, err := font.ParseTTF(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatalf("%s: %v", r.Name(), err)
		}
		for _, ch := range "정상학습A1" {
			if _, ok := f.NominalGlyph(ch); !ok {
				t.Errorf("%s has no glyph for %q", r.Name(), ch)
			}
		}
	}
}

func TestThemeColoursAndFonts(t *testing.T) {
	test.AssertAllColorNamesDefined(t, New(nil, nil), "signalcraft")
	reg := fyne.NewStaticResource("r", []byte("r"))
	th := New(reg, nil)
	if th.Font(fyne.TextStyle{}) != reg || th.Font(fyne.TextStyle{Bold: true}) != reg {
		t.Error("regular font not used for regular and (missing) bold")
	}
	if th.Font(fyne.TextStyle{Monospace: true}) == reg {
		t.Error("monospace replaced")
	}
	seen := map[any]bool{}
	for k := status.NoSignal; k <= status.Anomaly; k++ {
		c := StatusColour(k)
		if seen[c] {
			t.Errorf("%v shares a colour", k)
		}
		seen[c] = true
	}
}
