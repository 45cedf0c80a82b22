package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/replicate"
)

// restoreTimestampLayouts are the forms --timestamp accepts.
var restoreTimestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// runRestore rebuilds the database from the configured replica into a new file, verifies
// it and prints what it restored. It never overwrites a file nor the live database.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd restore", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: signalcraftd restore [--config FILE] --to PATH [--timestamp T]")
		fmt.Fprintln(fs.Output(), "Rebuilds the database from the S3 replica (replication.s3) into PATH, a new file, and verifies it.")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", "", "configuration file (default "+DefaultConfigPath+")")
	to := fs.String("to", "", "path of the restored database (must not exist)")
	ts := fs.String("timestamp", "", "restore the state at this time (RFC 3339 such as 2026-03-01T12:00:00Z; without a zone: UTC); default the latest")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("restore: unexpected argument %q", fs.Arg(0))}
	}
	if *to == "" {
		return usageError{errors.New("restore: --to PATH is required (a new file; move it into place once the service is stopped)")}
	}
	var at time.Time
	if *ts != "" {
		var err error
		if at, err = parseRestoreTime(*ts); err != nil {
			return usageError{err}
		}
	}
	cfg, err := loadConfig(*cfgPath, false)
	if err != nil {
		return err
	}
	if cfg.Replication.S3 == nil {
		return fmt.Errorf("restore: %s has no replication.s3 section: nothing to restore from", describeConfig(*cfgPath, false))
	}
	s3 := *cfg.Replication.S3
	fmt.Fprintf(stderr, "restoring from %s bucket %q prefix %q into %s ...\n", endpointName(s3), s3.Bucket, s3.Prefix, *to)
	res, err := replicate.Restore(ctx, s3, *to, replicate.RestoreOptions{LivePath: cfg.DatabasePath(), Timestamp: at})
	if err != nil {
		return err
	}
	printRestore(stdout, res, at)
	return nil
}

func parseRestoreTime(s string) (time.Time, error) {
	for _, l := range restoreTimestampLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("restore: --timestamp %q: want RFC 3339 such as 2026-03-01T12:00:00Z", s)
}

func endpointName(s config.S3Replication) string {
	if s.Endpoint == "" {
		return "AWS S3"
	}
	return s.Endpoint
}

func printRestore(w io.Writer, res replicate.RestoreResult, at time.Time) {
	fmt.Fprintf(w, "restored %s (%d bytes), schema version %d, integrity ok\n", res.Path, res.Bytes, res.SchemaVersion)
	if at.IsZero() {
		fmt.Fprintln(w, "point in time: latest")
	} else {
		fmt.Fprintf(w, "point in time: %s\n", at.UTC().Format(time.RFC3339))
	}
	if !res.ReplicaUpdated.IsZero() {
		fmt.Fprintf(w, "replica last written: %s\n", res.ReplicaUpdated.UTC().Format(time.RFC3339))
	}
	if res.Instance != "" {
		// new notification keys, so receivers never drop a new alert as one the original sent
		fmt.Fprintf(w, "instance id: %s (was %s)\n", res.Instance, res.PreviousInstance)
	}
	names := make([]string, 0, len(res.Tables))
	for n := range res.Tables {
		if !strings.HasPrefix(n, "_litestream") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-24s %d rows\n", n, res.Tables[n])
	}
}
