// Package statusview renders the daemon's compact live status table for a terminal: one row
// per machine with its state in colour, sensor health, level, score against threshold, a
// score sparkline and the last event. It stands in until the full TUI connects over the API.
package statusview

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is one machine's status.
type Row struct {
	Machine   string
	Name      string
	State     string  // learning, monitoring, anomaly
	Progress  float64 // learning progress 0..1
	Sensor    string  // ok, silent, clipping, stuck, lost, reconnecting, ended
	LevelDBFS float64
	Score     float64
	Threshold float64
	History   []float64 // recent smoothed scores, oldest first
	Events    int
	LastEvent string
}

// Options controls rendering.
type Options struct {
	Color bool
	Width int // sparkline width in cells
}

const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
)

// Render writes the table for rows at time now.
func Render(w io.Writer, now time.Time, rows []Row, o Options) error {
	if o.Width <= 0 {
		o.Width = 16
	}
	c := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + reset
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", c(bold, "SignalCraft"), c(dim, now.Format("2006-01-02 15:04:05")))
	fmt.Fprintf(&b, "%-10s %-13s %-12s %8s %7s %7s  %-*s %s\n",
		"MACHINE", "STATE", "SENSOR", "LEVEL", "SCORE", "LIMIT", o.Width, "SCORE TREND", "LAST EVENT")
	for _, r := range rows {
		state := r.State
		code := green
		switch r.State {
		case "learning":
			state = fmt.Sprintf("learning %3.0f%%", 100*r.Progress)
			code = cyan
		case "anomaly":
			state = "ANOMALY"
			code = red + bold
		}
		sensorCode := green
		if r.Sensor != "ok" {
			sensorCode = yellow
		}
		if r.Sensor == "lost" {
			sensorCode = red
		}
		score, limit := "-", "-"
		if r.State != "learning" {
			score = fmt.Sprintf("%.2f", r.Score)
			limit = fmt.Sprintf("%.2f", r.Threshold)
		}
		last := r.LastEvent
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(&b, "%-10s %s %s %8s %7s %7s  %s %s\n",
			truncate(r.Machine, 10),
			c(code, fmt.Sprintf("%-13s", state)),
			c(sensorCode, fmt.Sprintf("%-12s", r.Sensor)),
			fmt.Sprintf("%.1fdB", r.LevelDBFS), score, limit,
			Sparkline(r.History, r.Threshold, o.Width, o.Color), last)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var bars = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws the last width values as block characters scaled to the larger of their
// maximum and 1.5× the threshold, so the threshold sits at the same height; values above the
// threshold are red when colour is on.
func Sparkline(values []float64, threshold float64, width int, color bool) string {
	if len(values) > width {
		values = values[len(values)-width:]
	}
	top := 1.5 * threshold
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for range width - len(values) {
		b.WriteByte(' ')
	}
	for _, v := range values {
		i := 0
		if top > 0 && v > 0 {
			i = min(len(bars)-1, int(v/top*float64(len(bars))))
		}
		ch := string(bars[i])
		if color && threshold > 0 && v > threshold {
			ch = red + ch + reset
		}
		b.WriteString(ch)
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
