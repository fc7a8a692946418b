#!/usr/bin/env bash
# A fresh CI machine, end to end: fresh output base, warm remote cache
# (bazel-remote), Build without the Bytes (--remote_download_minimal), then
# push //examples/hello:image to a fresh local registry, with the strata tool
# from a release's prebuilt binary (served from 127.0.0.1; no Go on PATH),
# against Bazel's own time for a trivial genrule in a fresh output base with
# the same cache, and against a trivial cc_binary (Bazel alone, paying the
# C++ toolchain set-up that hello's cc_binary makes every fresh output base
# pay, so the two ratios separate Bazel's own C++ cost from rules_strata's).
# Each timed run gets a fresh output base, HOME and
# repository cache (so the prebuilt binary is downloaded every time);
# the two are interleaved, ROUNDS times, and the medians compared.
#   bash bench/ci_bench.sh [ROUNDS]      (default 3)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
ROUNDS=${1:-3}
W=${BENCH_TMP:-/tmp/strata-bench}/ci
rm -rf "$W"
mkdir -p "$W"
bench_workspace "$W/ws"
ensure_bazel_remote
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ)"
echo "command: bash bench/ci_bench.sh $ROUNDS"

: > "$W/obs"
cleanup() {
  sort -u "$W/obs" | while read -r ob; do bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true; done
  [ -n "${http_pid:-}" ] && kill "$http_pid" 2>/dev/null
  [ -f "$W/cache/pid" ] && kill "$(cat "$W/cache/pid")" 2>/dev/null
  [ -d "$W/reg" ] && stop_registry "$W/reg"
  true
}
trap cleanup EXIT

port=$(free_port)
bash scripts/release.sh --url-prefix "http://127.0.0.1:$port" --out "$W/release" --platforms linux_amd64 >"$W/release.log" 2>&1 ||
  { cat "$W/release.log" >&2; die "scripts/release.sh failed"; }
python3 -m http.server --bind 127.0.0.1 "$port" --directory "$W/release" >/dev/null 2>&1 &
http_pid=$!
hport=$(free_port) gport=$(free_port)
start_bazel_remote "$W/cache" "$hport" "$gport"
rport=$(free_port)
start_registry "$W/reg" "$rport"
CACHE=(--remote_cache="grpc://127.0.0.1:$gport" --remote_download_minimal)

# bzl NAME CMD TARGET [-- ARGS]: one Bazel command in a fresh output base, HOME
# and repository cache, with nothing but /usr/bin:/bin on PATH (no Go);
# prints its wall seconds.
bzl() {
  local name=$1 cmd=$2
  shift 2
  local ob=$W/ob-$name home=$W/home-$name
  rm -rf "$ob" "$home" "$W/repos-$name"
  echo "$ob" >> "$W/obs"
  mkdir -p "$home"
  local start end
  start=$(date +%s.%N)
  env -i PATH=/usr/bin:/bin HOME="$home" STRATA_REMOTE_CACHE="grpc://127.0.0.1:$gport" \
    bazel --output_base="$ob" "$cmd" --repository_cache="$W/repos-$name" "${CACHE[@]}" "$@" >"$W/$name.log" 2>&1 ||
    { cat "$W/$name.log" >&2; die "$name failed"; }
  end=$(date +%s.%N)
  bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f\n", b - a}'
}

# Warm the cache: what CI's earlier runs would have left there.
bzl warm build //examples/hello:image //examples/hello:image.push //bench_trivial:trivial //bench_trivial:trivial_cc >/dev/null

declare -a T0 T1 T2
for r in $(seq 1 "$ROUNDS"); do
  repo=127.0.0.1:$rport/ci-bench/hello-$r
  if ((r % 2)); then order="trivial trivial_cc push"; else order="push trivial_cc trivial"; fi
  for what in $order; do
    if [ "$what" = trivial ]; then
      t=$(bzl trivial build //bench_trivial:trivial)
      T0+=("$t")
    elif [ "$what" = trivial_cc ]; then
      t=$(bzl trivial_cc build //bench_trivial:trivial_cc)
      T2+=("$t")
    else
      t=$(bzl push run //examples/hello:image.push -- --repository "$repo")
      T1+=("$t")
      grep -q "remote cache hit" "$W/push.log" || die "the push build had no remote cache hit (see $W/push.log)"
      d=$(grep -o '@sha256:[0-9a-f]*' "$W/push.log" | head -1)
      [ -n "$d" ] || die "the push printed no repo@sha256 line (see $W/push.log)"
      curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' -o /dev/null \
        "http://127.0.0.1:$rport/v2/ci-bench/hello-$r/manifests/${d#@}" || die "the registry lacks the pushed manifest ${d#@}"
    fi
    echo "round $r $what: $t s" >&2
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
t0=$(median "${T0[@]}") t1=$(median "${T1[@]}") t2=$(median "${T2[@]}")
hits=$(grep -o '[0-9]* remote cache hit' "$W/push.log" | head -1)
pushed=$(grep -m1 '@sha256:' "$W/push.log" || true)
echo
echo "| fresh output base, warm remote cache, --remote_download_minimal | wall s (median of $ROUNDS) | ratio |"
echo "|---|---|---|"
echo "| trivial genrule (Bazel alone) | $t0 | 1.00x |"
echo "| trivial cc_binary (Bazel alone, with the C++ toolchain set-up) | $t2 | $(awk -v a="$t2" -v b="$t0" 'BEGIN {printf "%.2fx", a / b}') |"
echo "| build + push //examples/hello:image, prebuilt tool | $t1 | $(awk -v a="$t1" -v b="$t0" 'BEGIN {printf "%.2fx", a / b}') ($(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.2fx", a / b}') of the cc_binary) |"
echo
echo "push build: $hits; pushed: $pushed"
