package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Batcher defaults.
const (
	DefaultBatchSize  = 256
	DefaultFlushEvery = time.Second
)

// BatcherConfig configures a Batcher. Zero values take the defaults.
type BatcherConfig struct {
	// BatchSize is the number of rows that triggers a commit and the most
	// rows one commit writes (default DefaultBatchSize).
	BatchSize int
	// FlushEvery commits pending rows at this interval even when fewer than
	// BatchSize are waiting (default DefaultFlushEvery; negative disables
	// timed flushes, leaving size-triggered and explicit ones).
	FlushEvery time.Duration
	// MaxPending bounds the rows held in memory while commits fail or lag
	// (default 16 × BatchSize). Beyond it the oldest rows are dropped and
	// counted, so a stuck disk never grows the daemon without bound.
	MaxPending int
	// OnFlush, if set, is called after every commit attempt from the
	// goroutine that made it, before the next attempt starts. It must not
	// call Flush or Close on the Batcher.
	OnFlush func(FlushResult)
}

// FlushResult reports one commit attempt of a Batcher.
type FlushResult struct {
	Rows      int   // rows in the attempted batch
	Inserted  int   // rows newly inserted (duplicates are skipped)
	Committed int64 // rows committed by this Batcher so far, this batch included
	Err       error // nil if the batch committed
}

// BatcherStats are cumulative counters of a Batcher.
type BatcherStats struct {
	Added     int64 // rows accepted by Add
	Committed int64 // rows in committed batches
	Dropped   int64 // rows discarded (MaxPending overflow or a batch rejected as invalid)
	Failures  int64 // failed commit attempts
	Pending   int   // rows waiting now
}

// Batcher groups scores from Add into transactions of up to BatchSize rows
// through WriteScores. Size-triggered and timed commits run on a background
// goroutine, so Add never waits for the disk. It is safe for concurrent use.
//
// A batch that fails for a transient reason (disk full, lock timeout) is put
// back at the front of the queue and retried on the next flush; a batch
// rejected as ErrInvalid or ErrNotFound is dropped, because retrying cannot
// help.
type Batcher struct {
	db  *DB
	cfg BatcherConfig

	mu        sync.Mutex // guards pending, known, stats, closed
	pending   []Score
	known     map[string]bool
	stats     BatcherStats
	closed    bool
	flushMu   sync.Mutex // serialises commits, keeping rows in order
	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// NewBatcher returns a running Batcher writing to db. Close it (or db) to
// commit what is pending and stop it.
func (db *DB) NewBatcher(cfg BatcherConfig) (*Batcher, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.FlushEvery == 0 {
		cfg.FlushEvery = DefaultFlushEvery
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 16 * cfg.BatchSize
	}
	if cfg.MaxPending < cfg.BatchSize {
		return nil, fmt.Errorf("store: new batcher: MaxPending %d < BatchSize %d: %w", cfg.MaxPending, cfg.BatchSize, ErrInvalid)
	}
	b := &Batcher{
		db:      db,
		cfg:     cfg,
		pending: make([]Score, 0, cfg.BatchSize),
		known:   map[string]bool{},
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil, fmt.Errorf("store: new batcher: %w", ErrClosed)
	}
	db.batchers[b] = struct{}{}
	db.mu.Unlock()
	go b.run()
	return b, nil
}

func (b *Batcher) run() {
	defer close(b.done)
	var tick <-chan time.Time
	if b.cfg.FlushEvery > 0 {
		t := time.NewTicker(b.cfg.FlushEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-b.stop:
			return
		case <-b.kick:
			b.flush(context.Background(), true)
		case <-tick:
			b.flush(context.Background(), false)
		}
	}
}

// Add queues s for the next commit. It fails at once with ErrInvalid for a
// score that cannot be stored, ErrNotFound for a machine that does not exist
// (checked once per machine id), and ErrClosed after Close.
func (b *Batcher) Add(s Score) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("store: batcher add: %w", err)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return fmt.Errorf("store: batcher add: %w", ErrClosed)
	}
	if !b.known[s.MachineID] {
		// First row of this machine: check it exists, outside the lock.
		b.mu.Unlock()
		if _, err := b.db.Machine(context.Background(), s.MachineID); err != nil {
			return fmt.Errorf("store: batcher add: %w", err)
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return fmt.Errorf("store: batcher add: %w", ErrClosed)
		}
		b.known[s.MachineID] = true
	}
	defer b.mu.Unlock()
	b.pending = append(b.pending, s)
	b.stats.Added++
	if over := len(b.pending) - b.cfg.MaxPending; over > 0 {
		b.dropOldestLocked(over)
	}
	if len(b.pending) >= b.cfg.BatchSize {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// dropOldestLocked discards the n oldest pending rows. Re-slicing (rather
// than copying the tail down) keeps taking rows from the front O(rows taken)
// however long the backlog; append reallocates and copies only live rows.
func (b *Batcher) dropOldestLocked(n int) {
	clear(b.pending[:n]) // release feature summaries for the GC
	b.pending = b.pending[n:]
	b.stats.Dropped += int64(n)
}

// Flush commits every row pending at the time of the call, in batches of at
// most BatchSize, and returns the first error. Rows of a batch that failed
// transiently stay queued for the next flush.
func (b *Batcher) Flush(ctx context.Context) error {
	return b.flush(ctx, false)
}

// flush commits pending rows. With fullOnly it stops once fewer than
// BatchSize rows remain (size-triggered commits leave the tail for the timer
// or a later Add).
func (b *Batcher) flush(ctx context.Context, fullOnly bool) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	for {
		b.mu.Lock()
		n := min(len(b.pending), b.cfg.BatchSize)
		if n == 0 || (fullOnly && n < b.cfg.BatchSize) {
			b.mu.Unlock()
			return nil
		}
		batch := make([]Score, n)
		copy(batch, b.pending[:n])
		clear(b.pending[:n])
		b.pending = b.pending[n:]
		b.mu.Unlock()

		inserted, err := b.db.WriteScores(ctx, batch)

		b.mu.Lock()
		switch {
		case err == nil:
			b.stats.Committed += int64(n)
		case errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound):
			b.stats.Failures++
			b.stats.Dropped += int64(n)
		default:
			b.stats.Failures++
			b.pending = append(batch, b.pending...)
			if over := len(b.pending) - b.cfg.MaxPending; over > 0 {
				b.dropOldestLocked(over)
			}
		}
		res := FlushResult{Rows: n, Inserted: inserted, Committed: b.stats.Committed, Err: err}
		b.mu.Unlock()
		if b.cfg.OnFlush != nil {
			b.cfg.OnFlush(res)
		}
		if err != nil {
			return err
		}
	}
}

// Stats returns the Batcher's counters.
func (b *Batcher) Stats() BatcherStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Pending = len(b.pending)
	return s
}

// Close stops the background goroutine, commits every pending row and
// returns the error of that last flush. Later Adds fail with ErrClosed.
// Calling Close again returns the same error.
func (b *Batcher) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.stop)
		<-b.done
		b.closeErr = b.Flush(context.Background())

		b.db.mu.Lock()
		delete(b.db.batchers, b)
		b.db.mu.Unlock()
	})
	return b.closeErr
}
