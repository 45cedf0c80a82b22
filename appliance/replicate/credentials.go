package replicate

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"signalcraft/appliance/config"
)

// Where credentials came from (Credentials.Source).
const (
	SourceConfig      = "config"
	SourceFile        = "credentials_file"
	SourceEnvironment = "environment"
)

// Credentials are the S3 access key pair. The secret is unexported and never printed: the
// String, GoString and LogValue forms show only the key id and the source.
type Credentials struct {
	AccessKeyID string
	Source      string // SourceConfig, SourceFile (with the path) or SourceEnvironment
	secret      string
}

// String shows the key id and where it came from, never the secret.
func (c Credentials) String() string {
	return fmt.Sprintf("access key %s from %s", c.AccessKeyID, c.Source)
}

// GoString hides the secret from %#v.
func (c Credentials) GoString() string { return "replicate.Credentials{" + c.String() + "}" }

// Secret returns the secret access key.
func (c Credentials) Secret() string { return c.secret }

// ResolveCredentials takes the credentials from the configuration, else its
// credentials_file, else the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
func ResolveCredentials(cfg config.S3Replication, getenv func(string) string) (Credentials, error) {
	switch {
	case cfg.AccessKeyID != "" || cfg.SecretAccessKey != "":
		if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
			return Credentials{}, fmt.Errorf("replicate: replication.s3: access_key_id and secret_access_key must be given together: %w", ErrNoCredentials)
		}
		return Credentials{AccessKeyID: cfg.AccessKeyID, secret: string(cfg.SecretAccessKey), Source: SourceConfig}, nil
	case cfg.CredentialsFile != "":
		id, secret, err := ReadCredentialsFile(cfg.CredentialsFile)
		if err != nil {
			return Credentials{}, err
		}
		return Credentials{AccessKeyID: id, secret: secret, Source: SourceFile + " " + cfg.CredentialsFile}, nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id != "" && secret != "" {
		return Credentials{AccessKeyID: id, secret: secret, Source: SourceEnvironment}, nil
	}
	return Credentials{}, fmt.Errorf("replicate: set replication.s3.access_key_id and secret_access_key, replication.s3.credentials_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment: %w", ErrNoCredentials)
}

// ReadCredentialsFile reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from a file of
// KEY=VALUE lines (a systemd EnvironmentFile). Keys are case-insensitive and may have
// spaces around '='; values may be quoted with ' or "; blank lines and lines starting with
// # or ; are ignored, and so is a [default] header, so the default profile of an AWS
// shared-credentials file (aws_access_key_id = …) is read as well. Any other section
// header, an unknown key or a line without '=' is an error naming the line (never its
// value). An optional "export " before a key is allowed.
func ReadCredentialsFile(path string) (id, secret string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("replicate: credentials_file: %w: %w", ErrCredentialsFile, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if strings.EqualFold(line, "[default]") {
				continue
			}
			return "", "", fmt.Errorf("replicate: credentials_file %s line %d: only a [default] section is read: %w", path, n, ErrCredentialsFile)
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return "", "", fmt.Errorf("replicate: credentials_file %s line %d: want KEY=VALUE: %w", path, n, ErrCredentialsFile)
		}
		k = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(k), "export "))
		v = unquote(strings.TrimSpace(v))
		switch strings.ToUpper(k) {
		case "AWS_ACCESS_KEY_ID":
			id = v
		case "AWS_SECRET_ACCESS_KEY":
			secret = v
		case "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION", "REGION":
			// accepted and ignored: the region comes from the configuration
		default:
			return "", "", fmt.Errorf("replicate: credentials_file %s line %d: unknown key %q (want AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): %w", path, n, k, ErrCredentialsFile)
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("replicate: credentials_file %s: %w: %w", path, ErrCredentialsFile, err)
	}
	switch {
	case id == "" && secret == "":
		return "", "", fmt.Errorf("replicate: credentials_file %s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are missing: %w", path, ErrCredentialsFile)
	case id == "":
		return "", "", fmt.Errorf("replicate: credentials_file %s: AWS_ACCESS_KEY_ID is missing: %w", path, ErrCredentialsFile)
	case secret == "":
		return "", "", fmt.Errorf("replicate: credentials_file %s: AWS_SECRET_ACCESS_KEY is missing: %w", path, ErrCredentialsFile)
	}
	return id, secret, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
