package api

import (
	"net/url"
	"strings"
)

// Version is the API version; it is part of every path (Prefix).
const Version = "1"

// Prefix starts every route's path.
const Prefix = "/api/v" + Version + "/"

// Paths of the routes. "{id}" is a path parameter, as in net/http patterns.
const (
	PathHealth      = Prefix + "health"
	PathMe          = Prefix + "me"
	PathMachines    = Prefix + "machines"
	PathMachine     = Prefix + "machines/{id}"
	PathModels      = Prefix + "machines/{id}/models"
	PathModel       = Prefix + "machines/{id}/models/{version}"
	PathPromote     = Prefix + "machines/{id}/models/{version}/promote"
	PathRollback    = Prefix + "machines/{id}/models/rollback"
	PathRetrain     = Prefix + "machines/{id}/retrain"
	PathDatasets    = Prefix + "machines/{id}/datasets"
	PathDataset     = Prefix + "datasets/{id}"
	PathScores      = Prefix + "machines/{id}/scores"
	PathRelearn     = Prefix + "machines/{id}/relearn"
	PathSensors     = Prefix + "sensors"
	PathDevices     = Prefix + "devices"
	PathLive        = Prefix + "live"
	PathLiveNow     = Prefix + "live/snapshot"
	PathEvents      = Prefix + "events"
	PathEvent       = Prefix + "events/{id}"
	PathAcknowledge = Prefix + "events/{id}/acknowledge"
	PathLabel       = Prefix + "events/{id}/label"
	PathTokens      = Prefix + "tokens"
	PathToken       = Prefix + "tokens/{id}"
	PathAudit       = Prefix + "audit"
)

// Route is one API endpoint and the least role that may call it.
type Route struct {
	Method  string // GET, POST, PUT, DELETE
	Path    string // with {id} parameters, e.g. /api/v1/events/{id}
	MinRole Role
	// Audited routes change state and write an audit log entry.
	Audited bool
	// Summary is one line for the documentation.
	Summary string
}

// Pattern returns the net/http ServeMux pattern "METHOD PATH".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Routes is every route of the API, the alerting routes (AlertRoutes) and the report
// routes (ReportRoutes) last. The
// server registers exactly these, its tests call each with each role, and
// docs/API.md is checked against it.
var Routes = append([]Route{
	{"GET", PathHealth, RoleViewer, false, "Appliance health and API version (Health)."},
	{"GET", PathMe, RoleViewer, false, "The caller's identity and role (Identity)."},
	{"GET", PathMachines, RoleViewer, false, "Every configured machine ([]Machine), in configuration order."},
	{"GET", PathMachine, RoleViewer, false, "One machine (Machine)."},
	{"PUT", PathMachine, RoleAdmin, true, "Replace a machine's configuration (Machine → Machine); invalid fields give 422 with fields."},
	{"GET", PathModels, RoleViewer, false, "A machine's models, newest first, with the one being learned first ([]Model)."},
	{"GET", PathModel, RoleViewer, false, "One model version with its training record and metrics (Model)."},
	{"POST", PathPromote, RoleAdmin, true, "Make a candidate or retired model the champion (ModelChangeRequest → Model); 409 if it is the champion already."},
	{"POST", PathRollback, RoleAdmin, true, "Re-promote the champion before the current one (ModelChangeRequest → Model); again walks further back; 404 if there is none."},
	{"POST", PathRetrain, RoleAdmin, true, "Queue a retraining of the machine on its current dataset (ModelChangeRequest → 202 RetrainResponse); queued false when that dataset was trained on already; 404 when retraining is off."},
	{"GET", PathDatasets, RoleViewer, false, "A machine's dataset versions, newest first ([]DatasetVersion)."},
	{"GET", PathDataset, RoleViewer, false, "One dataset version with its items (DatasetManifest); an id prefix of 8 or more hex digits works."},
	{"POST", PathRelearn, RoleAdmin, true, "Discard the machine's model and learn a new one (RelearnRequest → 202)."},
	{"GET", PathScores, RoleViewer, false, "Score history of a machine, oldest first ([]ScorePoint); from, to, limit (the latest N)."},
	{"GET", PathSensors, RoleViewer, false, "Sensor channels and their health ([]Sensor); ?machine=id."},
	{"GET", PathDevices, RoleViewer, false, "Capture devices the appliance sees ([]Device)."},
	{"GET", PathLive, RoleViewer, false, "Server-Sent Events stream of Live updates; ?machine=id; resumes with Last-Event-ID."},
	{"GET", PathLiveNow, RoleViewer, false, "The latest Live state of every machine ([]Live); ?machine=id."},
	{"GET", PathEvents, RoleViewer, false, "Events, newest first ([]Event); filters: machine, kind, from, to, open, unacknowledged, limit."},
	{"GET", PathEvent, RoleViewer, false, "One event (Event)."},
	{"POST", PathAcknowledge, RoleOperator, true, "Acknowledge an event (AcknowledgeRequest → Event), and its machine's anomaly alerts firing for it; 409 if already acknowledged."},
	{"POST", PathLabel, RoleOperator, true, "Label an event with a fault type or \"false_alarm\" (LabelRequest → Event)."},
	{"GET", PathTokens, RoleAdmin, false, "API tokens, without their secrets ([]Token)."},
	{"POST", PathTokens, RoleAdmin, true, "Create a token (CreateTokenRequest → 201 CreatedToken); the secret is shown only here."},
	{"DELETE", PathToken, RoleAdmin, true, "Revoke a token (204)."},
	{"GET", PathAudit, RoleAdmin, false, "The audit log, newest first ([]AuditEntry); filters: actor, action, target, before, limit."},
	{"GET", PathMachineHealth, RoleViewer, false, "A machine's hourly health record, degradation alarm and remaining-useful-life estimate (MachineHealth); from, to select the hours."},
	{"GET", PathHistory, RoleViewer, false, "Score history over hours to weeks (ScoreHistory): min/mean/max per step from raw scores (span ≤ 2 h), 1-minute (≤ 2 days) or 1-hour rollups; from, to, span, points; N = 0 marks a gap."},
	{"GET", PathEventClips, RoleViewer, false, "An event's saved audio clips ([]ClipInfo), with whether the file is still on the appliance and uploaded to S3."},
	{"GET", PathClipAudio, RoleOperator, false, "A clip's WAV file (audio/wav, Content-Disposition, Range requests); 404 naming the clip if its file is gone. Operator: recordings may hold speech."},
	{"GET", PathClipSpectrogram, RoleViewer, false, "A clip's log-mel spectrogram as a matrix of 0-255 levels the client colours (Spectrogram); columns (default 256)."},
	{"GET", PathCorrelations, RoleViewer, false, "Cross-sensor correlation: the most strongly correlated machine pairs with lag and coefficient, and the episodes being followed (Correlations); limit (default 10)."},
}, append(AlertRoutes, ReportRoutes...)...)

// Expand fills the {name} parameters of a route path in order, escaping
// each value: Expand(PathEvent, "42") is "/api/v1/events/42".
func Expand(path string, params ...string) string {
	var b strings.Builder
	for _, p := range params {
		i := strings.IndexByte(path, '{')
		j := strings.IndexByte(path, '}')
		if i < 0 || j < i {
			break
		}
		b.WriteString(path[:i])
		b.WriteString(url.PathEscape(p))
		path = path[j+1:]
	}
	b.WriteString(path)
	return b.String()
}

// Paths of the history and evidence routes (issue 12).
const (
	PathHistory         = Prefix + "machines/{id}/history"
	PathEventClips      = Prefix + "events/{id}/clips"
	PathClipAudio       = Prefix + "clips/{id}/audio"
	PathClipSpectrogram = Prefix + "clips/{id}/spectrogram"
)
