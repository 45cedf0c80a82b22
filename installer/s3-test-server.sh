#!/usr/bin/env bash
# Installs versitygw, the S3-compatible server that appliance/replicate's tests replicate
# to (started by the tests on 127.0.0.1 with a temporary posix directory), into
# $(go env GOPATH)/bin unless it is already there or on PATH. Built from source through the
# Go module proxy (~2.5 min on 2 cores the first time; cached afterwards).
# Usage: installer/s3-test-server.sh
set -euo pipefail

version=v1.8.0
gobin="$(go env GOPATH | cut -d: -f1)/bin"
if [[ -x "$gobin/versitygw" ]] || command -v versitygw >/dev/null; then
	exit 0
fi
echo "s3-test-server: installing versitygw $version into $gobin (about 2.5 minutes the first time)"
# Outside the module: versitygw's dependencies must not touch this repository's go.mod.
cd "$(mktemp -d)"
GOBIN="$gobin" go install "github.com/versity/versitygw/cmd/versitygw@$version"
