package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestClipsAndRetentionDefaults(t *testing.T) {
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Clips != DefaultClips() || c.Retention != DefaultRetention() {
		t.Fatalf("defaults: %+v %+v", c.Clips, c.Retention)
	}
	if c.Clips.Limit() != 2500*MB || c.Retention.Rollups1h.Duration() != 5*365*24*time.Hour {
		t.Errorf("limit %v, rollups_1h %v", c.Clips.Limit(), c.Retention.Rollups1h)
	}
	c, err = Parse([]byte(base + `clips: {max_age: 14d, quota: 500MB, hard_limit: 0.6GB, keep_per_machine: 3, upload: false}
retention: {scores: 2w, rollups_1m: 90d, rollups_1h: 2y}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Clips.MaxAge != 14*Day || c.Clips.Quota != 500*MB || c.Clips.Limit() != 600*MB || c.Clips.KeepPerMachine != 3 ||
		c.Retention.Scores != 2*Week || c.Retention.Rollups1h != 2*Year || !c.Clips.Enabled {
		t.Errorf("parsed %+v %+v", c.Clips, c.Retention)
	}
}

func TestClipsAndRetentionErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"clips: {quota: lots}", `bad size "lots"`},
		{"clips: {quota: 10KB}", `clips.quota 10KB: must be at least 64KB`},
		{"clips: {quota: 1GB, hard_limit: 500MB}", `clips.hard_limit 500MB: must not be below the quota (1GB)`},
		{"clips: {max_age: 30m}", `clips.max_age 30m0s: must be at least 1h`},
		{"clips: {max_age: soon}", `bad age "soon"`},
		{"clips: {keep_per_machine: -1}", `clips.keep_per_machine -1`},
		{"clips: {post_roll: 2m, max_post_roll: 1m}", `clips.max_post_roll 1m0s: must be between post_roll (2m0s) and 10m`},
		{"clips: {pre_roll: 2m}", `clips.pre_roll 2m0s`},
		{"clips: {upload: true}", `clips.upload true: clips are uploaded to the replication bucket: configure replication.s3`},
		{"clips: {quota: 1GB, qouta: 2GB}", `unknown field "qouta" in clips`},
		{"retention: {scores: 12h}", `retention.scores 12h0m0s: must be at least 1d`},
		{"retention: {scores: 100d}", `retention.rollups_1m 90d: must not be shorter than retention.scores (100d)`},
		{"retention: {rollups_1h: 30d}", `retention.rollups_1h 30d: must not be shorter than retention.rollups_1m (90d)`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(base + tt.yaml + "\n"))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestParseSizesAndAges(t *testing.T) {
	for in, want := range map[string]ByteSize{"2GB": 2 * GB, "500 MB": 500 * MB, "1.5GiB": 3 << 29, "200kb": 200 * KB, "1024": 1024, "7B": 7} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]Age{"30d": 30 * Day, "2w": 2 * Week, "5y": 5 * Year, "720h": 30 * Day, "1.5d": Age(36 * time.Hour)} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1d", "d", "5x", ""} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
	if s := (2 * GB).String(); s != "2GB" {
		t.Errorf("String = %q", s)
	}
}
