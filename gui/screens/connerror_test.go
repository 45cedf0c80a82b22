package screens

import (
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// TestSocketPermissionText: a user outside group signalcraft is told to join it, not asked
// whether the appliance runs.
func TestSocketPermissionText(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "http://unix/api/v1/me", Err: &api.SocketError{Path: "/run/signalcraft/api.sock",
		Err: &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}}}
	for _, lang := range []i18n.Lang{i18n.English, i18n.Korean} {
		r := sharedRig(t, api.RoleAdmin, lang)
		got := r.ui.errorText(err)
		if !strings.Contains(got, "sudo usermod -aG signalcraft $USER") || strings.Contains(got, r.ui.T("err.network", "")) {
			t.Errorf("%v: %q", lang, got)
		}
	}
}
