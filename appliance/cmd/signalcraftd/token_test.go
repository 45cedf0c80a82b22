package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"signalcraft/appliance/datadir"
)

// TestTokenCreateBeforeFirstStart runs token create with a data_dir the daemon has not made
// yet: it makes it as the daemon would, or says which path, which user and what to do.
func TestTokenCreateBeforeFirstStart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	write(t, file, "")
	tests := []struct {
		name    string
		dataDir string
		want    string // in the error; "" means success
	}{
		{"missing data_dir is created", filepath.Join(dir, "var", "lib", "signalcraft"), ""},
		{"data_dir under a file", filepath.Join(file, "sc"), "cannot create " + filepath.Join(file, "sc") + " as user " + datadir.CurrentUser()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "sc.yaml")
			write(t, cfg, strings.Replace(simYAML(dir, 0), "data_dir: "+dir, "data_dir: "+tt.dataDir, 1))
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"token", "create", "--name", "anna", "--role", "viewer", "--config", cfg}, &out, &errb)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "("+file+" is a file)") {
					t.Fatalf("err %v, want one containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("token create: %v (stderr %s)", err, errb.String())
			}
			st, err := os.Stat(tt.dataDir)
			if err != nil || !st.IsDir() || st.Mode().Perm()&0o027 != 0 {
				t.Fatalf("data_dir %v, %v: want a directory no more open than %v", st.Mode(), err, datadir.Perm)
			}
			if _, err := os.Stat(filepath.Join(tt.dataDir, "signalcraft.db")); err != nil {
				t.Fatalf("no database in the new data_dir: %v", err)
			}
			if !strings.Contains(errb.String(), "created data_dir "+tt.dataDir) {
				t.Errorf("stderr %q does not say the data_dir was created", errb.String())
			}
		})
	}
}
