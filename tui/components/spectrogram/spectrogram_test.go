package spectrogram

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
)

func TestRender(t *testing.T) {
	// 4 columns × 4 bands: silence except a loud cell in column 2, the top band.
	s := api.Spectrogram{Columns: 4, Bands: 4, Levels: make([]byte, 16)}
	s.Levels[2*4+3] = 255
	out := Render(s, 4, 2)
	lines := strings.Split(out, "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	for i, l := range lines {
		if got := ansi.Strip(l); got != "▀▀▀▀" {
			t.Errorf("line %d = %q, want four half blocks", i, got)
		}
	}
	// The loud cell is the foreground (upper half) of row 0, column 2: the ramp's top colour.
	loud := "38;5;231"
	if !strings.Contains(lines[0], loud) || strings.Contains(lines[1], loud) {
		t.Errorf("loudest colour %s in the wrong row:\n%q\n%q", loud, lines[0], lines[1])
	}
	if Render(s, 0, 2) != "" || Render(api.Spectrogram{}, 4, 2) != "" {
		t.Error("empty area or spectrogram drawn")
	}
	if colour(0) != Ramp[0] || colour(255) != Ramp[len(Ramp)-1] {
		t.Errorf("ramp ends %d, %d", colour(0), colour(255))
	}
}
