package clips

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
)

// clipBytes is the size of one test clip: 5 s (2 s pre-roll, 3 s post-roll) at 1 kHz.
const clipBytes = wavHeader + 2*5000

// dirUsage sums the sizes of the files under the clips directory.
func dirUsage(t *testing.T, dir string) (n int, bytes int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n, bytes = n+1, bytes+fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, bytes
}

// record makes one event of machine with a complete clip handed to the Library, and
// reports whether the Recorder accepted it. Each machine's stream moves on 20 s per event.
func record(t *testing.T, tl *testLib, recs map[string]*Recorder, pos map[string]uint64, machine string) (int64, bool) {
	t.Helper()
	r := recs[machine]
	if r == nil {
		r = tl.Recorder(machine, rate)
		recs[machine] = r
	}
	p := pos[machine]
	feed(r, p, p+5000)
	id := tl.event(t, machine)
	ok := r.Open(id, p+5000)
	r.End(p + 5100)
	feed(r, p+5000, p+20000)
	pos[machine] = p + 20000
	if r.Recording() {
		t.Fatal("still recording")
	}
	return id, ok
}

func TestRetentionQuota(t *testing.T) {
	cfg := testConfig()
	cfg.Quota, cfg.HardLimit, cfg.KeepPerMachine = 200*config.KB, 240*config.KB, 2
	tl := newTestLib(t, cfg, "fan-1", "pump-2", "rare-3")
	ctx := context.Background()
	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	var order []int64 // events in the order their clips were saved
	rare, _ := record(t, tl, recs, pos, "rare-3")
	tl.writePending()
	order = append(order, rare)
	for i := range 60 {
		tl.clk.Advance(time.Minute)
		m := []string{"fan-1", "pump-2"}[i%2]
		id, ok := record(t, tl, recs, pos, m)
		if !ok {
			t.Fatalf("event %d refused: %s", i, tl.Status().Reason)
		}
		tl.writePending()
		order = append(order, id)
		n, used := dirUsage(t, tl.Dir())
		if used > int64(cfg.Quota) {
			t.Fatalf("after event %d the clips take %d bytes, over the %d quota", i, used, cfg.Quota)
		}
		st := tl.Status()
		if st.Bytes != used || st.Count != int64(n) {
			t.Fatalf("status says %d clips, %d bytes; the folder holds %d, %d", st.Count, st.Bytes, n, used)
		}
		if !st.Saving {
			t.Fatalf("not saving: %s", st.Reason)
		}
	}
	cs, err := tl.db.Clips(ctx, store.ClipFilter{Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	var kept []int64
	for _, c := range cs {
		kept = append(kept, c.EventID)
	}
	// the rare machine's only clip is kept; of the others, the newest that fit
	fit := int(int64(cfg.Quota)/clipBytes) - 1
	want := append([]int64{rare}, order[len(order)-fit:]...)
	if !slices.Equal(kept, want) {
		t.Fatalf("kept events %v, want %v (oldest pruned first, rare-3 kept)", kept, want)
	}
	if st := tl.Status(); st.Pruned != uint64(len(order)-len(want)) || st.Saved != uint64(len(order)) {
		t.Errorf("counts %+v", st.Counts)
	}

	// a month later only the newest keep_per_machine clips of each machine remain
	tl.clk.Advance(31 * 24 * time.Hour)
	if _, err := tl.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	cs, _ = tl.db.Clips(ctx, store.ClipFilter{Oldest: true})
	kept = kept[:0]
	for _, c := range cs {
		kept = append(kept, c.EventID)
	}
	want = []int64{rare, order[len(order)-4], order[len(order)-3], order[len(order)-2], order[len(order)-1]}
	if !slices.Equal(kept, want) {
		t.Errorf("after max_age: kept %v, want %v", kept, want)
	}
	if n, _ := dirUsage(t, tl.Dir()); n != len(want) {
		t.Errorf("%d files left, want %d", n, len(want))
	}
}

func TestRetentionHardLimit(t *testing.T) {
	cfg := testConfig()
	// four machines keeping three clips each need 12 clips (120 KB): more than the hard limit
	cfg.Quota, cfg.HardLimit, cfg.KeepPerMachine = 64*config.KB, 80*config.KB, 3
	machines := []string{"m1", "m2", "m3", "m4"}
	tl := newTestLib(t, cfg, machines...)
	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	refusedAt := -1
	for i := range 12 {
		tl.clk.Advance(time.Minute)
		_, ok := record(t, tl, recs, pos, machines[i%4])
		tl.writePending()
		if _, used := dirUsage(t, tl.Dir()); used > int64(cfg.Limit()) {
			t.Fatalf("event %d: clips take %d bytes, over the hard limit %d", i, used, cfg.Limit())
		}
		st := tl.Status()
		if !st.Saving && refusedAt < 0 {
			refusedAt = i
			if !strings.Contains(st.Reason, "hard_limit") {
				t.Errorf("reason %q", st.Reason)
			}
			if !ok {
				t.Errorf("event %d: refused at Open before the limit was known", i)
			}
		}
		if refusedAt >= 0 && i > refusedAt && ok {
			t.Errorf("event %d recorded while at the hard limit", i)
		}
	}
	// all clips are protected (no machine has more than three), so none can be pruned:
	// 7 clips (70,308 bytes) fit under the 80 KB limit; the 8th is refused when it is
	// written, the rest at Open
	if refusedAt != 7 {
		t.Fatalf("first refusal at event %d, want 7", refusedAt)
	}
	st := tl.Status()
	if st.Saved != 7 || st.Refused != 5 || st.Saving {
		t.Errorf("status %+v", st)
	}
}

func TestFreeSpaceFloor(t *testing.T) {
	cfg := testConfig()
	cfg.MinFree = 100 * config.MB
	tl := newTestLib(t, cfg, "m1")
	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	tl.disk.set(50 << 20)
	if _, ok := record(t, tl, recs, pos, "m1"); ok {
		t.Fatal("clip recorded with the file system below min_free")
	}
	if st := tl.Status(); st.Saving || !strings.Contains(st.Reason, "min_free") || st.Refused != 1 {
		t.Fatalf("status %+v", st)
	}
	tl.disk.set(1 << 30)
	tl.pruneAndRecheck(context.Background())
	if _, ok := record(t, tl, recs, pos, "m1"); !ok {
		t.Fatalf("still refused with room again: %+v", tl.Status())
	}
	if tl.writePending() != 1 || !tl.Status().Saving {
		t.Fatalf("status %+v", tl.Status())
	}
}

func TestNewSweepsInterruptedWrites(t *testing.T) {
	tl := newTestLib(t, testConfig(), "m1")
	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	record(t, tl, recs, pos, "m1")
	tl.writePending()
	for _, name := range []string{"m1/.tmp-123.wav", "m1/999.wav"} {
		if err := os.WriteFile(filepath.Join(tl.Dir(), name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(context.Background(), testConfig(), Options{Dir: tl.Dir(), DB: tl.db, DiskUsage: tl.disk.usage}); err != nil {
		t.Fatal(err)
	}
	if n, used := dirUsage(t, tl.Dir()); n != 1 || used != clipBytes {
		t.Errorf("after sweep: %d files, %d bytes; want the one recorded clip", n, used)
	}
}

func TestRunWritesPendingClipsAtShutdown(t *testing.T) {
	tl := newTestLib(t, testConfig(), "m1")
	recs, pos := map[string]*Recorder{}, map[string]uint64{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	record(t, tl, recs, pos, "m1")
	record(t, tl, recs, pos, "m1")
	tl.Run(ctx) // returns at once, after writing both
	if st := tl.Status(); st.Saved != 2 {
		t.Fatalf("saved %d clips at shutdown, want 2", st.Saved)
	}
}

func TestPlan(t *testing.T) {
	now := t0.Add(100 * time.Hour)
	c := func(id int64, m string, ageH int, size int64) store.Clip {
		return store.Clip{ID: id, MachineID: m, CreatedAt: now.Add(-time.Duration(ageH) * time.Hour), Size: size}
	}
	all := []store.Clip{c(1, "a", 90, 10), c(2, "b", 80, 10), c(3, "a", 50, 10), c(4, "a", 40, 10), c(5, "b", 30, 10), c(6, "a", 1, 10)}
	tests := []struct {
		name   string
		maxAge time.Duration
		budget int64
		keep   int
		want   []int64
	}{
		{"nothing to do", 1000 * time.Hour, 100, 1, nil},
		{"by age", 60 * time.Hour, 100, 1, []int64{1, 2}},
		{"by age, keep-minimum", 60 * time.Hour, 100, 2, []int64{1}},
		{"by quota, oldest first", 1000 * time.Hour, 35, 1, []int64{1, 2, 3}},
		{"by quota, keep-minimum", 1000 * time.Hour, 0, 2, []int64{1, 3}},
		{"keep zero", 1000 * time.Hour, 0, 0, []int64{1, 2, 3, 4, 5, 6}},
	}
	for _, tc := range tests {
		var got []int64
		for _, d := range plan(all, now, tc.maxAge, tc.budget, tc.keep) {
			got = append(got, d.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: deletes %v, want %v", tc.name, got, tc.want)
		}
	}
}
