package detect

import "fmt"

// Retune changes the threshold quantile and the EMA smoothing weight without relearning:
// every operating condition's threshold is recomputed from the gamma distribution fitted to
// its training scores. An operator who finds a machine too sensitive (or not enough) can so
// change it at once, keeping what the model learned.
func (d *Detector) Retune(quantile, alpha float64) error {
	cfg := d.cfg
	cfg.Quantile, cfg.Alpha = quantile, alpha
	if err := cfg.Validate(); err != nil {
		return err
	}
	thr := make([]float64, len(d.conds))
	for i, c := range d.conds {
		thr[i] = c.gamma.Quantile(quantile)
		if !(thr[i] > 0) {
			return fmt.Errorf("%w: threshold %g at quantile %g is not positive", ErrNotFinite, thr[i], quantile)
		}
	}
	for i := range d.conds {
		d.conds[i].threshold = thr[i]
	}
	d.cfg = cfg
	return nil
}
