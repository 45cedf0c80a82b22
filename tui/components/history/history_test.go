package history

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
)

func TestRenderGapsAndThreshold(t *testing.T) {
	from := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	h := api.ScoreHistory{From: from, To: from.Add(10 * time.Hour), Resolution: api.Resolution1h, StepMS: 3600000, Threshold: 2}
	for i := range 10 {
		b := api.HistoryBucket{Start: from.Add(time.Duration(i) * time.Hour), N: 3600, Mean: 1, Max: 3}
		switch i {
		case 3, 4: // nothing heard
			b = api.HistoryBucket{Start: b.Start}
		case 8: // above the threshold
			b.Mean, b.Max = 3, 5
		}
		h.Buckets = append(h.Buckets, b)
	}
	out := ansi.Strip(Render(h, AxisWidth+10, 7, Styles{}, time.UTC))
	lines := strings.Split(out, "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	// In multiples of the threshold (2): columns of mean 0.5× and max 1.5×, column 8 of mean
	// 1.5× and max 2.5×; the gaps (3, 4) are dots on the baseline and let the threshold through.
	want := []string{
		"  2.50┤        ░ ",
		"      ┤        ░ ",
		"      ┤░░░  ░░░█░",
		"  1.00┤▓▓▓──▓▓▓▓▓",
		"      ┤███  █████",
		"  0.00┤███··█████",
		"       00:00     ",
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q\n%s", i, lines[i], want[i], out)
		}
	}
	if got := Summary(h); got != "1-hour rollups, 1h steps, 28800 windows, 2 of 10 steps not heard" {
		t.Errorf("Summary = %q", got)
	}
}
