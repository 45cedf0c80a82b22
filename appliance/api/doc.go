// Package api serves the appliance's HTTP API: the contract of
// signalcraft/core/api (its route table, roles, JSON types and error codes)
// implemented over the daemon's live state and the SQLite store.
//
// # Authentication
//
// A request over TCP must carry "Authorization: Bearer sc_…". Secrets are 32
// random bytes; the store keeps only their SHA-256, so the database never
// holds a usable secret. Tokens are created with "signalcraftd token create"
// (TokenCommand) or by an admin through POST /api/v1/tokens.
//
// A request over the unix socket (ListenUnix, default
// /run/signalcraft/api.sock, mode 0660) needs no token: who may connect is
// decided by the socket's owner, group and mode, and whoever can connect is
// admin. The peer's uid (SO_PEERCRED) names the actor in the audit log as
// "local:<user>".
//
// Failed authentications are counted (Options.AuthFailed) by transport and
// reason, logged at most once a minute per client address with the number
// left out, and after 10 within a minute the address is answered 429 with
// Retry-After for a minute, doubling up to 15 (AuthLimits). Valid tokens
// are served from any address, blocked or not.
//
// # Slow and greedy clients
//
// Headers, bodies, responses and idle connections have timeouts
// (Timeouts); the live stream renews its write timeout for each write.
// Bodies are limited to 64 KiB. A client address holds at most 32 TCP
// connections at once, a TCP listener 1024, the unix socket 64 (Limits);
// connections beyond are closed at once.
//
// # TLS
//
// TCP is served over TLS with a self-signed ECDSA certificate created on
// first start in the data directory (LoadOrCreateCert). Clients pin its
// SHA-256 fingerprint (trust on first use), which the daemon logs at start.
//
// # Audit
//
// Every request that changes something appends an audit entry naming the
// actor, action, target and detail; changes stored in SQLite write it in the
// same transaction.
package api
