#!/usr/bin/env bash
# Remote-cache benchmark for a 20-layer image (//bench/twenty:image, made in
# a scratch copy of the repository from bench/gendata: 20 layers of 4 MiB
# mixed content). One run measures, against a real bazel-remote and a real
# docker-registry:
#   cold           fresh output base, empty cache (the first CI machine)
#   warm           fresh output base, warm cache, all outputs downloaded
#   warm-minimal   fresh output base, warm cache, --remote_download_toplevel
#   no-op          the same build again
#   push           first push of the image from the warm-minimal machine
#                  (blobs streamed from the cache), then an unchanged re-push
# and prints wall times as ratios to the cold build, plus the bytes each
# machine downloaded into its output tree.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ensure_apt_packages
ensure_go_tools
ensure_bazel_remote
W=${STRATA_BENCH_DIR:-/tmp/strata-cache-bench}
rm -rf "$W" && mkdir -p "$W"

http_port=$(free_port)
grpc_port=$(free_port)
start_bazel_remote "$W/cache" "$http_port" "$grpc_port"
reg_port=$(free_port)
start_registry "$W/reg" "$reg_port"
obs=()
trap 'for ob in "${obs[@]}"; do bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true; done; stop_registry "$W/reg"; stop_registry "$W/cache"' EXIT
export STRATA_REMOTE_CACHE=grpc://127.0.0.1:$grpc_port

# make_machine DIR: a checkout with the 20-layer package, as each CI machine has.
make_machine() {
  copy_workspace "$1"
  mkdir -p "$1/bench/twenty"
  go run ./bench/gendata -dir "$W/data" -big-mib 80 -small-files 0 >/dev/null 2>&1 || true
  {
    echo 'load("//rules:defs.bzl", "image", "image_layer")'
    echo
    for i in $(seq -w 1 20); do
      [ -f "$W/data/part$i" ] || dd if="$W/data/big/big.bin" of="$W/data/part$i" bs=1M skip=$(((10#$i - 1) * 4)) count=4 status=none
      cp "$W/data/part$i" "$1/bench/twenty/part$i.bin"
      printf 'image_layer(\n    name = "layer%s",\n    files = {"part%s.bin": "/data/part%s.bin"},\n)\n\n' "$i" "$i" "$i"
    done
    echo 'image('
    echo '    name = "image",'
    printf '    layers = [%s],\n' "$(for i in $(seq -w 1 20); do printf '":layer%s", ' "$i"; done)"
    echo ')'
  } > "$1/bench/twenty/BUILD.bazel"
  (cd "$1" && scripts/remote_cache_rc.sh)
}

# timed OB DIR ARGS...: runs bazel in DIR with output base OB; sets SECS.
timed() {
  local ob=$1 dir=$2
  shift 2
  obs+=("$ob")
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && bazel --output_base="$ob" "$@" >"$W/last.log" 2>&1) || { cat "$W/last.log"; die "bazel $* failed"; }
  end=$(date +%s.%N)
  SECS=$(awk "BEGIN{print $end - $start}")
}
downloaded() { du -sb "$1/execroot/rules_strata/bazel-out" 2>/dev/null | cut -f1; }

T=//bench/twenty:image
make_machine "$W/m1"
timed "$W/ob1" "$W/m1" build --config=cache $T
cold=$SECS
make_machine "$W/m2"
timed "$W/ob2" "$W/m2" build --config=cache $T
warm=$SECS
bytes_all=$(downloaded "$W/ob2")
make_machine "$W/m3"
timed "$W/ob3" "$W/m3" build --config=cache-minimal $T
minimal=$SECS
bytes_min=$(downloaded "$W/ob3")
timed "$W/ob3" "$W/m3" build --config=cache-minimal $T
noop=$SECS
timed "$W/ob3" "$W/m3" run --config=cache-minimal $T.push -- --repository "127.0.0.1:$reg_port/bench/twenty"
push1=$SECS
timed "$W/ob3" "$W/m3" run --config=cache-minimal $T.push -- --repository "127.0.0.1:$reg_port/bench/twenty"
push2=$SECS
bytes_after_push=$(downloaded "$W/ob3")

row() { printf '%-40s %8.2f %9.3fx\n' "$1" "$2" "$(awk "BEGIN{print $2 / $cold}")"; }
printf '\n%-40s %8s %10s\n' "20-layer image, 80 MiB of layers" "wall s" "vs cold"
row "cold build (empty cache)" "$cold"
row "fresh machine, warm cache" "$warm"
row "fresh machine, warm cache, toplevel" "$minimal"
row "no-op rebuild" "$noop"
row "push, blobs streamed from the cache" "$push1"
row "re-push of the unchanged image" "$push2"
printf '\nbytes downloaded into bazel-out: all outputs %d, --remote_download_toplevel %d (%.4f of it); after the push %d\n' \
  "$bytes_all" "$bytes_min" "$(awk "BEGIN{print $bytes_min / $bytes_all}")" "$bytes_after_push"
