package report

import (
	"fmt"
	"math"
	"time"
)

// kst is the demo appliance's time zone; a fixed zone keeps the goldens independent of tzdata.
var kst = time.FixedZone("KST", 9*3600)

// demoData is a weekly report of the demo appliance (appliance/config/demo.yaml: a fan, a
// pump that develops a bearing fault, a motor), with every optional section filled, as the
// health and correlation work will fill them.
func demoData() *Data {
	to := time.Date(2026, 12, 7, 6, 0, 0, 0, kst)
	from := to.Add(-7 * 24 * time.Hour)
	d := &Data{Appliance: "signalcraft-demo", Kind: KindWeekly, From: from, To: to,
		Generated: to.Add(2 * time.Minute), Location: kst}
	trend := func(base, growth float64, phase float64) []TrendPoint {
		var out []TrendPoint
		for h := 0; h < 7*24; h++ {
			t := from.Add(time.Duration(h) * time.Hour)
			day := math.Sin(2*math.Pi*float64(h)/24 + phase)
			mean := base*(1+0.15*day) + growth*math.Pow(float64(h)/168, 3)
			out = append(out, TrendPoint{Time: t, Windows: 7200, Mean: mean, Max: mean * (1.6 + 0.2*math.Cos(float64(h))),
				Anomalous: int64(max(0, (mean*1.6-1)*400))})
		}
		return out
	}
	fan := Machine{ID: "fan-1", Name: "Supply fan 1", Kind: "fan", Threshold: 1, Resolution: time.Hour,
		Trend:   trend(0.35, 0, 0),
		Sensors: []SensorAvailability{{ID: "sim:0", OK: 1, Observed: 1}},
		Events: []Event{{ID: 11, Start: from.Add(30*time.Hour + 12*time.Minute), End: from.Add(30*time.Hour + 14*time.Minute + 30*time.Second),
			Peak: 1.18, Acknowledged: true, AcknowledgedBy: "kim", Label: "false_alarm",
			Diagnosis: &Diagnosis{Label: "normal", Confidence: 0.91, Model: "rf+svm v2"}}},
	}
	pump := Machine{ID: "pump-2", Name: "Coolant pump 2", Kind: "pump", Threshold: 2.5, Resolution: time.Hour,
		Trend:   trend(0.9, 3.2, 1),
		Sensors: []SensorAvailability{{ID: "sim:1", OK: 0.9762, Observed: 1, Worst: "clipping"}},
		Health: &Health{Indicator: "envelope energy at BPFO (dB over baseline)", Alarm: 6,
			RUL: &RUL{Hours: 72, Low: 48, High: 110, Confident: true, Model: "exponential degradation, particle filter (500 particles)"}},
	}
	for h := 0; h < 7*24; h += 6 {
		x := float64(h) / 168
		pump.Health.Points = append(pump.Health.Points, HealthPoint{Time: from.Add(time.Duration(h) * time.Hour),
			Value: 0.5 + 9*x*x*x + 0.3*math.Sin(float64(h))})
	}
	labels := []string{"", "bearing_outer", "", "bearing_outer", ""}
	for i := range 5 {
		start := from.Add(time.Duration(120+i*10) * time.Hour).Add(time.Duration(i*7) * time.Minute)
		e := Event{ID: int64(20 + i), Start: start, End: start.Add(time.Duration(4+i*9) * time.Minute),
			Peak: 1.3 + 0.45*float64(i), Acknowledged: i < 3, Label: labels[i],
			Diagnosis: &Diagnosis{Label: "bearing_outer", Confidence: 0.62 + 0.07*float64(i), Model: "rf+svm v3"}}
		if i < 3 {
			e.AcknowledgedBy = fmt.Sprintf("operator-%d", i+1)
		}
		if i == 4 { // still open at the end of the period
			e.End = time.Time{}
			e.Diagnosis = &Diagnosis{Label: "unknown", Confidence: 0.41, Model: "rf+svm v3"}
		}
		pump.Events = append(pump.Events, e)
	}
	motor := Machine{ID: "motor-3", Name: "Conveyor motor 3", Kind: "motor", Threshold: 4.1, Resolution: time.Hour,
		Trend:   trend(1.2, 0, 2),
		Sensors: []SensorAvailability{{ID: "sim:2", OK: 0.8810, Observed: 0.9524, Worst: "silent"}},
		Health:  &Health{Indicator: "anomaly score level", RUL: &RUL{Confident: false}},
	}
	d.Machines = []Machine{fan, pump, motor}
	d.Correlations = []Correlation{
		{A: "fan-1", B: "pump-2", Signal: "score", Lag: 0, Coefficient: 0.21, Note: ""},
		{A: "pump-2", B: "motor-3", Signal: "band 2–4 kHz", Lag: 1500 * time.Millisecond, Coefficient: 0.83, Note: "attributed to pump-2"},
	}
	return d
}

// plainData is a daily report without the optional sections.
func plainData() *Data {
	d := demoData()
	d.Kind = KindDaily
	d.From = d.To.Add(-24 * time.Hour)
	d.Correlations = nil
	for i := range d.Machines {
		m := &d.Machines[i]
		m.Health = nil
		var tr []TrendPoint
		for _, p := range m.Trend {
			if !p.Time.Before(d.From) {
				tr = append(tr, p)
			}
		}
		m.Trend = tr
		var ev []Event
		for _, e := range m.Events {
			if e.End.IsZero() || e.End.After(d.From) {
				ev = append(ev, e)
			}
		}
		m.Events = ev
	}
	return d
}
