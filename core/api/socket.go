package api

import (
	"errors"
	"fmt"
	"io/fs"
)

// SocketGroup is the group whose members (and root) may use the appliance's API socket.
const SocketGroup = "signalcraft"

// SocketPermissionHint tells a user the socket refused what to do about it.
const SocketPermissionHint = "only root and members of group " + SocketGroup + " may use it: join the group with " +
	"`sudo usermod -aG " + SocketGroup + " $USER`, then log out and in again (or start a shell with `newgrp " + SocketGroup + "`)"

// ErrSocketPermission is wrapped by the client's errors when the operating system refused
// to connect to the appliance's unix socket (EACCES or EPERM). The daemon may well be
// running: the user is not in the socket's group.
var ErrSocketPermission = errors.New("permission denied on the appliance's API socket")

// SocketError is a failed connection to the appliance's unix socket that the user can fix
// by joining SocketGroup. It wraps ErrSocketPermission and the dial error.
type SocketError struct {
	Path string
	Err  error
}

func (e *SocketError) Error() string {
	return fmt.Sprintf("%v %s: %s", ErrSocketPermission, e.Path, SocketPermissionHint)
}

func (e *SocketError) Unwrap() []error { return []error{ErrSocketPermission, e.Err} }

// IsSocketPermission reports whether err is a refused connection to the API socket.
func IsSocketPermission(err error) bool { return errors.Is(err, ErrSocketPermission) }

// classifySocketError turns a permission error from dialling the unix socket at path into a
// *SocketError; other errors are returned as they are.
func classifySocketError(path string, err error) error {
	if err != nil && errors.Is(err, fs.ErrPermission) && !errors.Is(err, ErrSocketPermission) {
		return &SocketError{Path: path, Err: err}
	}
	return err
}
