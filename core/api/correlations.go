package api

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// PathCorrelations is the cross-sensor correlation of the appliance's machines: the most
// strongly correlated pairs at their best lag, and the episodes being followed.
const PathCorrelations = Prefix + "correlations"

// Correlations is what GET /api/v1/correlations returns.
type Correlations struct {
	// Enabled is false when the appliance's correlation is off (correlation.enabled);
	// everything else is then empty.
	Enabled bool `json:"enabled"`
	// Judged is the time (in the machines' sound) up to which the correlations are
	// computed; null before the first window.
	Judged *time.Time `json:"judged"`
	// Pairs are the most strongly correlated pairs, strongest first.
	Pairs []CorrelationPair `json:"pairs"`
	// Episodes are the episodes judged and not yet over.
	Episodes []CorrelationEpisode `json:"episodes"`
}

// CorrelationPair is the correlation of two machines over the correlation's horizon, at the
// lag where it is strongest.
type CorrelationPair struct {
	MachineA string `json:"machine_a"`
	MachineB string `json:"machine_b"`
	// LagMS is how much later (milliseconds) B follows A; negative: B leads.
	LagMS int64 `json:"lag_ms"`
	// Coefficient is Pearson's correlation (−1…1) of Signal ("level" in dBFS or "score",
	// the anomaly score as a multiple of the threshold) over Samples windows.
	Coefficient float64 `json:"coefficient"`
	Signal      string  `json:"signal"`
	Samples     int     `json:"samples"`
}

// The episode kinds.
const (
	CorrelationCommon     = "common"     // a plant-wide disturbance (one PlantDisturbance alert)
	CorrelationAttributed = "attributed" // machines that heard Source's fault
)

// CorrelationEpisode is machines anomalous for one cause.
type CorrelationEpisode struct {
	ID        int       `json:"id"`
	Kind      string    `json:"kind"`
	Start     time.Time `json:"start"`
	Source    string    `json:"source,omitempty"` // attributed: the machine heard
	Machines  []string  `json:"machines"`
	Anomalous int       `json:"anomalous"` // members anomalous now
}

// Correlations returns the n most strongly correlated pairs (n ≤ 0: the server's default)
// and the live episodes.
func (c *Client) Correlations(ctx context.Context, n int) (Correlations, error) {
	var out Correlations
	q := url.Values{}
	if n > 0 {
		q.Set("limit", strconv.Itoa(n))
	}
	return out, c.do(ctx, "GET", PathCorrelations, q, nil, &out)
}
