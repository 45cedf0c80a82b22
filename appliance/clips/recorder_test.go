package clips

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// t0 is the time of stream position 0 in these tests.
var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeDisk is a file system whose free space the test sets.
type fakeDisk struct {
	mu   sync.Mutex
	free uint64
}

func (d *fakeDisk) usage(string) (uint64, uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.free, 100 << 30, nil
}

func (d *fakeDisk) set(free uint64) { d.mu.Lock(); d.free = free; d.mu.Unlock() }

type testLib struct {
	*Library
	db   *store.DB
	clk  *fakeClock
	disk *fakeDisk
}

// rate is the sample rate of the tests: low, so clips are small.
const rate = 1000

func testConfig() config.Clips {
	c := config.DefaultClips()
	c.PreRoll, c.PostRoll, c.MaxPostRoll = 2*time.Second, 3*time.Second, 6*time.Second
	return c
}

func newTestLib(t *testing.T, cfg config.Clips, machines ...string) *testLib {
	t.Helper()
	ctx := context.Background()
	clk := &fakeClock{t: t0.Add(time.Hour)}
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "signalcraft.db"), store.WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range machines {
		if err := db.UpsertMachine(ctx, store.Machine{ID: m, Name: m, Kind: "fan"}); err != nil {
			t.Fatal(err)
		}
	}
	disk := &fakeDisk{free: 50 << 30}
	lib, err := New(ctx, cfg, Options{Dir: filepath.Join(dir, "clips"), DB: db, Now: clk.Now, DiskUsage: disk.usage})
	if err != nil {
		t.Fatal(err)
	}
	return &testLib{Library: lib, db: db, clk: clk, disk: disk}
}

// event opens and closes an event of machine in the database and returns its id.
func (tl *testLib) event(t *testing.T, machine string) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := tl.db.OpenEvent(ctx, store.Event{MachineID: machine, Start: tl.clk.Now(), PeakScore: 2, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.db.CloseEvent(ctx, id, tl.clk.Now().Add(time.Second), 2); err != nil {
		t.Fatal(err)
	}
	return id
}

// writePending writes the clips handed to the Library so far, as Run would.
func (tl *testLib) writePending() int {
	n := 0
	for {
		select {
		case c := <-tl.saves:
			tl.save(context.Background(), c)
			n++
		default:
			return n
		}
	}
}

// sample is the test signal at stream position p: exact in 16-bit PCM and different for
// each of 20000 positions, so any misplaced sample shows.
func sample(p uint64) float32 { return float32(int(p%20000)-10000) / 32768 }

// feed feeds positions [from, to) in blocks of 100 samples.
func feed(r *Recorder, from, to uint64) {
	buf := make([]float32, 0, 100)
	for p := from; p < to; {
		buf = buf[:0]
		for q := p; q < min(p+100, to); q++ {
			buf = append(buf, sample(q))
		}
		r.Feed(p, t0.Add(time.Duration(p)*time.Second/rate), buf)
		p += uint64(len(buf))
	}
}

func TestRecorderClip(t *testing.T) {
	tests := []struct {
		name      string
		history   uint64 // samples fed before the event
		at        uint64 // event start
		end       uint64 // event end; 0: never
		feedTo    uint64
		wantFirst uint64
		wantStop  uint64
	}{
		{"short event: pre-roll and post-roll", 5000, 4950, 5200, 12000, 2950, 7950},
		{"event longer than the post-roll", 5000, 4950, 9000, 12000, 2950, 9000},
		{"event beyond the cap", 5000, 4950, 0, 12000, 2950, 10950},
		{"little history", 600, 550, 700, 12000, 0, 3550},
		{"history older than the ring wraps", 30000, 29990, 30100, 40000, 27990, 32990},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := newTestLib(t, testConfig(), "fan-1")
			r := tl.Recorder("fan-1", rate)
			id := tl.event(t, "fan-1")
			feed(r, 0, tc.history)
			if !r.Open(id, tc.at) {
				t.Fatal("Open refused")
			}
			for p := tc.history; p < tc.feedTo; p += 100 {
				feed(r, p, p+100)
				if tc.end != 0 && p < tc.end && p+100 >= tc.end {
					r.End(tc.end)
				}
			}
			if r.Recording() {
				t.Fatal("still recording after the maximum post-roll")
			}
			if n := tl.writePending(); n != 1 {
				t.Fatalf("%d clips written, want 1", n)
			}
			c, err := tl.db.ClipOfEvent(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			checkClip(t, tl, c, tc.wantFirst, tc.wantStop)
		})
	}
}

// checkClip checks the clip's file holds exactly positions [first, stop) and matches its
// row (size, checksum, frames, duration, rate, start).
func checkClip(t *testing.T, tl *testLib, c store.Clip, first, stop uint64) {
	t.Helper()
	path := tl.Path(c)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != c.SHA256 || int64(len(b)) != c.Size {
		t.Errorf("file %d bytes sha256 %s; row says %d bytes %s", len(b), got, c.Size, c.SHA256)
	}
	f, ch, err := wav.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.SampleRate != rate || f.Channels != 1 || f.BitsPerSample != 16 || c.SampleRate != rate || c.Channels != 1 {
		t.Errorf("format %+v, row rate %d channels %d", f, c.SampleRate, c.Channels)
	}
	want := stop - first
	if uint64(len(ch[0])) != want || c.Frames != int64(want) {
		t.Fatalf("clip has %d samples (row %d), want %d (positions %d to %d)", len(ch[0]), c.Frames, want, first, stop)
	}
	for i, v := range ch[0] {
		if p := first + uint64(i); v != sample(p) {
			t.Fatalf("sample %d = %v, want position %d's %v", i, v, p, sample(p))
		}
	}
	if d := time.Duration(want) * time.Second / rate; c.Duration != d {
		t.Errorf("duration %v, want %v", c.Duration, d)
	}
	if st := t0.Add(time.Duration(first) * time.Second / rate); !c.Start.Equal(st) {
		t.Errorf("start %v, want %v", c.Start, st)
	}
	if c.Path != c.MachineID+"/"+itoa(c.EventID)+".wav" {
		t.Errorf("path %q", c.Path)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestRecorderGapFinishesClip(t *testing.T) {
	tl := newTestLib(t, testConfig(), "fan-1")
	r := tl.Recorder("fan-1", rate)
	id := tl.event(t, "fan-1")
	feed(r, 0, 5000)
	r.Open(id, 5000)
	feed(r, 5000, 6000)
	feed(r, 9000, 9100) // samples lost between 6000 and 9000
	if r.Recording() {
		t.Fatal("still recording across a gap")
	}
	tl.writePending()
	c, err := tl.db.ClipOfEvent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	checkClip(t, tl, c, 3000, 6000)

	// the history restarts after the gap: the next event's pre-roll does not reach back
	// across it
	id2 := tl.event(t, "fan-1")
	feed(r, 9100, 10000)
	r.Open(id2, 9500)
	feed(r, 10000, 20000)
	tl.writePending()
	c2, err := tl.db.ClipOfEvent(context.Background(), id2)
	if err != nil {
		t.Fatal(err)
	}
	checkClip(t, tl, c2, 9000, 15500)
}

func TestRecorderFinishAtShutdownAndNewEvent(t *testing.T) {
	tl := newTestLib(t, testConfig(), "fan-1")
	r := tl.Recorder("fan-1", rate)
	a, b := tl.event(t, "fan-1"), tl.event(t, "fan-1")
	feed(r, 0, 4000)
	r.Open(a, 4000)
	feed(r, 4000, 5000)
	r.Open(b, 5000) // a new event while a's post-roll is recording: a ends here
	feed(r, 5000, 5500)
	r.Finish() // shutdown
	if n := tl.writePending(); n != 2 {
		t.Fatalf("%d clips written, want 2", n)
	}
	ca, _ := tl.db.ClipOfEvent(context.Background(), a)
	cb, _ := tl.db.ClipOfEvent(context.Background(), b)
	checkClip(t, tl, ca, 2000, 5000)
	checkClip(t, tl, cb, 3000, 5500)
}

func TestRecorderDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.Enabled = false
	tl := newTestLib(t, cfg, "fan-1")
	r := tl.Recorder("fan-1", rate)
	feed(r, 0, 4000)
	if r.Open(tl.event(t, "fan-1"), 4000) || r.Recording() {
		t.Fatal("recording with clips disabled")
	}
	if s := tl.Status(); s.Saving || s.Refused != 0 {
		t.Errorf("status %+v", s)
	}
}

func BenchmarkRecorderFeed(b *testing.B) {
	lib := &Library{cfg: testConfig()}
	r := newRecorder(lib, "m", 16000, 10*time.Second, 10*time.Second, time.Minute)
	x := make([]float32, 1600)
	b.SetBytes(int64(len(x) * 4))
	b.ReportAllocs()
	var pos uint64
	for b.Loop() {
		r.Feed(pos, t0, x)
		pos += uint64(len(x))
	}
}
