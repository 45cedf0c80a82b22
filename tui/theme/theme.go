// Package theme holds the terminal client's styles. Colours carry meaning
// and are the 16 basic ANSI colours, so they follow the technician's
// terminal palette: green monitoring, cyan learning, red anomaly, yellow a
// sensor problem, grey lost or unknown.
package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"

	"signalcraft/core/api"
)

// Basic ANSI colours used for meaning.
var (
	Green  color.Color = lipgloss.Green
	Cyan   color.Color = lipgloss.Cyan
	Red    color.Color = lipgloss.BrightRed
	Yellow color.Color = lipgloss.Yellow
	Grey   color.Color = lipgloss.BrightBlack
	Blue   color.Color = lipgloss.Blue
	White  color.Color = lipgloss.BrightWhite
)

// Styles is every style the client uses.
type Styles struct {
	Title       lipgloss.Style
	Tab         lipgloss.Style
	ActiveTab   lipgloss.Style
	Header      lipgloss.Style // table headers
	Selected    lipgloss.Style // the row under the cursor
	Muted       lipgloss.Style
	Error       lipgloss.Style
	Warning     lipgloss.Style
	OK          lipgloss.Style
	Info        lipgloss.Style
	Label       lipgloss.Style // form labels
	Box         lipgloss.Style // framed panels
	StatusBar   lipgloss.Style
	Threshold   lipgloss.Style // the threshold line in charts
	Monitoring  lipgloss.Style
	Learning    lipgloss.Style
	Anomaly     lipgloss.Style
	SensorIssue lipgloss.Style
	Lost        lipgloss.Style
}

// DefaultStyles returns the client's styles.
func DefaultStyles() Styles {
	s := lipgloss.NewStyle()
	return Styles{
		Title:       s.Bold(true).Foreground(White),
		Tab:         s.Foreground(Grey).Padding(0, 1),
		ActiveTab:   s.Bold(true).Foreground(White).Underline(true).Padding(0, 1),
		Header:      s.Bold(true),
		Selected:    s.Reverse(true),
		Muted:       s.Foreground(Grey),
		Error:       s.Foreground(Red),
		Warning:     s.Foreground(Yellow),
		OK:          s.Foreground(Green),
		Info:        s.Foreground(Cyan),
		Label:       s.Bold(true),
		Box:         s.Border(lipgloss.RoundedBorder()).BorderForeground(Grey).Padding(0, 1),
		StatusBar:   s.Foreground(Grey),
		Threshold:   s.Foreground(Yellow),
		Monitoring:  s.Foreground(Green),
		Learning:    s.Foreground(Cyan),
		Anomaly:     s.Foreground(Red).Bold(true),
		SensorIssue: s.Foreground(Yellow),
		Lost:        s.Foreground(Grey),
	}
}

// Condition is what a machine's row colour says, from the most to the least
// urgent: an anomaly beats a sensor problem, which beats learning.
type Condition int

// Conditions, in order of urgency.
const (
	CondUnknown Condition = iota
	CondMonitoring
	CondLearning
	CondSensor
	CondLost
	CondAnomaly
)

// ConditionOf classifies a machine's live state. A zero Live (no update
// received yet) is unknown.
func ConditionOf(l api.Live) Condition {
	switch {
	case l.State == "" && l.Sensor == "":
		return CondUnknown
	case l.State == api.StateAnomaly:
		return CondAnomaly
	case l.Sensor == api.SensorLost || l.Sensor == api.SensorEnded:
		return CondLost
	case l.Sensor != "" && l.Sensor != api.SensorOK:
		return CondSensor
	case l.State == api.StateLearning:
		return CondLearning
	case l.State == api.StateMonitoring:
		return CondMonitoring
	}
	return CondUnknown
}

// Condition returns the style of a condition.
func (s Styles) Condition(c Condition) lipgloss.Style {
	switch c {
	case CondMonitoring:
		return s.Monitoring
	case CondLearning:
		return s.Learning
	case CondSensor:
		return s.SensorIssue
	case CondAnomaly:
		return s.Anomaly
	}
	return s.Lost
}

// SensorState returns the style of a sensor state.
func (s Styles) SensorState(state string) lipgloss.Style {
	switch state {
	case api.SensorOK:
		return s.OK
	case api.SensorLost, api.SensorEnded:
		return s.Lost
	case "":
		return s.Muted
	}
	return s.SensorIssue
}
