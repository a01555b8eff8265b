#!/usr/bin/env bash
# Builds FerretDB v1.24.2 from the Go module proxy into $1 (default .ci/bin).
# `go install ...@v1.24.2` builds a binary that panics at start: the module ships without
# build/version/version.txt, which FerretDB's release tooling normally generates. So we copy
# the module source, write that file, and build it ourselves.
set -euo pipefail
version=v1.24.2
out_dir=${1:-"$(cd "$(dirname "$0")" && pwd)/bin"}
mkdir -p "$out_dir"
# (Output captured before matching: with pipefail, `grep -q` closing the pipe early is a failure.)
if [ -x "$out_dir/ferretdb" ] && [[ "$("$out_dir/ferretdb" --version 2>/dev/null || true)" == *"$version"* ]]; then
  echo "ferretdb $version already built at $out_dir/ferretdb"
  exit 0
fi
export GOFLAGS=-mod=mod
mod_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$mod_dir/." "$work/"
chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
(cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$out_dir/ferretdb" ./cmd/ferretdb)
built=$("$out_dir/ferretdb" --version)
echo "built FerretDB (${built%%$'\n'*}) at $out_dir/ferretdb"
