package daemon

import (
	"context"
	"errors"
	"fmt"

	"signalcraft/core/diagnose"
	"signalcraft/core/store"
)

// diagnosisSpan is how much of the latest sound an event's diagnosis averages over: the
// classifier's windows every half window across it (5 windows of 1 s in 3 s), so one odd
// window does not decide.
const diagnosisSpan = 3

// diagnose judges the latest sound with the machine's fault classifier (issue 11): the mean
// of the class probabilities of the windows in the last diagnosisSpan windows' worth, the
// fault type of the largest, "unknown" below the model's calibrated confidence. Nil without a
// classifier or before a window's worth of sound was heard.
func (m *machine) diagnose() *store.Diagnosis {
	if m.diag == nil {
		return nil
	}
	n := m.diag.FrontEnd.Samples()
	if len(m.tail) < n {
		return nil
	}
	probs := map[string]float64{}
	k := 0
	for end := len(m.tail); end-n >= 0 && end > len(m.tail)-diagnosisSpan*n; end -= n / 2 {
		p, err := m.diag.Predict(m.tail[end-n : end])
		if err != nil {
			m.log.Warn("diagnosis failed", "err", err)
			return nil
		}
		for c, q := range p.Probs {
			probs[c] += q
		}
		k++
	}
	d := &store.Diagnosis{Label: diagnose.Unknown, Probs: probs, Model: fmt.Sprintf("%s v%d", m.diag.Kind, m.diagV)}
	best := ""
	for _, c := range m.diag.Classes() { // sorted: ties go to the first
		probs[c] /= float64(k)
		if best == "" || probs[c] > probs[best] {
			best = c
		}
	}
	d.Confidence = probs[best]
	if d.Confidence >= m.diag.MinConfidence {
		d.Label = best
	}
	return d
}

// loadDiagnosis takes the machine's champion fault classifier when it is not the one it
// holds: at start and on every model check, so a promotion or rollback needs no restart. The
// configured shaft speed replaces the one it was trained at (its features are orders of it);
// a machine without one (diagnosis.shaft_rpm 0) has its events undiagnosed. One made for
// another sample rate is refused with a log line.
func (m *machine) loadDiagnosis(ctx context.Context, db *store.DB) {
	if !m.cfg.Diagnosis.Enabled() {
		m.diag, m.diagV, m.tail = nil, 0, nil
		return
	}
	saved, err := db.ActiveModelFor(ctx, m.cfg.ID, store.TaskDiagnose)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.diag, m.diagV, m.tail = nil, 0, nil
		return
	case err != nil:
		return
	case saved.Version == m.diagV:
		if m.diag != nil { // a new speed set since
			m.diag.FrontEnd.ShaftHz = m.cfg.Diagnosis.ShaftRPM / 60
		}
		return
	}
	m.diagV = saved.Version // a broken one is not retried every few seconds
	d, err := diagnose.Unmarshal(saved.Blob)
	if err != nil {
		m.log.Error("load the fault classifier", "version", saved.Version, "err", err)
		return
	}
	if d.FrontEnd.Rate != m.rate {
		m.log.Error("the fault classifier was made for another sample rate; events are not diagnosed",
			"version", saved.Version, "model_rate", d.FrontEnd.Rate, "sensor_rate", m.rate)
		return
	}
	d.FrontEnd.ShaftHz = m.cfg.Diagnosis.ShaftRPM / 60
	m.diag, m.tail = d, nil
	m.log.Info("fault classifier", "version", saved.Version, "kind", d.Kind, "classes", d.Classes(),
		"shaft_rpm", m.cfg.Diagnosis.ShaftRPM)
}
