package api

import (
	"net/http"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// DatasetVersionToWire is a stored dataset version as the API shows it.
func DatasetVersionToWire(v store.DatasetVersion) wire.DatasetVersion {
	return wire.DatasetVersion{ID: v.ID, MachineID: v.Machine, CreatedAt: v.CreatedAt, Note: v.Note,
		Items: v.Items, Normal: v.Normal, Faults: v.Faults, Seconds: v.Seconds}
}

func (s *Server) datasets(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs, err := s.d.DB.DatasetVersions(r.Context(), m.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.DatasetVersion, len(vs))
	for i, v := range vs {
		out[i] = DatasetVersionToWire(v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) dataset(w http.ResponseWriter, r *http.Request) {
	man, v, err := s.d.DB.DatasetVersion(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.DatasetManifest{DatasetVersion: DatasetVersionToWire(v), Items: make([]wire.DatasetItem, len(man.Items))}
	for i, it := range man.Items {
		out.Items[i] = wire.DatasetItem{SHA256: it.SHA256, Label: it.Label, Split: it.Split, Start: it.Start,
			Seconds: it.Seconds, Source: it.Source}
	}
	writeJSON(w, http.StatusOK, out)
}

// retrain queues a retraining now, as the learning loop's triggers do.
func (s *Server) retrain(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeChange(r)
	reason := req.Reason
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.d.Retrain == nil {
		s.writeError(w, r, wire.Errorf(wire.CodeNotFound, "retraining is off on this appliance (retraining.enabled)"))
		return
	}
	id, queued, err := s.d.Retrain(r.Context(), m.ID, reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.auditAfter(r, "model.retrain", "machine/"+m.ID, reason)
	writeJSON(w, http.StatusAccepted, wire.RetrainResponse{JobID: id, Queued: queued})
}
