package api

import "signalcraft/core/apiconv"

// Until gui/ and tui/internal/fakeappliance are deleted (issue 14), their tests compare
// against these; delete this file with them.
var (
	ValidateMachine = apiconv.ValidateMachine
	MachineFromWire = apiconv.MachineFromWire
	MachineToWire   = apiconv.MachineToWire
)
