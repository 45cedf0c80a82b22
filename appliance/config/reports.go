package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"signalcraft/core/notify"
)

// Reports schedules the daily and weekly reports (core/report) and says where they are
// mailed. Reports can be requested through the API whether or not a schedule is set.
type Reports struct {
	// Daily is the local time of day ("06:00") the report on the 24 hours before it is made;
	// "" makes none.
	Daily string `yaml:"daily"`
	// Weekly is a weekday and time ("mon 06:00") the report on the 7 days before it is
	// made; "" makes none.
	Weekly string `yaml:"weekly"`
	// Language of the scheduled reports: en or ko; "" is the top-level language.
	Language string `yaml:"language"`
	// TimeZone the schedule and the reports' times are in (IANA name, e.g. Asia/Seoul);
	// "" is the system's.
	TimeZone string `yaml:"time_zone"`
	// Email names the receivers the scheduled reports are mailed to, as attachments
	// (PDF and the CSV zip); each must be a shoutrrr receiver with an smtp:// URL.
	Email []string `yaml:"email"`
	// Font is the TrueType font with Hangul the PDF is set in; "" is
	// /usr/share/fonts/truetype/nanum/NanumGothic.ttf (the package fonts-nanum).
	Font string `yaml:"font"`
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// clock parses "HH:MM".
func clock(s string) (h, m int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, 0, errors.New(`must be a time of day such as "06:00"`)
	}
	return t.Hour(), t.Minute(), nil
}

// DailyAt returns the daily report's time of day; ok is false when there is none.
func (r Reports) DailyAt() (h, m int, ok bool) {
	if r.Daily == "" {
		return 0, 0, false
	}
	h, m, err := clock(r.Daily)
	return h, m, err == nil
}

// WeeklyAt returns the weekly report's weekday and time; ok is false when there is none.
func (r Reports) WeeklyAt() (d time.Weekday, h, m int, ok bool) {
	day, at, found := strings.Cut(r.Weekly, " ")
	wd, known := weekdays[strings.ToLower(day)]
	if !found || !known {
		return 0, 0, 0, false
	}
	h, m, err := clock(at)
	return wd, h, m, err == nil
}

// Location returns the reports' time zone (the system's when TimeZone is "").
func (r Reports) Location() (*time.Location, error) {
	if r.TimeZone == "" {
		return time.Local, nil
	}
	return time.LoadLocation(r.TimeZone)
}

// ReportLanguage returns the scheduled reports' language: Language, or the top-level one.
func (c *Config) ReportLanguage() string {
	if c.Reports.Language != "" {
		return c.Reports.Language
	}
	return c.Language
}

func (c *Config) validateReports() []error {
	r := c.Reports
	var errs []error
	if r.Daily != "" {
		if _, _, err := clock(r.Daily); err != nil {
			errs = append(errs, fieldErr("reports.daily", r.Daily, err.Error()))
		}
	}
	if r.Weekly != "" {
		if _, _, _, ok := r.WeeklyAt(); !ok {
			errs = append(errs, fieldErr("reports.weekly", r.Weekly, `must be a weekday and a time of day such as "mon 06:00"`))
		}
	}
	if r.Language != "" && r.Language != notify.LangEnglish && r.Language != notify.LangKorean {
		errs = append(errs, fieldErr("reports.language", r.Language, "must be en or ko"))
	}
	if _, err := r.Location(); err != nil {
		errs = append(errs, fieldErr("reports.time_zone", r.TimeZone, "is not a known time zone (IANA name such as Asia/Seoul)"))
	}
	if r.Font != "" && !filepath.IsAbs(r.Font) {
		errs = append(errs, fieldErr("reports.font", r.Font, "must be an absolute path"))
	}
	seen := map[string]bool{}
	for i, name := range r.Email {
		p := fmt.Sprintf("reports.email[%d]", i)
		if seen[name] {
			errs = append(errs, fieldErr(p, name, "is named twice"))
			continue
		}
		seen[name] = true
		var rc *notify.Receiver
		for j := range c.Receivers {
			if c.Receivers[j].Name == name {
				rc = &c.Receivers[j]
			}
		}
		switch {
		case rc == nil:
			errs = append(errs, fieldErr(p, name, "is not a configured receiver"))
		case !notify.IsMail(*rc):
			errs = append(errs, fieldErr(p, name, "must be a shoutrrr receiver with an smtp:// URL (reports are mailed as attachments)"))
		}
	}
	return errs
}
