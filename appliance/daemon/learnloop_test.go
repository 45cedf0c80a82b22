package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/objects"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/replicate/s3test"
	"signalcraft/core/dataset"
	"signalcraft/core/jobs"
	"signalcraft/core/shareddata"
	"signalcraft/core/store"
	"signalcraft/core/truth"
	"signalcraft/core/wav"
)

// loopConfig is one machine replaying path as fast as possible, with the learning loop on
// but its triggers looked at only when the test calls check (check_every 1h), so labelling
// a batch of events is not raced by a trigger.
func loopConfig(t *testing.T, dir, path, kind, learning, extra string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
store: {batch_size: 64, flush_every: 100ms}
api: {socket: ""}
metrics: {listen: ""}
sources: [{id: mic, kind: wav, paths: [%s], realtime: false}]
machines: [{id: m1, kind: %s, sensor: {source: mic, channel: 0}, detection: {learning: %s}}]
retraining: {check_every: 1h%s}
`, dir, path, kind, learning, extra)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runningDaemon is a daemon started on a configuration, stopped at the end of the test.
type runningDaemon struct {
	m    *Main
	stop func()
}

func startDaemon(t *testing.T, cfg *config.Config, opts ...Options) *runningDaemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	m, err := New(ctx, cfg, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	d := &runningDaemon{m: m}
	stopped := false
	d.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}
	t.Cleanup(d.stop)
	select {
	case <-m.Ended():
	case err := <-done:
		t.Fatalf("daemon stopped early: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("the recording was not analysed within 3 minutes")
	}
	return d
}

// eventsAfter returns the machine's events with an id above after, oldest first.
func eventsAfter(t *testing.T, db *store.DB, after int64) []store.Event {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{MachineID: "m1", Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Event
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].ID > after {
			out = append(out, evs[i])
		}
	}
	return out
}

// labelAll labels every event through the store call the API's label route makes.
func labelAll(t *testing.T, db *store.DB, evs []store.Event, label string) {
	t.Helper()
	for _, e := range evs {
		err := db.LabelEventAudited(context.Background(), e.ID, label, store.AuditEntry{Time: time.Now(), Actor: "tech-anna",
			Action: "event.label", Target: fmt.Sprintf("event/%d", e.ID), Detail: label})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitTrained waits for the train job to leave a normal model newer than after.
func waitTrained(t *testing.T, db *store.DB, after int64) store.Model {
	t.Helper()
	return waitTask(t, db, store.TaskDetect, after)
}

// waitListening waits until the running machine listens with model version v.
func waitListening(t *testing.T, m *Main, v int64) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		if m.Status()[0].Model == v {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the machine still listens with model %d, not %d", m.Status()[0].Model, v)
	return 0
}

// TestLabelledFalseAlarmsRetrainAndPromote is the learning loop end to end on real fan
// recordings (DCASE 2020 id_00, all normal): a model learned from 20 s of sound — too little
// — raises false alarms on other normal clips; the operator labels them false alarms; the
// labels trigger a train job whose challenger, trained on the learning sound and the labelled
// clips, beats the champion on the held-back clips and is promoted; the running machine takes
// it without a restart; a rollback returns the old champion within seconds; and the same
// normal sound replayed through a new daemon raises fewer false alarms. A restore from the
// S3 replica holds the same dataset versions and model registry, and the dataset's sound
// comes back from the bucket.
func TestLabelledFalseAlarmsRetrainAndPromote(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings and trains")
	}
	c := readClips(t, "dcase2020-id00", func(label, split string) bool { return label == "normal" }, 40)
	// 8 episodes: 20 s the model knows (the clips it learned from), then 20 s of other normal clips
	var after []float32
	for k := 0; k < 8; k++ {
		after = append(after, concat(c[0], c[1], c[10+2*k], c[11+2*k])...)
	}
	stream, _ := writeStream(t, part{concat(c[0], c[1]), truth.Learning, ""}, part{after, truth.Normal, ""})
	replay := writeSamples(t, after)
	dir := t.TempDir()
	s3 := s3test.Start(t)
	cfg := loopConfig(t, dir, stream, "fan", "20s", ", labels: 3")
	cfg.Replication.S3 = testReplica(s3)

	d := startDaemon(t, cfg)
	db := d.m.db
	champion := d.m.Status()[0].Model
	if champion == 0 {
		t.Fatal("the machine learned no model from its 20-s learning period")
	}
	before := eventsAfter(t, db, 0)
	if len(before) < 4 {
		t.Fatalf("the poor model raised %d events on %.0f s of normal sound; the test needs ≥ 4", len(before), float64(len(after))/16000)
	}
	items, err := db.DatasetItems(context.Background(), "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || !strings.HasPrefix(items[0].Source, "learning:") || items[0].Seconds < 19 {
		t.Fatalf("dataset after learning: %+v, want one 20-s learning item", items)
	}

	labelAll(t, db, before, "false_alarm")
	d.m.learning.check(context.Background()) // what the ticker does every check_every
	got := waitTrained(t, db, champion)
	t.Logf("challenger v%d: stage %s, reason %q, metrics %+v", got.Version, got.Stage, got.Reason, got.Metrics)
	if got.Stage != "champion" {
		t.Fatalf("challenger not promoted: %s", got.Reason)
	}
	if got.Dataset == "" || got.Metrics == nil || got.Metrics.TestDataset != got.Dataset {
		t.Errorf("challenger records dataset %q and metrics %+v", got.Dataset, got.Metrics)
	}
	man, _, err := db.DatasetVersion(context.Background(), got.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	withClip := 0 // an event still recording its clip when the recording ended has none yet
	for _, e := range before {
		if _, err := db.ClipOfEvent(context.Background(), e.ID); err == nil {
			withClip++
		}
	}
	if n := len(man.Select(dataset.Normal, "")); n != withClip+1 || withClip < len(before)-1 {
		t.Errorf("dataset %s holds %d normal items, want the learning sound and %d labelled clips (%d events)", got.Dataset[:12], n, withClip, len(before))
	}
	for _, it := range man.Items {
		if _, err := os.Stat(d.m.Objects().Path(it.SHA256)); err != nil {
			t.Errorf("item %s (%s): %v", it.Source, it.SHA256[:12], err)
		}
	}
	took := waitListening(t, d.m, got.Version)
	t.Logf("the running machine took the promoted model in %v", took.Round(time.Millisecond))

	// Rollback on the running daemon, then forward again.
	v, err := db.Rollback(context.Background(), "m1", store.TaskDetect, "test: rollback", store.AuditEntry{Time: time.Now(), Actor: "test", Action: "model.rollback", Target: "machine/m1"})
	if err != nil || v != champion {
		t.Fatalf("rollback: version %d, err %v; want %d", v, err, champion)
	}
	took = waitListening(t, d.m, champion)
	t.Logf("rollback reached the running machine in %v", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("rollback took %v to reach the machine", took)
	}
	if err := db.Promote(context.Background(), "m1", got.Version, "test: forward again"); err != nil {
		t.Fatal(err)
	}
	waitListening(t, d.m, got.Version)
	waitUploads(t, d.m)
	d.stop() // closing the daemon syncs the replica last
	checkRestore(t, cfg, got.Dataset)

	// The same normal sound, through a new daemon on the same database, learning loop off.
	last := before[len(before)-1].ID
	d2 := startDaemon(t, loopConfig(t, dir, replay, "fan", "20s", ", enabled: false"))
	if m := d2.m.Status()[0].Model; m != got.Version {
		t.Fatalf("the new daemon listens with model %d, want the promoted %d", m, got.Version)
	}
	afterEvents := eventsAfter(t, d2.m.db, last)
	hours := float64(len(after)) / 16000 / 3600
	t.Logf("false alarms on the same %.0f s of normal sound: %d with the initial model (%.0f/h), %d with the retrained one (%.0f/h)",
		hours*3600, len(before), float64(len(before))/hours, len(afterEvents), float64(len(afterEvents))/hours)
	if len(afterEvents) >= len(before) {
		t.Errorf("retraining did not lower the false alarms: %d before, %d after", len(before), len(afterEvents))
	}
}

// TestCorruptedLabelsAreRejected: a valve (DCASE 2022, section 00) hears its 50 anomalous
// clips after its normal ones, and every event they raise is labelled a false alarm — wrongly.
// The same valve's reference leak recordings (the 50 anomaly files, imported labelled leak as
// `signalcraftd dataset import --fault leak` does) hold the gate's fault clips: the latest
// quarter are held back. The challenger that learned the leaks as normal finds fewer of them
// than the champion, stays a candidate with the reason, and the machine keeps its champion.
func TestCorruptedLabelsAreRejected(t *testing.T) {
	if testing.Short() {
		t.Skip("replays real recordings and trains")
	}
	const folder = "dcase2022-valve-sec00-source"
	fit := readClips(t, folder, func(label, split string) bool { return split == "dev-fit" }, 25)
	normals := readClips(t, folder, func(label, split string) bool { return split == "dev-test" && label == "normal" }, 10)
	anomalies := readClips(t, folder, func(label, split string) bool { return label == "anomaly" }, 50)
	stream, _ := writeStream(t, part{concat(fit...), truth.Learning, ""}, part{concat(normals...), truth.Normal, ""},
		part{concat(anomalies...), truth.Fault, ""})
	dir := t.TempDir()
	d := startDaemon(t, loopConfig(t, dir, stream, "valve", "240s", ", labels: 1"))
	db := d.m.db
	champion := d.m.Status()[0].Model
	if champion == 0 {
		t.Fatal("no model learned")
	}
	// The labelled leak recordings: the 30 anomalies the stream did not play, imported as
	// `signalcraftd dataset import` does.
	leaks := importAnomalies(t, d.m, folder, 0)
	evs := eventsAfter(t, db, 0)
	if len(evs) == 0 {
		t.Fatal("the anomalies raised no event")
	}
	labelAll(t, db, evs, "false_alarm") // wrong: they are leaks
	d.m.learning.check(context.Background())
	got := waitTrained(t, db, champion)
	t.Logf("%d events labelled false alarms, %d leak clips imported; challenger v%d: stage %s, reason %q, metrics %+v",
		len(evs), leaks, got.Version, got.Stage, got.Reason, got.Metrics)
	if got.Stage != "candidate" || !strings.Contains(got.Reason, "fewer faults found") {
		t.Fatalf("challenger trained on corrupted labels: stage %s, reason %q; want a candidate with fewer faults found", got.Stage, got.Reason)
	}
	if v := d.m.Status()[0].Model; v != champion {
		t.Errorf("the machine listens with model %d, want the champion %d", v, champion)
	}
}

// importAnomalies imports the anomalies of a DCASE folder (after the first skip), labelled
// leak, into machine m1's dataset, as `signalcraftd dataset import --fault leak` does, and
// returns how many.
func importAnomalies(t *testing.T, m *Main, folder string, skip int) int {
	t.Helper()
	labels := shareddata.Require(t, folder, "labels.csv")
	b, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	keep := []string{lines[0]}
	seen := 0
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[1] != "anomaly" {
			continue
		}
		if seen++; seen <= skip {
			continue
		}
		keep = append(keep, l)
		if err := os.Symlink(filepath.Join(filepath.Dir(labels), f[0]), filepath.Join(dir, f[0])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	items, err := dataset.ImportWith(dir, "m1", "valve", m.Objects(), dataset.ImportOptions{Fault: "leak", Start: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := m.db.PutDatasetItem(context.Background(), it); err != nil {
			t.Fatal(err)
		}
	}
	return len(items)
}

// writeSamples writes 16-kHz mono samples to a WAV file in a temporary directory.
func writeSamples(t *testing.T, x []float32) string {
	t.Helper()
	return writeSamplesAt(t, 16000, x)
}

// writeSamplesAt writes mono samples at rate to a WAV file in a temporary directory.
func writeSamplesAt(t *testing.T, rate int, x []float32) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "replay.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := wav.Encode(f, rate, [][]float32{x}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitUploads waits until every dataset object the daemon stored is uploaded.
func waitUploads(t *testing.T, m *Main) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		js, err := m.alerts.queue.List(context.Background(), jobs.Filter{Kind: objects.JobUpload, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		done := len(js) > 0
		for _, j := range js {
			done = done && j.State == jobs.StateDone
		}
		if done {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("dataset objects not uploaded within a minute")
}

// checkRestore restores the database from the S3 replica and checks that it holds the same
// dataset versions and model registry as the live one, and that every object of the
// dataset version comes back from the bucket, hash checked.
func checkRestore(t *testing.T, cfg *config.Config, version string) {
	t.Helper()
	ctx := context.Background()
	to := filepath.Join(t.TempDir(), "restored.db")
	if _, err := replicate.Restore(ctx, *cfg.Replication.S3, to, replicate.RestoreOptions{LivePath: cfg.DatabasePath()}); err != nil {
		t.Fatal(err)
	}
	live, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	restored, err := store.Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	lv, err1 := live.DatasetVersions(ctx, "m1")
	rv, err2 := restored.DatasetVersions(ctx, "m1")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lv, rv) || len(rv) == 0 {
		t.Errorf("dataset versions: restored %+v, live %+v", rv, lv)
	}
	lm, err1 := live.Models(ctx, "m1")
	rm, err2 := restored.Models(ctx, "m1")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lm, rm) {
		t.Errorf("model registry: restored %+v, live %+v", rm, lm)
	}
	man, _, err := restored.DatasetVersion(ctx, version)
	if err != nil {
		t.Fatal(err)
	}
	s3 := *cfg.Replication.S3
	creds, err := replicate.ResolveCredentials(s3, nil)
	if err != nil {
		t.Fatal(err)
	}
	bucket := objects.NewS3(replicate.NewS3Client(s3, creds, &http.Client{Timeout: time.Minute}), s3.Bucket, s3.Prefix)
	fresh := dataset.Objects{Dir: filepath.Join(t.TempDir(), "objects")}
	n, err := dataset.Fetch(ctx, man, fresh, bucket)
	if err != nil || n != len(man.Items) {
		t.Fatalf("fetched %d of %d objects of dataset %s from S3: %v", n, len(man.Items), version[:12], err)
	}
	t.Logf("restore from S3: %d dataset versions, %d models, %d objects of dataset %s fetched", len(rv), len(rm), n, version[:12])
}
