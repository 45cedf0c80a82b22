package api

import (
	"net/http"
	"time"

	"signalcraft/appliance/healthview"
	"signalcraft/core/health"
)

// maxHealthHours bounds the record the model is replayed from: two years of hours (a replay
// costs about 1 µs an hour, the estimate about 1 ms).
const maxHealthHours = 2 * 366 * 24

func (s *Server) machineHealth(w http.ResponseWriter, r *http.Request) {
	m, err := s.machine(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	from, err := queryTime(r, "from")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	to, err := queryTime(r, "to")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, err := s.d.DB.HealthRecords(r.Context(), m.ID, time.Time{}, time.Time{}, maxHealthHours)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := healthview.Build(m.ID, recs, health.DefaultConfig())
	kept := h.Points[:0]
	for _, p := range h.Points {
		if (from.IsZero() || !p.Hour.Before(from)) && (to.IsZero() || p.Hour.Before(to)) {
			kept = append(kept, p)
		}
	}
	h.Points = kept
	writeJSON(w, http.StatusOK, h)
}
