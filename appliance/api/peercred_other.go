//go:build !linux

package api

import (
	"errors"
	"net"
)

// peerUID is only implemented on Linux, the appliance's platform; elsewhere
// local callers are recorded as local:unknown.
func peerUID(*net.UnixConn) (int, error) {
	return 0, errors.New("peer credentials: not supported on this platform")
}
