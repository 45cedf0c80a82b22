package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSV files in the zip WriteCSV writes, in order; health.csv and correlations.csv only when
// the report has those sections.
const (
	CSVSummary      = "summary.csv"
	CSVEvents       = "events.csv"
	CSVTrend        = "trend.csv"
	CSVSensors      = "sensors.csv"
	CSVHealth       = "health.csv"
	CSVCorrelations = "correlations.csv"
)

// bom starts every CSV file: spreadsheet programs read UTF-8 (Hangul) only with it.
const bom = "\ufeff"

// WriteCSV writes d as a zip of CSV files in lang to w. Column names are in lang; values
// are language-neutral (RFC 3339 times with the report's offset, decimal points,
// durations in seconds) so that a script reads both languages alike.
func WriteCSV(w io.Writer, d *Data, lang string) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	wd, err := wordsFor(lang)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tables, err := csvTables(d, wd)
	if err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	zw := zip.NewWriter(w)
	for _, t := range tables {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: t.name, Method: zip.Deflate, Modified: d.Generated.UTC()})
		if err != nil {
			return fmt.Errorf("report: csv: %w", err)
		}
		if _, err := f.Write(t.data); err != nil {
			return fmt.Errorf("report: csv: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

type csvTable struct {
	name string
	data []byte
}

func csvTables(d *Data, w words) ([]csvTable, error) {
	loc := d.loc()
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	ratio := func(x, thr float64) string {
		if thr <= 0 {
			return ""
		}
		return num(x / thr)
	}
	var out []csvTable
	add := func(name string, header []string, rows [][]string) error {
		var b bytes.Buffer
		b.WriteString(bom)
		cw := csv.NewWriter(&b)
		cw.UseCRLF = true // RFC 4180, and what spreadsheet programs expect
		if err := cw.Write(header); err != nil {
			return err
		}
		if err := cw.WriteAll(rows); err != nil {
			return err
		}
		out = append(out, csvTable{name, b.Bytes()})
		return nil
	}
	var sum, ev, tr, se, he [][]string
	hasHealth := false
	for i := range d.Machines {
		m := &d.Machines[i]
		s := summarize(d, m)
		rul := []string{"", "", ""}
		if m.Health != nil && m.Health.RUL != nil && m.Health.RUL.Confident {
			r := m.Health.RUL
			rul = []string{num(r.Hours), num(r.Low), num(r.High)}
		}
		ok := ""
		if s.sensorsOK >= 0 {
			ok = num(s.sensorsOK)
		}
		peak := ""
		if s.maxPeak > 0 {
			peak = num(s.maxPeak)
		}
		sum = append(sum, append([]string{m.ID, m.Name, m.Kind, num(m.Threshold), strconv.Itoa(s.events),
			strconv.FormatFloat(s.anomalous.Seconds(), 'f', 0, 64), strconv.Itoa(s.unacked), peak, ok}, rul...))
		for _, e := range m.Events {
			var dl, dc, dm string
			if e.Diagnosis != nil {
				dl, dc, dm = e.Diagnosis.Label, num(e.Diagnosis.Confidence), e.Diagnosis.Model
			}
			ack := "false"
			if e.Acknowledged {
				ack = "true"
			}
			ev = append(ev, []string{m.ID, strconv.FormatInt(e.ID, 10), ts(e.Start), ts(e.End),
				strconv.FormatFloat(e.Duration(d.From, d.To).Seconds(), 'f', 0, 64), num(e.Peak), ack, e.AcknowledgedBy,
				e.Label, dl, dc, dm})
		}
		for _, p := range m.Trend {
			tr = append(tr, []string{m.ID, ts(p.Time), strconv.FormatInt(p.Windows, 10), num(p.Mean), num(p.Max),
				ratio(p.Mean, m.Threshold), ratio(p.Max, m.Threshold), strconv.FormatInt(p.Anomalous, 10)})
		}
		for _, a := range m.Sensors {
			se = append(se, []string{m.ID, a.ID, num(a.OK), num(a.Observed), a.Worst})
		}
		if m.Health != nil {
			hasHealth = true
			for _, p := range m.Health.Points {
				he = append(he, []string{m.ID, ts(p.Time), num(p.Value)})
			}
		}
	}
	steps := []func() error{
		func() error {
			return add(CSVSummary, w.header("machine_id", "name", "kind", "threshold", "events", "anomalous_s",
				"unacknowledged", "max_peak_x_threshold", "sensors_ok", "rul_hours", "rul_low_hours", "rul_high_hours"), sum)
		},
		func() error {
			return add(CSVEvents, w.header("machine_id", "event_id", "start", "end", "duration_s", "peak_x_threshold",
				"acknowledged", "acknowledged_by", "label", "diagnosis", "diagnosis_confidence", "diagnosis_model"), ev)
		},
		func() error {
			return add(CSVTrend, w.header("machine_id", "bucket_start", "windows", "mean_score", "max_score",
				"mean_x_threshold", "max_x_threshold", "anomalous_windows"), tr)
		},
		func() error {
			return add(CSVSensors, w.header("machine_id", "sensor_id", "ok", "observed", "worst_state"), se)
		},
	}
	if hasHealth {
		steps = append(steps, func() error {
			return add(CSVHealth, w.header("machine_id", "time", "value"), he)
		})
	}
	if d.Correlations != nil {
		var co [][]string
		for _, c := range d.Correlations {
			co = append(co, []string{c.A, c.B, c.Signal, strconv.FormatFloat(c.Lag.Seconds(), 'f', 3, 64),
				num(c.Coefficient), c.Note})
		}
		steps = append(steps, func() error {
			return add(CSVCorrelations, w.header("a", "b", "signal", "lag_s", "coefficient", "note"), co)
		})
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
