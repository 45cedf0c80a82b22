package api

import "fmt"

// Role is what a token may do. Roles are ordered: each includes the ones below.
type Role string

// Roles, from least to most privileged.
const (
	// RoleViewer reads everything (every GET and the live stream) except
	// tokens and the audit log.
	RoleViewer Role = "viewer"
	// RoleOperator also acknowledges and labels events and, with issue 4,
	// silences alerts (MinRoleSilence).
	RoleOperator Role = "operator"
	// RoleAdmin also changes configuration, relearns models, manages tokens
	// and reads the audit log.
	RoleAdmin Role = "admin"
)

// MinRoleSilence is the role needed to create or end an alert silence
// (routes to come with issue 4).
const MinRoleSilence = RoleOperator

// Roles lists the roles from least to most privileged.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a caller with role r may use a route needing min.
// An invalid role allows nothing.
func (r Role) Allows(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// ParseRole returns the role named s, or an error listing the roles.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q (roles: viewer, operator, admin)", s)
	}
	return r, nil
}
