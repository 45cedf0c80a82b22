package replicate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"signalcraft/appliance/config"
)

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String returns what was written so far (the writer must be a *bytes.Buffer).
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*bytes.Buffer).String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s3.env")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadCredentialsFile(t *testing.T) {
	for _, tc := range []struct {
		name, body   string
		id, secret   string
		wantErr, not string // wantErr: substring of the error; not: must not appear in it
	}{
		{name: "env file", body: "# S3\nAWS_ACCESS_KEY_ID=AKIA1\nAWS_SECRET_ACCESS_KEY=s3cr3t/+x\n", id: "AKIA1", secret: "s3cr3t/+x"},
		{name: "quoted and export", body: "export AWS_ACCESS_KEY_ID=\"AKIA2\"\nexport AWS_SECRET_ACCESS_KEY='a b'\n", id: "AKIA2", secret: "a b"},
		{name: "aws shared credentials", body: "[default]\naws_access_key_id = AKIA3\naws_secret_access_key = zz=zz\n; c\n", id: "AKIA3", secret: "zz=zz"},
		{name: "region ignored", body: "AWS_ACCESS_KEY_ID=A\nAWS_SECRET_ACCESS_KEY=B\nAWS_REGION=eu-west-1\n", id: "A", secret: "B"},
		{name: "other profile", body: "[prod]\naws_access_key_id = A\n", wantErr: "line 1: only a [default] section"},
		{name: "no equals", body: "AWS_ACCESS_KEY_ID=A\nhunter2-secret\n", wantErr: "line 2: want KEY=VALUE", not: "hunter2"},
		{name: "unknown key", body: "PASSWORD=hunter2\n", wantErr: `unknown key "PASSWORD"`, not: "hunter2"},
		{name: "missing secret", body: "AWS_ACCESS_KEY_ID=A\n", wantErr: "AWS_SECRET_ACCESS_KEY is missing"},
		{name: "missing id", body: "AWS_SECRET_ACCESS_KEY=hunter2\n", wantErr: "AWS_ACCESS_KEY_ID is missing", not: "hunter2"},
		{name: "empty", body: "\n", wantErr: "are missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, secret, err := ReadCredentialsFile(writeFile(t, tc.body))
			if tc.wantErr != "" {
				if !errors.Is(err, ErrCredentialsFile) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrCredentialsFile containing %q", err, tc.wantErr)
				}
				if tc.not != "" && strings.Contains(err.Error(), tc.not) {
					t.Fatalf("error shows a value: %v", err)
				}
				return
			}
			if err != nil || id != tc.id || secret != tc.secret {
				t.Fatalf("= %q, %q, %v; want %q, %q", id, secret, err, tc.id, tc.secret)
			}
		})
	}
	if _, _, err := ReadCredentialsFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrCredentialsFile) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestResolveCredentials(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "ENVID", "AWS_SECRET_ACCESS_KEY": "envsecret"}
	getenv := func(k string) string { return env[k] }
	none := func(string) string { return "" }
	file := writeFile(t, "AWS_ACCESS_KEY_ID=FILEID\nAWS_SECRET_ACCESS_KEY=filesecret\n")
	for _, tc := range []struct {
		name       string
		cfg        config.S3Replication
		getenv     func(string) string
		id, source string
		err        error
	}{
		{"config first", config.S3Replication{AccessKeyID: "CFGID", SecretAccessKey: "cfgsecret"}, getenv, "CFGID", SourceConfig, nil},
		{"file", config.S3Replication{CredentialsFile: file}, getenv, "FILEID", SourceFile + " " + file, nil},
		{"environment", config.S3Replication{}, getenv, "ENVID", SourceEnvironment, nil},
		{"none", config.S3Replication{}, none, "", "", ErrNoCredentials},
		{"half inline", config.S3Replication{AccessKeyID: "X"}, getenv, "", "", ErrNoCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ResolveCredentials(tc.cfg, tc.getenv)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || c.AccessKeyID != tc.id || c.Source != tc.source || c.Secret() == "" {
				t.Fatalf("= %+v, %v; want id %s from %s", c, err, tc.id, tc.source)
			}
		})
	}
}

// TestSecretsNeverPrinted: the configuration's secret and resolved credentials print as
// redacted through fmt, JSON, YAML and slog, and the replicator's logs never contain them.
func TestSecretsNeverPrinted(t *testing.T) {
	const secret = "Sup3r-Secret-Value"
	cfg := config.S3Replication{Bucket: "b", Region: "us-east-1", AccessKeyID: "AKIAID", SecretAccessKey: secret}
	creds, err := ResolveCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	log.Info("cfg", "cfg", cfg, "creds", creds, "secret", cfg.SecretAccessKey)
	jlog := slog.New(slog.NewJSONHandler(&logs, nil))
	jlog.Info("cfg", "cfg", cfg, "creds", creds)
	js, _ := json.Marshal(cfg)
	ym, _ := yaml.Marshal(cfg)
	outs := map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg), "%s": fmt.Sprintf("%s", cfg.SecretAccessKey),
		"%q": fmt.Sprintf("%q", cfg.SecretAccessKey), "creds %v": fmt.Sprintf("%v", creds), "creds %+v": fmt.Sprintf("%+v", creds),
		"creds %#v": fmt.Sprintf("%#v", creds), "json": string(js), "yaml": string(ym), "slog": logs.String(),
	}
	for form, out := range outs {
		if strings.Contains(out, secret) {
			t.Errorf("%s shows the secret: %s", form, out)
		}
	}
	if !strings.Contains(outs["%+v"], "[redacted]") || !strings.Contains(outs["creds %v"], "AKIAID") {
		t.Errorf("want [redacted] and the key id: %s / %s", outs["%+v"], outs["creds %v"])
	}

	// Errors from New and a failed Start (nothing listens) do not carry the secret either.
	cfg.Endpoint = "http://127.0.0.1:1"
	cfg.PathStyle = true
	cfg.Prefix = "p"
	r, err := New(cfg, filepath.Join(t.TempDir(), "x.db"), Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%v %+v %#v", r.Credentials(), r.Credentials(), r.Credentials()); strings.Contains(s, secret) {
		t.Fatalf("credentials print the secret: %s", s)
	}
	ctx, cancel := testCtx(t)
	defer cancel()
	err = r.Start(ctx)
	if err == nil || !errors.Is(err, ErrBucket) {
		t.Fatalf("Start against a closed port = %v, want ErrBucket", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
		t.Fatalf("secret in error or logs: %v\n%s", err, logs.String())
	}
}

func testCtx(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), 20*time.Second)
}
