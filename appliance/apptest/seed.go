package apptest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// ClientAs returns a client over TLS with a new token of the role named name: the appliance
// records name as the actor of what the client does (acknowledgements, audit entries).
func (a *Appliance) ClientAs(t T, name string, role wire.Role) *wire.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ct, err := a.Admin(t).CreateToken(ctx, wire.CreateTokenRequest{Name: name, Role: role})
	if err != nil {
		t.Fatalf("apptest: creating %s's %s token: %v", name, role, err)
	}
	c, err := wire.NewClient(a.URL(), wire.WithToken(ct.Secret), wire.WithTLSFingerprint(a.Fingerprint))
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	return c
}

// AddClip records an event's audio clip as the appliance does once one is recorded: with
// wav, the file is written at c.Path under the clips directory and c's Size and SHA256 are
// the file's; with nil, only the row is added (a clip whose file was pruned). It returns the
// clip's id.
func (a *Appliance) AddClip(t T, c store.Clip, wav []byte) int64 {
	t.Helper()
	if wav != nil {
		p := filepath.Join(a.Dir, "clips", filepath.FromSlash(c.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("apptest: %v", err)
		}
		if err := os.WriteFile(p, wav, 0o644); err != nil {
			t.Fatalf("apptest: %v", err)
		}
		sum := sha256.Sum256(wav)
		c.Size, c.SHA256 = int64(len(wav)), hex.EncodeToString(sum[:])
	}
	id, err := a.DB().AddClip(context.Background(), c)
	if err != nil {
		t.Fatalf("apptest: adding event %d's clip %s: %v", c.EventID, c.Path, err)
	}
	return id
}
