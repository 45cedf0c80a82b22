package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Report states.
const (
	ReportQueued = "queued"
	ReportDone   = "done"
	ReportFailed = "failed"
)

// Report is the record of a report (core/report) and of its rendered files.
type Report struct {
	ID          int64
	Kind        string // daily, weekly, on_demand
	Lang        string // en, ko
	MachineID   string // "" for the whole appliance
	From, To    time.Time
	State       string
	RequestedBy string
	JobID       int64
	PDFFile     string // file names inside the reports directory; "" until done
	CSVFile     string
	PDFBytes    int64
	CSVBytes    int64
	EmailedTo   []string
	Error       string
	CreatedAt   time.Time
	FinishedAt  time.Time
}

func (r Report) validate() error {
	switch {
	case r.Kind != "daily" && r.Kind != "weekly" && r.Kind != "on_demand":
		return fmt.Errorf("report kind %q: %w", r.Kind, ErrInvalid)
	case r.Lang != "en" && r.Lang != "ko":
		return fmt.Errorf("report language %q: %w", r.Lang, ErrInvalid)
	case r.From.IsZero() || !r.To.After(r.From):
		return fmt.Errorf("report period %s – %s: %w", r.From, r.To, ErrInvalid)
	}
	return nil
}

// CreateReportTx records a queued report in tx and returns its id with created true; a
// scheduled report (not on_demand) that exists already for the same kind, period start,
// machine and language is returned with created false and left as it is.
func (db *DB) CreateReportTx(ctx context.Context, tx *sql.Tx, r Report) (id int64, created bool, err error) {
	if err := r.validate(); err != nil {
		return 0, false, fmt.Errorf("store: create report: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO reports (kind, lang, machine_id, from_ms, to_ms, requested_by, created_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		r.Kind, r.Lang, r.MachineID, ms(r.From), ms(r.To), r.RequestedBy, db.nowMS()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT id FROM reports WHERE kind = ? AND from_ms = ? AND machine_id = ? AND lang = ?
			AND kind != 'on_demand'`, r.Kind, ms(r.From), r.MachineID, r.Lang).Scan(&id)
		if err != nil {
			return 0, false, fmt.Errorf("store: create report: %w", err)
		}
		return id, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: create report: %w", err)
	}
	return id, true, nil
}

// SetReportJobTx records the job that renders report id.
func (db *DB) SetReportJobTx(ctx context.Context, tx *sql.Tx, id, jobID int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE reports SET job_id = ? WHERE id = ?", jobID, id); err != nil {
		return fmt.Errorf("store: report %d: set job: %w", id, err)
	}
	return nil
}

// FinishReport records report id as done with its files.
func (db *DB) FinishReport(ctx context.Context, id int64, pdfFile string, pdfBytes int64, csvFile string, csvBytes int64) error {
	return db.updateReport(ctx, id, `UPDATE reports SET state = 'done', pdf_file = ?, pdf_bytes = ?, csv_file = ?, csv_bytes = ?,
		error = '', finished_at_ms = ? WHERE id = ?`, pdfFile, pdfBytes, csvFile, csvBytes, db.nowMS(), id)
}

// FailReport records that report id could not be made.
func (db *DB) FailReport(ctx context.Context, id int64, errText string) error {
	return db.updateReport(ctx, id, "UPDATE reports SET state = 'failed', error = ?, finished_at_ms = ? WHERE id = ?",
		errText, db.nowMS(), id)
}

// SetReportEmailed records the receivers report id was mailed to.
func (db *DB) SetReportEmailed(ctx context.Context, id int64, receivers []string) error {
	return db.updateReport(ctx, id, "UPDATE reports SET emailed_to = ? WHERE id = ?", strings.Join(receivers, ","), id)
}

func (db *DB) updateReport(ctx context.Context, id int64, q string, args ...any) error {
	var n int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: report %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: report %d: %w", id, ErrNotFound)
	}
	return nil
}

const reportCols = `id, kind, lang, machine_id, from_ms, to_ms, state, requested_by, COALESCE(job_id, 0), pdf_file, csv_file,
	pdf_bytes, csv_bytes, emailed_to, error, created_at_ms, finished_at_ms`

func scanReport(s interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var from, to, created int64
	var finished sql.NullInt64
	var emailed string
	if err := s.Scan(&r.ID, &r.Kind, &r.Lang, &r.MachineID, &from, &to, &r.State, &r.RequestedBy, &r.JobID, &r.PDFFile,
		&r.CSVFile, &r.PDFBytes, &r.CSVBytes, &emailed, &r.Error, &created, &finished); err != nil {
		return Report{}, err
	}
	r.From, r.To, r.CreatedAt, r.FinishedAt = fromMS(from), fromMS(to), fromMS(created), nullMS(finished)
	if emailed != "" {
		r.EmailedTo = strings.Split(emailed, ",")
	}
	return r, nil
}

// Report returns report id, or ErrNotFound.
func (db *DB) Report(ctx context.Context, id int64) (Report, error) {
	r, err := scanReport(db.r.QueryRowContext(ctx, "SELECT "+reportCols+" FROM reports WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, fmt.Errorf("store: report %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Report{}, fmt.Errorf("store: report %d: %w", id, err)
	}
	return r, nil
}

// Reports returns the latest reports, newest first; limit <= 0 is 100.
func (db *DB) Reports(ctx context.Context, limit int) ([]Report, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, "SELECT "+reportCols+" FROM reports ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("store: reports: %w", err)
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("store: reports: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reports: %w", err)
	}
	return out, nil
}
