package detect

import (
	"fmt"
	"time"
)

// Retune changes the threshold quantile and the EMA smoothing weight without relearning:
// every operating condition's threshold is recomputed from the gamma distribution fitted to
// its training scores. An operator who finds a machine too sensitive (or not enough) can so
// change it at once, keeping what the model learned.
func (d *Detector) Retune(quantile, alpha float64) error {
	cfg := d.cfg
	cfg.Quantile, cfg.Alpha = quantile, alpha
	return d.Reconfigure(cfg)
}

// Reconfigure applies the decision settings of c — quantile, smoothing, persistence (k of
// n), exit rule and window span — to a detector, keeping what it learned. The model kind,
// its parameters and the learning settings of c are ignored: changing those means
// learning again. A new persistence or smoother length starts those windows afresh, as
// after a Gap.
func (d *Detector) Reconfigure(c DetectorConfig) error {
	cfg := d.cfg
	cfg.Quantile, cfg.Smoothing, cfg.Alpha, cfg.MedianWindow = c.Quantile, c.Smoothing, c.Alpha, c.MedianWindow
	cfg.EnterWindows, cfg.EnterOf, cfg.ExitRatio, cfg.ExitWindows = c.EnterWindows, c.EnterOf, c.ExitRatio, c.ExitWindows
	cfg.Window = c.Window
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	thr := make([]float64, len(d.conds))
	for i, c := range d.conds {
		thr[i] = c.gamma.Quantile(cfg.Quantile)
		if !(thr[i] > 0) {
			return fmt.Errorf("%w: threshold %g at quantile %g is not positive", ErrNotFinite, thr[i], cfg.Quantile)
		}
	}
	for i := range d.conds {
		d.conds[i].threshold = thr[i]
	}
	if cfg.MedianWindow != len(d.ring) {
		d.ring = make([]float64, cfg.MedianWindow)
		d.ringN, d.ringPos = 0, 0
	}
	if cfg.EnterOf != len(d.recent) || cfg.EnterWindows != d.cfg.EnterWindows {
		d.recent, d.recentT = make([]float64, cfg.EnterOf), make([]time.Time, cfg.EnterOf)
		d.recentN, d.recentPos, d.cand, d.above = 0, 0, false, 0
	}
	d.cfg = cfg
	return nil
}
