package screens

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"signalcraft/appliance/apptest"
	"signalcraft/core/alert"
	"signalcraft/core/api"
	"signalcraft/core/store"
)

// The plant the screens' tests connect to: the real appliance (appliance/apptest) with five
// machines on three simulated microphones, its past written as the appliance would have
// (events, alerts, silences, maintenance windows, rules, receivers). Its clock stands at
// plantNow and does not move unless a test moves it, so nothing is heard: the live updates
// the screens show are canned (liveAt), fed to the UI as a stream would.

// Machine ids of the plant.
const (
	fan      = "fan-1"
	pump     = "pump-2"
	comp     = "compressor-3"
	conveyor = "conveyor-4"
	valve    = "valve-5"
)

// plantNow is the appliance's time when the tests start: the pump has sounded wrong for 25 s.
var plantNow = t0.Add(lastTick * tick)

// tick is the time between two canned live updates of a machine.
const tick = 100 * time.Millisecond

// anomalyTick is the tick from which the pump sounds wrong.
const anomalyTick = 150

// The receivers' and tokens' names of the plant.
const (
	receiverKakao   = "floor-kakao"
	receiverWebhook = "cmms-webhook"
	receiverSMS     = "night-shift-sms"
	receiverMQTT    = "scada-mqtt"
)

// plantYAML is the plant's configuration: its microphones, machines, the webhook receiver
// alerts are routed to, and the appliance's inhibition of a machine's anomaly alerts by its
// sensor alerts.
var plantYAML = fmt.Appendf(nil, `sources:
  - {id: mic-a, kind: simulator, sample_rate: 16000, channels: 2}
  - {id: mic-b, kind: simulator, sample_rate: 16000, channels: 2}
  - {id: mic-c, kind: simulator, sample_rate: 16000, channels: 1}
machines:
  - {id: %s, name: Cooling fan 1, kind: fan, line: Line A, sensor: {source: mic-a, channel: 0},
     detection: {model: mahalanobis, learning: 10m, quantile: 0.99, window: 4s, hop: 1s, pooling: [max, mean], persistence: 3s}}
  - {id: %s, name: Feed pump 2, kind: pump, line: Line A, sensor: {source: mic-a, channel: 1},
     detection: {model: gmm, learning: 15m, quantile: 0.995}}
  - {id: %s, name: Compressor 3, kind: compressor, line: Line B, sensor: {source: mic-b, channel: 0},
     detection: {model: mahalanobis, learning: 30m, quantile: 0.99}}
  - {id: %s, name: Conveyor motor 4, kind: motor, line: Line B, sensor: {source: mic-b, channel: 1},
     detection: {model: knn, learning: 10m, quantile: 0.98}}
  - {id: %s, name: Steam valve 5, kind: valve, line: Line C, sensor: {source: mic-c, channel: 0},
     detection: {model: mahalanobis, learning: 10m, quantile: 0.99}}
receivers:
  - {name: %s, type: webhook, send_resolved: true, webhook: {url: %q}}
alerting:
  route: {receiver: %[6]s, group_by: [machine], group_wait: 0s, group_interval: 1m, repeat_interval: 4h}
  inhibit_rules:
    - {source_matchers: ['category="sensor"'], target_matchers: ['category="anomaly"'], equal: [machine]}
`, fan, pump, comp, conveyor, valve, receiverWebhook, cmmsURL)

// plantRules are the plant's alert rules, as an administrator set them: summaries are
// templates the appliance renders.
func plantRules() []api.AlertRule {
	anomaly, sensor := map[string]string{"category": "anomaly"}, map[string]string{"category": "sensor"}
	return []api.AlertRule{
		{Name: "anomaly_critical", Metric: "anomaly_score", Op: ">", Enter: 1.5, Exit: 1.1, For: "10s", KeepFiringFor: "1m", Severity: api.SeverityCritical, Labels: anomaly,
			Summary: map[string]string{"en": `{{.Machine}} sounds very different from normal ({{printf "%.2f" .Value}}× threshold) — check the machine now`,
				"ko": `{{.Machine}} 소리가 평소와 크게 다릅니다 (임계값의 {{printf "%.2f" .Value}}배) — 지금 설비를 점검하세요`}},
		{Name: "anomaly_warning", Metric: "anomaly_score", Op: ">", Enter: 1, Exit: 0.8, For: "30s", Severity: api.SeverityWarning, Labels: anomaly,
			Summary: map[string]string{"en": "{{.Machine}} sounds different from normal", "ko": "{{.Machine}} 소리가 평소와 다릅니다"}},
		{Name: "microphone_silent", SensorStates: []string{api.SensorSilent}, For: "1m", Severity: api.SeverityWarning, Labels: sensor,
			Summary: map[string]string{"en": "The microphone hears nothing — unplugged or muted?", "ko": "마이크에 소리가 없습니다 — 빠졌거나 음소거되었나요?"}},
		{Name: "sensor_lost", SensorStates: []string{api.SensorLost}, For: "30s", Severity: api.SeverityWarning, Labels: sensor,
			Summary: map[string]string{"en": "The microphone is disconnected", "ko": "마이크 연결이 끊겼습니다"}},
		{Name: "level_low", Metric: "level_dbfs", Op: "<", Enter: -80, Exit: -75, For: "1m", Severity: api.SeverityWarning,
			Summary: map[string]string{"en": "Much quieter than usual — is the machine stopped?", "ko": "평소보다 훨씬 조용합니다 — 설비가 멈췄나요?"}},
	}
}

// plantReceivers are the plant's notification channels.
func plantReceivers() []api.Receiver {
	return []api.Receiver{
		{Name: receiverKakao, Type: "kakao_alimtalk", Lang: "ko", SendResolved: true,
			Settings: map[string]any{"service_id": "ncp:kkobizmsg:kr:2719381:signalcraft", "access_key": "Gk3mT9xQ2wLpR7", "secret_key": "sk3Jx9Qa7Lm2Vb8N",
				"plus_friend_id": "@signalcraft_plant", "template_code": "SC_ALERT_01", "to": []string{"01012345678", "01087654321"}}},
		{Name: receiverWebhook, Type: "webhook", Lang: "en", SendResolved: true,
			Settings: map[string]any{"url": cmmsURL, "secret": "whsec_81ab4f",
				"headers": map[string]string{"X-Plant": "A", "Authorization": "Bearer cmms_7f3e"}}},
		{Name: receiverSMS, Type: "sens_sms", Lang: "ko", SendResolved: false,
			Settings: map[string]any{"service_id": "ncp:sms:kr:1234:signalcraft", "access_key": "Hq8vN2cXe4TzK1", "secret_key": "sk_9f2Lw8Pq",
				"from": "0215881234", "to": []string{"01022223333"}}},
		{Name: receiverMQTT, Type: "mqtt", Lang: "en", SendResolved: true,
			Settings: map[string]any{"broker": "tcp://scada.plant.local:1883", "topic_prefix": "signalcraft", "username": "signalcraft",
				"password": "mq_77", "home_assistant": true}},
	}
}

// plantWindows are the plant's maintenance windows: the valve's line is being overhauled.
func plantWindows() []api.MaintenanceWindow {
	return []api.MaintenanceWindow{
		{Name: "Line C overhaul", Days: []string{}, Start: "00:00", End: "23:59", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: valve}}},
		{Name: "Weekly cleaning", Days: []string{"sat"}, Start: "06:00", End: "10:00", TimeZone: "Asia/Seoul",
			Matchers: []api.Matcher{{Label: "machine", Op: "=~", Value: "fan-.*|pump-.*"}}},
	}
}

// cmms is the plant's maintenance system the webhook receiver posts to (cmmsURL): down
// (503) until a test brings it up; it refuses notifications about the conveyor, which it does
// not know. The package's tests reach it as the HTTP proxy (TestMain), so its URL and the
// appliance's errors naming it are the same in every run.
type cmms struct {
	up       atomic.Bool
	received atomic.Int64
}

func (c *cmms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.received.Add(1)
	body, _ := io.ReadAll(r.Body)
	if bytes.Contains(body, []byte(conveyor)) { // not in the CMMS: retrying cannot help
		http.Error(w, "unknown asset "+conveyor, http.StatusBadRequest)
		return
	}
	if !c.up.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cmmsURL is where the plant's webhook receiver posts.
const cmmsURL = "http://cmms.plant.local/api/hooks/signalcraft"

var theCMMS = &cmms{}

// shared is the plant the read-only tests share (sharedRig): they look, and change nothing
// on the appliance.
var shared *plant

func TestMain(m *testing.M) {
	srv := httptest.NewServer(theCMMS)
	// Plain HTTP to any host but loopback goes to the CMMS: only the webhook sends any.
	os.Setenv("HTTP_PROXY", srv.URL)
	pt := &apptest.ProcessT{Name: "the shared plant"}
	shared = startPlant(pt)
	code := m.Run()
	if pt.Close() && code == 0 {
		code = 1
	}
	srv.Close()
	os.Exit(code)
}

// plant is a running plant.
type plant struct {
	*apptest.Appliance
	cmms      *cmms
	openEvent int64  // the pump's open anomaly event
	fanEvent  int64  // the fan's closed event, acknowledged by kim, a false alarm
	oldEvent  int64  // the pump's closed event of 3 days ago, acknowledged by lee
	silence   string // the conveyor's active silence
	clip      int64  // the clip of the pump's open event
}

// Fingerprints of the plant's alerts, found by rule and machine.
func (p *plant) alert(t *testing.T, rule, machine string) api.Alert {
	t.Helper()
	as, err := p.Admin(t).Alerts(context.Background(), api.AlertFilter{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Rule == rule {
			return a
		}
	}
	t.Fatalf("no %s alert of %s among %+v", rule, machine, as)
	return api.Alert{}
}

// silenceWith returns the appliance's silence with the comment.
func (p *plant) silenceWith(t *testing.T, comment string) api.Silence {
	t.Helper()
	ss, err := p.Admin(t).Silences(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Comment == comment {
			return s
		}
	}
	t.Fatalf("no silence %q among %+v", comment, ss)
	return api.Silence{}
}

// cmmsDown is how the appliance reports a notification the CMMS did not take.
func (p *plant) cmmsDown() string {
	return `notify webhook "cmms-webhook": rejected by receiver: POST ` + cmmsURL + ": HTTP 503: down for maintenance"
}

// settle waits until the appliance's alert engine has ticked on a change (silences take
// effect at its next tick, 250 ms), then reloads the UI's alerts as its Refresh button does.
func (r *rig) settle(t *testing.T) {
	t.Helper()
	muting := func() string {
		as, _ := r.Admin(t).Alerts(context.Background(), api.AlertFilter{})
		var out []string
		for _, a := range as {
			out = append(out, a.Fingerprint+fmt.Sprint(a.MutedBy))
		}
		slices.Sort(out)
		return fmt.Sprint(out)
	}
	before := muting()
	for end := time.Now().Add(2 * time.Second); muting() == before && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	r.ui.loadAlerts()
}

// startPlant runs the plant and writes its past.
func startPlant(t apptest.T) *plant {
	t.Helper()
	p := &plant{cmms: theCMMS}
	p.cmms.up.Store(false)
	p.Appliance = apptest.Start(t, apptest.Options{Start: plantNow, Config: plantYAML})
	ctx := context.Background()
	admin := p.Admin(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v", err)
		}
	}
	_, err := admin.SetRules(ctx, plantRules())
	must(err)
	_, err = admin.SetReceivers(ctx, plantReceivers())
	must(err)
	_, err = admin.SetMaintenance(ctx, plantWindows())
	must(err)

	// Events, as the machines' analysis and the operators left them.
	db := p.DB()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	save := func(e store.Event) int64 {
		t.Helper()
		id, err := db.OpenEvent(ctx, e)
		must(err)
		if e.Diagnosis != nil { // the classifier's verdict comes once the event is open
			e.ID = id
			must(db.SaveEvent(ctx, e))
		}
		if !e.End.IsZero() {
			must(db.CloseEvent(ctx, id, e.End, e.PeakScore))
		}
		return id
	}
	p.oldEvent = save(store.Event{MachineID: pump, Kind: "anomaly", Start: at(-75 * time.Hour), End: at(-75*time.Hour + 40*time.Minute),
		PeakScore: 2.4 * 3.4, Threshold: 3.4})
	must(db.AcknowledgeEventComment(ctx, p.oldEvent, "lee", ""))
	must(db.LabelEventAudited(ctx, p.oldEvent, "bearing"))
	save(store.Event{MachineID: conveyor, Kind: "anomaly", Start: at(-50 * time.Hour), End: at(-50*time.Hour + 12*time.Minute),
		PeakScore: 1.62 * 2.2, Threshold: 2.2, Snapshot: []byte(`{"heard_from":"` + pump + `"}`)})
	p.fanEvent = save(store.Event{MachineID: fan, Kind: "anomaly", Start: at(-26 * time.Hour), End: at(-26*time.Hour + 95*time.Second),
		PeakScore: 1.31 * 3.1, Threshold: 3.1})
	must(db.AcknowledgeEventComment(ctx, p.fanEvent, "kim", "door left open"))
	must(db.LabelEventAudited(ctx, p.fanEvent, api.LabelFalseAlarm))
	p.openEvent = save(store.Event{MachineID: pump, Kind: "anomaly", Start: at(anomalyTick * tick), PeakScore: 2.05 * 3.4, Threshold: 3.4,
		Diagnosis: &store.Diagnosis{Label: "bearing_outer_race", Confidence: 0.87, Model: "rf+svm v2",
			Probs: map[string]float64{"bearing_outer_race": 0.87, "bearing_inner_race": 0.09, "normal": 0.04}}})

	// Alerts, from what the machines observed: the pump sounds wrong since tick 150, the
	// conveyor's microphone has been silent for 3 h (its quiet also reads as an anomaly,
	// which the silence inhibits), the valve's is lost, and the fan sounded different for
	// two minutes 20 minutes ago.
	obs := func(machine string, d time.Duration, state string, vals map[string]float64) {
		p.Observe(alert.Observation{Time: at(d), Machine: machine, SensorState: state, Values: vals})
	}
	score := func(v float64) map[string]float64 { return map[string]float64{"anomaly_score": v} }
	obs(fan, -20*time.Minute, "ok", score(1.31))
	obs(fan, -20*time.Minute+30*time.Second, "ok", score(1.31))
	obs(fan, -18*time.Minute, "ok", score(0.5))
	obs(conveyor, -3*time.Hour, api.SensorSilent, score(1.2))
	obs(conveyor, -3*time.Hour+time.Minute, api.SensorSilent, score(1.2))
	obs(valve, -50*time.Minute, api.SensorLost, nil)
	obs(valve, -50*time.Minute+30*time.Second, api.SensorLost, nil)
	obs(pump, anomalyTick*tick, "ok", score(2.05))
	obs(pump, anomalyTick*tick+10*time.Second, "ok", score(2.05))
	p.Wait(t, "the plant's alerts", func() bool {
		as, err := admin.Alerts(ctx, api.AlertFilter{})
		return err == nil && len(as) >= 5
	})
	sl, err := p.ClientAs(t, "lee", api.RoleOperator).CreateSilence(ctx, api.Silence{Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: conveyor}, {Label: "alertname", Op: "=", Value: "microphone_silent"}},
		StartsAt: at(-2 * time.Hour), EndsAt: at(22 * time.Hour), Comment: "microphone on order, arrives tomorrow"})
	must(err)
	p.silence = sl.ID
	kim := p.ClientAs(t, "kim", api.RoleOperator)
	sl, err = kim.CreateSilence(ctx, api.Silence{Matchers: []api.Matcher{{Label: "machine", Op: "=", Value: fan}},
		StartsAt: at(-30 * time.Hour), EndsAt: at(2 * time.Hour), Comment: "fan cleaning"})
	must(err)
	must(kim.ExpireSilence(ctx, sl.ID)) // the cleaning was over early
	p.seedEvidence(t)
	p.seedModels(t)
	p.Wait(t, "the silence, the window and the inhibition to take effect", func() bool {
		as, err := admin.Alerts(ctx, api.AlertFilter{})
		muted := 0
		for _, a := range as {
			if len(a.MutedBy) > 0 {
				muted++
			}
		}
		return err == nil && muted == 3
	})
	// The job queue delivers the notifications on its own time: the tests see the CMMS's
	// refusal of the conveyor's only once it is recorded.
	p.Wait(t, "the CMMS to refuse the conveyor's notification", func() bool {
		time.Sleep(20 * time.Millisecond)
		js, err := admin.Jobs(ctx, "notify", "dead")
		return err == nil && len(js.Recent) > 0
	})
	return p
}

// seedEvidence writes the plant's recorded past: a week of scores, a clip of the pump's open event (its file
// as the appliance saved it, uploaded), one of its old event whose file was pruned, and the
// pump's and the fan's hourly health (the pump wearing for a day, 96 hours heard; the fan
// steady, 70 hours; the compressor 12 hours).
func (p *plant) seedEvidence(t apptest.T) {
	t.Helper()
	ctx := context.Background()
	db := p.DB()
	path := pump + "/open.wav"
	id := p.AddClip(t, store.Clip{EventID: p.openEvent, MachineID: pump, Path: path, Start: t0.Add(anomalyTick*tick - 10*time.Second),
		Duration: 4 * time.Second, Frames: 4 * 16000, SampleRate: 16000, Channels: 1, Upload: store.UploadPending}, clipWAV())
	p.clip = id
	err := db.SetClipUpload(ctx, id, store.UploadUploaded, "clips/"+path, "")
	if err == nil {
		_, err = db.AddClip(ctx, store.Clip{EventID: p.oldEvent, MachineID: pump, Path: pump + "/old.wav", Start: t0.Add(-75*time.Hour - 10*time.Second),
			Duration: 20 * time.Second, Frames: 20 * 16000, SampleRate: 16000, Channels: 1, Size: 640044, SHA256: fmt.Sprintf("%064x", 14)})
	}
	if err != nil {
		t.Fatalf("%v", err)
	}
	// A week of scores, one window every 2 minutes, but for 4 hours the line stood still
	// (30 to 34 hours ago): the pump's rise over its last 18 hours, the fan steady.
	var scores []store.Score
	for i, id := range []string{fan, pump} {
		thr := []float64{3.1, 3.4}[i]
		for ago := 7 * 24 * time.Hour; ago > 0; ago -= 2 * time.Minute {
			if ago > 30*time.Hour && ago <= 34*time.Hour {
				continue
			}
			hours := 168 - ago.Hours()
			m := 0.4 + 0.06*math.Sin(hours/24*2*math.Pi) + 0.03*math.Sin(hours*1.7) + 0.1*noise(uint64(i), uint64(ago/time.Minute), 3)
			if id == pump {
				m += 0.9 * math.Max(0, hours-150) / 18
			}
			scores = append(scores, store.Score{MachineID: id, Time: plantNow.Add(-ago), Score: m * thr, Smoothed: m * thr, Threshold: thr,
				State: "monitoring", Anomalous: m > 1, LevelDBFS: -36})
		}
	}
	if _, err := db.WriteScores(ctx, scores); err != nil {
		t.Fatalf("%v", err)
	}
	for machine, n := range map[string]int{pump: 96, fan: 70, comp: 12} {
		for i := range n {
			l := 0.02 * (1 + 0.1*(noise(uint64(n), uint64(i), 7)-0.5)) // a healthy level wanders a little
			if machine == pump {
				l *= math.Exp(0.04 * float64(max(0, i-70))) // the pump's wear grows over its last day
			}
			hour := plantNow.Truncate(time.Hour).Add(time.Duration(i-n) * time.Hour)
			if err := db.AddHealth(ctx, store.HealthRecord{MachineID: machine, Hour: hour, Last: hour.Add(59 * time.Minute), Windows: 7200,
				SumSquares: 7200 * l * l, SumKurtosis: 7200 * 3.1, Peak: 4 * l}); err != nil {
				t.Fatalf("%v", err)
			}
		}
	}
}

// The datasets the pump's models were trained on.
const (
	datasetMay  = "3f9a6c01d2e4b5a69788c1d0e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"
	datasetJune = "b71e0c9a5d3f2e1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a"
)

// seedModels writes the model registry as the appliance's learning loop left it: the pump's
// first model (1) was its champion until a retrain (2) passed the gate; a later retrain (3)
// did not and waits as a candidate; its fault classifiers 4 and then 5 were champions. The
// fan has its first model. The models are dated when the appliance made them.
func (p *plant) seedModels(t apptest.T) {
	t.Helper()
	ctx := context.Background()
	db := p.DB()
	f := func(v float64) *float64 { return &v }
	detect := func(dataset string, fa int, det int, trained time.Duration) store.ModelInfo {
		return store.ModelInfo{Dataset: dataset, CodeVersion: "1.10.0", TrainedFor: trained, Metrics: &store.ModelMetrics{TestDataset: dataset,
			NormalHours: 5, FalseAlarms: fa, FalseAlarmsPerHour: float64(fa) / 5, Faults: 6, Detected: det, Recall: f(float64(det) / 6)}}
	}
	diagnose := func(dataset string, windows int, acc, f1 float64, trained time.Duration) store.ModelInfo {
		return store.ModelInfo{Task: store.TaskDiagnose, Dataset: dataset, CodeVersion: "1.10.0", TrainedFor: trained,
			Metrics: &store.ModelMetrics{TestDataset: dataset, Windows: windows, Accuracy: f(acc), MacroF1: f(f1)}}
	}
	var err error
	step := func(fn func() error) {
		if err == nil {
			err = fn()
		}
	}
	candidate := func(kind string, thr float64, info store.ModelInfo, then func(v int64) error) func() error {
		return func() error {
			v, err := db.SaveCandidate(ctx, pump, kind, thr, nil, info, "")
			if err == nil {
				err = then(v)
			}
			return err
		}
	}
	promote := func(reason string) func(int64) error {
		return func(v int64) error { return db.Promote(ctx, pump, v, reason) }
	}
	step(func() error {
		_, err := db.SaveModelInfo(ctx, pump, "gmm", 3.5, nil, "learned on start", store.ModelInfo{})
		return err
	})
	step(candidate("gmm", 3.4, detect(datasetMay, 1, 5, 38*time.Second), promote("gate: recall 0.83 ≥ 0.50, 0.20 false alarms/h")))
	step(candidate("gmm", 3.3, detect(datasetJune, 4, 6, 42*time.Second), func(v int64) error {
		return db.RejectCandidate(ctx, pump, v, "gate: 0.80 false alarms/h > champion's 0.20")
	}))
	step(candidate("rf", 0.38, diagnose(datasetMay, 80, 0.75, 0.71, 4*time.Second),
		promote("first fault classifier: macro-F1 0.71, accuracy 0.75 on 80 held-back windows")))
	step(candidate("svm", 0.41, diagnose(datasetJune, 120, 0.91, 0.89, 6*time.Second),
		promote("better: macro-F1 0.71 → 0.89, accuracy 0.75 → 0.91 on 120 held-back windows")))
	step(func() error {
		_, err := db.SaveModelInfo(ctx, fan, "mahalanobis", 3.1, nil, "learned on start", store.ModelInfo{})
		return err
	})
	// When the appliance made and promoted them (it did so at its time, the store's clock).
	dates := []struct {
		machine           string
		version           int64
		created, promoted time.Duration
	}{
		{pump, 1, -30 * 24 * time.Hour, -30 * 24 * time.Hour}, {pump, 2, -50 * time.Hour, -49 * time.Hour}, {pump, 3, -2 * time.Hour, 0},
		{pump, 4, -26 * time.Hour, -26 * time.Hour}, {pump, 5, -30 * time.Minute, -30 * time.Minute}, {fan, 1, -10 * 24 * time.Hour, -10 * 24 * time.Hour},
	}
	step(func() error {
		return db.Write(ctx, func(tx *sql.Tx) error {
			for _, d := range dates {
				promoted := any(nil)
				if d.promoted != 0 {
					promoted = t0.Add(d.promoted).UnixMilli()
				}
				if _, err := tx.ExecContext(ctx, "UPDATE models SET created_at_ms = ?, promoted_at_ms = ? WHERE machine_id = ? AND version = ?",
					t0.Add(d.created).UnixMilli(), promoted, d.machine, d.version); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatalf("%v", err)
	}
}

// clipWAV is the pump clip's file: 4 s at 16 kHz of a 180 Hz hum with impacts every 0.1 s,
// 16-bit PCM.
func clipWAV() []byte {
	const rate = 16000
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*4*rate))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		le(v)
	}
	b.WriteString("data")
	le(uint32(2 * 4 * rate))
	for i := range 4 * rate {
		t := float64(i) / rate
		v := 0.1 * math.Sin(2*math.Pi*180*t)
		if k := i % (rate / 10); k < 200 {
			v += 0.4 * math.Exp(-float64(k)/40) * math.Sin(2*math.Pi*3100*t)
		}
		le(int16(math.Round(v * 32767)))
	}
	return b.Bytes()
}

// liveAt is the canned live update of machine index i (plant order) at tick k: a pure
// function of (i, k), so goldens are stable. The pump sounds wrong from anomalyTick on, the
// compressor is learning, the conveyor's microphone is silent and the valve's lost.
func liveAt(i int, k uint64) api.Live {
	ids := []string{fan, pump, comp, conveyor, valve}
	thresholds := []float64{3.1, 3.4, 0, 2.2, 2.8}
	l := api.Live{
		MachineID: ids[i], Time: t0.Add(time.Duration(k) * tick).UTC(),
		State: api.StateMonitoring, Progress: 1, Sensor: api.SensorOK, Threshold: thresholds[i],
		SpectrumFMinHz: 50, SpectrumFMaxHz: 8000, Seq: liveSeq + k*5 + uint64(i) + 1,
	}
	spec := make([]float32, 64)
	tones := map[int]float64{}
	base := -62.0
	switch ids[i] {
	case fan:
		tones[14], tones[28] = 22, 12 // blade-pass and its harmonic
	case pump:
		tones[10], tones[20] = 18, 10
		if over := float64(k) - anomalyTick; over >= 0 {
			ramp := math.Min(1, over/60)
			tones[44], tones[51] = 26*ramp, 14*ramp // a bearing tone that was not there
			base += 4 * ramp
		}
	case comp:
		l.State, l.Progress = api.StateLearning, 0.42
		tones[8], tones[16], tones[24] = 20, 14, 8
	case conveyor:
		l.Sensor, base = api.SensorSilent, -95
	case valve:
		l.Sensor, base = api.SensorLost, -120
	}
	l.Score = scoreAt(i, k)
	var sum float64
	for b := range spec {
		v := base - 0.25*float64(b) + 6*noise(uint64(i), k, uint64(100+b))
		for c, a := range tones {
			d := float64(b - c)
			v += a * math.Exp(-d*d/1.5)
		}
		spec[b] = float32(v)
		sum += math.Pow(10, v/10)
	}
	l.Spectrum = spec
	l.LevelDBFS = math.Round(10*math.Log10(sum)*10) / 10
	for j := uint64(0); j < 8 && j <= k; j++ { // smoothed: the mean of the last 8 scores
		l.Smoothed += scoreAt(i, k-j) / 8
	}
	if ids[i] == pump && l.Smoothed > l.Threshold {
		l.State = api.StateAnomaly
	}
	return l
}

// liveSeq is where the canned updates' sequence numbers start: after the appliance's
// snapshot's (numbered from its start time in microseconds), as its stream's would.
const liveSeq = 1 << 62

// scoreAt is the raw score of machine index i at tick k: a multiple of its threshold times
// the threshold.
func scoreAt(i int, k uint64) float64 {
	r := noise(uint64(i), k, 1)
	m := 0.0
	switch i {
	case 0:
		m = 0.45 + 0.12*math.Sin(float64(k)/40) + 0.1*r
	case 1:
		m = 0.5 + 0.1*r
		if over := float64(k) - anomalyTick; over >= 0 {
			m = 0.55 + 1.3*math.Min(1, over/60) + 0.2*math.Sin(float64(k)/9) + 0.15*r
		}
	case 2:
		return 0.3 + 0.1*r
	case 3:
		m = 0.05 * r
	}
	return m * []float64{3.1, 3.4, 1, 2.2, 2.8}[i]
}

// noise returns a deterministic pseudo-random number in [0, 1).
func noise(a, b, c uint64) float64 {
	x := a*0x9e3779b97f4a7c15 ^ b*0xbf58476d1ce4e5b9 ^ c*0x94d049bb133111eb
	x ^= x >> 31
	x *= 0xd6e8feb86d2d4b1b
	x ^= x >> 29
	return float64(x>>11) / (1 << 53)
}
