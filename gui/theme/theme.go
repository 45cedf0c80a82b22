// Package theme provides the desktop client's Fyne theme: a light theme
// whose text font can cover Hangul (Fyne's built-in font has none), loaded
// at run time from the system's Noto Sans CJK, and the status colours of
// machine tiles.
package theme

import (
	"fmt"
	"image/color"
	"os"

	"fyne.io/fyne/v2"
	fynetheme "fyne.io/fyne/v2/theme"

	"signalcraft/gui/status"
)

// Debian's fonts-noto-cjk files; face 1 of each collection is the Korean
// ("KR") variant.
const (
	NotoCJKRegular = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
	NotoCJKBold    = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
	NotoCJKKorean  = 1
)

// Theme is the client's theme. Build it with New.
type Theme struct {
	base          fyne.Theme
	regular, bold fyne.Resource
}

// New returns the theme with the given text fonts; nil fonts use Fyne's
// own (then Hangul relies on Fyne's system font fallback).
func New(regular, bold fyne.Resource) *Theme {
	if bold == nil {
		bold = regular
	}
	return &Theme{base: fynetheme.DefaultTheme(), regular: regular, bold: bold}
}

// LoadFont reads face index of the font collection at path as a Fyne
// resource.
func LoadFont(path string, index int) (fyne.Resource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	face, err := ExtractFace(b, index)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fyne.NewStaticResource(fmt.Sprintf("font-%d.otf", index), face), nil
}

// SystemCJK loads the Korean Noto Sans CJK faces if the system has them.
// Either may be nil (with the error saying why); New accepts that.
func SystemCJK() (regular, bold fyne.Resource, err error) {
	regular, err = LoadFont(NotoCJKRegular, NotoCJKKorean)
	if err != nil {
		return nil, nil, err
	}
	bold, err = LoadFont(NotoCJKBold, NotoCJKKorean)
	if err != nil {
		return regular, nil, err
	}
	return regular, bold, nil
}

// Color implements fyne.Theme; the client is always light, which reads best
// on a factory floor and keeps screenshots stable.
func (t *Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.base.Color(n, fynetheme.VariantLight)
}

// Font implements fyne.Theme.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	switch {
	case s.Monospace || s.Symbol:
		return t.base.Font(s)
	case s.Bold && t.bold != nil:
		return t.bold
	case !s.Bold && t.regular != nil:
		return t.regular
	}
	return t.base.Font(s)
}

// Icon implements fyne.Theme.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

// Size implements fyne.Theme, slightly larger than Fyne's defaults: the
// client is used at arm's length on a shop floor.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case fynetheme.SizeNameText:
		return 15
	}
	return t.base.Size(n)
}

// Status colours: strong enough to read across a room, with the word always
// shown next to them so colour is never the only cue.
var (
	colourNormal   = color.NRGBA{0x2e, 0x7d, 0x32, 0xff} // green
	colourLearning = color.NRGBA{0x00, 0x83, 0x8f, 0xff} // cyan
	colourAnomaly  = color.NRGBA{0xc6, 0x28, 0x28, 0xff} // red
	colourCheckMic = color.NRGBA{0xf9, 0xa8, 0x25, 0xff} // amber
	colourNoSignal = color.NRGBA{0x75, 0x75, 0x75, 0xff} // grey
)

// StatusColour returns the tile colour of a verdict.
func StatusColour(k status.Kind) color.Color {
	switch k {
	case status.Normal:
		return colourNormal
	case status.Learning:
		return colourLearning
	case status.Anomaly:
		return colourAnomaly
	case status.CheckMic:
		return colourCheckMic
	}
	return colourNoSignal
}

// StatusTextColour returns the colour of words written on StatusColour(k):
// dark on amber, white on the others.
func StatusTextColour(k status.Kind) color.Color {
	if k == status.CheckMic {
		return color.NRGBA{0x21, 0x21, 0x21, 0xff}
	}
	return color.White
}
