package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"signalcraft/core/store"
)

// Event writes held in memory while the database cannot be written.
const (
	// maxHeldEvents bounds them: far more anomaly events than an outage of days brings;
	// beyond it the oldest are dropped, logged and counted.
	maxHeldEvents = 1000
	// eventRetry is how often held events are written again.
	eventRetry = time.Second
)

// eventLog writes the machines' anomaly events to the store. The daemon reserves event ids
// itself (only it writes events), so a machine opens an event — and its clip — whether or
// not the database can be written at that moment. A write the store refuses for a reason
// that passes (a full disk, an I/O error, a lock held too long) is held in memory, one
// record per event with its latest state, and written again, oldest first, every
// eventRetry and with the next write, until it succeeds; store.DB.SaveEvent is idempotent,
// so a write whose outcome is unknown is simply made again. It is safe for concurrent use.
type eventLog struct {
	db  eventStore
	log *slog.Logger
	now func() time.Time
	max int

	mu      sync.Mutex // serialises writes, keeping them in order
	last    int64      // the last id reserved
	held    []store.Event
	dropped uint64    // held events dropped because there were more than max
	failing bool      // the latest write failed (logged once until one succeeds)
	lastTry time.Time // of the latest write that failed
}

// eventStore is where an eventLog writes (*store.DB).
type eventStore interface {
	SaveEvent(ctx context.Context, e store.Event) error
	CloseOpenEventsBefore(ctx context.Context, machineID string, at time.Time) (int64, error)
}

func newEventLog(ctx context.Context, db *store.DB, log *slog.Logger, now func() time.Time) (*eventLog, error) {
	last, err := db.LastEventID(ctx)
	if err != nil {
		return nil, err
	}
	return &eventLog{db: db, log: log, now: now, max: maxHeldEvents, last: last}, nil
}

// reserve returns the id of a new event.
func (l *eventLog) reserve() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last++
	return l.last
}

// save makes the store hold e as it is now (opened, peak raised, or closed): at once if it
// can, else once it can again.
func (l *eventLog) save(ctx context.Context, e store.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.IndexFunc(l.held, func(h store.Event) bool { return h.ID == e.ID }); i >= 0 {
		h := &l.held[i]
		h.PeakScore = max(h.PeakScore, e.PeakScore)
		if !e.End.IsZero() {
			h.End = e.End
		}
		if len(e.Snapshot) > 0 { // the correlation's explanation (cause, heard_from)
			h.Snapshot = e.Snapshot
		}
	} else {
		l.held = append(l.held, e)
		if over := len(l.held) - l.max; over > 0 {
			for _, d := range l.held[:over] {
				l.log.Error("event dropped: the database has not been writable for too long", "machine", d.MachineID,
					"event", d.ID, "start", d.Start, "held", len(l.held))
			}
			l.held = slices.Delete(l.held, 0, over)
			l.dropped += uint64(over)
		}
	}
	if l.failing && l.now().Sub(l.lastTry) < eventRetry {
		return // the database failed a moment ago: the next retry takes this write too
	}
	l.flushLocked(ctx)
}

// retry writes the held events, if any.
func (l *eventLog) retry(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.held) > 0 {
		l.flushLocked(ctx)
	}
}

// run retries held events every eventRetry until ctx ends.
func (l *eventLog) run(ctx context.Context) {
	tick := time.NewTicker(eventRetry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			l.retry(ctx)
		}
	}
}

// flushLocked writes the held events in order and stops at the first that fails for a
// reason that may pass; l.mu is held.
func (l *eventLog) flushLocked(ctx context.Context) {
	for len(l.held) > 0 {
		e := l.held[0]
		err := l.db.SaveEvent(ctx, e)
		if errors.Is(err, store.ErrConflict) {
			// another event of the machine is open in the store: one whose end was dropped
			// with the oldest held events. This one started after it ended.
			if n, cerr := l.db.CloseOpenEventsBefore(ctx, e.MachineID, e.Start); cerr == nil && n > 0 {
				l.log.Warn("closed an event whose end was lost at the start of the next", "machine", e.MachineID,
					"events", n, "next", e.ID)
				err = l.db.SaveEvent(ctx, e)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict):
			l.log.Error("event not saved", "machine", e.MachineID, "event", e.ID, "err", err) // retrying cannot help
		default:
			if !l.failing {
				l.log.Error("event held in memory until the database can be written again", "machine", e.MachineID,
					"event", e.ID, "held", len(l.held), "err", err)
			}
			l.failing, l.lastTry = true, l.now()
			return
		}
		l.held[0] = store.Event{}
		l.held = l.held[1:]
		if l.failing {
			l.failing = false
			l.log.Info("held events are being written again", "still held", len(l.held))
		}
	}
}

// close writes what is held one last time and reports what could not be written.
func (l *eventLog) close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked(ctx)
	if n := len(l.held); n > 0 {
		return fmt.Errorf("%d anomaly event change(s) could not be written before the stop (the database cannot be written)", n)
	}
	return nil
}

// stats returns how many events are held and how many were dropped.
func (l *eventLog) stats() (held int, dropped uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held), l.dropped
}
