package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// History resolutions: which store table a ScoreHistory was read from.
const (
	ResolutionRaw = "raw" // the scored windows themselves, for spans up to HistoryRawMax
	Resolution1m  = "1m"  // 1-minute rollups, up to History1mMax
	Resolution1h  = "1h"  // 1-hour rollups beyond
)

// Spans that choose a history's resolution, and its limits.
const (
	HistoryRawMax        = 2 * time.Hour
	History1mMax         = 48 * time.Hour
	HistoryMaxSpan       = 366 * 24 * time.Hour
	HistoryDefaultPoints = 600
	HistoryMaxPoints     = 5000
	HistoryDefaultSpan   = time.Hour
)

// HistoryResolution returns the resolution GET machines/{id}/history reads for a span.
func HistoryResolution(span time.Duration) string {
	switch {
	case span <= HistoryRawMax:
		return ResolutionRaw
	case span <= History1mMax:
		return Resolution1m
	}
	return Resolution1h
}

// HistoryBucket is one step of a ScoreHistory. N = 0 means nothing was heard (the machine
// was not scored: stopped daemon, sensor fault, learning gap): a gap to draw as a gap, and
// its other fields are zero.
type HistoryBucket struct {
	Start     time.Time `json:"start"`
	N         int64     `json:"n"`             // scored windows in the bucket
	Min       *float64  `json:"min,omitempty"` // lowest score; absent for rollups older than the minimum's migration
	Mean      float64   `json:"mean"`          // mean score
	Max       float64   `json:"max"`           // highest score
	MeanDBFS  float64   `json:"mean_dbfs"`     // mean level
	MaxDBFS   float64   `json:"max_dbfs"`      // highest level
	Anomalous int64     `json:"anomalous"`     // windows above the threshold
}

// ScoreHistory is GET /api/v1/machines/{id}/history: a machine's scores over [From, To)
// in equal steps, oldest first, every step present (N = 0 for a gap).
type ScoreHistory struct {
	MachineID  string    `json:"machine_id"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Resolution string    `json:"resolution"` // ResolutionRaw, Resolution1m or Resolution1h
	Step       string    `json:"step"`       // bucket width as a Go duration, e.g. "1m0s"
	StepMS     int64     `json:"step_ms"`    // the same in milliseconds
	// Threshold is the machine's current threshold (0 while learning): scores are in the
	// model's units, and clients show them as multiples of it. Older buckets may have been
	// scored by another model with another threshold.
	Threshold float64         `json:"threshold"`
	Buckets   []HistoryBucket `json:"buckets"`
}

// HistoryQuery selects a history: To (default now) and Span (default 1 h) or From; Points
// bounds the buckets (default 600).
type HistoryQuery struct {
	From, To time.Time
	Span     time.Duration
	Points   int
}

// Query encodes q as GET parameters.
func (q HistoryQuery) Query() url.Values {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	if q.Span > 0 {
		v.Set("span", q.Span.String())
	}
	if q.Points > 0 {
		v.Set("points", strconv.Itoa(q.Points))
	}
	return v
}

// ClipInfo is an event's saved audio clip (GET /api/v1/events/{id}/clips).
type ClipInfo struct {
	ID         int64     `json:"id"`
	EventID    int64     `json:"event_id"`
	MachineID  string    `json:"machine_id"`
	Start      time.Time `json:"start"`       // time of the first sample
	DurationMS int64     `json:"duration_ms"` // length of the sound
	SampleRate int       `json:"sample_rate"`
	Channels   int       `json:"channels"`
	Format     string    `json:"format"` // "wav-pcm16"
	Size       int64     `json:"size"`   // bytes of the WAV file
	SHA256     string    `json:"sha256"`
	Uploaded   bool      `json:"uploaded"` // a copy is in the S3 bucket
	Upload     string    `json:"upload"`   // none, pending, uploaded, failed
	// Available is false when the file is no longer on the appliance (pruned or deleted):
	// audio and spectrogram then answer 404 naming the clip.
	Available bool `json:"available"`
}

// Duration returns the clip's length.
func (c ClipInfo) Duration() time.Duration { return time.Duration(c.DurationMS) * time.Millisecond }

// FileName is the name clients save the clip under, the one of Content-Disposition.
func (c ClipInfo) FileName() string {
	return fmt.Sprintf("%s-event%d-clip%d.wav", c.MachineID, c.EventID, c.ID)
}

// Spectrogram is GET /api/v1/clips/{id}/spectrogram: the clip's log-mel spectrogram as a
// matrix of levels the client colours. Levels holds Columns × Bands bytes, column after
// column (time), each column from the lowest band up; level v stands for
// FloorDB + v/255·(TopDB − FloorDB) dB, 0 at or below the floor.
type Spectrogram struct {
	ClipID     int64     `json:"clip_id"`
	SampleRate int       `json:"sample_rate"`
	Columns    int       `json:"columns"`   // time steps
	Bands      int       `json:"bands"`     // mel bands
	ColumnMS   float64   `json:"column_ms"` // time one column covers
	FMinHz     float64   `json:"fmin_hz"`   // lower edge of the lowest band
	FMaxHz     float64   `json:"fmax_hz"`   // upper edge of the highest band
	BandHz     []float64 `json:"band_hz"`   // centre frequency of each band
	FloorDB    float64   `json:"floor_db"`  // level 0
	TopDB      float64   `json:"top_db"`    // level 255: the loudest cell
	Levels     []byte    `json:"levels"`    // base64 in JSON
}

// At returns the level (0..255) of column c, band b.
func (s Spectrogram) At(c, b int) byte { return s.Levels[c*s.Bands+b] }

// DB returns the level of column c, band b in dB.
func (s Spectrogram) DB(c, b int) float64 {
	return s.FloorDB + float64(s.At(c, b))/255*(s.TopDB-s.FloorDB)
}

// History returns a machine's score history over a span (see HistoryQuery).
func (c *Client) History(ctx context.Context, machine string, q HistoryQuery) (ScoreHistory, error) {
	var h ScoreHistory
	return h, c.do(ctx, "GET", Expand(PathHistory, machine), q.Query(), nil, &h)
}

// EventClips lists an event's saved audio clips.
func (c *Client) EventClips(ctx context.Context, eventID int64) ([]ClipInfo, error) {
	var cs []ClipInfo
	return cs, c.do(ctx, "GET", Expand(PathEventClips, id(eventID)), nil, nil, &cs)
}

// ClipSpectrogram returns a clip's spectrogram in at most columns time steps (0: the
// server's default).
func (c *Client) ClipSpectrogram(ctx context.Context, clipID int64, columns int) (Spectrogram, error) {
	var q url.Values
	if columns > 0 {
		q = url.Values{"columns": {strconv.Itoa(columns)}}
	}
	var s Spectrogram
	return s, c.do(ctx, "GET", Expand(PathClipSpectrogram, id(clipID)), q, nil, &s)
}

// ClipAudio opens a clip's WAV file (operator): the caller reads and closes the body;
// size is its length in bytes (-1 if the server did not say).
func (c *Client) ClipAudio(ctx context.Context, clipID int64) (body io.ReadCloser, size int64, err error) {
	path := Expand(PathClipAudio, id(clipID))
	req, err := c.newRequest(ctx, "GET", path, nil, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "audio/wav, application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("api: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, 0, readError(resp)
	}
	return resp.Body, resp.ContentLength, nil
}
