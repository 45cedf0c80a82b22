package alert

import (
	"strings"
	"testing"
	"time"
)

func TestMaintenanceWindow(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	ny, _ := time.LoadLocation("America/New_York")
	kst := func(day, hh, mm int) time.Time { return time.Date(2026, 3, day, hh, mm, 0, 0, seoul) } // 1 March 2026 is a Sunday
	cases := []struct {
		name string
		w    MaintenanceWindow
		at   time.Time
		want bool
	}{
		{"inside", MaintenanceWindow{Schedule: "Sun 02:00-04:00 Asia/Seoul"}, kst(1, 3, 0), true},
		{"at the start", MaintenanceWindow{Schedule: "Sun 02:00-04:00 Asia/Seoul"}, kst(1, 2, 0), true},
		{"at the end (exclusive)", MaintenanceWindow{Schedule: "Sun 02:00-04:00 Asia/Seoul"}, kst(1, 4, 0), false},
		{"other day", MaintenanceWindow{Schedule: "Sun 02:00-04:00 Asia/Seoul"}, kst(2, 3, 0), false},
		{"time zone: 03:00 KST is Saturday 18:00 UTC", MaintenanceWindow{Schedule: "Sat 17:00-19:00 UTC"}, kst(1, 3, 0), true},
		{"time zone: the same instant is outside a Seoul window on Saturday", MaintenanceWindow{Schedule: "Sat 17:00-19:00 Asia/Seoul"}, kst(1, 3, 0), false},
		{"no zone means UTC", MaintenanceWindow{Schedule: "Sat 18:00-18:30"}, kst(1, 3, 10), true},
		{"crossing midnight: evening part", MaintenanceWindow{Schedule: "Sat 22:00-02:00 Asia/Seoul"}, kst(7, 23, 0), true},
		{"crossing midnight: morning part belongs to the day before", MaintenanceWindow{Schedule: "Sat 22:00-02:00 Asia/Seoul"}, kst(8, 1, 59), true},
		{"crossing midnight: ends at 02:00", MaintenanceWindow{Schedule: "Sat 22:00-02:00 Asia/Seoul"}, kst(8, 2, 0), false},
		{"crossing midnight: Sunday evening is not Saturday", MaintenanceWindow{Schedule: "Sat 22:00-02:00 Asia/Seoul"}, kst(8, 23, 0), false},
		{"crossing midnight: Saturday morning is not in the window", MaintenanceWindow{Schedule: "Sat 22:00-02:00 Asia/Seoul"}, kst(7, 1, 0), false},
		{"day range", MaintenanceWindow{Days: []string{"Mon-Fri"}, Start: "12:00", End: "13:00", TimeZone: "Asia/Seoul"}, kst(4, 12, 30), true},
		{"day range excludes the weekend", MaintenanceWindow{Days: []string{"Mon-Fri"}, Start: "12:00", End: "13:00", TimeZone: "Asia/Seoul"}, kst(7, 12, 30), false},
		{"wrapping day range", MaintenanceWindow{Days: []string{"Fri-Mon"}, Start: "00:00", End: "24:00", TimeZone: "Asia/Seoul"}, kst(1, 12, 0), true},
		{"day list and full names", MaintenanceWindow{Days: []string{"tuesday,Thu"}, Start: "08:00", End: "09:00"}, time.Date(2026, 3, 5, 8, 30, 0, 0, time.UTC), true},
		{"whole day until 24:00", MaintenanceWindow{Schedule: "Sun 00:00-24:00 Asia/Seoul"}, kst(1, 23, 59), true},
		// 8 March 2026: US clocks go from 02:00 to 03:00; wall-clock windows follow local time.
		{"daylight saving: local wall clock", MaintenanceWindow{Schedule: "Sun 03:00-04:00 America/New_York"}, time.Date(2026, 3, 8, 3, 30, 0, 0, ny), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.w.compile()
			if err != nil {
				t.Fatal(err)
			}
			if got := c.active(tc.at); got != tc.want {
				t.Errorf("active(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestMaintenanceWindowErrors(t *testing.T) {
	cases := []struct {
		w    MaintenanceWindow
		want string
	}{
		{MaintenanceWindow{Schedule: "Sun 02:00"}, "not HH:MM-HH:MM"},
		{MaintenanceWindow{Schedule: "Sunday2 02:00-03:00"}, `unknown day "sunday2"`},
		{MaintenanceWindow{Schedule: "Sun 25:00-03:00"}, "out of range"},
		{MaintenanceWindow{Schedule: "Sun 02:00-02:00"}, "empty"},
		{MaintenanceWindow{Schedule: "Sun 02:00-03:00 Mars/Olympus"}, `time zone "Mars/Olympus"`},
		{MaintenanceWindow{Schedule: "Sun 02:00-03:00", Days: []string{"Mon"}}, "not both"},
		{MaintenanceWindow{Days: nil, Start: "01:00", End: "02:00"}, "no days"},
	}
	for _, tc := range cases {
		if _, err := tc.w.compile(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.w, err, tc.want)
		}
	}
}
