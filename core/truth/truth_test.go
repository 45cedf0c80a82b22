package truth

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

const good = `start,end,label,note
0,300,learning,
300,600,normal,"two knocks, at 350 and 420"
# comments are allowed
600,12m,fault,onset
720,740.5,sensor_fault,silence
`

func TestParseGood(t *testing.T) {
	tr, err := Parse(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []Interval{
		{0, 300 * time.Second, Learning, ""},
		{300 * time.Second, 600 * time.Second, Normal, "two knocks, at 350 and 420"},
		{600 * time.Second, 720 * time.Second, Fault, "onset"},
		{720 * time.Second, 740500 * time.Millisecond, SensorFault, "silence"},
	}
	if len(tr.Intervals) != len(want) {
		t.Fatalf("got %d intervals, want %d", len(tr.Intervals), len(want))
	}
	for i, iv := range tr.Intervals {
		if iv != want[i] {
			t.Errorf("interval %d = %+v, want %+v", i, iv, want[i])
		}
	}
	if got := tr.Learning(); got != 300*time.Second {
		t.Errorf("Learning = %v", got)
	}
	if got := tr.Total(Normal); got != 300*time.Second {
		t.Errorf("Total(normal) = %v", got)
	}
	if got := tr.End(); got != 740500*time.Millisecond {
		t.Errorf("End = %v", got)
	}

	var buf bytes.Buffer
	if err := tr.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(&buf)
	if err != nil {
		t.Fatalf("round trip: %v\n%s", err, buf.String())
	}
	for i := range want {
		if back.Intervals[i] != want[i] {
			t.Errorf("round trip interval %d = %+v, want %+v", i, back.Intervals[i], want[i])
		}
	}
}

func TestParseBad(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "the file is empty"},
		{"no label column", "start,end\n0,1\n", `missing column "label"`},
		{"bad start", "start,end,label\nx,10,learning\n", `line 2: start "x"`},
		{"negative", "start,end,label\n-1,10,learning\n", `line 2: start "-1"`},
		{"bad label", "start,end,label\n0,10,learning\n10,20,broken\n", `line 3: label "broken"`},
		{"empty interval", "start,end,label\n0,10,learning\n10,10,normal\n", "line 3: end 10 is not after start 10"},
		{"overlap", "start,end,label\n0,10,learning\n5,20,normal\n", "interval 2 (normal from 5s) starts before interval 1 ends (10s)"},
		{"no learning", "start,end,label\n0,10,normal\n", "0 learning intervals"},
		{"two learning", "start,end,label\n0,10,learning\n10,20,learning\n", "interval 2: the learning interval starts at 10s"},
		{"learning late", "start,end,label\n5,10,learning\n", "starts at 5s: it must start at 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestSpanOverlapsOnsets(t *testing.T) {
	tr, err := Parse(strings.NewReader(good + "740.5,800,fault,second\n800,900,fault,continued\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	for _, tc := range []struct {
		from, to float64
		want     Label
		ok       bool
	}{
		{310, 320, Normal, true},
		{590, 600, Normal, true},
		{595, 605, "", false}, // crosses normal → fault
		{650, 720, Fault, true},
		{750, 850, Fault, true}, // two adjacent fault intervals
		{890, 910, "", false},   // runs past the end
	} {
		got, ok := tr.Span(s(tc.from), s(tc.to))
		if got != tc.want || ok != tc.ok {
			t.Errorf("Span(%v, %v) = %q, %v; want %q, %v", tc.from, tc.to, got, ok, tc.want, tc.ok)
		}
	}
	if !tr.Overlaps(SensorFault, s(700), s(721)) || tr.Overlaps(SensorFault, s(700), s(720)) {
		t.Error("Overlaps(sensor_fault) wrong at the interval's start")
	}
	on := tr.Onsets(Fault)
	if len(on) != 2 || on[0].Start != s(600) || on[1].Start != s(740.5) {
		t.Errorf("Onsets(fault) = %+v, want starts 600 s and 740.5 s", on)
	}
}
