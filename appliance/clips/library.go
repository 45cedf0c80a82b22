// Package clips saves the sound around anomaly events: each machine's Recorder keeps its
// latest seconds of samples and, when an event opens, cuts a clip of the pre-roll and the
// post-roll out of them; the Library writes it as a 16-bit PCM WAV file under
// <data_dir>/clips/<machine>/<event>.wav (temp file, fsync, rename, fsync of the folder),
// records its size, SHA-256, rate and duration in the clips table, queues its upload to
// object storage as a "clip_upload" job, and prunes old clips by age and quota while always
// keeping each machine's newest few. At the hard limit (the clips would exceed it, or the
// file system would be left with less than its floor of free space) new clips are refused
// and the analysis carries on; Status says so, for /health and the metrics.
package clips

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// JobUpload is the job kind of a clip upload; its payload is UploadPayload as JSON.
const JobUpload = "clip_upload"

// UploadPayload is the payload of a JobUpload job.
type UploadPayload struct {
	ClipID int64 `json:"clip_id"`
}

// wavHeader is the size of the header wav.Encode writes.
const wavHeader = 44

// Log attribute keys.
const (
	logMachine = "machine"
	logEvent   = "event"
	logClip    = "clip"
	logErr     = "err"
)

// Enqueuer queues jobs in the caller's transaction (*jobs.Queue).
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, j jobs.Job) (int64, bool, error)
}

// Options are a Library's dependencies.
type Options struct {
	// Dir is the clips directory (<data_dir>/clips); it is created if needed.
	Dir string
	DB  *store.DB
	// Queue receives an upload job for every clip saved when the configuration asks for
	// uploads; nil saves without uploading.
	Queue  Enqueuer
	Now    func() time.Time
	Logger *slog.Logger
	// DiskUsage returns the free and total bytes of the file system holding path; nil
	// uses statfs(2).
	DiskUsage func(path string) (free, total uint64, err error)
	// Pending bounds the clips waiting to be written (default 16); more are dropped (and
	// counted) rather than ever blocking a machine.
	Pending int
}

// Library is the clips directory and its index in the database. It is safe for concurrent
// use; each machine's Recorder is not.
type Library struct {
	cfg   config.Clips
	dir   string
	db    *store.DB
	queue Enqueuer
	now   func() time.Time
	log   *slog.Logger
	disk  func(string) (uint64, uint64, error)
	saves chan *capture

	mu      sync.Mutex
	usage   store.ClipUsage
	full    string // why new clips are refused ("" while they are saved)
	need    int64  // size of the latest refused clip, to know when there is room again
	counts  Counts
	pruneMu sync.Mutex // one prune at a time
}

// Counts are a Library's counters since it was created.
type Counts struct {
	Saved   uint64 // clips written and recorded
	Refused uint64 // clips not recorded or not written because of the hard limit or free space
	Dropped uint64 // clips lost: the write queue was full, or writing failed
	Pruned  uint64 // clips deleted by retention
}

// Status is the clips' disk usage against their limits.
type Status struct {
	Dir       string
	Enabled   bool
	Count     int64
	Bytes     int64
	Quota     int64
	HardLimit int64
	MinFree   int64
	// Saving is false while new clips are refused; Reason says why.
	Saving bool
	Reason string
	Counts
}

// New opens the clips directory, removes what an interrupted write left (temporary files,
// files the database does not know) and reads the usage from the database.
func New(ctx context.Context, cfg config.Clips, o Options) (*Library, error) {
	if o.DB == nil || o.Dir == "" {
		return nil, errors.New("clips: new: DB and Dir are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DiskUsage == nil {
		o.DiskUsage = statfs
	}
	if o.Pending <= 0 {
		o.Pending = 16
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("clips: %w", err)
	}
	l := &Library{cfg: cfg, dir: o.Dir, db: o.DB, queue: o.Queue, now: o.Now, log: o.Logger, disk: o.DiskUsage,
		saves: make(chan *capture, o.Pending)}
	if err := l.sweep(ctx); err != nil {
		return nil, err
	}
	u, err := l.db.ClipUsage(ctx)
	if err != nil {
		return nil, fmt.Errorf("clips: %w", err)
	}
	l.usage = u
	return l, nil
}

// sweep removes temporary files and clip files the database does not list.
func (l *Library) sweep(ctx context.Context) error {
	known := map[string]bool{}
	cs, err := l.db.Clips(ctx, store.ClipFilter{})
	if err != nil {
		return fmt.Errorf("clips: %w", err)
	}
	for _, c := range cs {
		known[c.Path] = true
	}
	return filepath.WalkDir(l.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		if !known[filepath.ToSlash(rel)] {
			l.log.Warn("clips: removing a file the database does not list (an interrupted write)", "file", p)
			return os.Remove(p)
		}
		return nil
	})
}

// Recorder returns a Recorder for one machine's stream of samples at rate Hz.
func (l *Library) Recorder(machine string, rate int) *Recorder {
	return newRecorder(l, machine, rate, l.cfg.PreRoll, l.cfg.PostRoll, l.cfg.MaxPostRoll)
}

// Dir is the clips directory.
func (l *Library) Dir() string { return l.dir }

// Path returns the file of a clip.
func (l *Library) Path(c store.Clip) string { return filepath.Join(l.dir, filepath.FromSlash(c.Path)) }

// Status returns the usage and whether new clips are saved.
func (l *Library) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Dir: l.dir, Enabled: l.cfg.Enabled, Count: l.usage.Count, Bytes: l.usage.Bytes,
		Quota: int64(l.cfg.Quota), HardLimit: int64(l.cfg.Limit()), MinFree: int64(l.cfg.MinFree),
		Saving: l.cfg.Enabled && l.full == "", Reason: l.full, Counts: l.counts}
	if !l.cfg.Enabled {
		s.Reason = "clips are disabled (clips.enabled: false)"
	}
	return s
}

// admitOpen says whether a new clip may be recorded; a refusal is counted.
func (l *Library) admitOpen() bool {
	if !l.cfg.Enabled {
		return false
	}
	l.mu.Lock()
	full := l.full
	l.mu.Unlock()
	if full == "" {
		if free, _, err := l.disk(l.dir); err == nil && int64(free) < int64(l.cfg.MinFree) {
			full = l.setFull(fmt.Sprintf("file system free space %s is below clips.min_free %s",
				config.ByteSize(free), l.cfg.MinFree), 0)
		}
	}
	if full != "" {
		l.mu.Lock()
		l.counts.Refused++
		l.mu.Unlock()
		return false
	}
	return true
}

func (l *Library) setFull(reason string, need int64) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full == "" {
		l.log.Warn("clips: not saving new clips; analysis goes on", "reason", reason)
	}
	l.full, l.need = reason, need
	return reason
}

// room checks that a clip of size bytes fits under the hard limit and leaves the free-space
// floor, and returns why not.
func (l *Library) room(size int64) string {
	l.mu.Lock()
	used := l.usage.Bytes
	l.mu.Unlock()
	if limit := int64(l.cfg.Limit()); used+size > limit {
		return fmt.Sprintf("clips use %s and the next needs %s: over clips.hard_limit %s (the newest %d of each machine are kept)",
			config.ByteSize(used), config.ByteSize(size), config.ByteSize(limit), l.cfg.KeepPerMachine)
	}
	if free, _, err := l.disk(l.dir); err == nil && int64(free)-size < int64(l.cfg.MinFree) {
		return fmt.Sprintf("file system free space %s is below clips.min_free %s", config.ByteSize(free), l.cfg.MinFree)
	}
	return ""
}

// submit queues a finished capture for writing without ever blocking the machine.
func (l *Library) submit(c *capture) {
	select {
	case l.saves <- c:
	default:
		l.mu.Lock()
		l.counts.Dropped++
		l.mu.Unlock()
		l.log.Error("clips: write queue full; clip dropped", logMachine, c.machine, logEvent, c.event)
	}
}

// Run writes the clips the Recorders finish and prunes every PruneEvery until ctx ends,
// then writes the clips already handed over and returns.
func (l *Library) Run(ctx context.Context) {
	tick := time.NewTicker(l.cfg.PruneEvery)
	defer tick.Stop()
	wctx := context.WithoutCancel(ctx)
	l.pruneAndRecheck(wctx)
	for {
		select {
		case c := <-l.saves:
			l.save(wctx, c)
		case <-tick.C:
			l.pruneAndRecheck(wctx)
		case <-ctx.Done():
			for {
				select {
				case c := <-l.saves:
					l.save(wctx, c)
				default:
					return
				}
			}
		}
	}
}

// pruneAndRecheck prunes and lifts the refusal of new clips once there is room again.
func (l *Library) pruneAndRecheck(ctx context.Context) {
	l.mu.Lock()
	need := l.need
	l.mu.Unlock()
	if _, err := l.prune(ctx, need); err != nil {
		l.log.Error("clips: prune", logErr, err)
	}
	l.recheck(need)
}

func (l *Library) recheck(need int64) {
	why := l.room(need)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full != "" && why == "" {
		l.log.Info("clips: saving new clips again", "used", config.ByteSize(l.usage.Bytes))
		l.full, l.need = "", 0
	}
}

// save writes one clip: room is made by pruning, then the file is written atomically and
// recorded, with its upload job in the same transaction.
func (l *Library) save(ctx context.Context, c *capture) {
	size := int64(wavHeader + 2*len(c.samples))
	if _, err := l.prune(ctx, size); err != nil {
		l.log.Error("clips: prune", logErr, err)
	}
	if why := l.room(size); why != "" {
		l.setFull(why, size)
		l.mu.Lock()
		l.counts.Refused++
		l.mu.Unlock()
		l.log.Warn("clips: clip not saved", logMachine, c.machine, logEvent, c.event, "reason", why)
		return
	}
	clip, err := l.write(ctx, c)
	if err != nil {
		l.mu.Lock()
		l.counts.Dropped++
		l.mu.Unlock()
		l.log.Error("clips: save", logMachine, c.machine, logEvent, c.event, logErr, err)
		return
	}
	l.mu.Lock()
	l.counts.Saved++
	l.usage.Count++
	l.usage.Bytes += clip.Size
	l.mu.Unlock()
	l.log.Info("clip saved", logMachine, c.machine, logEvent, c.event, logClip, clip.ID, "file", clip.Path,
		"seconds", clip.Duration.Seconds(), "bytes", clip.Size)
}

// write writes the WAV file (temporary name, fsync, rename, fsync of the folder) and
// records it; the file is removed again if it cannot be recorded.
func (l *Library) write(ctx context.Context, c *capture) (store.Clip, error) {
	rel := c.machine + "/" + strconv.FormatInt(c.event, 10) + ".wav"
	final := filepath.Join(l.dir, filepath.FromSlash(rel))
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return store.Clip{}, err
	}
	f, err := os.CreateTemp(dir, ".tmp-*.wav")
	if err != nil {
		return store.Clip{}, err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	h := sha256.New()
	cw := &countWriter{}
	err = wav.Encode(io.MultiWriter(f, h, cw), c.rate, [][]float32{c.samples})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return store.Clip{}, fmt.Errorf("write %s: %w", final, err)
	}
	clip := store.Clip{EventID: c.event, MachineID: c.machine, Path: rel, Start: c.start,
		Duration: time.Duration(float64(len(c.samples)) / float64(c.rate) * float64(time.Second)),
		Frames:   int64(len(c.samples)), SampleRate: c.rate, Channels: 1, Format: store.ClipFormatWAV16,
		Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)), CreatedAt: l.now()}
	upload := l.cfg.Upload && l.queue != nil
	if upload {
		clip.Upload = store.UploadPending
	}
	err = l.db.Write(ctx, func(tx *sql.Tx) error {
		id, err := l.db.AddClipTx(ctx, tx, clip)
		if err != nil {
			return err
		}
		clip.ID = id
		if !upload {
			return nil
		}
		payload, _ := json.Marshal(UploadPayload{ClipID: id})
		_, _, err = l.queue.EnqueueTx(ctx, tx, jobs.Job{Kind: JobUpload, Key: "clip:" + strconv.FormatInt(id, 10), Payload: payload})
		return err
	})
	if err != nil {
		os.Remove(final)
		return store.Clip{}, fmt.Errorf("record %s: %w", rel, err)
	}
	return clip, nil
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

func statfs(path string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	bs := uint64(st.Bsize) //nolint:gosec // block sizes are positive
	return st.Bavail * bs, st.Blocks * bs, nil
}

// PruneResult is what a prune deleted.
type PruneResult struct {
	Deleted int
	Freed   int64
}

// Prune deletes the clips older than max_age and then, oldest first, those over the quota,
// never one of the keep_per_machine newest clips of a machine.
func (l *Library) Prune(ctx context.Context) (PruneResult, error) { return l.prune(ctx, 0) }

// prune is Prune leaving room for a clip of reserve bytes under the quota.
func (l *Library) prune(ctx context.Context, reserve int64) (PruneResult, error) {
	l.pruneMu.Lock()
	defer l.pruneMu.Unlock()
	all, err := l.db.Clips(ctx, store.ClipFilter{Oldest: true})
	if err != nil {
		return PruneResult{}, fmt.Errorf("clips: prune: %w", err)
	}
	del := plan(all, l.now(), l.cfg.MaxAge.Duration(), int64(l.cfg.Quota)-reserve, l.cfg.KeepPerMachine)
	var res PruneResult
	var ids []int64
	var errs []error
	for _, c := range del {
		// the file goes first: a crash in between leaves a row without a file, never a file
		// nobody counts
		if err := os.Remove(l.Path(c)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, c.ID)
		res.Freed += c.Size
	}
	if len(ids) > 0 {
		if _, err := l.db.DeleteClips(ctx, ids...); err != nil {
			errs = append(errs, err)
		}
	}
	res.Deleted = len(ids)
	u, err := l.db.ClipUsage(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	l.mu.Lock()
	if err == nil {
		l.usage = u
	}
	l.counts.Pruned += uint64(res.Deleted)
	l.mu.Unlock()
	if res.Deleted > 0 {
		l.log.Info("clips pruned", "deleted", res.Deleted, "freed", config.ByteSize(res.Freed), "used", config.ByteSize(u.Bytes))
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("clips: prune: %w", errors.Join(errs...))
	}
	return res, nil
}

// plan chooses the clips to delete from all (oldest first): those created before
// now-maxAge, then the oldest until the rest fit in budget bytes, sparing the keep newest
// clips of every machine.
func plan(all []store.Clip, now time.Time, maxAge time.Duration, budget int64, keep int) []store.Clip {
	kept := map[string]int{}
	protected := make([]bool, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		if kept[all[i].MachineID] < keep {
			kept[all[i].MachineID]++
			protected[i] = true
		}
	}
	var total int64
	for _, c := range all {
		total += c.Size
	}
	var del []store.Clip
	cut := now.Add(-maxAge)
	for i, c := range all {
		if protected[i] {
			continue
		}
		if c.CreatedAt.Before(cut) || total > budget {
			del = append(del, c)
			total -= c.Size
		}
	}
	return del
}

// String describes the status in one line (for logs).
func (s Status) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d clips, %s of %s (hard limit %s)", s.Count, config.ByteSize(s.Bytes), config.ByteSize(s.Quota), config.ByteSize(s.HardLimit))
	if !s.Saving {
		b.WriteString("; not saving: " + s.Reason)
	}
	return b.String()
}
