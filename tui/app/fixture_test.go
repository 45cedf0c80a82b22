package app_test

// The canned wire data of the golden screens that render messages fed straight to the
// client (no server): three machines with two minutes of live updates, events, sensors,
// devices, models, alerting and evidence, all at fixed times relative to Now. It is plain
// data: what the appliance answers is tested against the appliance itself (plant_test.go).

import (
	"fmt"
	"math"
	"time"

	"signalcraft/appliance/apptest"
	"signalcraft/core/api"
)

// Fixture is the canned appliance state.
type Fixture struct {
	Me       api.Identity
	Health   api.Health
	Machines []api.Machine
	Live     []api.Live // latest per machine
	History  []api.Live // older updates, oldest first (for charts)
	Events   []api.Event
	Sensors  []api.Sensor
	Devices  []api.Device
	Models   map[string][]api.Model // newest first, by machine id

	Alerts      []api.Alert // firing first
	Silences    []api.Silence
	Maintenance []api.MaintenanceWindow
	Rules       []api.AlertRule
	Receivers   []api.Receiver            // as an admin reads them
	Deliveries  map[string][]api.Delivery // by alert fingerprint, newest first
	Jobs        api.Jobs

	Clips map[int64][]api.ClipInfo // by event id
}

// Now is the fixture's time: half an hour after the test appliance's epoch.
var Now = apptest.Epoch.Add(30 * time.Minute)

func tp(t time.Time) *time.Time { return &t }

// NewFixture returns three machines — one monitoring, one in anomaly, one
// learning — with two minutes of score history, events, sensors (one
// silent) and two capture devices, all relative to Now.
func NewFixture() Fixture {
	// As the appliance answers them: smoothing 1 and the listening profile of a rotating machine.
	det := func(model string) api.Detection {
		return api.Detection{Model: model, Learning: "10m0s", Quantile: 0.99, Smoothing: 1, Window: "2s", Hop: "500ms",
			Pooling: []string{"mean", "modulation"}, Persistence: "2s"}
	}
	ms := []api.Machine{
		{ID: "fan-1", Name: "Supply fan 1", Kind: "fan", Line: "line-a", Sensor: api.SensorBinding{Source: "mic", Channel: 0}, Detection: det("mahalanobis")},
		{ID: "pump-2", Name: "Coolant pump 2", Kind: "pump", Line: "line-a", Sensor: api.SensorBinding{Source: "mic", Channel: 1}, Detection: det("mahalanobis")},
		{ID: "motor-3", Name: "Conveyor motor 3", Kind: "motor", Line: "line-b", Sensor: api.SensorBinding{Source: "sim", Channel: 0}, Detection: det("gmm")},
	}
	spectrum := func(seed float64) []float32 {
		s := make([]float32, 64)
		for i := range s {
			x := float64(i)
			s[i] = float32(-85 + 30*math.Exp(-math.Pow((x-10-seed)/6, 2)) + 18*math.Exp(-math.Pow((x-38)/3, 2)) + 4*math.Sin(x*0.9+seed))
		}
		return s
	}
	var hist []api.Live
	var latest []api.Live
	for k := 0; k <= 120; k++ { // one update per second for two minutes
		t := Now.Add(time.Duration(k-120) * time.Second)
		x := float64(k)
		fan := 1.2 + 0.4*math.Sin(x/7) + 0.15*math.Sin(x*1.3)
		pump := 1.5 + 0.3*math.Sin(x/5)
		if k > 80 {
			pump = 2 + 2.8*(1-math.Exp(-(x-80)/12)) + 0.3*math.Sin(x)
		}
		motor := 0.8 + 0.5*math.Abs(math.Sin(x/9))
		ls := []api.Live{
			{MachineID: "fan-1", Time: t, State: api.StateMonitoring, Progress: 1, Sensor: api.SensorOK, LevelDBFS: -31.4 + math.Sin(x), Score: fan + 0.2, Smoothed: fan, Threshold: 3.1, Spectrum: spectrum(0), SpectrumFMinHz: 40, SpectrumFMaxHz: 8000},
			{MachineID: "pump-2", Time: t, State: api.StateMonitoring, Progress: 1, Sensor: api.SensorOK, LevelDBFS: -18.2 + math.Sin(x), Score: pump + 0.3, Smoothed: pump, Threshold: 3.4, Spectrum: spectrum(8), SpectrumFMinHz: 40, SpectrumFMaxHz: 8000},
			{MachineID: "motor-3", Time: t, State: api.StateLearning, Progress: 0.45, Sensor: api.SensorSilent, LevelDBFS: -71.0, Score: motor, Smoothed: motor, Threshold: 0, Spectrum: spectrum(20), SpectrumFMinHz: 40, SpectrumFMaxHz: 8000},
		}
		if k > 92 {
			ls[1].State = api.StateAnomaly
			ls[1].OpenEvent = 7
		}
		if k == 120 {
			latest = ls
		} else {
			hist = append(hist, ls...)
		}
	}
	events := []api.Event{
		{ID: 7, MachineID: "pump-2", Kind: "anomaly", Start: Now.Add(-28 * time.Second), PeakScore: 4.82, Threshold: 3.4,
			Diagnosis: &api.Diagnosis{Label: "bearing_outer_race", Confidence: 0.87, Model: "rf+svm v2",
				Probs: map[string]float64{"bearing_outer_race": 0.87, "bearing_inner_race": 0.09, "normal": 0.04}}},
		{ID: 6, MachineID: "fan-1", Kind: "anomaly", Start: Now.Add(-47 * time.Minute), End: tp(Now.Add(-45 * time.Minute)), PeakScore: 3.9, Threshold: 3.1,
			HeardFrom: "pump-2"},
		{ID: 5, MachineID: "pump-2", Kind: "anomaly", Start: Now.Add(-3 * time.Hour), End: tp(Now.Add(-3*time.Hour + 90*time.Second)), PeakScore: 4.1, Threshold: 3.4,
			AcknowledgedBy: "anna", AcknowledgedAt: tp(Now.Add(-2 * time.Hour)), AckComment: "bearing noise, greased", Label: "bearing"},
		{ID: 4, MachineID: "fan-1", Kind: "anomaly", Start: Now.Add(-26 * time.Hour), End: tp(Now.Add(-26*time.Hour + 40*time.Second)), PeakScore: 3.3, Threshold: 3.1,
			AcknowledgedBy: "ben", AcknowledgedAt: tp(Now.Add(-25 * time.Hour)), Label: api.LabelFalseAlarm},
	}
	sensors := []api.Sensor{
		{ID: "mic/0", MachineID: "fan-1", Device: "USB Audio CODEC: Audio (hw:1,0)", Channel: 0, SampleRate: 16000, State: api.SensorOK, StateSince: Now.Add(-5 * time.Hour), Reconnects: 1},
		{ID: "mic/1", MachineID: "pump-2", Device: "USB Audio CODEC: Audio (hw:1,0)", Channel: 1, SampleRate: 16000, State: api.SensorOK, StateSince: Now.Add(-5 * time.Hour), Reconnects: 1, Overruns: 3},
		{ID: "sim/0", MachineID: "motor-3", Device: "simulator", Channel: 0, SampleRate: 16000, State: api.SensorSilent, StateSince: Now.Add(-4 * time.Minute), Detail: "level below -70 dBFS"},
	}
	devices := []api.Device{
		{Name: "USB Audio CODEC: Audio (hw:1,0)", HostAPI: "ALSA", MaxInputChannels: 2, DefaultSampleRate: 48000, SupportedRates: []int{16000, 44100, 48000}},
		{Name: "pulse", HostAPI: "ALSA", MaxInputChannels: 32, DefaultSampleRate: 44100, SupportedRates: []int{16000, 44100, 48000}},
	}
	f := Fixture{
		Me:       api.Identity{Actor: "tech-anna", Role: api.RoleOperator},
		Health:   api.Health{Status: "ok", APIVersion: api.Version, Time: Now, StartedAt: Now.Add(-5 * time.Hour), Machines: 3},
		Machines: ms, Live: latest, History: hist, Events: events, Sensors: sensors, Devices: devices,
		Models: fixtureModels(),
	}
	addAlerting(&f)
	f.Clips = map[int64][]api.ClipInfo{
		7: {{ID: 12, EventID: 7, MachineID: "pump-2", Start: Now.Add(-38 * time.Second), DurationMS: 20000, SampleRate: 16000,
			Channels: 1, Format: "wav-pcm16", Size: 640044, SHA256: fmt.Sprintf("%064x", 12), Upload: "uploaded", Uploaded: true, Available: true}},
		5: {{ID: 9, EventID: 5, MachineID: "pump-2", Start: Now.Add(-3*time.Hour - 10*time.Second), DurationMS: 20000, SampleRate: 16000,
			Channels: 1, Format: "wav-pcm16", Size: 640044, SHA256: fmt.Sprintf("%064x", 9), Upload: "none", Available: false}},
	}
	return f
}

// Fingerprints of the fixture's alerts.
const (
	FPPumpScore   = "a1f0c2d4e5b6a7c8" // pump-2, critical, firing
	FPMotorSilent = "b2e1d3c5f4a6b8c9" // motor-3, warning, firing, silenced by s-1
	FPMotorLevel  = "c3d2e4f6a5b7c9d0" // motor-3, warning, firing, inhibited by motor-3's sensor alert
	FPPumpLevel   = "d4c3f5a7b6c8d0e1" // pump-2, warning, pending
	FPFanScore    = "e5f4a6b8c7d9e1f2" // fan-1, warning, resolved and acknowledged
)

// addAlerting fills f's alerting part: five alerts (one critical firing, one silenced, one
// inhibited, one pending, one resolved), three silences, two maintenance windows, three
// rules, three receivers, the first alert's deliveries and a job queue with a dead job.
func addAlerting(f *Fixture) {
	labels := func(rule, machine, line, sev string) map[string]string {
		return map[string]string{"alertname": rule, "machine": machine, "line": line, "severity": sev}
	}
	f.Alerts = []api.Alert{
		{Fingerprint: FPPumpScore, Rule: "PumpHighScore", MachineID: "pump-2", Severity: api.SeverityCritical, State: api.AlertFiring,
			Value: 1.43, Labels: labels("PumpHighScore", "pump-2", "line-a", api.SeverityCritical),
			Summary: "pump-2: anomaly score 1.43× the threshold", ActiveAt: Now.Add(-28 * time.Second), FiredAt: tp(Now.Add(-18 * time.Second))},
		{Fingerprint: FPMotorSilent, Rule: "SensorSilent", MachineID: "motor-3", Severity: api.SeverityWarning, State: api.AlertFiring,
			Value: 0, Labels: labels("SensorSilent", "motor-3", "line-b", api.SeverityWarning), Silenced: true, MutedBy: []string{"silence:s-1"},
			Summary: "Conveyor motor 3: sensor silent", ActiveAt: Now.Add(-4 * time.Minute), FiredAt: tp(Now.Add(-3 * time.Minute))},
		{Fingerprint: FPMotorLevel, Rule: "LevelLow", MachineID: "motor-3", Severity: api.SeverityWarning, State: api.AlertFiring,
			Value: -71.0, Labels: labels("LevelLow", "motor-3", "line-b", api.SeverityWarning), Inhibited: true, MutedBy: []string{"inhibited"},
			Summary: "Conveyor motor 3: level -71.0 dBFS below -60", ActiveAt: Now.Add(-4 * time.Minute), FiredAt: tp(Now.Add(-2 * time.Minute))},
		{Fingerprint: FPPumpLevel, Rule: "LevelHigh", MachineID: "pump-2", Severity: api.SeverityWarning, State: api.AlertPending,
			Value: -17.6, Labels: labels("LevelHigh", "pump-2", "line-a", api.SeverityWarning),
			Summary: "Coolant pump 2: level -17.6 dBFS above -20", ActiveAt: Now.Add(-10 * time.Second)},
		{Fingerprint: FPFanScore, Rule: "FanHighScore", MachineID: "fan-1", Severity: api.SeverityWarning, State: api.AlertResolved,
			Value: 1.26, Labels: labels("FanHighScore", "fan-1", "line-a", api.SeverityWarning),
			Summary: "fan-1: anomaly score 1.26× the threshold", ActiveAt: Now.Add(-47 * time.Minute), FiredAt: tp(Now.Add(-46 * time.Minute)),
			ResolvedAt: tp(Now.Add(-45 * time.Minute)), AcknowledgedBy: "ben", AcknowledgedAt: tp(Now.Add(-44 * time.Minute)), AckComment: "filter swapped"},
	}
	f.Silences = []api.Silence{
		{ID: "s-1", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "motor-3"}, {Label: "alertname", Op: "=~", Value: "Sensor.*"}},
			StartsAt: Now.Add(-time.Hour), EndsAt: Now.Add(2 * time.Hour), CreatedBy: "tech-anna", Comment: "microphone being rewired", State: "active"},
		{ID: "s-2", Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-b"}},
			StartsAt: Now.Add(20 * time.Hour), EndsAt: Now.Add(22 * time.Hour), CreatedBy: "ben", Comment: "line B shutdown", State: "pending"},
		{ID: "s-3", Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "fan-1"}},
			StartsAt: Now.Add(-26 * time.Hour), EndsAt: Now.Add(-24 * time.Hour), CreatedBy: "ben", Comment: "fan belt change", State: "expired"},
	}
	f.Maintenance = []api.MaintenanceWindow{
		{Name: "weekly-cleaning", Days: []string{"sat"}, Start: "06:00", End: "08:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "line", Op: "=", Value: "line-a"}}},
		{Name: "night-fan-off", Days: []string{}, Start: "22:00", End: "06:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: "fan-1"}, {Label: "severity", Op: "=", Value: "warning"}}},
	}
	f.Rules = []api.AlertRule{
		{Name: "PumpHighScore", Metric: "anomaly_score", Op: ">", Enter: 1.4, Exit: 1.2, For: "10s", KeepFiringFor: "1m", Severity: api.SeverityCritical,
			Labels:  map[string]string{"team": "maintenance"},
			Summary: map[string]string{"en": "{{.Machine}}: anomaly score {{printf \"%.2f\" .Value}}× the threshold", "ko": "{{.Machine}} 이상음 감지"}},
		{Name: "SensorSilent", SensorStates: []string{api.SensorSilent, api.SensorLost}, For: "1m", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "Sensor {{.Sensor}} of {{.Machine}} is silent", "ko": "{{.Machine}} 센서 {{.Sensor}} 무음"}},
		{Name: "LevelLow", Metric: "level_dbfs", Op: "<", Enter: -60, Exit: -55, For: "1m", Severity: api.SeverityWarning},
	}
	f.Receivers = []api.Receiver{
		{Name: "ops-mail", Type: "shoutrrr", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "smtp://alerts:m41l-s3cret@mail.plant.local:587/?from=alerts@plant.local&to=ops@plant.local"}},
		{Name: "night-kakao", Type: "kakao_alimtalk", Lang: "ko", SendResolved: false,
			Settings: map[string]any{"service_id": "ncp:kkobizmsg:kr:2931", "access_key": "AKIA9F8E7D", "secret_key": "sk-1a2b3c",
				"plus_friend_id": "@plant-ops", "template_code": "SC_ALERT_01", "to": []any{"01012345678"}, "rate_limit": float64(6)}},
		{Name: "scada-hook", Type: "webhook", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": "https://scada.plant.local/hook", "secret": "hmac-77aa"}},
	}
	f.Deliveries = map[string][]api.Delivery{
		FPPumpScore: {
			{JobID: 43, Receiver: "scada-hook", Kind: "firing", State: "dead", Attempts: 5, CreatedAt: Now.Add(-18 * time.Second),
				LastError: "webhook: dial tcp 10.0.0.9:443: connect: connection refused"},
			{JobID: 42, Receiver: "night-kakao", Kind: "firing", State: "failed", Attempts: 2, CreatedAt: Now.Add(-18 * time.Second),
				LastError: "alimtalk: 401 invalid app key"},
			{JobID: 41, Receiver: "ops-mail", Kind: "firing", State: "done", Attempts: 1, CreatedAt: Now.Add(-18 * time.Second), DoneAt: tp(Now.Add(-17 * time.Second))},
		},
		FPFanScore: {
			{JobID: 31, Receiver: "ops-mail", Kind: "resolved", State: "done", Attempts: 1, CreatedAt: Now.Add(-45 * time.Minute), DoneAt: tp(Now.Add(-45 * time.Minute))},
			{JobID: 30, Receiver: "ops-mail", Kind: "firing", State: "done", Attempts: 1, CreatedAt: Now.Add(-46 * time.Minute), DoneAt: tp(Now.Add(-46 * time.Minute))},
		},
	}
	f.Jobs = api.Jobs{
		Stats: []api.JobStats{
			{Kind: "notify", Queued: 1, Failed: 1, Dead: 1, Done: 37, LastError: "alimtalk: 401 invalid app key", LastErrorAt: tp(Now.Add(-9 * time.Second)), OldestQueue: 12},
			{Kind: "retention", Running: 1, Done: 5},
			{Kind: "report", Done: 2},
		},
		Recent: []api.Job{
			{ID: 44, Kind: "notify", State: "queued", RunAt: Now.Add(3 * time.Second), CreatedAt: Now.Add(-12 * time.Second)},
			{ID: 43, Kind: "notify", State: "dead", Attempts: 5, LastError: "webhook: dial tcp 10.0.0.9:443: connect: connection refused",
				RunAt: Now.Add(-2 * time.Second), CreatedAt: Now.Add(-18 * time.Second)},
			{ID: 42, Kind: "notify", State: "failed", Attempts: 2, LastError: "alimtalk: 401 invalid app key", RunAt: Now.Add(21 * time.Second), CreatedAt: Now.Add(-18 * time.Second)},
			{ID: 41, Kind: "notify", State: "done", Attempts: 1, RunAt: Now.Add(-18 * time.Second), CreatedAt: Now.Add(-18 * time.Second)},
			{ID: 40, Kind: "retention", State: "running", Attempts: 1, RunAt: Now.Add(-5 * time.Second), CreatedAt: Now.Add(-5 * time.Second)},
			{ID: 31, Kind: "notify", State: "done", Attempts: 1, RunAt: Now.Add(-45 * time.Minute), CreatedAt: Now.Add(-45 * time.Minute)},
		},
	}
}

// FixtureSpectrogram is a clip's spectrogram with columns columns of 64 bands: a hum in the
// low bands all along, and bearing impacts (broadband, loudest high up) every 8 columns
// that grow louder over the clip.
func FixtureSpectrogram(clipID int64, columns int) api.Spectrogram {
	const bands = 64
	s := api.Spectrogram{ClipID: clipID, SampleRate: 16000, Columns: columns, Bands: bands, ColumnMS: 20000 / float64(columns),
		FMaxHz: 8000, FloorDB: -100, TopDB: -20, Levels: make([]byte, columns*bands), BandHz: make([]float64, bands)}
	for b := range bands {
		s.BandHz[b] = 8000 * float64(b+1) / (bands + 1)
	}
	for c := range columns {
		impact := c%8 == 0
		grow := float64(c) / float64(columns)
		for b := range bands {
			x := float64(b)
			v := 60 + 120*math.Exp(-math.Pow((x-6)/2.5, 2)) + 40*math.Exp(-math.Pow((x-30)/2, 2)) - 0.6*x
			if impact {
				v += (90 + 80*grow) * (0.4 + 0.6*x/bands)
			}
			s.Levels[c*bands+b] = byte(min(max(v, 0), 255))
		}
	}
	return s
}

// FixtureHistory is a machine's score history over span ending at Now, in at most points
// steps at the resolution the appliance would choose: a slow rise with a daily rhythm, and
// nothing heard from 30 to 34 hours ago (a stopped line).
func FixtureHistory(machine string, thr float64, span time.Duration, points int) api.ScoreHistory {
	res := api.HistoryResolution(span)
	unit := map[string]time.Duration{api.ResolutionRaw: time.Second, api.Resolution1m: time.Minute, api.Resolution1h: time.Hour}[res]
	step := max(unit, (span/time.Duration(points)+unit-1)/unit*unit)
	from := Now.Add(-span).Truncate(step)
	n := int((Now.Sub(from) + step - 1) / step)
	h := api.ScoreHistory{MachineID: machine, From: from, To: from.Add(time.Duration(n) * step), Resolution: res,
		Step: step.String(), StepMS: step.Milliseconds(), Threshold: thr}
	for i := range n {
		t := from.Add(time.Duration(i) * step)
		b := api.HistoryBucket{Start: t}
		ago := Now.Sub(t)
		if ago <= 30*time.Hour || ago > 34*time.Hour {
			hours := t.Sub(Now.Add(-7 * 24 * time.Hour)).Hours()
			base := thr * (0.35 + 0.05*math.Sin(hours/24*2*math.Pi) + 0.5*math.Max(0, hours-140)/28)
			if machine == "pump-2" && ago < 2*time.Minute {
				base = thr * 1.3
			}
			lo := base * 0.8
			b.N, b.Mean, b.Max, b.Min = int64(step/time.Second*2), base, base*1.4, &lo
			if b.Max > thr {
				b.Anomalous = b.N / 5
			}
		}
		h.Buckets = append(h.Buckets, b)
	}
	return h
}

// FixtureHealth is a machine's health: pump-2 has been degrading for a day with a confident
// remaining-life estimate, fan-1 is healthy, the others are learning their baseline.
func FixtureHealth(machine string) api.MachineHealth {
	h := api.MachineHealth{MachineID: machine, State: api.HealthLearning, Points: []api.HealthPoint{}}
	level := func(hours int) float64 { return 0.02 * (1 + 0.05*float64(max(0, hours-70))) }
	n := 0
	switch machine {
	case "pump-2":
		n = 96
	case "fan-1":
		n = 70
	default:
		n = 12
	}
	for i := range n {
		l := level(i)
		h.Points = append(h.Points, api.HealthPoint{Hour: Now.Truncate(time.Hour).Add(time.Duration(i-n) * time.Hour), Windows: 7200,
			RMS: l, Smoothed: l, Kurtosis: 3.1, Peak: 4 * l})
	}
	if n >= 60 {
		h.State, h.Baseline, h.FailureLevel = api.HealthHealthy, 0.02, 0.126
	}
	if machine == "pump-2" {
		alarm, onset := Now.Add(-22*time.Hour), Now.Add(-26*time.Hour)
		hi := 52.0
		h.State, h.Alarm, h.Onset = api.HealthDegrading, &alarm, &onset
		h.RUL = &api.RUL{At: Now, Hours: 31, LowHours: 19, HighHours: &hi, Confident: true, Text: "about 31 h (range 19–52 h)"}
	}
	return h
}

func fp(v float64) *float64 { return &v }

// fixtureModels is pump-2's registry: a rejected candidate, the champion and two retired
// models (one rolled back), and fan-1's single learned model.
func fixtureModels() map[string][]api.Model {
	ds1, ds2 := "3f1c9a7be2d45810c6a7f0e9b2d4c18a", "a9e2c4f07d1b3e5a8c6f9d2b4e7a1c3f"
	return map[string][]api.Model{
		"pump-2": {
			{MachineID: "pump-2", Version: 5, Task: api.TaskDiagnose, Kind: "svm", CreatedAt: Now.Add(-20 * time.Minute), Threshold: 0.41,
				Active: true, State: api.ModelActive, Stage: api.StageChampion, Dataset: ds2, CodeVersion: "1.5.0", TrainedSeconds: 6,
				PromotedAt: tp(Now.Add(-20 * time.Minute)), Metrics: &api.ModelMetrics{TestDataset: ds2, Windows: 120, Accuracy: fp(0.91), MacroF1: fp(0.89)},
				Reason: "first fault classifier: macro-F1 0.890, accuracy 0.910 on 120 held-back windows"},
			{MachineID: "pump-2", Version: 4, Kind: "mahalanobis", CreatedAt: Now.Add(-40 * time.Minute), Threshold: 3.3, State: api.ModelCandidate,
				Stage: api.StageCandidate, Dataset: ds2, CodeVersion: "1.5.0", TrainedSeconds: 41,
				Metrics: &api.ModelMetrics{TestDataset: ds2, NormalHours: 2.5, FalseAlarms: 1, FalseAlarmsPerHour: 0.4, Faults: 6, Detected: 3, Recall: fp(0.5)},
				Reason:  "recall 0.50 < champion's 0.83"},
			{MachineID: "pump-2", Version: 3, Kind: "mahalanobis", CreatedAt: Now.Add(-26 * time.Hour), Threshold: 3.4, Active: true, State: api.ModelActive,
				Stage: api.StageChampion, Dataset: ds1, CodeVersion: "1.5.0", TrainedSeconds: 38, PromotedAt: tp(Now.Add(-26 * time.Hour)),
				Metrics: &api.ModelMetrics{TestDataset: ds1, NormalHours: 2, FalseAlarms: 1, FalseAlarmsPerHour: 0.5, Faults: 6, Detected: 5, Recall: fp(0.83)},
				Reason:  "false alarms 0.50/h < 2.00/h, recall equal"},
			{MachineID: "pump-2", Version: 2, Kind: "mahalanobis", CreatedAt: Now.Add(-72 * time.Hour), Threshold: 3.1, State: api.ModelRetired,
				Stage: api.StageRetired, Dataset: ds1, PromotedAt: tp(Now.Add(-72 * time.Hour)), RolledBackAt: tp(Now.Add(-50 * time.Hour)),
				Metrics: &api.ModelMetrics{NormalHours: 2, FalseAlarms: 4, FalseAlarmsPerHour: 2},
				Reason:  "rolled back: alarms every shift change"},
			{MachineID: "pump-2", Version: 1, Kind: "mahalanobis", CreatedAt: Now.Add(-9 * 24 * time.Hour), Threshold: 3.6, State: api.ModelRetired,
				Stage: api.StageRetired, PromotedAt: tp(Now.Add(-9 * 24 * time.Hour)), Note: "learned after installation"},
		},
		"fan-1": {
			{MachineID: "fan-1", Version: 1, Kind: "mahalanobis", CreatedAt: Now.Add(-5 * time.Hour), Threshold: 3.1, Active: true, State: api.ModelActive,
				Stage: api.StageChampion, PromotedAt: tp(Now.Add(-5 * time.Hour)), Note: "learned"},
		},
	}
}
