#!/usr/bin/env bash
# Builds the strata release binaries reproducibly (the same flags and pinned
# toolchain as the strata_tool repository rule, so each is byte-identical to
# what a source build produces) and writes rules/private/strata_prebuilt.bzl,
# which makes rules_strata download them by sha256 instead of building.
#   scripts/release.sh --url-prefix URL [--out DIR] [--platforms linux_amd64,...]
# URL is where DIR's files will be served from, e.g. a release's download URL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
url_prefix="" out=.cache/release platforms="darwin_amd64,darwin_arm64,linux_amd64,linux_arm64"
while [ $# -gt 0 ]; do
  case "$1" in
    --url-prefix) url_prefix=${2%/}; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --platforms) platforms=$2; shift 2 ;;
    *) die "unknown argument $1 (usage: scripts/release.sh --url-prefix URL [--out DIR] [--platforms a,b])" ;;
  esac
done
[ -n "$url_prefix" ] || die "--url-prefix is required: where the binaries will be downloaded from"
command -v go >/dev/null || die "releasing needs Go (any version >= 1.21; go.mod's toolchain line selects the exact one)"
toolchain=$(sed -n 's/^toolchain //p' go.mod)
mkdir -p "$out"
{
  echo '"""Prebuilt strata binaries of a release: written by scripts/release.sh."""'
  echo
  echo 'STRATA_PREBUILT = {'
  for p in ${platforms//,/ }; do
    goos=${p%_*} goarch=${p#*_}
    log "building strata for $goos/$goarch with $toolchain"
    env -u GOROOT -u GOFLAGS CGO_ENABLED=0 GO111MODULE=on GOAMD64=v1 GOARM64=v8.0 GOENV=off GOEXPERIMENT= \
      GOFLAGS=-mod=readonly GOOS="$goos" GOARCH="$goarch" GOTOOLCHAIN="$toolchain" GOWORK=off \
      go build -trimpath -buildvcs=false -ldflags="-s -w" -o "$out/strata-$p" ./tools/strata
    echo "    \"$p\": {\"sha256\": \"$(sha256sum < "$out/strata-$p" | cut -c1-64)\", \"urls\": [\"$url_prefix/strata-$p\"]},"
  done
  echo '}'
} > rules/private/strata_prebuilt.bzl
echo "wrote rules/private/strata_prebuilt.bzl; serve $out/ at $url_prefix/"
