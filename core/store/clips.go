package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// UploadState is where a clip stands with object storage.
type UploadState string

// Upload states of a clip.
const (
	UploadNone     UploadState = "none"     // not to be uploaded
	UploadPending  UploadState = "pending"  // an upload job is queued
	UploadUploaded UploadState = "uploaded" // the object exists under UploadKey
	UploadFailed   UploadState = "failed"   // the upload job gave up (UploadError says why)
)

// ClipFormatWAV16 is a 16-bit PCM WAV file.
const ClipFormatWAV16 = "wav-pcm16"

// Clip is an audio recording saved around an anomaly event: a file under the clips
// directory and what is needed to verify and play it.
type Clip struct {
	ID         int64
	EventID    int64
	MachineID  string
	Path       string    // relative to the clips directory, slash-separated: <machine>/<event>.wav
	Start      time.Time // time of the first sample
	Duration   time.Duration
	Frames     int64
	SampleRate int
	Channels   int
	Format     string // ClipFormatWAV16 if empty on AddClip
	Size       int64  // bytes of the file
	SHA256     string // lowercase hex of the whole file
	CreatedAt  time.Time
	// Upload is UploadNone or UploadPending on AddClip; SetClipUpload changes it.
	Upload      UploadState
	UploadKey   string
	UploadedAt  time.Time
	UploadError string
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate reports the first field AddClip would refuse.
func (c Clip) Validate() error {
	switch {
	case c.EventID <= 0:
		return fmt.Errorf("event id %d: %w", c.EventID, ErrInvalid)
	case c.MachineID == "":
		return fmt.Errorf("empty machine id: %w", ErrInvalid)
	case c.Path == "" || strings.HasPrefix(c.Path, "/") || strings.Contains(c.Path, ".."):
		return fmt.Errorf("path %q must be relative and stay inside the clips directory: %w", c.Path, ErrInvalid)
	case c.Start.IsZero():
		return fmt.Errorf("zero start: %w", ErrInvalid)
	case c.Duration < 0 || c.Frames < 0 || c.Size < 0:
		return fmt.Errorf("duration %v, frames %d, size %d: %w", c.Duration, c.Frames, c.Size, ErrInvalid)
	case c.SampleRate <= 0 || c.Channels <= 0:
		return fmt.Errorf("sample rate %d, channels %d: %w", c.SampleRate, c.Channels, ErrInvalid)
	case !hexSHA256.MatchString(c.SHA256):
		return fmt.Errorf("sha256 %q is not 64 lowercase hex digits: %w", c.SHA256, ErrInvalid)
	case c.Upload != "" && c.Upload != UploadNone && c.Upload != UploadPending:
		return fmt.Errorf("upload state %q on a new clip: %w", c.Upload, ErrInvalid)
	}
	return nil
}

// AddClip records a saved clip and returns its id. The event must exist (ErrNotFound) and
// have no clip yet (ErrConflict).
func (db *DB) AddClip(ctx context.Context, c Clip) (int64, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = db.AddClipTx(ctx, tx, c)
		return err
	})
	return id, err
}

// AddClipTx is AddClip inside the caller's write transaction (to enqueue its upload job
// in the same commit).
func (db *DB) AddClipTx(ctx context.Context, tx *sql.Tx, c Clip) (int64, error) {
	wrap := func(err error) error {
		return fmt.Errorf("store: add clip of event %d: %w", c.EventID, err)
	}
	if err := c.Validate(); err != nil {
		return 0, wrap(err)
	}
	if c.Format == "" {
		c.Format = ClipFormatWAV16
	}
	if c.Upload == "" {
		c.Upload = UploadNone
	}
	created := ms(c.CreatedAt)
	if c.CreatedAt.IsZero() {
		created = db.nowMS()
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO clips (event_id, machine_id, path, start_ms, duration_ms, frames,
		sample_rate, channels, format, size_bytes, sha256, created_at_ms, upload_state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.EventID, c.MachineID, c.Path, ms(c.Start), c.Duration.Milliseconds(), c.Frames,
		c.SampleRate, c.Channels, c.Format, c.Size, c.SHA256, created, string(c.Upload)).Scan(&id)
	switch {
	case isUnique(err):
		return 0, wrap(fmt.Errorf("the event already has a clip: %w", ErrConflict))
	case isForeignKey(err):
		return 0, wrap(fmt.Errorf("event or machine: %w", ErrNotFound))
	case err != nil:
		return 0, wrap(err)
	}
	return id, nil
}

const clipCols = `id, event_id, machine_id, path, start_ms, duration_ms, frames, sample_rate, channels, format,
	size_bytes, sha256, created_at_ms, upload_state, upload_key, uploaded_at_ms, upload_error`

func scanClip(s interface{ Scan(...any) error }) (Clip, error) {
	var c Clip
	var start, dur, created int64
	var state string
	var key, uerr sql.NullString
	var uploaded sql.NullInt64
	err := s.Scan(&c.ID, &c.EventID, &c.MachineID, &c.Path, &start, &dur, &c.Frames, &c.SampleRate, &c.Channels,
		&c.Format, &c.Size, &c.SHA256, &created, &state, &key, &uploaded, &uerr)
	if err != nil {
		return Clip{}, err
	}
	c.Start, c.Duration, c.CreatedAt = fromMS(start), time.Duration(dur)*time.Millisecond, fromMS(created)
	c.Upload, c.UploadKey, c.UploadedAt, c.UploadError = UploadState(state), key.String, nullMS(uploaded), uerr.String
	return c, nil
}

// Clip returns the clip with the given id, or ErrNotFound.
func (db *DB) Clip(ctx context.Context, id int64) (Clip, error) {
	c, err := scanClip(db.r.QueryRowContext(ctx, "SELECT "+clipCols+" FROM clips WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Clip{}, fmt.Errorf("store: clip %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Clip{}, fmt.Errorf("store: clip %d: %w", id, err)
	}
	return c, nil
}

// ClipOfEvent returns the clip saved for an event, or ErrNotFound.
func (db *DB) ClipOfEvent(ctx context.Context, eventID int64) (Clip, error) {
	c, err := scanClip(db.r.QueryRowContext(ctx, "SELECT "+clipCols+" FROM clips WHERE event_id = ?", eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return Clip{}, fmt.Errorf("store: clip of event %d: %w", eventID, ErrNotFound)
	}
	if err != nil {
		return Clip{}, fmt.Errorf("store: clip of event %d: %w", eventID, err)
	}
	return c, nil
}

// ClipFilter selects clips. The zero filter selects all, newest first.
type ClipFilter struct {
	MachineID string
	Limit     int  // 0: no limit
	Oldest    bool // oldest first
}

// Clips returns the clips selected by f, ordered by creation time (then id).
func (db *DB) Clips(ctx context.Context, f ClipFilter) ([]Clip, error) {
	q, args := "SELECT "+clipCols+" FROM clips", []any{}
	if f.MachineID != "" {
		q, args = q+" WHERE machine_id = ?", append(args, f.MachineID)
	}
	if f.Oldest {
		q += " ORDER BY created_at_ms, id"
	} else {
		q += " ORDER BY created_at_ms DESC, id DESC"
	}
	if f.Limit > 0 {
		q, args = q+" LIMIT ?", append(args, f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: clips: %w", err)
	}
	defer rows.Close()
	var out []Clip
	for rows.Next() {
		c, err := scanClip(rows)
		if err != nil {
			return nil, fmt.Errorf("store: clips: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: clips: %w", err)
	}
	return out, nil
}

// ClipUsage is how many clips are recorded and their total size.
type ClipUsage struct {
	Count int64
	Bytes int64
}

// ClipUsage sums the clips recorded in the database.
func (db *DB) ClipUsage(ctx context.Context) (ClipUsage, error) {
	var u ClipUsage
	err := db.r.QueryRowContext(ctx, "SELECT count(*), COALESCE(sum(size_bytes), 0) FROM clips").Scan(&u.Count, &u.Bytes)
	if err != nil {
		return ClipUsage{}, fmt.Errorf("store: clip usage: %w", err)
	}
	return u, nil
}

// DeleteClips removes the rows of the given clips (the caller removes their files) and
// returns how many existed.
func (db *DB) DeleteClips(ctx context.Context, ids ...int64) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			r, err := tx.ExecContext(ctx, "DELETE FROM clips WHERE id = ?", id)
			if err != nil {
				return err
			}
			k, err := r.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete clips: %w", err)
	}
	return n, nil
}

// SetClipUpload records an upload outcome: UploadUploaded with the object key (stamped
// with the DB clock's time), UploadFailed with the error, or UploadPending / UploadNone.
// It returns ErrNotFound for an unknown clip.
func (db *DB) SetClipUpload(ctx context.Context, id int64, state UploadState, key, errText string) error {
	wrap := func(err error) error { return fmt.Errorf("store: clip %d upload %s: %w", id, state, err) }
	var at any
	switch state {
	case UploadUploaded:
		if key == "" {
			return wrap(fmt.Errorf("empty object key: %w", ErrInvalid))
		}
		at = db.nowMS()
	case UploadFailed, UploadPending, UploadNone:
	default:
		return wrap(fmt.Errorf("unknown state: %w", ErrInvalid))
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE clips SET upload_state = ?, upload_key = ?, uploaded_at_ms = ?,
			upload_error = ? WHERE id = ?`, string(state), nullString(key), at, nullString(errText), id)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}
