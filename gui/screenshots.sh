#!/bin/sh
# Regenerates the desktop client's documentation screenshots
# (docs/screenshots/gui-{overview,detail,alerts,notifications,rules}-{en,ko}.png): runs the real
# signalcraft-desktop under Xvfb against the fake appliance
# (gui/internal/fakeappliance) on loopback, where "Feed pump 2" has just
# started to sound wrong and raised a critical alert.
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
trap cleanup EXIT INT TERM

go build -o "$tmp/signalcraft-desktop" ./gui/cmd/signalcraft-desktop
go build -o "$tmp/fakeappliance" ./gui/internal/fakeappliance/cmd/fakeappliance
mkdir -p "$out"

Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids="$pids $!"
sleep 1

shot() { # [ROLE=admin] shot VIEW LANG [desktop flags...]
	view=$1 lang=$2
	shift 2
	# The pump turns anomalous 15 s after the fake starts; start it 30 s
	# "old" so the charts show the change a third of the way in.
	rm -f "$tmp/fake.url"
	"$tmp/fakeappliance" -addr 127.0.0.1:0 -role "${ROLE:-operator}" -age 30s >"$tmp/fake.url" 2>"$tmp/fake.log" &
	fake=$!
	i=0
	while [ ! -s "$tmp/fake.url" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	url=$(head -n1 "$tmp/fake.url")
	rm -f "$tmp/config.json"
	DISPLAY=$disp LANG=C.UTF-8 "$tmp/signalcraft-desktop" -config "$tmp/config.json" \
		-url "$url" -name "Plant A" -lang "$lang" -size 1280x800 "$@" >"$tmp/desktop.log" 2>&1 &
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
