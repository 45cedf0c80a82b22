package config

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Replication configures continuous replication of the database (appliance/replicate,
// Litestream). Left out, the database is not replicated.
type Replication struct {
	// S3 replicates to an S3-compatible object store (AWS S3, MinIO, versitygw, …).
	S3 *S3Replication `yaml:"s3"`
}

// S3Replication is where and how the database is replicated to an S3-compatible store.
//
// Credentials come from exactly one of: access_key_id with secret_access_key here,
// credentials_file, or the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
type S3Replication struct {
	// Endpoint is the store's URL (http:// or https://); empty means AWS S3.
	Endpoint string `yaml:"endpoint"`
	// Region is the bucket's region (default us-east-1).
	Region string `yaml:"region"`
	// Bucket is created when it does not exist.
	Bucket string `yaml:"bucket"`
	// Prefix is the key prefix under which the replica is kept (default signalcraft).
	Prefix string `yaml:"prefix"`
	// PathStyle addresses the bucket as endpoint/bucket instead of bucket.endpoint
	// (MinIO, versitygw and most self-hosted stores need it).
	PathStyle bool `yaml:"path_style"`
	// AccessKeyID and SecretAccessKey are inline credentials. Prefer credentials_file.
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey Secret `yaml:"secret_access_key"`
	// CredentialsFile is an absolute path to a file of KEY=VALUE lines naming
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the format of a systemd
	// EnvironmentFile; keys are case-insensitive and a [default] header is allowed, so a
	// one-profile AWS shared-credentials file works too).
	CredentialsFile string `yaml:"credentials_file"`
	// SyncInterval is how often new changes are shipped (default 1s).
	SyncInterval time.Duration `yaml:"sync_interval"`
}

// Secret is a string that never prints: fmt, logs, JSON and YAML show "[redacted]" (or
// nothing when it is empty). Convert with string(s) where the value is needed.
type Secret string

const redacted = "[redacted]"

// String hides the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the secret from %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalText hides the secret from encoders (JSON, YAML, slog's text and JSON handlers).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the secret (MarshalText's counterpart, needed so decoders that
// prefer text unmarshalling still read the value).
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// Replication defaults.
const (
	DefaultReplicationRegion       = "us-east-1"
	DefaultReplicationPrefix       = "signalcraft"
	DefaultReplicationSyncInterval = time.Second
)

func (r *Replication) applyDefaults() {
	s := r.S3
	if s == nil {
		return
	}
	if s.Region == "" {
		s.Region = DefaultReplicationRegion
	}
	if s.Prefix == "" {
		s.Prefix = DefaultReplicationPrefix
	}
	if s.SyncInterval == 0 {
		s.SyncInterval = DefaultReplicationSyncInterval
	}
}

// bucketName follows the S3 bucket naming rules (3–63 lowercase letters, digits, dots and
// hyphens, starting and ending with a letter or digit).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

var regionName = regexp.MustCompile(`^[a-z0-9-]{2,32}$`)

// validate reports the first invalid field of the replication section. Secret values are
// never put in the error.
func (r *Replication) validate() error {
	s := r.S3
	if s == nil {
		return nil
	}
	const p = "replication.s3."
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fieldErr(p+"endpoint", s.Endpoint, "must be an http:// or https:// URL with a host and no path, credentials or query, e.g. https://s3.example.com:9000")
		}
	}
	if !regionName.MatchString(s.Region) {
		return fieldErr(p+"region", s.Region, "must be a region name such as us-east-1")
	}
	if s.Bucket == "" {
		return fieldErr(p+"bucket", s.Bucket, "must not be empty")
	}
	if !bucketName.MatchString(s.Bucket) || strings.Contains(s.Bucket, "..") {
		return fieldErr(p+"bucket", s.Bucket, "must be 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit")
	}
	if strings.HasPrefix(s.Prefix, "/") || strings.HasSuffix(s.Prefix, "/") || strings.Contains(s.Prefix, "//") ||
		strings.Contains(s.Prefix, "\\") || slicesContains(strings.Split(s.Prefix, "/"), "..") || slicesContains(strings.Split(s.Prefix, "/"), ".") {
		return fieldErr(p+"prefix", s.Prefix, "must be a relative key prefix such as signalcraft/site-a (no leading or trailing /, no empty, . or .. parts)")
	}
	inline := s.AccessKeyID != "" || s.SecretAccessKey != ""
	if inline && (s.AccessKeyID == "" || s.SecretAccessKey == "") {
		if s.AccessKeyID == "" {
			return fieldErr(p+"access_key_id", s.AccessKeyID, "must be set together with secret_access_key")
		}
		return fieldErr(p+"secret_access_key", "", "must be set together with access_key_id")
	}
	if strings.ContainsAny(s.AccessKeyID, " \t\r\n") {
		return fieldErr(p+"access_key_id", s.AccessKeyID, "must not contain white space")
	}
	if s.CredentialsFile != "" {
		if inline {
			return fieldErr(p+"credentials_file", s.CredentialsFile, "give either credentials_file or access_key_id and secret_access_key, not both")
		}
		if !filepath.IsAbs(s.CredentialsFile) {
			return fieldErr(p+"credentials_file", s.CredentialsFile, "must be an absolute path")
		}
	}
	if s.SyncInterval < 100*time.Millisecond || s.SyncInterval > time.Hour {
		return fieldErr(p+"sync_interval", s.SyncInterval, "must be between 100ms and 1h")
	}
	return nil
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
