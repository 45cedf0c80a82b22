package chart

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// render draws n samples of score against threshold thr, one a second up to end.
func render(t *testing.T, scores []float64, thr float64) []string {
	t.Helper()
	end := time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC)
	var ss []Sample
	for i, v := range scores {
		ss = append(ss, Sample{Time: end.Add(time.Duration(i-len(scores)+1) * time.Second), Score: v, Threshold: thr})
	}
	m := New(7+len(scores), 6, time.Duration(len(scores))*time.Second, Styles{})
	return strings.Split(ansi.Strip(m.Render(ss, end)), "\n")
}

// thresholdRow returns the row labelled with the threshold.
func thresholdRow(t *testing.T, lines []string, label string) string {
	t.Helper()
	for _, l := range lines {
		if strings.HasPrefix(l, label+"┤") {
			return strings.TrimPrefix(l, label+"┤")
		}
	}
	t.Fatalf("no row labelled %q:\n%s", label, strings.Join(lines, "\n"))
	return ""
}

// The threshold line stays visible where bars cross it, even when every score is above it
// (issue 9: it vanished behind the bars).
func TestThresholdVisibleWhenEveryScoreIsAbove(t *testing.T) {
	scores := []float64{1.6, 1.8, 2, 1.9, 1.7, 2, 1.8, 1.6}
	row := thresholdRow(t, render(t, scores, 1), "  1.00")
	if strings.Contains(row, "█") || strings.Count(row, Crossing) < len(scores)-1 {
		t.Errorf("threshold row %q: want the line (%s where bars cross it) in every column", row, Crossing)
	}
}

func TestThresholdLineAboveLowScores(t *testing.T) {
	scores := []float64{0.2, 0.4, 0.3, 0.5}
	row := thresholdRow(t, render(t, scores, 1), "  1.00")
	if row != strings.Repeat("─", len(scores)) {
		t.Errorf("threshold row %q, want an unbroken line", row)
	}
}
