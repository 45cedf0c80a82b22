// Package truth reads and writes the ground truth of a recording: labelled intervals of
// stream time (learning, normal, fault, sensor_fault) in a small CSV file. The stream
// evaluation (`signalcraftd eval --stream F.wav --truth F.csv`) scores the daemon's live
// output against it, and the test-stream builder writes it next to the WAV it builds.
//
// The file format, one interval per line after a header:
//
//	start,end,label,note
//	0,300,learning,
//	300,600,normal,two knocks at 350 and 420
//	600,720,fault,outer-race impacts growing over 60 s
//	720,740,sensor_fault,silence
//
// start and end are seconds from the first sample (decimals allowed) or Go durations
// ("5m", "1m30.5s"); the note column is optional. Intervals are sorted, do not overlap
// and may leave gaps (unlabelled audio is not scored). Exactly one learning interval is
// needed and it starts at 0: the appliance learns the machine's normal sound from it.
package truth

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Label is what an interval of a recording holds.
type Label string

// The labels.
const (
	Learning    Label = "learning"     // normal sound the appliance learns from
	Normal      Label = "normal"       // normal sound (nuisance noises included) that must not alarm
	Fault       Label = "fault"        // the machine is faulty: the appliance should alarm
	SensorFault Label = "sensor_fault" // the microphone, not the machine, is at fault
)

// Labels lists the valid labels.
var Labels = []Label{Learning, Normal, Fault, SensorFault}

// ErrInvalid wraps every error about a truth file.
var ErrInvalid = errors.New("invalid ground truth")

// Interval is [Start, End) of stream time with one label.
type Interval struct {
	Start, End time.Duration
	Label      Label
	Note       string
}

// Duration returns End − Start.
func (iv Interval) Duration() time.Duration { return iv.End - iv.Start }

// Truth is a recording's labelled intervals, sorted and disjoint.
type Truth struct {
	Intervals []Interval
}

// Read parses a truth file; errors name the file, the line and the value.
func Read(path string) (*Truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	defer f.Close()
	t, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse reads the CSV form (see the package comment) and validates it.
func Parse(r io.Reader) (*Truth, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the file is empty (want a header: start,end,label,note)", ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"start", "end", "label"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%w: line 1: missing column %q (want a header: start,end,label,note)", ErrInvalid, need)
		}
	}
	t := &Truth{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var iv Interval
		if iv.Start, err = parseTime(get("start")); err != nil {
			return nil, fmt.Errorf("%w: line %d: start %q: %w", ErrInvalid, line, get("start"), err)
		}
		if iv.End, err = parseTime(get("end")); err != nil {
			return nil, fmt.Errorf("%w: line %d: end %q: %w", ErrInvalid, line, get("end"), err)
		}
		iv.Label = Label(strings.ToLower(get("label")))
		iv.Note = get("note")
		if !slices.Contains(Labels, iv.Label) {
			return nil, fmt.Errorf("%w: line %d: label %q: must be one of learning, normal, fault, sensor_fault", ErrInvalid, line, get("label"))
		}
		if iv.End <= iv.Start {
			return nil, fmt.Errorf("%w: line %d: end %s is not after start %s", ErrInvalid, line, get("end"), get("start"))
		}
		t.Intervals = append(t.Intervals, iv)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

func parseTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e7 {
			return 0, errors.New("must be a number of seconds from 0 to 10000000")
		}
		return time.Duration(math.Round(f * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New(`want seconds (e.g. 12.5) or a duration (e.g. "1m30s")`)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// Validate checks that intervals are sorted, disjoint and well formed, and that exactly
// one learning interval starts at 0.
func (t *Truth) Validate() error {
	if len(t.Intervals) == 0 {
		return fmt.Errorf("%w: no intervals", ErrInvalid)
	}
	learning := 0
	for i, iv := range t.Intervals {
		if iv.End <= iv.Start || iv.Start < 0 {
			return fmt.Errorf("%w: interval %d (%s): [%s, %s) is empty or negative", ErrInvalid, i+1, iv.Label, iv.Start, iv.End)
		}
		if !slices.Contains(Labels, iv.Label) {
			return fmt.Errorf("%w: interval %d: label %q: must be one of learning, normal, fault, sensor_fault", ErrInvalid, i+1, iv.Label)
		}
		if i > 0 && iv.Start < t.Intervals[i-1].End {
			return fmt.Errorf("%w: interval %d (%s from %s) starts before interval %d ends (%s): sort them and do not overlap",
				ErrInvalid, i+1, iv.Label, iv.Start, i, t.Intervals[i-1].End)
		}
		if iv.Label == Learning {
			learning++
			if iv.Start != 0 {
				return fmt.Errorf("%w: interval %d: the learning interval starts at %s: it must start at 0 (the appliance learns first)", ErrInvalid, i+1, iv.Start)
			}
		}
	}
	if learning != 1 {
		return fmt.Errorf("%w: %d learning intervals: exactly one is needed, starting at 0", ErrInvalid, learning)
	}
	return nil
}

// Learning returns the length of the learning interval.
func (t *Truth) Learning() time.Duration {
	for _, iv := range t.Intervals {
		if iv.Label == Learning {
			return iv.Duration()
		}
	}
	return 0
}

// End returns the end of the last interval.
func (t *Truth) End() time.Duration {
	if len(t.Intervals) == 0 {
		return 0
	}
	return t.Intervals[len(t.Intervals)-1].End
}

// Total returns the summed length of the intervals with label l.
func (t *Truth) Total(l Label) time.Duration {
	var d time.Duration
	for _, iv := range t.Intervals {
		if iv.Label == l {
			d += iv.Duration()
		}
	}
	return d
}

// Span returns the label of the single interval that holds all of [from, to), and false
// when the span is unlabelled or crosses intervals of different labels.
func (t *Truth) Span(from, to time.Duration) (Label, bool) {
	var got Label
	covered := from
	for _, iv := range t.Intervals {
		if iv.End <= from {
			continue
		}
		if iv.Start >= to {
			break
		}
		if iv.Start > covered || (got != "" && iv.Label != got) {
			return "", false // a gap, or a second label
		}
		got, covered = iv.Label, iv.End
	}
	if got == "" || covered < to {
		return "", false
	}
	return got, true
}

// Overlaps reports whether any interval with label l overlaps [from, to).
func (t *Truth) Overlaps(l Label, from, to time.Duration) bool {
	for _, iv := range t.Intervals {
		if iv.Label == l && iv.Start < to && from < iv.End {
			return true
		}
	}
	return false
}

// Onsets returns the intervals with label l that do not continue an interval of the same
// label (a fault that starts after normal sound, not the second half of a split fault).
func (t *Truth) Onsets(l Label) []Interval {
	var out []Interval
	for i, iv := range t.Intervals {
		if iv.Label != l {
			continue
		}
		if i > 0 && t.Intervals[i-1].Label == l && t.Intervals[i-1].End == iv.Start {
			continue
		}
		out = append(out, iv)
	}
	return out
}

// WriteCSV writes t in the file format Read accepts (seconds with millisecond precision).
func (t *Truth) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"start", "end", "label", "note"}); err != nil {
		return err
	}
	sec := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	for _, iv := range t.Intervals {
		if err := cw.Write([]string{sec(iv.Start.Round(time.Millisecond)), sec(iv.End.Round(time.Millisecond)), string(iv.Label), iv.Note}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteFile writes t to path.
func (t *Truth) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
