// Package replicate replicates the appliance's SQLite database continuously to an
// S3-compatible object store with an embedded Litestream (github.com/benbjohnson/litestream
// v0.5), reports how far the replica is behind, and restores a database from the replica.
//
// # Running
//
// New checks the configuration and resolves the credentials; Start creates the bucket when
// it is missing and starts Litestream on the database file; Close makes a final sync and
// stops. Litestream holds a read transaction on the database to own checkpoints while it
// runs, so Close it before the store (core/store's DB.Close ends with a TRUNCATE checkpoint,
// which is then harmless: on the next Start Litestream notices the reset WAL and ships a
// fresh snapshot).
//
// # Lag
//
// Every PollInterval the replicator compares the position Litestream has written locally
// (one LTX file per change) with the position the replica acknowledged. When they are equal
// the replica is caught up: LastSync becomes now and Lag 0. Otherwise Lag is the time since
// the replica was last caught up. Failed uploads set LastError; a stuck replica (Litestream
// backs off up to 5 minutes between failed attempts) is pushed with a forced sync every
// RetryInterval, so replication catches up within seconds once the store is back. Each
// state is handed to the Reporter (appliance/metrics.Metrics.SetReplication), which feeds
// the signalcraft_replication_* metrics and the replication part of /health.
//
// # Credentials
//
// From exactly one source, in this order: access_key_id/secret_access_key in the
// configuration, credentials_file (KEY=VALUE lines, see ReadCredentialsFile), or the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Secrets are never logged nor put in
// errors. AWS_CA_BUNDLE, which Litestream's S3 client cannot use with its own HTTP client,
// is removed from the process environment by Start (with a warning): trust a private CA
// through the system trust store instead.
package replicate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/benbjohnson/litestream"
	lss3 "github.com/benbjohnson/litestream/s3"
	"github.com/superfly/ltx"

	"signalcraft/appliance/config"
	"signalcraft/appliance/metrics"
)

// Sentinel errors, wrapped with context.
var (
	// ErrNoCredentials reports that no source gave both an access key id and a secret.
	ErrNoCredentials = errors.New("no S3 credentials")
	// ErrCredentialsFile reports an unreadable or malformed credentials file.
	ErrCredentialsFile = errors.New("bad credentials file")
	// ErrBucket reports that the bucket is missing and could not be created.
	ErrBucket = errors.New("bucket unavailable")
	// ErrNotStarted reports a call that needs Start first.
	ErrNotStarted = errors.New("replication not started")
)

// Defaults for Options.
const (
	DefaultPollInterval  = time.Second
	DefaultRetryInterval = 10 * time.Second
	DefaultCloseTimeout  = 30 * time.Second
)

// Reporter receives the replication state; *metrics.Metrics implements it.
type Reporter interface {
	SetReplication(metrics.Replication)
}

// Options are the replicator's injected dependencies.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Getenv reads the environment for credentials (default os.Getenv).
	Getenv func(string) string
	// Reporter, if set, is told the state after every poll.
	Reporter Reporter
	// PollInterval is how often the lag is measured (default 1s).
	PollInterval time.Duration
	// RetryInterval is how long a replica may stay behind after an error before a sync is
	// forced past Litestream's backoff (default 10s).
	RetryInterval time.Duration
	// CloseTimeout bounds the final sync in Close (default 30s).
	CloseTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
}

// Status is the replication state.
type Status struct {
	// Lag is how long the replica has been behind the database (0 when caught up).
	Lag time.Duration
	// LastSync is when the replica was last seen caught up; zero before the first time.
	LastSync time.Time
	// LastError is the latest failure ("" if none) and LastErrorAt when it happened.
	LastError   string
	LastErrorAt time.Time
	// LocalTXID is the latest transaction Litestream captured; ReplicaTXID the latest the
	// store acknowledged.
	LocalTXID, ReplicaTXID uint64
}

// Replicator replicates one database file. Start it once, Close it once.
type Replicator struct {
	cfg    config.S3Replication
	creds  Credentials
	dbPath string
	o      Options
	log    *slog.Logger

	client *trackedClient
	db     *litestream.DB
	store  *litestream.Store

	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	st         Status
	behindFrom time.Time // when the replica was last seen caught up (start of the lag)
	lastForced time.Time
}

// New checks cfg and resolves the credentials for replicating the database at dbPath.
// Nothing touches the network until Start.
func New(cfg config.S3Replication, dbPath string, o Options) (*Replicator, error) {
	o.defaults()
	if dbPath == "" {
		return nil, fmt.Errorf("replicate: empty database path")
	}
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("replicate: replication.s3.bucket is empty")
	}
	creds, err := ResolveCredentials(cfg, o.Getenv)
	if err != nil {
		return nil, err
	}
	return &Replicator{cfg: cfg, creds: creds, dbPath: dbPath, o: o,
		log: o.Logger.With("component", "replication", "bucket", cfg.Bucket, "prefix", cfg.Prefix)}, nil
}

// Credentials returns where the credentials came from (never the secret).
func (r *Replicator) Credentials() Credentials { return r.creds }

// Start creates the bucket if needed, opens Litestream on the database file and starts
// measuring the lag. The database file must exist (open the store first).
func (r *Replicator) Start(ctx context.Context) error {
	if r.store != nil {
		return fmt.Errorf("replicate: started twice")
	}
	dropCABundle(r.log)
	if err := EnsureBucket(ctx, r.cfg, r.creds); err != nil {
		return err
	}
	r.client = &trackedClient{ReplicaClient: newClient(r.cfg, r.creds), r: r}
	db := litestream.NewDB(r.dbPath)
	rep := litestream.NewReplicaWithClient(db, r.client)
	rep.SyncInterval = r.cfg.SyncInterval
	db.Replica = rep
	store := litestream.NewStore([]*litestream.DB{db}, litestream.DefaultCompactionLevels)
	store.Logger = r.log
	store.ShutdownSyncTimeout = r.o.CloseTimeout
	db.SetLogger(r.log)
	r.client.SetLogger(r.log)
	if err := store.Open(ctx); err != nil {
		_ = store.Close(context.Background())
		return fmt.Errorf("replicate: start litestream on %s: %w", r.dbPath, err)
	}
	r.db, r.store = db, store
	now := r.o.Now()
	r.mu.Lock()
	r.behindFrom = now
	r.mu.Unlock()
	pctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.poll(pctx)
	r.log.Info("replicating", "endpoint", endpointOrAWS(r.cfg.Endpoint), "credentials", r.creds.Source)
	return nil
}

func endpointOrAWS(e string) string {
	if e == "" {
		return "AWS S3"
	}
	return e
}

// Sync ships every change committed so far and waits until the store acknowledged it.
func (r *Replicator) Sync(ctx context.Context) error {
	if r.store == nil {
		return ErrNotStarted
	}
	_, err := r.store.SyncDB(ctx, r.dbPath, true)
	r.update()
	if err != nil {
		return fmt.Errorf("replicate: sync: %w", err)
	}
	return nil
}

// Status returns the latest replication state (measured now).
func (r *Replicator) Status() Status {
	if r.store != nil {
		r.update()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// Close stops measuring, makes a final sync (bounded by CloseTimeout) and stops
// Litestream, releasing its read transaction. Call it before closing the store.
func (r *Replicator) Close() error {
	if r.store == nil {
		return nil
	}
	r.cancel()
	<-r.done
	ctx, cancel := context.WithTimeout(context.Background(), r.o.CloseTimeout)
	defer cancel()
	err := r.store.Close(ctx)
	r.store = nil
	if err != nil {
		return fmt.Errorf("replicate: close: %w", err)
	}
	return nil
}

func (r *Replicator) poll(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.o.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := r.update()
		if st.LocalTXID > st.ReplicaTXID && st.LastError != "" && !st.LastErrorAt.Before(st.LastSync) {
			r.mu.Lock()
			force := r.o.Now().Sub(r.lastForced) >= r.o.RetryInterval
			if force {
				r.lastForced = r.o.Now()
			}
			r.mu.Unlock()
			if force {
				sctx, cancel := context.WithTimeout(ctx, r.o.RetryInterval)
				if err := r.db.SyncAndWait(sctx); err == nil {
					r.log.Info("replica caught up after errors")
				}
				cancel()
				r.update()
			}
		}
	}
}

// update measures the positions, recomputes the lag and reports the state.
func (r *Replicator) update() Status {
	var local ltx.TXID
	if pos, err := r.db.Pos(); err == nil {
		local = pos.TXID
	}
	remote := r.db.Replica.Pos().TXID
	now := r.o.Now()
	r.mu.Lock()
	r.st.LocalTXID, r.st.ReplicaTXID = uint64(local), uint64(remote)
	if local > 0 && remote >= local {
		r.behindFrom, r.st.LastSync, r.st.Lag = now, now, 0
	} else {
		r.st.Lag = now.Sub(r.behindFrom)
	}
	st := r.st
	r.mu.Unlock()
	if r.o.Reporter != nil {
		r.o.Reporter.SetReplication(metrics.Replication{Lag: st.Lag, LastSync: st.LastSync,
			LastError: st.LastError, LastErrorAt: st.LastErrorAt})
	}
	return st
}

func (r *Replicator) noteError(op string, err error) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, os.ErrNotExist) {
		return
	}
	now := r.o.Now()
	r.mu.Lock()
	first := r.st.LastError == "" || r.st.LastErrorAt.Before(r.st.LastSync)
	r.st.LastError, r.st.LastErrorAt = op+": "+err.Error(), now
	r.mu.Unlock()
	if first {
		r.log.Warn("replication failing", "op", op, "err", err)
	}
}

// trackedClient records the failures of the S3 client for the status.
type trackedClient struct {
	*lss3.ReplicaClient
	r *Replicator
}

func (c *trackedClient) LTXFiles(ctx context.Context, level int, seek ltx.TXID, useMetadata bool) (ltx.FileIterator, error) {
	it, err := c.ReplicaClient.LTXFiles(ctx, level, seek, useMetadata)
	c.r.noteError("list", err)
	return it, err
}

func (c *trackedClient) OpenLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, offset, size int64) (io.ReadCloser, error) {
	rc, err := c.ReplicaClient.OpenLTXFile(ctx, level, minTXID, maxTXID, offset, size)
	c.r.noteError("download", err)
	return rc, err
}

func (c *trackedClient) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, rd io.Reader) (*ltx.FileInfo, error) {
	info, err := c.ReplicaClient.WriteLTXFile(ctx, level, minTXID, maxTXID, rd)
	c.r.noteError("upload", err)
	return info, err
}

func (c *trackedClient) DeleteLTXFiles(ctx context.Context, a []*ltx.FileInfo) error {
	err := c.ReplicaClient.DeleteLTXFiles(ctx, a)
	c.r.noteError("delete", err)
	return err
}

// newClient builds Litestream's S3 client with explicit credentials.
func newClient(cfg config.S3Replication, creds Credentials) *lss3.ReplicaClient {
	c := lss3.NewReplicaClient()
	c.AccessKeyID, c.SecretAccessKey = creds.AccessKeyID, creds.secret
	c.Region, c.Bucket, c.Path = cfg.Region, cfg.Bucket, cfg.Prefix
	c.Endpoint, c.ForcePathStyle = cfg.Endpoint, cfg.PathStyle
	return c
}

// dropCABundle removes AWS_CA_BUNDLE from the environment: the AWS SDK cannot apply it to
// the HTTP client Litestream supplies and fails every request instead.
func dropCABundle(log *slog.Logger) {
	if v, ok := os.LookupEnv("AWS_CA_BUNDLE"); ok {
		_ = os.Unsetenv("AWS_CA_BUNDLE")
		log.Warn("AWS_CA_BUNDLE is ignored by replication (unset for this process); trust a private CA through the system trust store", "AWS_CA_BUNDLE", v)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
