#!/usr/bin/env bash
# Starts the appliance daemon and, on a terminal, the technicians' TUI connected to it; quitting
# the TUI stops the daemon (it flushes everything first). Without a terminal (CI, a pipe) the
# daemon prints its status table instead. Used by `make run`.
# Usage: installer/run.sh [CONFIG]    (no CONFIG: the embedded demo)
set -euo pipefail
cd "$(dirname "$0")/.."

config=${1:-}
if [[ -z "$config" ]]; then
	args=(run --demo)
	socket=.demo/api.sock
	datadir=.demo
else
	args=(run --config "$config")
	socket=$(sed -n 's/^[[:space:]]*socket:[[:space:]]*\([^#[:space:]]*\).*/\1/p' "$config" | head -n1)
	socket=${socket:-/run/signalcraft/api.sock}
	datadir=$(sed -n 's/^data_dir:[[:space:]]*\([^#[:space:]]*\).*/\1/p' "$config" | head -n1)
	datadir=${datadir:-/var/lib/signalcraft}
fi

if [[ ! -t 0 || ! -t 1 ]]; then
	exec bin/signalcraftd "${args[@]}" --status
fi

mkdir -p "$datadir"
log="$datadir/signalcraftd.log"
bin/signalcraftd "${args[@]}" >>"$log" 2>&1 &
daemon=$!
stop() {
	kill -TERM "$daemon" 2>/dev/null || true
	wait "$daemon" 2>/dev/null || true
	echo "SignalCraft stopped; data in $datadir, log in $log"
}
trap stop EXIT

for _ in $(seq 100); do
	[[ -S "$socket" ]] && break
	if ! kill -0 "$daemon" 2>/dev/null; then
		echo "signalcraftd did not start; the end of $log:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	sleep 0.1
done
bin/signalcraft --socket "$socket"
