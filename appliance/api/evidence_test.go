package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// testClipRate and testClipSeconds shape the clip newEnv saves: a 500 Hz tone with a loud
// click at one second.
const (
	testClipRate    = 16000
	testClipSeconds = 2
)

func testClipSamples() []float32 {
	x := make([]float32, testClipRate*testClipSeconds)
	for i := range x {
		x[i] = float32(0.05 * math.Sin(2*math.Pi*500*float64(i)/testClipRate))
	}
	for i := range 40 {
		x[testClipRate+i] = 0.9 * float32(1-2*(i%2))
	}
	return x
}

// addTestClip writes the test clip of event ev under dir and records it in db, as
// appliance/clips does.
func addTestClip(t testing.TB, db *store.DB, dir string, ev int64, machine string, start time.Time) int64 {
	t.Helper()
	var buf bytes.Buffer
	if err := wav.Encode(&buf, testClipRate, [][]float32{testClipSamples()}); err != nil {
		t.Fatal(err)
	}
	rel := fmt.Sprintf("%s/%d.wav", machine, ev)
	if err := os.MkdirAll(filepath.Join(dir, machine), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	id, err := db.AddClip(context.Background(), store.Clip{EventID: ev, MachineID: machine, Path: rel, Start: start,
		Duration: testClipSeconds * time.Second, Frames: testClipRate * testClipSeconds, SampleRate: testClipRate, Channels: 1,
		Size: int64(buf.Len()), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestHistory writes scores to the real store and reads them back over spans that choose
// each resolution: every step present, gaps where nothing was scored, min/mean/max equal
// to the scores written.
func TestHistory(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	now := e.clk.Now()
	// One window a second for the last 3 days, except a silent hour 30 h ago and the
	// last 10 minutes of the first hour ago; score = minute of the hour + a wobble.
	var scores []store.Score
	start := now.Add(-72 * time.Hour)
	for ts := start; ts.Before(now); ts = ts.Add(time.Second) {
		ago := now.Sub(ts)
		if (ago > 30*time.Hour && ago <= 31*time.Hour) || (ago > 50*time.Minute && ago <= time.Hour) {
			continue
		}
		wobble := float64(ts.Unix()%3) - 1
		scores = append(scores, store.Score{MachineID: "pump-1", Time: ts, Score: float64(ts.Minute()) + wobble,
			Smoothed: 1, Threshold: 8, State: "monitoring", Anomalous: ts.Minute() > 55, LevelDBFS: -30})
	}
	for i := 0; i < len(scores); i += 20000 {
		if _, err := e.db.WriteScores(ctx, scores[i:min(i+20000, len(scores))]); err != nil {
			t.Fatal(err)
		}
	}
	// want folds the written scores into the history's steps.
	want := func(h wire.ScoreHistory) []wire.HistoryBucket {
		step := time.Duration(h.StepMS) * time.Millisecond
		out := make([]wire.HistoryBucket, len(h.Buckets))
		for _, s := range scores {
			if s.Time.Before(h.From) || !s.Time.Before(h.To) {
				continue
			}
			b := &out[s.Time.Sub(h.From)/step]
			if b.N == 0 {
				b.Min, b.Max = new(float64), s.Score
				*b.Min = s.Score
			}
			b.N++
			b.Mean += s.Score
			*b.Min, b.Max = min(*b.Min, s.Score), max(b.Max, s.Score)
			if s.Anomalous {
				b.Anomalous++
			}
		}
		for i := range out {
			if out[i].N > 0 {
				out[i].Mean /= float64(out[i].N)
			}
		}
		return out
	}
	c := e.client(wire.RoleViewer)
	for _, tc := range []struct {
		span     time.Duration
		res      string
		points   int
		step     time.Duration
		gapSteps int // steps with nothing heard after the first score
	}{
		{2 * time.Minute, wire.ResolutionRaw, 120, time.Second, 0},
		{time.Hour, wire.ResolutionRaw, 600, 6 * time.Second, 100},
		{24 * time.Hour, wire.Resolution1m, 600, 3 * time.Minute, 3}, // the silent 10 min hold 3 whole steps
		{7 * 24 * time.Hour, wire.Resolution1h, 600, time.Hour, 1},   // the silent hour 30 h ago; the 4 days before the data are gaps too
	} {
		t.Run(tc.span.String(), func(t *testing.T) {
			h, err := c.History(ctx, "pump-1", wire.HistoryQuery{Span: tc.span, Points: tc.points})
			if err != nil {
				t.Fatal(err)
			}
			step := time.Duration(h.StepMS) * time.Millisecond
			if h.Resolution != tc.res || step != tc.step || len(h.Buckets) > tc.points || h.Threshold != 8 {
				t.Fatalf("resolution %s step %v, %d buckets, threshold %v; want %s, %v, at most %d, 8",
					h.Resolution, step, len(h.Buckets), h.Threshold, tc.res, tc.step, tc.points)
			}
			if h.From.After(now.Add(-tc.span)) || !h.To.After(now.Add(-time.Nanosecond)) || h.To.Sub(h.From) != time.Duration(len(h.Buckets))*step {
				t.Errorf("range %v..%v in %d steps of %v does not cover the last %v", h.From, h.To, len(h.Buckets), step, tc.span)
			}
			w := want(h)
			gaps := 0
			for i, b := range h.Buckets {
				if !b.Start.Equal(h.From.Add(time.Duration(i) * step)) {
					t.Fatalf("bucket %d starts %v, want %v", i, b.Start, h.From.Add(time.Duration(i)*step))
				}
				if b.Start.After(start) && b.Start.Before(now) && b.N == 0 {
					gaps++
				}
				wb := w[i]
				if b.N != wb.N || b.Anomalous != wb.Anomalous || b.Max != wb.Max || math.Abs(b.Mean-wb.Mean) > 1e-9 ||
					(b.N > 0 && (b.Min == nil || *b.Min != *wb.Min)) || (b.N == 0 && b.Min != nil) {
					t.Fatalf("bucket %d (%v) = n %d min %v mean %v max %v anomalous %d; want n %d min %v mean %v max %v anomalous %d",
						i, b.Start, b.N, b.Min, b.Mean, b.Max, b.Anomalous, wb.N, wb.Min, wb.Mean, wb.Max, wb.Anomalous)
				}
			}
			if gaps != tc.gapSteps {
				t.Errorf("%d empty steps, want %d", gaps, tc.gapSteps)
			}
		})
	}

	for _, q := range []string{"span=30s", "span=9000h", "span=1h&from=2025-03-01T00:00:00Z", "points=0", "from=2025-03-02T00:00:00Z", "to=yesterday"} {
		req, _ := http.NewRequest("GET", e.ts.URL+wire.Expand(wire.PathHistory, "pump-1")+"?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 4 {
			t.Errorf("?%s: status %d, want 4xx", q, resp.StatusCode)
		}
	}
	if _, err := c.History(ctx, "nope", wire.HistoryQuery{}); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
}

func TestClips(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	viewer, operator := e.client(wire.RoleViewer), e.client(wire.RoleOperator)

	cs, err := viewer.EventClips(ctx, e.event)
	if err != nil || len(cs) != 1 {
		t.Fatalf("clips = %+v, %v; want one", cs, err)
	}
	ci := cs[0]
	if ci.ID != e.clip || ci.SampleRate != testClipRate || ci.Channels != 1 || ci.Duration() != testClipSeconds*time.Second ||
		!ci.Available || ci.Uploaded || ci.Upload != "none" || ci.Size == 0 {
		t.Errorf("clip = %+v", ci)
	}

	// Download: the whole file, byte for byte, named; then a range, as players seek.
	body, size, err := operator.ClipAudio(ctx, ci.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	disk, _ := os.ReadFile(filepath.Join(e.clipsDir, "pump-1", fmt.Sprintf("%d.wav", e.event)))
	sum := sha256.Sum256(got)
	if size != ci.Size || !bytes.Equal(got, disk) || hex.EncodeToString(sum[:]) != ci.SHA256 {
		t.Errorf("downloaded %d bytes (size %d), want the %d-byte file with its sha256", len(got), size, ci.Size)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+wire.Expand(wire.PathClipAudio, fmt.Sprint(ci.ID)), nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleOperator])
	req.Header.Set("Range", "bytes=0-11")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(part[:4]) != "RIFF" || len(part) != 12 ||
		resp.Header.Get("Content-Type") != "audio/wav" || !strings.Contains(resp.Header.Get("Content-Disposition"), ci.FileName()) {
		t.Errorf("range: status %d, %q, headers %v", resp.StatusCode, part, resp.Header)
	}
	if _, _, err := viewer.ClipAudio(ctx, ci.ID); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("viewer download: %v, want forbidden", err)
	}

	// Spectrogram: the shape asked for; the click's column is the loudest at high bands.
	sp, err := viewer.ClipSpectrogram(ctx, ci.ID, 40)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Columns != 40 || sp.Bands != spectrogramBands || len(sp.Levels) != 40*spectrogramBands || sp.SampleRate != testClipRate ||
		sp.TopDB-sp.FloorDB != spectrogramRange || len(sp.BandHz) != sp.Bands {
		t.Fatalf("spectrogram %d×%d (%d levels), rate %d, %v..%v dB", sp.Columns, sp.Bands, len(sp.Levels), sp.SampleRate, sp.FloorDB, sp.TopDB)
	}
	loudest := 0
	for col := range sp.Columns {
		if sp.At(col, sp.Bands-1) > sp.At(loudest, sp.Bands-1) {
			loudest = col
		}
	}
	if at := float64(loudest) * sp.ColumnMS / 1000; math.Abs(at-1) > 0.1 {
		t.Errorf("loudest top band in column %d (%.2f s), want the click at 1 s", loudest, at)
	}

	// The file is gone (pruned): a not-found naming the clip, for audio and spectrogram;
	// the list says so.
	if err := os.Remove(filepath.Join(e.clipsDir, "pump-1", fmt.Sprintf("%d.wav", e.event))); err != nil {
		t.Fatal(err)
	}
	_, _, errAudio := operator.ClipAudio(ctx, ci.ID)
	_, errSpec := viewer.ClipSpectrogram(ctx, ci.ID, 0)
	for _, err := range []error{errAudio, errSpec} {
		if !wire.IsCode(err, wire.CodeNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("clip %d of event %d", ci.ID, e.event)) ||
			!strings.Contains(err.Error(), "no longer on the appliance") {
			t.Errorf("missing file: %v; want not found naming the clip", err)
		}
	}
	if cs, err := viewer.EventClips(ctx, e.event); err != nil || len(cs) != 1 || cs[0].Available {
		t.Errorf("after removal: %+v, %v; want the clip, not available", cs, err)
	}

	// An event without a clip lists none; an unknown event or clip is not found.
	ev2, err := e.db.OpenEvent(ctx, store.Event{MachineID: "fan-2", Start: e.clk.Now(), PeakScore: 3, Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := viewer.EventClips(ctx, ev2); err != nil || len(cs) != 0 {
		t.Errorf("event without clip: %+v, %v", cs, err)
	}
	if _, err := viewer.EventClips(ctx, 999); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("unknown event: %v", err)
	}
	if _, err := viewer.ClipSpectrogram(ctx, 999, 0); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("unknown clip: %v", err)
	}
}

// BenchmarkHistoryWeek reads a week of one machine's history (1-hour rollups, 168 steps)
// and a day (1-minute rollups, 600 steps of 3 min) from a store holding a week of windows at
// two a second, through the HTTP handler.
func BenchmarkHistoryWeek(b *testing.B) {
	e := newEnv(b, Options{})
	ctx := context.Background()
	now := e.clk.Now()
	batch := make([]store.Score, 0, 20000)
	for ts := now.Add(-7 * 24 * time.Hour); ts.Before(now); ts = ts.Add(500 * time.Millisecond) {
		batch = append(batch, store.Score{MachineID: "pump-1", Time: ts, Score: float64(ts.Second()), Threshold: 8,
			State: "monitoring", LevelDBFS: -30})
		if len(batch) == cap(batch) {
			if _, err := e.db.WriteScores(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := e.db.WriteScores(ctx, batch); err != nil {
		b.Fatal(err)
	}
	c := e.client(wire.RoleViewer)
	for _, span := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, 2 * time.Hour} {
		b.Run(span.String(), func(b *testing.B) {
			for b.Loop() {
				h, err := c.History(ctx, "pump-1", wire.HistoryQuery{Span: span})
				if err != nil || len(h.Buckets) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSpectroCache: an answer is computed once per clip, SHA-256 and width, computations
// never overlap, and the oldest answers go first.
func TestSpectroCache(t *testing.T) {
	c := newSpectroCache(2)
	ctx := context.Background()
	var mu sync.Mutex
	running, most, calls := 0, 0, 0
	work := func(body string) func() ([]byte, error) {
		return func() ([]byte, error) {
			mu.Lock()
			running++
			calls++
			most = max(most, running)
			mu.Unlock()
			time.Sleep(time.Millisecond) // widen the window for an overlap
			mu.Lock()
			running--
			mu.Unlock()
			return []byte(body), nil
		}
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := spectroKey(int64(i%2), "ab", 256)
			if b, err := c.compute(ctx, key, work(key)); err != nil || string(b) != key {
				t.Errorf("compute(%s) = %q, %v", key, b, err)
			}
		}()
	}
	wg.Wait()
	if calls != 2 || most != 1 {
		t.Errorf("%d computations (want 2, one per key), %d at once (want 1)", calls, most)
	}
	c.get(spectroKey(1, "ab", 256))                     // clip 1 the most recent, clip 0 the least
	c.compute(ctx, spectroKey(2, "ab", 256), work("c")) // evicts clip 0
	if _, ok := c.get(spectroKey(0, "ab", 256)); ok {
		t.Error("the oldest answer was kept beyond the cache's size")
	}
	if _, ok := c.get(spectroKey(1, "ab", 256)); !ok {
		t.Error("a recent answer was evicted")
	}
	if _, err := c.compute(ctx, "x", func() ([]byte, error) { return nil, errors.New("bad wav") }); err == nil {
		t.Error("an error was swallowed")
	}
	if _, ok := c.get("x"); ok {
		t.Error("a failure was cached")
	}
}

// BenchmarkClipSpectrogram is GET clips/{id}/spectrogram end to end (read the WAV, compute,
// quantise, JSON over loopback) for a typical clip (20 s at 16 kHz: 10 s pre-roll, 10 s
// post-roll) and the longest one the defaults allow (70 s at 48 kHz: 10 s pre-roll, 60 s
// max post-roll).
func BenchmarkClipSpectrogram(b *testing.B) {
	for _, tc := range []struct {
		name          string
		rate, seconds int
	}{{"20s-16kHz", 16000, 20}, {"70s-48kHz", 48000, 70}} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, Options{})
			ctx := context.Background()
			x := make([]float32, tc.rate*tc.seconds)
			for i := range x {
				x[i] = float32(0.1 * math.Sin(float64(i)*0.05))
			}
			var buf bytes.Buffer
			if err := wav.Encode(&buf, tc.rate, [][]float32{x}); err != nil {
				b.Fatal(err)
			}
			ev, err := e.db.OpenEvent(ctx, store.Event{MachineID: "fan-2", Start: e.clk.Now(), PeakScore: 3, Threshold: 2})
			if err != nil {
				b.Fatal(err)
			}
			rel := fmt.Sprintf("fan-2/%d.wav", ev)
			if err := os.MkdirAll(filepath.Join(e.clipsDir, "fan-2"), 0o750); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(e.clipsDir, filepath.FromSlash(rel)), buf.Bytes(), 0o640); err != nil {
				b.Fatal(err)
			}
			sum := sha256.Sum256(buf.Bytes())
			id, err := e.db.AddClip(ctx, store.Clip{EventID: ev, MachineID: "fan-2", Path: rel, Start: e.clk.Now(),
				Duration: time.Duration(tc.seconds) * time.Second, Frames: int64(len(x)), SampleRate: tc.rate, Channels: 1,
				Size: int64(buf.Len()), SHA256: hex.EncodeToString(sum[:])})
			if err != nil {
				b.Fatal(err)
			}
			c := e.client(wire.RoleViewer)
			b.ResetTimer()
			for b.Loop() {
				e.srv.spectro = newSpectroCache(32) // computed every time: the first view's cost
				if sp, err := c.ClipSpectrogram(ctx, id, 0); err != nil || sp.Columns != spectrogramColumns {
					b.Fatal(err)
				}
			}
		})
	}
}
