// Package format renders the values the terminal client shows — ages,
// durations, scores, machine states — and fits styled text into columns.
package format

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/i18n"
)

// Fit truncates s (which may hold ANSI styles) to w cells, ending with "…"
// when cut, and pads it with spaces to exactly w cells.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// FitRight is Fit with the text aligned to the right.
func FitRight(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return Fit(s, w)
	}
	return strings.Repeat(" ", w-ansi.StringWidth(s)) + s
}

// Ago renders how long before now t was: "12s ago", "5m ago", "3h ago", "2d ago".
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return Span(now.Sub(t)) + " ago"
}

// Span renders a duration compactly: "12s", "5m", "3h", "2d".
func Span(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// Count renders n with the singular or plural noun: "1 machine", "2 machines".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Clock renders t as local wall-clock time, with the date when it is not
// the same day as now.
func Clock(now, t time.Time) string {
	t = t.In(now.Location())
	if t.Format(time.DateOnly) == now.In(now.Location()).Format(time.DateOnly) {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 02 15:04")
}

// State renders a machine's live state in words: "monitoring",
// "learning 45%", "ANOMALY", "sensor silent", "lost", "—" before any update.
func State(l api.Live) string {
	switch {
	case l.State == "" && l.Sensor == "":
		return "—"
	case l.State == api.StateAnomaly:
		return "ANOMALY"
	case l.Sensor == api.SensorLost || l.Sensor == api.SensorEnded || l.Sensor == api.SensorReconnecting:
		return "sensor " + l.Sensor
	case l.Sensor != "" && l.Sensor != api.SensorOK:
		return "sensor " + l.Sensor
	case l.State == api.StateLearning:
		return fmt.Sprintf("learning %d%%", int(l.Progress*100))
	}
	return l.State
}

// Score renders a score in multiples of its threshold, the one unit scores
// are shown in on every page (and the unit of alerts' anomaly_score values):
// "1.43×" is 1.43 times the alarm threshold; "—" while learning (no
// threshold yet).
func Score(score, threshold float64) string {
	if threshold <= 0 {
		return "—"
	}
	return Times(score / threshold)
}

// Times renders a multiple of the threshold: "1.43×".
func Times(v float64) string { return fmt.Sprintf("%.2f×", v) }

// Label renders an event label for people: "false_alarm" is "false alarm".
func Label(l string) string {
	if l == api.LabelFalseAlarm {
		return "false alarm"
	}
	return strings.ReplaceAll(l, "_", " ")
}

// Diagnosis renders a fault classifier's verdict in English: "bearing outer race 87 %", or
// for an unsure one "unknown (best guess bearing ball 41 %)"; the runners-up follow when
// asked (i18n.Translator.Diagnosis in the screen's language).
func Diagnosis(d *api.Diagnosis, runnersUp int) string {
	return i18n.New(i18n.English).Diagnosis(d, runnersUp)
}

// NeedRole explains that an action needs a role the caller lacks.
func NeedRole(min api.Role, what string, have api.Role) string {
	return fmt.Sprintf("To %s you need role %s (you are %s).", what, min, have)
}

// Explanation says what the appliance's cross-sensor correlation made of an event: "heard
// from pump-2" (another machine's fault reached this microphone), "plant-wide disturbance"
// (many machines heard one cause), or "".
func Explanation(e api.Event) string {
	switch {
	case e.HeardFrom != "":
		return "heard from " + e.HeardFrom
	case e.Cause == "plant":
		return "plant-wide disturbance"
	}
	return ""
}
