package api

import (
	"context"
	"time"
)

// DatasetVersion is an immutable, content-addressed dataset version of a machine: its id is
// the SHA-256 of its canonical manifest (docs/mlo_pipeline.md).
type DatasetVersion struct {
	ID        string    `json:"id"`
	MachineID string    `json:"machine_id"`
	CreatedAt time.Time `json:"created_at"`
	Note      string    `json:"note"`
	Items     int       `json:"items"`
	Normal    int       `json:"normal"`
	Faults    int       `json:"faults"`
	Seconds   float64   `json:"seconds"` // sound in all items
}

// DatasetItem is one recording of a dataset version.
type DatasetItem struct {
	SHA256  string    `json:"sha256"`
	Label   string    `json:"label"` // "normal" or a fault type
	Split   string    `json:"split"` // "train" or "test"
	Start   time.Time `json:"start"`
	Seconds float64   `json:"seconds"`
	Source  string    `json:"source"` // "learning:…", "event:<id>", "import:<file>"
}

// DatasetManifest is GET /api/v1/datasets/{id}.
type DatasetManifest struct {
	DatasetVersion
	Items []DatasetItem `json:"item_list"`
}

// RetrainResponse says which train job the request queued.
type RetrainResponse struct {
	JobID  int64 `json:"job_id"`
	Queued bool  `json:"queued"` // false: a job for the same dataset content exists already
}

// Datasets returns a machine's dataset versions, newest first.
func (c *Client) Datasets(ctx context.Context, machine string) ([]DatasetVersion, error) {
	var out []DatasetVersion
	return out, c.do(ctx, "GET", Expand(PathDatasets, machine), nil, nil, &out)
}

// Dataset returns a dataset version with its items.
func (c *Client) Dataset(ctx context.Context, id string) (DatasetManifest, error) {
	var out DatasetManifest
	return out, c.do(ctx, "GET", Expand(PathDataset, id), nil, nil, &out)
}

// Retrain queues a retraining of a machine (admin).
func (c *Client) Retrain(ctx context.Context, machine, reason string) (RetrainResponse, error) {
	var out RetrainResponse
	return out, c.do(ctx, "POST", Expand(PathRetrain, machine), nil, ModelChangeRequest{Reason: reason}, &out)
}
