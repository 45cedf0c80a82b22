package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/jobs"
	"signalcraft/core/notify"
	"signalcraft/core/notify/smtptest"
	"signalcraft/core/report"
	"signalcraft/core/store"
)

// startSMTP starts a real SMTP server on loopback and returns a receiver whose shoutrrr URL
// points at it.
func startSMTP(t *testing.T) (*smtptest.Server, notify.Receiver) {
	t.Helper()
	srv := smtptest.Start(t, "mailer", "Sm7p-secret")
	u := srv.URL("reports@signalcraft.test", "plant@factory.test", srv.Password)
	return srv, notify.Receiver{Name: "plant-mail", Type: notify.TypeShoutrrr, Shoutrrr: &notify.ShoutrrrConfig{URL: u}}
}

var kst = time.FixedZone("KST", 9*3600)

// demoStore opens a store holding a week of the demo appliance (appliance/config/demo.yaml):
// a score every 30 s per machine, the pump's score rising as its bearing fault develops,
// anomaly events with diagnoses, and a sensor that went silent for 4 hours.
func demoStore(t *testing.T, now time.Time) (*store.DB, *config.Config) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse(config.DemoYAML())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "sc.db"), store.WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	start := now.Add(-8 * 24 * time.Hour)
	thresholds := map[string]float64{"fan-1": 1.0, "pump-2": 2.5, "motor-3": 4.1}
	for i, mc := range cfg.Machines {
		if err := db.UpsertMachine(ctx, store.Machine{ID: mc.ID, Name: mc.Name, Kind: mc.Kind}); err != nil {
			t.Fatal(err)
		}
		sid := fmt.Sprintf("%s:%d", mc.Sensor.Source, mc.Sensor.Channel)
		if err := db.UpsertSensor(ctx, store.Sensor{ID: sid, MachineID: mc.ID, State: "ok", StateSince: start}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveModel(ctx, mc.ID, mc.Detection.Model, thresholds[mc.ID], []byte{1}, ""); err != nil {
			t.Fatal(err)
		}
		var scores []store.Score
		for ts := start; ts.Before(now); ts = ts.Add(30 * time.Second) {
			x := ts.Sub(start).Hours() / (8 * 24)
			s := thresholds[mc.ID] * (0.4 + 0.1*math.Sin(float64(ts.Unix())/3600+float64(i)))
			if mc.ID == "pump-2" {
				s += thresholds[mc.ID] * 1.2 * x * x * x
			}
			scores = append(scores, store.Score{MachineID: mc.ID, Time: ts, Score: s, Smoothed: s, Threshold: thresholds[mc.ID],
				State: "monitoring", Anomalous: s > thresholds[mc.ID], LevelDBFS: -30})
		}
		if _, err := db.WriteScores(ctx, scores); err != nil {
			t.Fatal(err)
		}
	}
	// The pump's hourly health record: a steady level for 4 days, then a bearing wearing out
	// (the level growing exponentially, 1.5 % an hour: 6.3 times the baseline about a day after the week).
	for h := start.Truncate(time.Hour); h.Before(now.Truncate(time.Hour)); h = h.Add(time.Hour) {
		age := h.Sub(start).Hours()
		rms := 0.02 * (1 + 0.03*math.Sin(age))
		if age > 96 {
			rms *= math.Exp(0.015 * (age - 96))
		}
		if err := db.AddHealth(ctx, store.HealthRecord{MachineID: "pump-2", Hour: h, Last: h.Add(59 * time.Minute), Windows: 120,
			SumSquares: 120 * rms * rms, SumKurtosis: 120 * 3, Peak: 4 * rms}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetSensorState(ctx, "sim:2", "silent", now.Add(-30*time.Hour), "no signal"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSensorState(ctx, "sim:2", "ok", now.Add(-26*time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		st := now.Add(-time.Duration(60-12*i) * time.Hour)
		e := store.Event{ID: int64(i + 1), MachineID: "pump-2", Start: st, End: st.Add(time.Duration(5+i*7) * time.Minute),
			PeakScore: 2.5 * (1.2 + 0.4*float64(i)), Threshold: 2.5,
			Diagnosis: &store.Diagnosis{Label: "bearing_outer", Confidence: 0.7 + 0.05*float64(i), Model: "rf+svm v3"}}
		if err := db.SaveEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AcknowledgeEvent(ctx, 1, "operator-kim"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetEventLabel(ctx, 2, "bearing_outer"); err != nil {
		t.Fatal(err)
	}
	return db, cfg
}

func machineIDs(cfg *config.Config) []string {
	var ids []string
	for _, m := range cfg.Machines {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestBuild(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, kst)
	db, cfg := demoStore(t, now)
	ctx := context.Background()
	week, err := Build(ctx, db, "signalcraft-demo", Period{Kind: report.KindWeekly, From: now.Add(-7 * 24 * time.Hour), To: now,
		Machines: machineIDs(cfg), Location: kst}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(week.Machines) != 3 || week.Machines[1].ID != "pump-2" || week.Machines[1].Name != "Coolant pump 2" {
		t.Fatalf("machines %+v", week.Machines)
	}
	pump := week.Machines[1]
	if len(pump.Trend) != 7*24 || pump.Resolution != time.Hour || pump.Threshold != 2.5 {
		t.Errorf("pump trend: %d hourly points at %v, threshold %v; want 168 at 1h, 2.5", len(pump.Trend), pump.Resolution, pump.Threshold)
	}
	if p := pump.Trend[0]; p.Windows != 120 {
		t.Errorf("first bucket has %d windows, want 120 (one every 30 s)", p.Windows)
	}
	if last, first := pump.Trend[len(pump.Trend)-1].Mean, pump.Trend[0].Mean; last <= first*1.5 {
		t.Errorf("pump's score did not rise: %.3f → %.3f", first, last)
	}
	if len(pump.Events) != 4 || pump.Events[0].ID != 1 || !pump.Events[0].Acknowledged || pump.Events[0].AcknowledgedBy != "operator-kim" ||
		pump.Events[1].Label != "bearing_outer" || math.Abs(pump.Events[3].Peak-2.4) > 1e-9 || pump.Events[2].Diagnosis.Label != "bearing_outer" {
		t.Errorf("pump events %+v", pump.Events)
	}
	motor := week.Machines[2]
	if len(motor.Sensors) != 1 || math.Abs(motor.Sensors[0].OK-(1-4.0/168)) > 1e-9 || motor.Sensors[0].Worst != "silent" {
		t.Errorf("motor sensors %+v, want ok %.4f, worst silent", motor.Sensors, 1-4.0/168)
	}
	day, err := Build(ctx, db, "signalcraft-demo", Period{Kind: report.KindDaily, From: now.Add(-24 * time.Hour), To: now, Location: kst}, now)
	if err != nil {
		t.Fatal(err)
	}
	// the store's order (by id) without Machines; 1-minute buckets for a day
	if day.Machines[0].ID != "fan-1" || day.Machines[1].ID != "motor-3" || len(day.Machines[0].Trend) != 24*60 || day.Machines[0].Resolution != time.Minute {
		t.Errorf("daily: %s, %s, %d points at %v", day.Machines[0].ID, day.Machines[1].ID, len(day.Machines[0].Trend), day.Machines[0].Resolution)
	}
	if day.Machines[1].Health != nil || day.Correlations != nil {
		t.Error("the builder filled an optional section")
	}
	// The pump's health: its level's trend over the week and the remaining useful life from
	// its whole record (appliance/healthview, as the API's health route).
	h := pump.Health
	if h == nil || len(h.Points) < 7*24-1 || h.Alarm <= 0 || h.RUL == nil || h.RUL.Hours <= 0 || h.RUL.Low > h.RUL.Hours {
		t.Fatalf("pump health: %d points, alarm level %v, RUL %+v", len(h.Points), h.Alarm, h.RUL)
	}
	t.Logf("pump RUL: %.1f h (%.1f–%.1f h), confident %v", h.RUL.Hours, h.RUL.Low, h.RUL.High, h.RUL.Confident)
}

func TestDue(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04 Mon", s, kst)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		kind     report.Kind
		now      string
		from, to string
	}{
		{report.KindDaily, "2026-12-07 06:00 Mon", "2026-12-06 06:00 Sun", "2026-12-07 06:00 Mon"},
		{report.KindDaily, "2026-12-07 05:59 Mon", "2026-12-05 06:00 Sat", "2026-12-06 06:00 Sun"},
		{report.KindDaily, "2026-12-07 23:00 Mon", "2026-12-06 06:00 Sun", "2026-12-07 06:00 Mon"},
		{report.KindWeekly, "2026-12-07 06:00 Mon", "2026-11-30 06:00 Mon", "2026-12-07 06:00 Mon"},
		{report.KindWeekly, "2026-12-07 05:00 Mon", "2026-11-23 06:00 Mon", "2026-11-30 06:00 Mon"},
		{report.KindWeekly, "2026-12-10 12:00 Thu", "2026-11-30 06:00 Mon", "2026-12-07 06:00 Mon"},
	}
	for _, tc := range tests {
		from, to, err := Due(tc.kind, time.Monday, 6, 0, at(tc.now), kst)
		if err != nil || !from.Equal(at(tc.from)) || !to.Equal(at(tc.to)) {
			t.Errorf("%s at %s: %s – %s (%v), want %s – %s", tc.kind, tc.now, from, to, err, tc.from, tc.to)
		}
	}
}

// mailParts returns a received mail's subject and its attachments by file name.
func mailParts(t *testing.T, raw []byte) (string, map[string][]byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			files[p.FileName()] = b
		}
	}
	return subject, files
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: install poppler-utils (make test-deps)")
	}
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestReportJobMailsTheDemoReport is the acceptance test: the weekly report of the demo
// appliance, queued by the schedule in Korean and requested on demand in English, is
// rendered by report jobs on the real job queue and arrives at a real SMTP server on
// loopback with its PDF and CSV zip intact, byte for byte the files the API serves.
func TestReportJobMailsTheDemoReport(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 30, 0, kst)
	clock := func() time.Time { return now }
	db, cfg := demoStore(t, now)
	sink, rcv := startSMTP(t)
	srv, err := notify.ParseMailURL(rcv)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Options{Now: clock, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "reports")
	svc, err := New(Options{DB: db, Queue: q, Dir: dir, Appliance: "signalcraft-demo", Machines: func() []string { return machineIDs(cfg) },
		Language: "ko", Location: kst, Weekly: &Schedule{Weekday: time.Monday, Hour: 6}, Daily: nil,
		Mail: []NamedMail{{Receiver: rcv.Name, Server: srv}}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = q.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	ids, err := svc.CheckSchedule(ctx, now)
	if err != nil || len(ids) != 1 {
		t.Fatalf("schedule queued %v (%v), want one weekly report", ids, err)
	}
	if again, err := svc.CheckSchedule(ctx, now.Add(time.Minute)); err != nil || len(again) != 0 {
		t.Fatalf("the schedule queued the same week again: %v (%v)", again, err)
	}
	od, err := svc.Request(ctx, Request{Lang: "en", From: now.Add(-7 * 24 * time.Hour), To: now, Email: true, By: "operator-kim"})
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]map[string][]byte{}
	for range 2 {
		select {
		case msg := <-sink.Received():
			s, files := mailParts(t, msg.Data)
			subjects[s] = files
		case <-time.After(2 * time.Minute): // a hang guard, not a speed check
			t.Fatalf("only %d of 2 mails arrived", len(subjects))
		}
	}
	for _, tc := range []struct {
		id      int64
		lang    string
		subject string
		text    []string
		csvHead string
	}{
		{ids[0], "ko", "[SignalCraft] 주간 보고서 signalcraft-demo (2026-11-30 06:00 – 2026-12-07 06:00)",
			[]string{"SignalCraft 설비 상태 보고서", "주간", "Coolant pump 2 (pump-2)", "이벤트 목록 (4)", "operator-kim", "bearing outer 85 %",
				"sim:2: 정상 97.6 %", "주요 이상 상태 silent"},
			"\ufeff설비_ID,이벤트_ID,시작,종료"},
		{od.ID, "en", "[SignalCraft] On-demand report signalcraft-demo (2026-11-30 06:00 – 2026-12-07 06:00)",
			[]string{"SignalCraft condition report", "on demand", "Supply fan 1 (fan-1)", "Conveyor motor 3 (motor-3)", "Events (4)",
				"sim:2: ok 97.6 %", "most often otherwise silent"},
			"\ufeffmachine_id,event_id,start,end"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			rec, err := db.Report(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != store.ReportDone || rec.Lang != tc.lang || len(rec.EmailedTo) != 1 || rec.EmailedTo[0] != "plant-mail" {
				t.Fatalf("record %+v", rec)
			}
			files, ok := subjects[tc.subject]
			if !ok {
				t.Fatalf("no mail with subject %q; got %v", tc.subject, keys(subjects))
			}
			f, _, err := svc.Open(ctx, rec.ID, "pdf")
			if err != nil {
				t.Fatal(err)
			}
			onDisk, _ := io.ReadAll(f)
			f.Close()
			pdf := files[rec.PDFFile]
			if len(pdf) == 0 || !bytes.Equal(pdf, onDisk) || int64(len(pdf)) != rec.PDFBytes {
				t.Fatalf("attached PDF %s: %d bytes, file %d bytes, record %d: not the same", rec.PDFFile, len(pdf), len(onDisk), rec.PDFBytes)
			}
			text := pdfText(t, pdf)
			for _, w := range tc.text {
				if !strings.Contains(text, w) {
					t.Errorf("the mailed PDF lacks %q:\n%s", w, text)
				}
			}
			zipped := files[rec.CSVFile]
			zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
			if err != nil || int64(len(zipped)) != rec.CSVBytes {
				t.Fatalf("attached CSV zip %s (%d bytes, record %d): %v", rec.CSVFile, len(zipped), rec.CSVBytes, err)
			}
			for _, zf := range zr.File {
				if zf.Name != report.CSVEvents {
					continue
				}
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				if !strings.HasPrefix(string(b), tc.csvHead) || strings.Count(string(b), "\r\n") != 5 {
					t.Errorf("events.csv:\n%s", b)
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestReportFailsWithoutFont: a missing font fails the report (not the daemon) with an
// error naming the path, and the job is not retried.
func TestReportFailsWithoutFont(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 30, 0, kst)
	clock := func() time.Time { return now }
	db, _ := demoStore(t, now)
	q, err := jobs.New(db, jobs.Options{Now: clock, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const font = "/nonexistent/NanumGothic.ttf"
	svc, err := New(Options{DB: db, Queue: q, Dir: t.TempDir(), Font: font, Location: kst, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := svc.Request(context.Background(), Request{By: "kim"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := q.Get(context.Background(), rec.JobID)
	if err != nil {
		t.Fatal(err)
	}
	err = svc.handle(context.Background(), j)
	if err == nil || !strings.Contains(err.Error(), font) || !strings.Contains(err.Error(), "fonts-nanum") {
		t.Fatalf("handle: %v, want an error naming %s and fonts-nanum", err, font)
	}
	got, _ := db.Report(context.Background(), rec.ID)
	if got.State != store.ReportFailed || !strings.Contains(got.Error, font) {
		t.Errorf("record %+v", got)
	}
	if _, _, err := svc.Open(context.Background(), rec.ID, "pdf"); err == nil {
		t.Error("a failed report opened")
	}
}

func TestRequestErrors(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 30, 0, kst)
	db, _ := demoStore(t, now)
	q, _ := jobs.New(db, jobs.Options{Now: func() time.Time { return now }})
	svc, err := New(Options{DB: db, Queue: q, Dir: t.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    Request
		want string
	}{
		{"lang", Request{Lang: "de"}, `lang "de"`},
		{"period", Request{From: now, To: now.Add(-time.Hour)}, "to must be after from"},
		{"span", Request{From: now.Add(-100 * 24 * time.Hour), To: now}, "at most 92 days"},
		{"email", Request{Email: true}, "no receiver is configured"},
		{"machine", Request{Machine: "nope"}, `machine "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Request(context.Background(), tc.r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
