package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"signalcraft/appliance/config"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/replicate/s3test"
	"signalcraft/core/shareddata"
	"signalcraft/core/store"
)

func datasetYAML(dir, extra string) string {
	return `data_dir: ` + dir + `
api: {socket: ""}
sources:
  - {id: sim, kind: simulator, channels: 2}
machines:
  - {id: valve-1, kind: valve, sensor: {source: sim, channel: 0}}
  - {id: fan-1, kind: fan, sensor: {source: sim, channel: 1}}
` + extra
}

// sh runs signalcraftd in-process and returns its stdout, failing the test on an error.
func sh(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("signalcraftd %s: %v\nstderr: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func shErr(t *testing.T, args ...string) error {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	if err == nil {
		t.Fatalf("signalcraftd %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return err
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestDatasetHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"dataset", "--help"}, []string{"import DIR", "snapshot", "export ID"}},
		{[]string{"dataset", "import", "--help"}, []string{"-machine", "-fault", "-start", "-config"}},
		{[]string{"dataset", "ls", "-h"}, []string{"-machine", "-config"}},
		{[]string{"dataset", "show", "--help"}, []string{"-json", "-config"}},
		{[]string{"dataset", "diff", "--help"}, []string{"ID1 ID2", "-config"}},
		{[]string{"dataset", "snapshot", "--help"}, []string{"-machine", "-note", "-test-fraction"}},
		{[]string{"dataset", "export", "--help"}, []string{"-out", "-config"}},
	} {
		out := sh(t, tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: help does not mention %s:\n%s", tc.args, w, out)
			}
		}
	}
	if err := shErr(t, "dataset", "frob"); exitCode(err) != 2 {
		t.Errorf("unknown dataset command: exit %d", exitCode(err))
	}
	if err := shErr(t, "dataset", "show"); exitCode(err) != 2 {
		t.Errorf("show without an id: exit %d", exitCode(err))
	}
}

// TestDatasetCommands imports a real dataset, snapshots it, changes the working set, snapshots
// again, and lists, shows, diffs and exports the versions.
func TestDatasetCommands(t *testing.T) {
	valve := shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv")
	valve = filepath.Dir(valve)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "signalcraftd.yaml")
	write(t, cfg, datasetYAML(dir, ""))

	out := sh(t, "dataset", "import", valve, "--machine", "valve-1", "--fault", "leak", "--start", "2025-03-01T12:00:00Z", "--config", cfg)
	if !strings.Contains(out, "imported 100 recording(s)") || !strings.Contains(out, "50 normal, 50 leak") {
		t.Errorf("import printed %q", out)
	}
	err := shErr(t, "dataset", "import", valve, "--machine", "valve-1", "--fault", "cavitation", "--config", cfg)
	if !strings.Contains(err.Error(), `"cavitation"`) || !strings.Contains(err.Error(), `"valve"`) {
		t.Errorf("import with a fault the kind cannot have: %v", err)
	}
	if err := shErr(t, "dataset", "import", valve, "--machine", "nope", "--config", cfg); !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("import to an unknown machine: %v", err)
	}

	id1 := strings.TrimSpace(sh(t, "dataset", "snapshot", "--machine", "valve-1", "--note", "first", "--config", cfg))
	if len(id1) != 64 {
		t.Fatalf("snapshot printed %q, want an id", id1)
	}
	if again := strings.TrimSpace(sh(t, "dataset", "snapshot", "--machine", "valve-1", "--config", cfg)); again != id1 {
		t.Errorf("a snapshot of the same working set gave %s, want %s", again, id1)
	}
	if err := shErr(t, "dataset", "snapshot", "--machine", "fan-1", "--config", cfg); !strings.Contains(err.Error(), "empty") {
		t.Errorf("snapshot of an empty working set: %v", err)
	}

	// The same import elsewhere (another data dir, another database) gives the same id.
	dir2 := t.TempDir()
	cfg2 := filepath.Join(dir2, "signalcraftd.yaml")
	write(t, cfg2, datasetYAML(dir2, ""))
	sh(t, "dataset", "import", valve, "--machine", "valve-1", "--fault", "leak", "--start", "2025-03-01T12:00:00Z", "--config", cfg2)
	if other := strings.TrimSpace(sh(t, "dataset", "snapshot", "--machine", "valve-1", "--config", cfg2)); other != id1 {
		t.Errorf("the same content on a second appliance has id %s, want %s", other, id1)
	}

	show := sh(t, "dataset", "show", id1[:8], "--config", cfg)
	for _, w := range []string{id1, "100 item(s)", "normal  37     13", "leak    37     13", "import:section_00_source_test_normal_0049_pat_01.wav"} {
		if !strings.Contains(show, w) {
			t.Errorf("show does not print %q:\n%s", w, show)
		}
	}
	js := sh(t, "dataset", "show", id1, "--json", "--config", cfg)
	if sum := sha256.Sum256([]byte(strings.TrimSuffix(js, "\n"))); hex.EncodeToString(sum[:]) != id1 {
		t.Errorf("show --json does not hash to the id")
	}

	// Change the working set as labelling does: one item relabelled, one removed.
	ctx := context.Background()
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, c.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.DatasetItems(ctx, "valve-1")
	if err != nil {
		t.Fatal(err)
	}
	relabel := items[0]
	relabel.Label = "other"
	if err := db.PutDatasetItem(ctx, relabel); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDatasetItem(ctx, "valve-1", items[1].Source); err != nil {
		t.Fatal(err)
	}
	db.Close()
	id2 := strings.TrimSpace(sh(t, "dataset", "snapshot", "--machine", "valve-1", "--note", "second", "--config", cfg))
	if id2 == id1 {
		t.Fatal("a changed working set kept the id")
	}
	ls := sh(t, "dataset", "ls", "--machine", "valve-1", "--config", cfg)
	if i1, i2 := strings.Index(ls, id1[:12]), strings.Index(ls, id2[:12]); i1 < 0 || i2 < 0 || i2 > i1 || !strings.Contains(ls, "working set of valve-1: 99 item(s)") {
		t.Errorf("ls (newest first) printed:\n%s", ls)
	}
	diff := sh(t, "dataset", "diff", id1, id2, "--config", cfg)
	for _, w := range []string{"0 added, 1 removed, 1 relabelled", "- " + items[1].Source, "~ " + items[0].Source + " " + items[0].Label + " → other"} {
		if !strings.Contains(diff, w) {
			t.Errorf("diff does not print %q:\n%s", w, diff)
		}
	}

	exp := filepath.Join(dir, "export")
	out = sh(t, "dataset", "export", id1[:10], "--out", exp, "--config", cfg)
	if !strings.Contains(out, "100 item(s)") {
		t.Errorf("export printed %q", out)
	}
	checkExport(t, exp, id1, 100)
	if err := shErr(t, "dataset", "export", id1, "--out", exp, "--config", cfg); !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a non-empty directory: %v", err)
	}
}

// checkExport checks an exported folder: manifest.json hashes to the id, labels.csv has a
// row per item, and every WAV hashes to its name.
func checkExport(t *testing.T, dir, id string, items int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(bytes.TrimSuffix(b, []byte("\n"))); hex.EncodeToString(sum[:]) != id {
		t.Errorf("manifest.json does not hash to the id %s", id)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if lines[0] != "file,label,split,start,seconds,source" || len(lines) != items+1 {
		t.Errorf("labels.csv: header %q, %d rows, want %d", lines[0], len(lines)-1, items)
	}
	wavs, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	if len(wavs) == 0 {
		t.Fatal("no WAV exported")
	}
	for _, w := range wavs {
		if got := fileSHA(t, w); got+".wav" != filepath.Base(w) {
			t.Errorf("%s hashes to %s", w, got)
		}
	}
}

// TestDatasetExportFetchesFromS3: import uploads the recordings to the S3 replica; with the
// local objects gone, export fetches them back, verified.
func TestDatasetExportFetchesFromS3(t *testing.T) {
	src := filepath.Dir(shareddata.Require(t, "dcase2020-id00", "labels.csv"))
	srv := s3test.Start(t)
	s3 := config.S3Replication{Endpoint: srv.Endpoint(), Region: "us-east-1", Bucket: "datasets-test", Prefix: "line-a",
		PathStyle: true, AccessKeyID: s3test.KeyID, SecretAccessKey: config.Secret(s3test.Secret)}
	creds, err := replicate.ResolveCredentials(s3, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := replicate.EnsureBucket(context.Background(), s3, creds); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "signalcraftd.yaml")
	write(t, cfg, datasetYAML(dir, `replication:
  s3: {endpoint: "`+s3.Endpoint+`", bucket: datasets-test, prefix: line-a, path_style: true, access_key_id: `+s3test.KeyID+`, secret_access_key: `+s3test.Secret+`}
`))
	out := sh(t, "dataset", "import", src, "--machine", "fan-1", "--config", cfg)
	if !strings.Contains(out, "76 object(s) in the S3 replica") || !strings.Contains(out, "75 normal, 1 other") {
		t.Fatalf("import printed %q", out)
	}
	id := strings.TrimSpace(sh(t, "dataset", "snapshot", "--machine", "fan-1", "--config", cfg))
	if err := os.RemoveAll(filepath.Join(dir, "objects")); err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(dir, "export")
	out = sh(t, "dataset", "export", id, "--out", exp, "--config", cfg)
	if !strings.Contains(out, "fetched 76 recording(s) from S3") {
		t.Errorf("export printed %q", out)
	}
	checkExport(t, exp, id, 76)
}

// TestDatasetDiagnose trains a machine's fault classifier on a dataset version (the valve's
// normal and leak recordings) through the learning loop's gate: the first is promoted, the
// same data again is not (no better); without a shaft speed it refuses.
func TestDatasetDiagnose(t *testing.T) {
	valve := filepath.Dir(shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv"))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "signalcraftd.yaml")
	write(t, cfg, datasetYAML(dir, ""))
	sh(t, "dataset", "import", valve, "--machine", "valve-1", "--fault", "leak", "--start", "2025-03-01T12:00:00Z", "--config", cfg)
	id := strings.TrimSpace(sh(t, "dataset", "snapshot", "--machine", "valve-1", "--config", cfg))
	if err := shErr(t, "dataset", "diagnose", id, "--config", cfg); !strings.Contains(err.Error(), "--shaft-rpm") {
		t.Errorf("diagnose without the shaft speed: %v", err)
	}
	if err := shErr(t, "dataset", "diagnose", id, "--shaft-rpm", "1500", "--kind", "cnn", "--config", cfg); !strings.Contains(err.Error(), `--kind "cnn"`) {
		t.Errorf("diagnose with an unknown kind: %v", err)
	}
	out := sh(t, "dataset", "diagnose", id[:8], "--shaft-rpm", "1500", "--kind", "rf", "--config", cfg)
	t.Log(strings.TrimSpace(out))
	if !strings.Contains(out, "fault classifier v1 of valve-1: rf, shaft 1500 rpm") || !strings.Contains(out, "(labels [leak normal])") ||
		!strings.Contains(out, "promoted: first fault classifier: macro-F1") {
		t.Fatalf("diagnose printed %q", out)
	}
	again := sh(t, "dataset", "diagnose", id[:8], "--shaft-rpm", "1500", "--kind", "rf", "--config", cfg)
	if !strings.Contains(again, "fault classifier v2 of valve-1") || !strings.Contains(again, "rejected: no better than the champion") {
		t.Errorf("the same training again printed %q", again)
	}
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), c.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.ActiveModelFor(context.Background(), "valve-1", store.TaskDiagnose)
	if err != nil || m.Version != 1 || m.Dataset != id || m.Kind != "rf" || m.Metrics == nil || m.Metrics.MacroF1 == nil {
		t.Fatalf("active fault classifier %+v, %v", m, err)
	}
	ls := sh(t, "model", "ls", "--machine", "valve-1", "--config", cfg)
	if !strings.Contains(ls, "2        diagnose  candidate") || !strings.Contains(ls, "1        diagnose  champion") {
		t.Errorf("model ls:\n%s", ls)
	}
}
