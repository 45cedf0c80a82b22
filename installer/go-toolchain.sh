#!/usr/bin/env bash
# Makes sure the Go toolchain the project needs (go.mod's `go` line) is on the machine.
# If `go` (on PATH or in /usr/local/go/bin) is missing or older, it downloads that exact
# toolchain from the Go module proxy — the same zip `GOTOOLCHAIN=go1.x.y` fetches
# (golang.org/toolchain@v0.0.1-go1.x.y.linux-ARCH), checked against the checksum database
# through the proxy — and installs it in /usr/local/go (the old one, if any, is moved to
# /usr/local/go.old). Debian's golang-go is too old for this module. Needs root or sudo, and
# curl and unzip (installer/dev-deps.sh installs them first).
#
# Usage: installer/go-toolchain.sh            install if needed
#        installer/go-toolchain.sh --check    exit 0 if the toolchain is fine, 1 if not
#        installer/go-toolchain.sh --h1 ZIP   print the Go checksum (h1:…) of a module zip
# GOPROXY (first entry) and GO_PREFIX (default /usr/local) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."

# h1 prints the go.sum hash of a module zip: base64 of the SHA-256 of the sorted lines
# "<sha256 of file>  <path in zip>\n" (golang.org/x/mod/sumdb/dirhash Hash1).
h1() {
	local zip=$1 dir
	dir=$(mktemp -d)
	unzip -q "$zip" -d "$dir"
	local hex
	# sha256sum prints exactly "<hex>  <name>" (no name here has a backslash or newline)
	hex=$(cd "$dir" && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
	rm -rf "$dir"
	# shellcheck disable=SC2059 # the format is the bytes
	printf "$(sed 's/../\\x&/g' <<<"$hex")" | base64
}

if [[ "${1:-}" == --h1 ]]; then
	echo "h1:$(h1 "$2")"
	exit 0
fi

want=$(awk '$1 == "go" {print $2; exit}' go.mod)
if [[ -z "$want" ]]; then
	echo "go-toolchain: no go line in go.mod" >&2
	exit 1
fi
prefix=${GO_PREFIX:-/usr/local}

# current prints the version of the go that make would run (the Makefile puts
# $GO_PREFIX/go/bin first on PATH), e.g. 1.26.8, or nothing.
current() {
	local g
	for g in "$prefix/go/bin/go" "$(command -v go 2>/dev/null || true)"; do
		if [[ -n "$g" && -x "$g" ]]; then
			GOTOOLCHAIN=local "$g" env GOVERSION 2>/dev/null | sed 's/^go//' && return
		fi
	done
}

# older A B: is version A older than B (1.26 < 1.26.8 < 1.27)?
older() {
	[[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" == "$1" ]]
}

have=$(current)
if [[ -n "$have" ]] && ! older "$have" "$want"; then
	exit 0
fi
if [[ "${1:-}" == --check ]]; then
	echo "go-toolchain: have ${have:-no go}, need go$want" >&2
	exit 1
fi

case "$(uname -m)" in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
armv7l | armv6l) arch=armv6l ;;
*)
	echo "go-toolchain: no Go toolchain for $(uname -m); install go$want by hand (https://go.dev/dl/)" >&2
	exit 1
	;;
esac
sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null; then
		echo "go-toolchain: have ${have:-no go}, need go$want; as root run: make deps   (or install go$want in $prefix/go)" >&2
		exit 1
	fi
	sudo=(sudo)
fi
proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%,*}
[[ "$proxy" == direct || "$proxy" == off ]] && proxy=https://proxy.golang.org
mod="golang.org/toolchain"
ver="v0.0.1-go$want.linux-$arch"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "go-toolchain: have ${have:-no go}, need go$want: downloading $mod@$ver from $proxy"
curl -fsSL --retry 3 -o "$tmp/go.zip" "$proxy/$mod/@v/$ver.zip"
sum=$(curl -fsSL --retry 3 "$proxy/sumdb/sum.golang.org/lookup/$mod@$ver" | awk -v m="$mod" -v v="$ver" '$1 == m && $2 == v {print $3}')
got="h1:$(h1 "$tmp/go.zip")"
if [[ -z "$sum" || "$got" != "$sum" ]]; then
	echo "go-toolchain: checksum of $mod@$ver is $got, the checksum database says ${sum:-nothing}: not installed" >&2
	exit 1
fi
unzip -q "$tmp/go.zip" -d "$tmp/x"
"${sudo[@]}" rm -rf "$prefix/go.old"
if [[ -e "$prefix/go" ]]; then
	"${sudo[@]}" mv "$prefix/go" "$prefix/go.old"
fi
"${sudo[@]}" mkdir -p "$prefix"
"${sudo[@]}" mv "$tmp/x/$mod@$ver" "$prefix/go"
"${sudo[@]}" chmod -R a+rX "$prefix/go"
echo "go-toolchain: installed $("$prefix/go/bin/go" version) in $prefix/go"
