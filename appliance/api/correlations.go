package api

import (
	"encoding/json"
	"net/http"

	wire "signalcraft/core/api"
)

// defaultCorrelationPairs and maxCorrelationPairs bound GET /api/v1/correlations.
const defaultCorrelationPairs, maxCorrelationPairs = 10, 1000

func (s *Server) correlations(w http.ResponseWriter, r *http.Request) {
	n, err := queryInt(r, "limit", defaultCorrelationPairs, maxCorrelationPairs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wire.Correlations{Pairs: []wire.CorrelationPair{}, Episodes: []wire.CorrelationEpisode{}}
	if s.d.Correlations != nil {
		out = s.d.Correlations(int(n))
	}
	writeJSON(w, http.StatusOK, out)
}

// eventExplanation reads what the cross-sensor correlation wrote into an event's snapshot.
func eventExplanation(snapshot []byte) (cause, heardFrom string) {
	var s struct {
		Cause     string `json:"cause"`
		HeardFrom string `json:"heard_from"`
	}
	if len(snapshot) > 0 && json.Unmarshal(snapshot, &s) == nil {
		return s.Cause, s.HeardFrom
	}
	return "", ""
}
