#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing SignalCraft need, but only
# those that are missing, then the Go toolchain go.mod names if Go is missing or older
# (installer/go-toolchain.sh). Runs apt-get as root, or through sudo.
# Usage: installer/dev-deps.sh [run|test]
set -euo pipefail

# building and running: cgo for PortAudio and Fyne (OpenGL, X11 headers); tzdata for
# maintenance windows in local time zones; curl, unzip and ca-certificates to fetch Go;
# fonts-nanum for the reports' PDF (Hangul; core/report)
run_pkgs=(gcc pkg-config portaudio19-dev libportaudio2 alsa-utils libgl1-mesa-dev xorg-dev tzdata
	curl unzip ca-certificates fonts-nanum)
# tests: a PulseAudio daemon for device-loss tests, tmux for the TUI end to end,
# Xvfb and ImageMagick for GUI screenshots; lintian and man-db (systemd-analyze verify
# resolves Documentation=man:) and systemd (systemd-analyze) for the package tests;
# poppler-utils (pdftotext, pdftoppm) for the reports' golden tests
test_pkgs=(poppler-utils pulseaudio pulseaudio-utils libasound2-plugins sox tmux xvfb imagemagick fonts-noto-cjk mosquitto lintian man-db systemd prometheus)

want=("${run_pkgs[@]}")
if [[ "${1:-run}" == test ]]; then
	want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	exec "$(dirname "$0")/go-toolchain.sh"
fi

sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null; then
		echo "dev-deps: need root or sudo to install: ${missing[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi
echo "dev-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
exec "$(dirname "$0")/go-toolchain.sh"
