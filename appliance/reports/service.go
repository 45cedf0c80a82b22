package reports

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/report"
	"signalcraft/core/store"
)

// JobReport is the job kind that renders (and mails) a report.
const JobReport = "report"

// RequestedBySchedule is the RequestedBy of scheduled reports.
const RequestedBySchedule = "schedule"

// Errors of Request and Open, for the API's error table.
var (
	ErrInvalid  = errors.New("invalid report request")
	ErrNotReady = errors.New("report not done")
)

// Options configure a Service. DB, Queue and Dir are required.
type Options struct {
	DB    *store.DB
	Queue *jobs.Queue
	// Dir holds the rendered files (data_dir/reports); created when missing.
	Dir       string
	Appliance string
	// Machines returns the machine ids in configuration order (nil: the store's order).
	Machines func() []string
	// Language is the scheduled reports' language (en, ko).
	Language string
	Location *time.Location
	// Daily and Weekly are the schedules; nil: none.
	Daily  *Schedule
	Weekly *Schedule
	// Mail are the servers scheduled reports (and requests with Email) are mailed to, by
	// receiver name.
	Mail []NamedMail
	// Font is the PDF's TrueType font ("" is report.DefaultFontPath).
	Font string
	// Wrap, if set, wraps the job handler (metrics).
	Wrap   func(kind string, h jobs.Handler) jobs.Handler
	Logger *slog.Logger
	Now    func() time.Time
	// Send delivers a mail; nil is notify.SendMail.
	Send func(ctx context.Context, s notify.MailServer, m notify.Mail) error
	// Correlations returns the appliance's most strongly correlated machine pairs now (the
	// cross-sensor correlation's); nil, or an empty answer, leaves the section out.
	Correlations func() []report.Correlation
}

// Schedule is a time of day, on a weekday for weekly reports.
type Schedule struct {
	Weekday      time.Weekday
	Hour, Minute int
}

// NamedMail is a receiver's mail server.
type NamedMail struct {
	Receiver string
	Server   notify.MailServer
}

// Service makes reports: on request, on schedule, in report jobs.
type Service struct {
	o   Options
	log *slog.Logger

	fontOnce sync.Once
	pdf      *report.PDFRenderer
	fontErr  error
}

// New registers the report job kind on o.Queue and returns the service.
func New(o Options) (*Service, error) {
	if o.DB == nil || o.Queue == nil || o.Dir == "" {
		return nil, errors.New("reports: DB, Queue and Dir are needed")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Language == "" {
		o.Language = report.LangEnglish
	}
	if o.Send == nil {
		o.Send = notify.SendMail
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	s := &Service{o: o, log: o.Logger}
	h := jobs.Handler(s.handle)
	if o.Wrap != nil {
		h = o.Wrap(JobReport, h)
	}
	// One report at a time: rendering is CPU work next to the analysis.
	o.Queue.Handle(JobReport, h, jobs.WorkerConfig{Concurrency: 1, Lease: 10 * time.Minute, MaxAttempts: 5,
		Backoff: jobs.Backoff{Base: 30 * time.Second, Max: time.Hour, Jitter: 0.2}})
	return s, nil
}

// renderer loads the font on first use, so a missing font fails the report jobs with an
// error naming the path rather than the daemon's start.
func (s *Service) renderer() (*report.PDFRenderer, error) {
	s.fontOnce.Do(func() { s.pdf, s.fontErr = report.NewPDFRenderer(s.o.Font) })
	return s.pdf, s.fontErr
}

// payload is a report job's payload.
type payload struct {
	Report int64 `json:"report"`
	Email  bool  `json:"email,omitempty"`
}

// Request is an on-demand report.
type Request struct {
	Lang     string // "" is the configured language
	Machine  string // "" every machine
	From, To time.Time
	Email    bool
	By       string
}

// maxSpan bounds a requested report's period.
const maxSpan = 92 * 24 * time.Hour

// Request records an on-demand report and queues its job; zero From and To are the 24
// hours before now.
func (s *Service) Request(ctx context.Context, r Request) (store.Report, error) {
	now := s.o.Now()
	if r.Lang == "" {
		r.Lang = s.o.Language
	}
	if r.To.IsZero() {
		r.To = now
	}
	if r.From.IsZero() {
		r.From = r.To.Add(-24 * time.Hour)
	}
	switch {
	case r.Lang != report.LangEnglish && r.Lang != report.LangKorean:
		return store.Report{}, fmt.Errorf("%w: lang %q: must be en or ko", ErrInvalid, r.Lang)
	case !r.To.After(r.From):
		return store.Report{}, fmt.Errorf("%w: to must be after from", ErrInvalid)
	case r.To.Sub(r.From) > maxSpan:
		return store.Report{}, fmt.Errorf("%w: a report covers at most %d days", ErrInvalid, int(maxSpan.Hours()/24))
	case r.Email && len(s.o.Mail) == 0:
		return store.Report{}, fmt.Errorf("%w: email: no receiver is configured (reports.email)", ErrInvalid)
	}
	if r.Machine != "" {
		if _, err := s.o.DB.Machine(ctx, r.Machine); err != nil {
			return store.Report{}, err
		}
	}
	id, _, err := s.enqueue(ctx, store.Report{Kind: string(report.KindOnDemand), Lang: r.Lang, MachineID: r.Machine,
		From: r.From, To: r.To, RequestedBy: r.By}, r.Email)
	if err != nil {
		return store.Report{}, err
	}
	return s.o.DB.Report(ctx, id)
}

// enqueue records a report and its job in one transaction.
func (s *Service) enqueue(ctx context.Context, rec store.Report, email bool) (int64, bool, error) {
	var id int64
	var created bool
	err := s.o.DB.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, created, err = s.o.DB.CreateReportTx(ctx, tx, rec)
		if err != nil {
			return err
		}
		p, _ := json.Marshal(payload{Report: id, Email: email})
		jobID, _, err := s.o.Queue.EnqueueTx(ctx, tx, jobs.Job{Kind: JobReport, Key: fmt.Sprintf("report:%d", id), Payload: p})
		if err != nil {
			return err
		}
		return s.o.DB.SetReportJobTx(ctx, tx, id, jobID)
	})
	if err != nil {
		return 0, false, fmt.Errorf("reports: queue %s report: %w", rec.Kind, err)
	}
	s.o.Queue.Wake()
	return id, created, nil
}

// CheckSchedule queues the latest daily and weekly reports that are due at now and not
// queued yet; it returns the ids it created.
func (s *Service) CheckSchedule(ctx context.Context, now time.Time) ([]int64, error) {
	var out []int64
	for _, sc := range []struct {
		kind report.Kind
		s    *Schedule
	}{{report.KindDaily, s.o.Daily}, {report.KindWeekly, s.o.Weekly}} {
		if sc.s == nil {
			continue
		}
		from, to, err := Due(sc.kind, sc.s.Weekday, sc.s.Hour, sc.s.Minute, now, s.o.Location)
		if err != nil {
			return out, err
		}
		id, created, err := s.enqueue(ctx, store.Report{Kind: string(sc.kind), Lang: s.o.Language, From: from, To: to,
			RequestedBy: RequestedBySchedule}, len(s.o.Mail) > 0)
		if err != nil {
			return out, err
		}
		if created {
			s.log.Info("report queued", "report", id, "kind", sc.kind, "from", from, "to", to)
			out = append(out, id)
		}
	}
	return out, nil
}

// Run checks the schedule every minute until ctx ends.
func (s *Service) Run(ctx context.Context) {
	if s.o.Daily == nil && s.o.Weekly == nil {
		return
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if _, err := s.CheckSchedule(ctx, s.o.Now()); err != nil && ctx.Err() == nil {
			s.log.Error("report schedule", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// fileNames are a report's file names inside Dir.
func fileNames(r store.Report, loc *time.Location) (pdf, csv string) {
	base := fmt.Sprintf("%d-%s-%s", r.ID, strings.ReplaceAll(r.Kind, "_", "-"), r.From.In(loc).Format("20060102"))
	if r.MachineID != "" {
		base += "-" + r.MachineID
	}
	base += "-" + r.Lang
	return base + ".pdf", base + ".zip"
}

// handle renders report j.Report (unless an earlier attempt did) and mails it when asked
// (unless an earlier attempt did). Retrying is safe: the files are written to temporary
// names and renamed, and the record says what was done.
func (s *Service) handle(ctx context.Context, j jobs.Job) error {
	var p payload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Report <= 0 {
		return jobs.Permanent(fmt.Errorf("report job %d: payload %q", j.ID, j.Payload))
	}
	rec, err := s.o.DB.Report(ctx, p.Report)
	if errors.Is(err, store.ErrNotFound) {
		return jobs.Permanent(err)
	}
	if err != nil {
		return err
	}
	if rec.State != store.ReportDone {
		if rec, err = s.render(ctx, rec); err != nil {
			if ferr := s.o.DB.FailReport(context.WithoutCancel(ctx), rec.ID, err.Error()); ferr != nil {
				s.log.Error("record report failure", "report", rec.ID, "err", ferr)
			}
			if errors.Is(err, report.ErrFontMissing) || errors.Is(err, report.ErrInvalid) {
				return jobs.Permanent(err)
			}
			return err
		}
	}
	if p.Email && len(rec.EmailedTo) == 0 && len(s.o.Mail) > 0 {
		return s.mail(ctx, rec)
	}
	return nil
}

func (s *Service) render(ctx context.Context, rec store.Report) (store.Report, error) {
	r, err := s.renderer()
	if err != nil {
		return rec, err
	}
	per := Period{Kind: report.Kind(rec.Kind), From: rec.From, To: rec.To, Location: s.o.Location}
	if rec.MachineID != "" {
		per.Machines = []string{rec.MachineID}
	} else if s.o.Machines != nil {
		per.Machines = s.o.Machines()
	}
	data, err := Build(ctx, s.o.DB, s.o.Appliance, per, s.o.Now())
	if err != nil {
		return rec, fmt.Errorf("build report %d: %w", rec.ID, err)
	}
	if s.o.Correlations != nil && rec.MachineID == "" {
		data.Correlations = s.o.Correlations()
	}
	var pdf, csv bytes.Buffer
	if err := r.Render(&pdf, data, rec.Lang); err != nil {
		return rec, err
	}
	if err := report.WriteCSV(&csv, data, rec.Lang); err != nil {
		return rec, err
	}
	pdfName, csvName := fileNames(rec, s.o.Location)
	for _, f := range []struct {
		name string
		data []byte
	}{{pdfName, pdf.Bytes()}, {csvName, csv.Bytes()}} {
		if err := writeFile(filepath.Join(s.o.Dir, f.name), f.data); err != nil {
			return rec, fmt.Errorf("report %d: %w", rec.ID, err)
		}
	}
	if err := s.o.DB.FinishReport(ctx, rec.ID, pdfName, int64(pdf.Len()), csvName, int64(csv.Len())); err != nil {
		return rec, err
	}
	s.log.Info("report done", "report", rec.ID, "kind", rec.Kind, "lang", rec.Lang, "pdf_bytes", pdf.Len(), "csv_bytes", csv.Len())
	return s.o.DB.Report(ctx, rec.ID)
}

// writeFile writes data to path through a temporary file and a rename.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// mail sends the report's PDF and CSV zip to every configured receiver and records to
// whom. A receiver that fails makes the job retry, mailing every receiver again: at least
// once, as every delivery of the job queue.
func (s *Service) mail(ctx context.Context, rec store.Report) error {
	m, err := s.Message(rec)
	if err != nil {
		return err
	}
	var sent []string
	var errs []error
	for _, nm := range s.o.Mail {
		if err := s.o.Send(ctx, nm.Server, m); err != nil {
			errs = append(errs, fmt.Errorf("mail report %d to %s: %w", rec.ID, nm.Receiver, err))
			continue
		}
		sent = append(sent, nm.Receiver)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return s.o.DB.SetReportEmailed(ctx, rec.ID, sent)
}

// Message is the mail of a done report: a subject and a short text in its language, the
// PDF and the CSV zip attached.
func (s *Service) Message(rec store.Report) (notify.Mail, error) {
	pdf, err := os.ReadFile(filepath.Join(s.o.Dir, rec.PDFFile))
	if err != nil {
		return notify.Mail{}, fmt.Errorf("report %d: %w", rec.ID, err)
	}
	csv, err := os.ReadFile(filepath.Join(s.o.Dir, rec.CSVFile))
	if err != nil {
		return notify.Mail{}, fmt.Errorf("report %d: %w", rec.ID, err)
	}
	period := rec.From.In(s.o.Location).Format("2006-01-02 15:04") + " – " + rec.To.In(s.o.Location).Format("2006-01-02 15:04")
	var subject, body string
	if rec.Lang == report.LangKorean {
		kind := map[string]string{"daily": "일간", "weekly": "주간", "on_demand": "요청"}[rec.Kind]
		subject = fmt.Sprintf("[SignalCraft] %s 보고서 %s (%s)", kind, s.o.Appliance, period)
		body = fmt.Sprintf("%s의 %s 보고서(%s)를 첨부합니다.\nPDF: %s\nCSV(zip): %s\n", s.o.Appliance, kind, period, rec.PDFFile, rec.CSVFile)
	} else {
		kind := map[string]string{"daily": "Daily", "weekly": "Weekly", "on_demand": "On-demand"}[rec.Kind]
		subject = fmt.Sprintf("[SignalCraft] %s report %s (%s)", kind, s.o.Appliance, period)
		body = fmt.Sprintf("The %s report of %s (%s) is attached.\nPDF: %s\nCSV (zip): %s\n", strings.ToLower(kind), s.o.Appliance, period, rec.PDFFile, rec.CSVFile)
	}
	return notify.Mail{Subject: subject, Body: body, Date: s.o.Now(), Attachments: []notify.Attachment{
		{Name: rec.PDFFile, ContentType: "application/pdf", Data: pdf},
		{Name: rec.CSVFile, ContentType: "application/zip", Data: csv},
	}}, nil
}

// Open opens a done report's file (report.CSVFile's zip for "csv", the PDF for "pdf").
func (s *Service) Open(ctx context.Context, id int64, format string) (*os.File, store.Report, error) {
	rec, err := s.o.DB.Report(ctx, id)
	if err != nil {
		return nil, rec, err
	}
	if rec.State != store.ReportDone {
		return nil, rec, fmt.Errorf("report %d is %s: %w", id, rec.State, ErrNotReady)
	}
	name := rec.PDFFile
	if format == "csv" {
		name = rec.CSVFile
	}
	f, err := os.Open(filepath.Join(s.o.Dir, name))
	if err != nil {
		return nil, rec, fmt.Errorf("report %d: %w", id, err)
	}
	return f, rec, nil
}
