package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestClipLifecycle(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1", "m2")
	ev := func(m string, at time.Time) int64 {
		id, err := db.OpenEvent(ctx, Event{MachineID: m, Start: at, PeakScore: 2, Threshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CloseEvent(ctx, id, at.Add(time.Second), 2); err != nil {
			t.Fatal(err)
		}
		return id
	}
	sum := strings.Repeat("ab", 32)
	e1, e2, e3 := ev("m1", t0), ev("m2", t0.Add(time.Minute)), ev("m1", t0.Add(2*time.Minute))
	c1 := Clip{EventID: e1, MachineID: "m1", Path: "m1/1.wav", Start: t0.Add(-10 * time.Second), Duration: 20 * time.Second,
		Frames: 320000, SampleRate: 16000, Channels: 1, Size: 640044, SHA256: sum, Upload: UploadPending}
	id1, err := db.AddClip(ctx, c1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddClip(ctx, c1); !errors.Is(err, ErrConflict) {
		t.Errorf("second clip of one event: err = %v, want ErrConflict", err)
	}
	missing := c1
	missing.EventID, missing.Path = 999, "m1/999.wav"
	if _, err := db.AddClip(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("clip of an unknown event: err = %v, want ErrNotFound", err)
	}
	clk.Advance(time.Minute)
	id2, err := db.AddClip(ctx, Clip{EventID: e2, MachineID: "m2", Path: "m2/2.wav", Start: t0, Duration: time.Second,
		Frames: 16000, SampleRate: 16000, Channels: 1, Size: 32044, SHA256: sum})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	id3, err := db.AddClip(ctx, Clip{EventID: e3, MachineID: "m1", Path: "m1/3.wav", Start: t0, Duration: time.Second,
		Frames: 16000, SampleRate: 16000, Channels: 1, Size: 100, SHA256: sum})
	if err != nil {
		t.Fatal(err)
	}

	got, err := db.Clip(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	c1.ID, c1.Format, c1.CreatedAt = id1, ClipFormatWAV16, t0
	if got != c1 {
		t.Errorf("Clip = %+v\nwant %+v", got, c1)
	}
	if byEvent, err := db.ClipOfEvent(ctx, e2); err != nil || byEvent.ID != id2 || byEvent.Upload != UploadNone {
		t.Errorf("ClipOfEvent(%d) = %+v, %v", e2, byEvent, err)
	}
	if _, err := db.Clip(ctx, 12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown clip: err = %v", err)
	}

	ids := func(cs []Clip) (out []int64) {
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f    ClipFilter
		want []int64
	}{
		{ClipFilter{}, []int64{id3, id2, id1}},
		{ClipFilter{Oldest: true}, []int64{id1, id2, id3}},
		{ClipFilter{MachineID: "m1"}, []int64{id3, id1}},
		{ClipFilter{Oldest: true, Limit: 2}, []int64{id1, id2}},
	} {
		cs, err := db.Clips(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if g := ids(cs); len(g) != len(tc.want) || !equalIDs(g, tc.want) {
			t.Errorf("Clips(%+v) = %v, want %v", tc.f, g, tc.want)
		}
	}
	if u, err := db.ClipUsage(ctx); err != nil || u != (ClipUsage{Count: 3, Bytes: 640044 + 32044 + 100}) {
		t.Errorf("ClipUsage = %+v, %v", u, err)
	}

	clk.Advance(time.Minute)
	if err := db.SetClipUpload(ctx, id1, UploadUploaded, "pre/clips/m1/1.wav", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Clip(ctx, id1); got.Upload != UploadUploaded || got.UploadKey != "pre/clips/m1/1.wav" ||
		!got.UploadedAt.Equal(t0.Add(3*time.Minute)) || got.UploadError != "" {
		t.Errorf("after upload: %+v", got)
	}
	if err := db.SetClipUpload(ctx, id2, UploadFailed, "", "access denied"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Clip(ctx, id2); got.Upload != UploadFailed || got.UploadError != "access denied" || !got.UploadedAt.IsZero() {
		t.Errorf("after failure: %+v", got)
	}
	if err := db.SetClipUpload(ctx, 999, UploadFailed, "", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("upload state of unknown clip: err = %v", err)
	}
	if err := db.SetClipUpload(ctx, id1, UploadUploaded, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("uploaded without key: err = %v", err)
	}

	if n, err := db.DeleteClips(ctx, id1, id3, 999); err != nil || n != 2 {
		t.Errorf("DeleteClips = %d, %v; want 2", n, err)
	}
	if u, _ := db.ClipUsage(ctx); u != (ClipUsage{Count: 1, Bytes: 32044}) {
		t.Errorf("usage after delete = %+v", u)
	}
}

func equalIDs(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestClipValidate(t *testing.T) {
	ok := Clip{EventID: 1, MachineID: "m", Path: "m/1.wav", Start: t0, SampleRate: 16000, Channels: 1,
		SHA256: strings.Repeat("0", 64)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid clip: %v", err)
	}
	for name, mod := range map[string]func(*Clip){
		"no event":       func(c *Clip) { c.EventID = 0 },
		"no machine":     func(c *Clip) { c.MachineID = "" },
		"absolute path":  func(c *Clip) { c.Path = "/etc/passwd" },
		"escaping path":  func(c *Clip) { c.Path = "../x.wav" },
		"zero start":     func(c *Clip) { c.Start = time.Time{} },
		"zero rate":      func(c *Clip) { c.SampleRate = 0 },
		"short checksum": func(c *Clip) { c.SHA256 = "abc" },
		"upper hex":      func(c *Clip) { c.SHA256 = strings.Repeat("A", 64) },
		"uploaded state": func(c *Clip) { c.Upload = UploadUploaded },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}
