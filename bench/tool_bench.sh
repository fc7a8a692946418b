#!/usr/bin/env bash
# First build on a fresh machine: how long until //examples/hello:image is
# built, when the strata tool comes (a) from source with cold Go caches (the
# Go toolchain and every module downloaded, everything compiled), (b) from a
# release's prebuilt binary (served from 127.0.0.1), against (0) Bazel's own
# time for a trivial genrule in a fresh output base. Each in a fresh output
# base and a fresh HOME; Bazel's repository cache is cold for (a) too.
#   bash bench/tool_bench.sh        prints a table of wall times and ratios to (0)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
W=${BENCH_TMP:-/tmp/strata-bench}/tool
rm -rf "$W"
mkdir -p "$W"
bench_workspace "$W/ws"
proxy=$(go env GOPROXY | tr ',|' '\n\n' | grep -m1 '^http')
# Output bases in a file: timed runs in $( ... ), where an array would not
# reach the trap.
: > "$W/obs"
trap 'sort -u "$W/obs" | while read -r ob; do bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true; done; kill $http_pid 2>/dev/null || true' EXIT

# timed NAME ENV... -- BAZEL ARGS: wall seconds of one fresh-output-base build.
timed() {
  local name=$1
  shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local ob=$W/ob-$name home=$W/home-$name
  echo "$ob" >> "$W/obs"
  mkdir -p "$home"
  local start=$(date +%s.%N)
  env -i PATH=/usr/bin:/bin HOME="$home" "${envs[@]}" \
    bazel --output_base="$ob" build --repository_cache="$W/repos-$name" "$@" >"$W/$name.log" 2>&1 ||
    { cat "$W/$name.log" >&2; die "$name failed"; }
  echo "$(date +%s.%N) - $start" | bc
}

port=$(free_port)
bash scripts/release.sh --url-prefix "http://127.0.0.1:$port" --out "$W/release" --platforms linux_amd64 >/dev/null 2>&1
cp rules/private/strata_prebuilt.bzl "$W/prebuilt.bzl"
git -C "$ROOT" show HEAD:rules/private/strata_prebuilt.bzl > rules/private/strata_prebuilt.bzl
python3 -m http.server --bind 127.0.0.1 "$port" --directory "$W/release" >/dev/null 2>&1 &
http_pid=$!

t0=$(timed trivial -- //bench_trivial:trivial)
ta=$(timed source GOPROXY="$proxy" -- //examples/hello:image)
cp "$W/prebuilt.bzl" rules/private/strata_prebuilt.bzl
tb=$(timed prebuilt -- //examples/hello:image)

printf '| first build, fresh output base | wall s | ratio |\n|---|---|---|\n'
printf '| trivial genrule (Bazel alone) | %.1f | 1.00x |\n' "$t0"
printf '| hello image, tool from source, cold Go caches | %.1f | %.2fx |\n' "$ta" "$(echo "$ta / $t0" | bc -l)"
printf '| hello image, prebuilt tool | %.1f | %.2fx |\n' "$tb" "$(echo "$tb / $t0" | bc -l)"
