// Package api is the wire contract between the SignalCraft appliance and its
// clients (the terminal UI, the desktop GUI, scripts): the API version, the
// route table with the role each route needs, the JSON types, the error codes
// and their HTTP statuses, and a Go client.
//
// It uses the standard library only (core/deps_test.go enforces this), so a
// client binary never links SQLite, PortAudio or the appliance.
//
// # Conventions
//
//   - Every route lives under [Prefix] (/api/v1/); [Routes] lists them all
//     together with the least [Role] allowed to call them. The server, its
//     tests and docs/API.md are all built from that one table.
//   - Requests authenticate with "Authorization: Bearer sc_…" (a token
//     created with "signalcraftd token create" or POST /api/v1/tokens).
//     Requests over the appliance's unix socket are authenticated by the
//     socket's file permissions instead and act as admin.
//   - JSON field names are snake_case; times are RFC 3339 strings in UTC;
//     nullable times (an open event's end, a token that never expires) are
//     JSON null; durations are Go duration strings ("10m0s").
//   - Failures carry an [Error] body {code, message, fields}; the client
//     returns it as *Error, so callers test it with [IsCode].
//   - The live stream is Server-Sent Events on GET /api/v1/live: each message
//     is "id: <seq>" and "data: <Live JSON>", comments (": ping") are
//     heartbeats, and a client resumes after a disconnect by sending
//     Last-Event-ID; [Client.Stream] does all of that.
//
// [Version] is bumped when a change breaks existing clients; additions of
// fields and routes do not bump it.
package api
