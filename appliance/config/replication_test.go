package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReplicationConfig(t *testing.T) {
	c, err := Parse([]byte(base + `
replication:
  s3:
    endpoint: http://127.0.0.1:7070
    bucket: signalcraft-backups
    path_style: true
    credentials_file: /etc/signalcraft/s3.env
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Replication.S3
	if s == nil || s.Region != DefaultReplicationRegion || s.Prefix != DefaultReplicationPrefix || s.SyncInterval != time.Second || !s.PathStyle {
		t.Fatalf("replication defaults not applied: %+v", s)
	}
	if c, err := Parse([]byte(base)); err != nil || c.Replication.S3 != nil {
		t.Fatalf("no replication section: %+v, %v", c.Replication, err)
	}
	const secret = "do-not-print-me"
	for _, tc := range []struct{ name, s3, want string }{
		{"no bucket", `{endpoint: "http://h:1"}`, `replication.s3.bucket "": must not be empty`},
		{"bad bucket", `{bucket: My_Bucket}`, `replication.s3.bucket "My_Bucket": must be 3 to 63`},
		{"bad endpoint", `{bucket: b-1, endpoint: "ftp://h"}`, `replication.s3.endpoint "ftp://h": must be an http:// or https:// URL`},
		{"endpoint with path", `{bucket: b-1, endpoint: "http://h/x"}`, `replication.s3.endpoint "http://h/x"`},
		{"bad region", `{bucket: b-1, region: "Europe West"}`, `replication.s3.region "Europe West"`},
		{"bad prefix", `{bucket: b-1, prefix: "/abs"}`, `replication.s3.prefix "/abs": must be a relative key prefix`},
		{"dotdot prefix", `{bucket: b-1, prefix: "a/../b"}`, `replication.s3.prefix "a/../b"`},
		{"secret without id", `{bucket: b-1, secret_access_key: ` + secret + `}`, `replication.s3.access_key_id "": must be set together with secret_access_key`},
		{"id without secret", `{bucket: b-1, access_key_id: AKIA}`, `replication.s3.secret_access_key "": must be set together`},
		{"both sources", `{bucket: b-1, access_key_id: AKIA, secret_access_key: ` + secret + `, credentials_file: /etc/x}`, `replication.s3.credentials_file "/etc/x": give either`},
		{"relative file", `{bucket: b-1, credentials_file: s3.env}`, `replication.s3.credentials_file "s3.env": must be an absolute path`},
		{"sync interval", `{bucket: b-1, sync_interval: 10ms}`, `replication.s3.sync_interval 10ms: must be between 100ms and 1h`},
		{"unknown key", `{bucket: b-1, secret: x}`, `unknown field "secret" in replication.s3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base + "replication:\n  s3: " + tc.s3 + "\n"))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}
