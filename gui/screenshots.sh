#!/bin/sh
# Regenerates the desktop client's documentation screenshots
# (docs/screenshots/gui-{overview,detail,alerts,notifications,rules}-{en,ko}.png): runs the real
# signalcraft-desktop under Xvfb against the real appliance in-process
# (appliance/apptest/cmd/demo-appliance: the demo plant, its simulated sources run
# 90 s of stream time first), where "Coolant pump 2" has developed a bearing
# fault and raised its anomaly alerts.
#
# Needs: Go with cgo, xvfb, imagemagick (import), fonts-noto-cjk.
# Usage: gui/screenshots.sh   (from the repository root; DISPLAY_NUM=99 by default)
set -eu
cd "$(dirname "$0")/.."
out=docs/screenshots
disp=":${DISPLAY_NUM:-99}"
tmp=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "temp dir $tmp"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

go build -o "$tmp/signalcraft-desktop" ./gui/cmd/signalcraft-desktop
go build -o "$tmp/demo-appliance" ./appliance/apptest/cmd/demo-appliance
mkdir -p "$out"

Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids="$pids $!"
sleep 1

shot() { # [ROLE=admin] shot VIEW LANG [desktop flags...]
	view=$1 lang=$2
	shift 2
	# The demo pump's fault starts 50 s in: after 90 s it is an open event
	# with its alerts firing. The appliance prints its URL, its
	# certificate's fingerprint and a token of the role, a line each.
	: >"$tmp/appliance.txt"
	"$tmp/demo-appliance" -age 90s -role "${ROLE:-operator}" >"$tmp/appliance.txt" 2>"$tmp/appliance.log" &
	fake=$!
	i=0
	while [ "$(wc -l <"$tmp/appliance.txt")" -lt 3 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	url=$(sed -n 1p "$tmp/appliance.txt")
	fp=$(sed -n 2p "$tmp/appliance.txt")
	token=$(sed -n 3p "$tmp/appliance.txt")
	rm -f "$tmp/config.json"
	DISPLAY=$disp LANG=C.UTF-8 "$tmp/signalcraft-desktop" -config "$tmp/config.json" \
		-url "$url" -fingerprint "$fp" -token "$token" -name "Plant A" -lang "$lang" -size 1280x800 "$@" >"$tmp/desktop.log" 2>&1 &
	app=$!
	sleep 6
	echo "$view $lang: $url" >>"$tmp/urls"
	DISPLAY=$disp import -window root "$out/gui-$view-$lang.png"
	kill "$app" "$fake"
	wait "$app" "$fake" 2>/dev/null || true
	echo "wrote $out/gui-$view-$lang.png"
}

for lang in en ko; do
	shot overview "$lang"
	shot detail "$lang" -machine pump-2
	shot alerts "$lang" -tab alerts
	ROLE=admin shot notifications "$lang" -tab notifications
	ROLE=admin shot rules "$lang" -tab rules
done
