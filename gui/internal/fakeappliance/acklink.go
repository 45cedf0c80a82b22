package fakeappliance

import (
	"slices"

	"signalcraft/core/api"
)

// linked reports whether alert a is acknowledged together with event e, as the appliance
// links them (appliance/daemon/acklink.go): an anomaly event and an unacknowledged anomaly
// alert (its rule reads anomaly_score or score) of the same machine, pending or firing,
// that overlap in time.
func linked(rules []api.AlertRule, a api.Alert, e api.Event) bool {
	i := slices.IndexFunc(rules, func(r api.AlertRule) bool { return r.Name == a.Rule })
	if i < 0 || (rules[i].Metric != "anomaly_score" && rules[i].Metric != "score") {
		return false
	}
	return e.Kind == "anomaly" && a.MachineID == e.MachineID && a.State != api.AlertResolved && a.AcknowledgedAt == nil &&
		(e.Open() || !a.ActiveAt.After(*e.End))
}
