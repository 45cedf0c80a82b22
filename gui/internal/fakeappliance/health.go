package fakeappliance

import (
	"net/http"
	"time"

	"signalcraft/core/api"
)

func (s *Server) healthHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{"GET " + api.PathMachineHealth: s.machineHealth}
}

// machineHealth serves a machine's health: the pump has been wearing for a day with a
// confident remaining-life estimate, the fan is healthy, the others are learning.
func (s *Server) machineHealth(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.findMachine(id) < 0 {
		writeErr(w, api.Errorf(api.CodeNotFound, "machine %q not found", id))
		return
	}
	now := s.opt.Now().UTC()
	h := api.MachineHealth{MachineID: id, State: api.HealthLearning, Points: []api.HealthPoint{}}
	n := map[string]int{Pump: 96, Fan: 70}[id]
	if n == 0 {
		n = 12
	}
	for i := range n {
		l := 0.02 * (1 + 0.05*float64(max(0, i-70)))
		h.Points = append(h.Points, api.HealthPoint{Hour: now.Truncate(time.Hour).Add(time.Duration(i-n) * time.Hour), Windows: 7200,
			RMS: l, Smoothed: l, Kurtosis: 3.1, Peak: 4 * l})
	}
	if n >= 60 {
		h.State, h.Baseline, h.FailureLevel = api.HealthHealthy, 0.02, 0.126
	}
	if id == Pump {
		alarm, onset := now.Add(-22*time.Hour), now.Add(-26*time.Hour)
		hi := 52.0
		h.State, h.Alarm, h.Onset = api.HealthDegrading, &alarm, &onset
		h.RUL = &api.RUL{At: now, Hours: 31, LowHours: 19, HighHours: &hi, Confident: true, Text: "about 31 h (range 19–52 h)"}
	}
	writeJSON(w, http.StatusOK, h)
}
