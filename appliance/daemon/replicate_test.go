package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/replicate"
	"signalcraft/appliance/replicate/s3test"
	"signalcraft/core/store"
)

// TestDaemonReplicatesToS3: the daemon, configured with replication to a real S3 server,
// replicates what it stores; a restore from the bucket holds every score it wrote.
func TestDaemonReplicatesToS3(t *testing.T) {
	s3 := s3test.Start(t)
	dir := t.TempDir()
	cfg := simConfig(dir)
	cfg.Sources[0].Simulator.Duration = 40 * time.Second
	cfg.Replication.S3 = testReplica(s3)
	runUntilEnded(t, cfg) // closing the daemon syncs the replica last

	ctx := context.Background()
	live, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	want, err := live.Scores(ctx, "pump-2", time.Time{}, time.Now().Add(time.Hour), 0)
	live.Close()
	if err != nil || len(want) < 70 {
		t.Fatalf("live database holds %d scores of pump-2 (%v)", len(want), err)
	}
	to := filepath.Join(t.TempDir(), "restored.db")
	res, err := replicate.Restore(ctx, *cfg.Replication.S3, to, replicate.RestoreOptions{LivePath: cfg.DatabasePath()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tables["scores"] == 0 {
		t.Fatalf("restore holds no scores: %+v", res)
	}
	restored, err := store.Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	got, err := restored.Scores(ctx, "pump-2", time.Time{}, time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || !got[len(got)-1].Time.Equal(want[len(want)-1].Time) {
		t.Fatalf("restored %d scores of pump-2 ending %v, live has %d ending %v",
			len(got), got[len(got)-1].Time, len(want), want[len(want)-1].Time)
	}
}

// testReplica is replication to a real S3 server started by s3test, syncing every 100 ms.
func testReplica(s *s3test.Server) *config.S3Replication {
	return &config.S3Replication{Endpoint: s.Endpoint(), Region: "us-east-1", Bucket: "signalcraft-test",
		Prefix: "line-a", PathStyle: true, AccessKeyID: s3test.KeyID, SecretAccessKey: config.Secret(s3test.Secret),
		SyncInterval: 100 * time.Millisecond}
}
