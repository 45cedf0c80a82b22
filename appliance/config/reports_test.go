package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const mailReceivers = `
receivers:
  - name: ops-mail
    type: shoutrrr
    shoutrrr: {url: "smtp://mailer:secret@mail.plant.local:587/?from=sc@plant.local&to=ops@plant.local"}
  - name: ops-hook
    type: webhook
    webhook: {url: "https://hooks.plant.local/in"}
`

func TestReports(t *testing.T) {
	c, err := Parse([]byte(base + mailReceivers + `
reports:
  daily: "06:00"
  weekly: "mon 07:30"
  language: ko
  time_zone: Asia/Seoul
  email: [ops-mail]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Reports
	if h, m, ok := r.DailyAt(); !ok || h != 6 || m != 0 {
		t.Errorf("DailyAt = %d %d %v", h, m, ok)
	}
	if d, h, m, ok := r.WeeklyAt(); !ok || d != time.Monday || h != 7 || m != 30 {
		t.Errorf("WeeklyAt = %v %d %d %v", d, h, m, ok)
	}
	if loc, err := r.Location(); err != nil || loc.String() != "Asia/Seoul" {
		t.Errorf("Location = %v, %v", loc, err)
	}
	if c.ReportLanguage() != "ko" || len(r.Email) != 1 {
		t.Errorf("language %q, email %v", c.ReportLanguage(), r.Email)
	}

	d, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := d.Reports.DailyAt(); ok {
		t.Error("a daily report is scheduled by default")
	}
	if _, _, _, ok := d.Reports.WeeklyAt(); ok {
		t.Error("a weekly report is scheduled by default")
	}
	if d.ReportLanguage() != d.Language {
		t.Errorf("report language %q, want the top-level %q", d.ReportLanguage(), d.Language)
	}
}

func TestReportsErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"daily", `daily: "6am"`, `reports.daily "6am": must be a time of day such as "06:00"`},
		{"daily hour", `daily: "25:00"`, `reports.daily "25:00"`},
		{"weekly", `weekly: "monday 06:00"`, `reports.weekly "monday 06:00": must be a weekday and a time of day`},
		{"weekly time", `weekly: "mon 6"`, `reports.weekly "mon 6"`},
		{"language", `language: de`, `reports.language "de": must be en or ko`},
		{"time zone", `time_zone: Mars/Olympus`, `reports.time_zone "Mars/Olympus": is not a known time zone`},
		{"font", `font: fonts/x.ttf`, `reports.font "fonts/x.ttf": must be an absolute path`},
		{"unknown receiver", `email: [nobody]`, `reports.email[0] "nobody": is not a configured receiver`},
		{"webhook", `email: [ops-hook]`, `reports.email[0] "ops-hook": must be a shoutrrr receiver with an smtp:// URL`},
		{"twice", `email: [ops-mail, ops-mail]`, `reports.email[1] "ops-mail": is named twice`},
		{"unknown key", `dayly: "06:00"`, `unknown field "dayly" in reports`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base + mailReceivers + "reports:\n  " + tc.yaml + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %s", err, tc.want)
			}
			var fe *FieldError
			if tc.name != "unknown key" && !errors.As(err, &fe) {
				t.Errorf("no *FieldError in %v", err)
			}
		})
	}
}
