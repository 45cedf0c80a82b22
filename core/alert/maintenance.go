package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaintenanceWindow is recurring planned downtime during which notifications for matching
// alerts are muted (alerts are still evaluated and shown). The window opens on each of Days
// at Start and closes at End, in TimeZone; an End at or before Start means the window runs
// past midnight into the next day ("Sat 22:00-02:00" lasts until Sunday 02:00). End may be
// "24:00".
//
// Schedule is a shorthand for Days, Start, End and TimeZone: "Sun 02:00-04:00 Asia/Seoul",
// "Mon-Fri 12:00-13:00", "Sat,Sun 22:00-06:00 UTC". Give one form or the other.
type MaintenanceWindow struct {
	Name     string   `yaml:"name" json:"name"`
	Schedule string   `yaml:"schedule,omitempty" json:"schedule,omitempty"`
	Days     []string `yaml:"days,omitempty" json:"days,omitempty"` // Mon … Sun, or ranges like Mon-Fri
	Start    string   `yaml:"start,omitempty" json:"start,omitempty"`
	End      string   `yaml:"end,omitempty" json:"end,omitempty"`
	TimeZone string   `yaml:"time_zone,omitempty" json:"time_zone,omitempty"` // IANA name; "" is UTC
	Matchers Matchers `yaml:"matchers,omitempty" json:"matchers,omitempty"`
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// window is a compiled MaintenanceWindow.
type window struct {
	name       string
	days       [7]bool
	start, end int // minutes after midnight; end may be 1440
	loc        *time.Location
	matchers   Matchers
}

// ParseDays reads day specs ("mon", "Mon-Fri", "sat,sun") as MaintenanceWindow.Days does:
// the set of days, Sunday first; an error for an unknown day or none.
func ParseDays(specs []string) ([7]bool, error) {
	var d [7]bool
	if len(specs) == 0 {
		return d, fmt.Errorf("no days")
	}
	day := func(s string) (int, error) {
		s = strings.ToLower(strings.TrimSpace(s))
		for i, n := range dayNames {
			if len(s) >= 3 && strings.HasPrefix(n, s[:3]) && strings.HasPrefix(fullDay(i), s) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("unknown day %q", s)
	}
	for _, spec := range specs {
		for part := range strings.SplitSeq(spec, ",") {
			from, to, isRange := strings.Cut(part, "-")
			a, err := day(from)
			if err != nil {
				return d, err
			}
			b := a
			if isRange {
				if b, err = day(to); err != nil {
					return d, err
				}
			}
			for i := a; ; i = (i + 1) % 7 {
				d[i] = true
				if i == b {
					break
				}
			}
		}
	}
	return d, nil
}

func fullDay(i int) string {
	return strings.ToLower(time.Weekday(i).String())
}

func parseClock(s string, allow24 bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	if hh > 23 && !(allow24 && hh == 24 && mm == 0) {
		return 0, fmt.Errorf("time %q is out of range", s)
	}
	return hh*60 + mm, nil
}

// compile checks the window; path names it in errors.
func (w MaintenanceWindow) compile() (*window, error) {
	days, start, end, tz := w.Days, w.Start, w.End, w.TimeZone
	if w.Schedule != "" {
		if len(w.Days) > 0 || w.Start != "" || w.End != "" || w.TimeZone != "" {
			return nil, fmt.Errorf("give schedule or days/start/end/time_zone, not both")
		}
		f := strings.Fields(w.Schedule)
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("schedule %q: want \"DAYS HH:MM-HH:MM [TIME_ZONE]\"", w.Schedule)
		}
		days = []string{f[0]}
		var ok bool
		if start, end, ok = strings.Cut(f[1], "-"); !ok {
			return nil, fmt.Errorf("schedule %q: time range %q is not HH:MM-HH:MM", w.Schedule, f[1])
		}
		if len(f) == 3 {
			tz = f[2]
		}
	}
	c := &window{name: w.Name}
	var err error
	if c.days, err = ParseDays(days); err != nil {
		return nil, err
	}
	if c.start, err = parseClock(start, false); err != nil {
		return nil, err
	}
	if c.end, err = parseClock(end, true); err != nil {
		return nil, err
	}
	if c.start == c.end {
		return nil, fmt.Errorf("window %s-%s is empty (use 00:00-24:00 for a whole day)", start, end)
	}
	if tz == "" {
		tz = "UTC"
	}
	if c.loc, err = time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("time zone %q: %v", tz, err)
	}
	if c.matchers, err = w.Matchers.compiled(); err != nil {
		return nil, err
	}
	return c, nil
}

// active reports whether the window is open at t.
func (w *window) active(t time.Time) bool {
	lt := t.In(w.loc)
	mins := lt.Hour()*60 + lt.Minute()
	today := int(lt.Weekday())
	yesterday := (today + 6) % 7
	if w.end > w.start { // same day
		return w.days[today] && mins >= w.start && mins < w.end
	}
	// Crosses midnight: the evening part belongs to today, the morning part to yesterday.
	return (w.days[today] && mins >= w.start) || (w.days[yesterday] && mins < w.end)
}

// Active reports whether the window is open at t (false if the window is invalid).
func (w MaintenanceWindow) Active(t time.Time) bool {
	c, err := w.compile()
	return err == nil && c.active(t)
}
