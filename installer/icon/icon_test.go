package icon

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/signalcraft-desktop.svg")

func TestPNG(t *testing.T) {
	for _, size := range []int{16, 48, 256} {
		b, err := PNG(size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got := img.Bounds().Dx(); got != size || img.Bounds().Dy() != size {
			t.Fatalf("size %d: image is %v", size, img.Bounds())
		}
		at := func(fx, fy float64) color.NRGBA {
			return color.NRGBAModel.Convert(img.At(int(fx*float64(size)), int(fy*float64(size)))).(color.NRGBA)
		}
		tests := []struct {
			name   string
			fx, fy float64
			want   color.NRGBA
		}{
			{"corner is transparent", 0, 0, color.NRGBA{}},
			{"left of the bars is background", 0.1, 0.5, Background},
		}
		for _, tt := range tests {
			if got := at(tt.fx, tt.fy); got != tt.want {
				t.Errorf("size %d: %s: pixel = %v, want %v", size, tt.name, got, tt.want)
			}
		}
		if size >= 48 { // bars are whole pixels wide
			if got := at(0.5, 0.5); got != Highlight {
				t.Errorf("size %d: centre = %v, want the highlighted bar %v", size, got, Highlight)
			}
			if got := at(0.2, 0.5); got != Wave {
				t.Errorf("size %d: first bar = %v, want %v", size, got, Wave)
			}
		}
	}
}

func TestPNGSize(t *testing.T) {
	for _, size := range []int{0, -1, 5000} {
		if _, err := PNG(size); !errors.Is(err, ErrSize) {
			t.Errorf("PNG(%d) = %v, want ErrSize", size, err)
		}
	}
}

func TestSVG(t *testing.T) {
	got := SVG()
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Rects   []struct {
			Fill string `xml:"fill,attr"`
		} `xml:"rect"`
	}
	if err := xml.Unmarshal(got, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if doc.ViewBox != "0 0 256 256" || len(doc.Rects) != 1+len(barHeights) {
		t.Errorf("viewBox %q, %d rects", doc.ViewBox, len(doc.Rects))
	}
	golden := filepath.Join("testdata", "signalcraft-desktop.svg")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("SVG differs from %s (go test -update to accept):\n%s", golden, got)
	}
}

func BenchmarkImage256(b *testing.B) {
	for b.Loop() {
		if _, err := Image(256); err != nil {
			b.Fatal(err)
		}
	}
}
