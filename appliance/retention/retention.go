// Package retention deletes old measurements on a schedule: raw window scores, one-minute
// rollups and one-hour rollups, each older than its configured age (config.Retention).
// Audio clips have their own pruner (appliance/clips), driven by a size quota as well.
package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
)

// Options are a Pruner's dependencies.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
}

// Pruner deletes measurements older than the retention ages.
type Pruner struct {
	db  *store.DB
	cfg config.Retention
	now func() time.Time
	log *slog.Logger
}

// New returns a Pruner of db's measurements.
func New(db *store.DB, cfg config.Retention, o Options) *Pruner {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pruner{db: db, cfg: cfg, now: o.Now, log: o.Logger}
}

// Result counts the rows a prune deleted.
type Result struct {
	Scores, Rollups1m, Rollups1h int64
}

// Once deletes everything older than its retention age now. It goes on after an error and
// returns them all.
func (p *Pruner) Once(ctx context.Context) (Result, error) {
	now := p.now()
	var r Result
	var errs []error
	var err error
	r.Scores, err = p.db.PruneScores(ctx, now.Add(-p.cfg.Scores.Duration()))
	errs = append(errs, err)
	r.Rollups1m, err = p.db.PruneRollups(ctx, store.Res1m, now.Add(-p.cfg.Rollups1m.Duration()))
	errs = append(errs, err)
	r.Rollups1h, err = p.db.PruneRollups(ctx, store.Res1h, now.Add(-p.cfg.Rollups1h.Duration()))
	errs = append(errs, err)
	if r != (Result{}) {
		p.log.Info("old measurements deleted", "scores", r.Scores, "rollups_1m", r.Rollups1m, "rollups_1h", r.Rollups1h)
	}
	return r, errors.Join(errs...)
}

// Run prunes at once and then every cfg.Every until ctx ends.
func (p *Pruner) Run(ctx context.Context) {
	tick := time.NewTicker(p.cfg.Every)
	defer tick.Stop()
	for {
		if _, err := p.Once(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("retention: prune", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
