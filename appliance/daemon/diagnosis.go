package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"signalcraft/core/diagnose"
	"signalcraft/core/store"
)

// diagnose judges the latest window of sound with the machine's fault classifier (issue 11):
// the fault type and its probabilities, "unknown" below the model's calibrated confidence.
// Nil without a classifier or before a window's worth of sound was heard.
func (m *machine) diagnose() *store.Diagnosis {
	if m.diag == nil {
		return nil
	}
	need := m.diag.FrontEnd.Samples()
	if len(m.tail) < need {
		return nil
	}
	p, err := m.diag.Predict(m.tail[len(m.tail)-need:])
	if err != nil {
		m.log.Warn("diagnosis failed", "err", err)
		return nil
	}
	return &store.Diagnosis{Label: p.Label, Confidence: p.Confidence, Probs: maps.Clone(p.Probs),
		Model: fmt.Sprintf("%s v%d", m.diag.Kind, m.diagV)}
}

// loadDiagnosis takes the machine's active fault classifier when it is not the one it holds:
// at start and on every model check, so a new classifier needs no restart. One made for
// another sample rate is refused with a log line.
func (m *machine) loadDiagnosis(ctx context.Context, db *store.DB) {
	saved, err := db.ActiveDiagnosisModel(ctx, m.cfg.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.diag, m.diagV, m.tail = nil, 0, nil
		return
	case err != nil || saved.Version == m.diagV:
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
	m.diag, m.tail = d, nil
	m.log.Info("fault classifier", "version", saved.Version, "kind", d.Kind, "classes", d.Classes())
}
