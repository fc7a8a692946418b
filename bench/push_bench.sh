#!/usr/bin/env bash
# Push benchmark (issue 9, "Push"). Three measurements, each a ratio against
# a baseline run in this same script, interleaved (A B A B ...), medians of
# BENCH_RUNS rounds (default 3):
#
#   throughput  a fresh 1 GiB incompressible layer (PUSH_BENCH_MIB) pushed to
#               Debian's docker-registry on loopback: `strata push` vs
#               `crane push` of the same OCI layout (same blob file). Also
#               prints the CPU seconds of each client and of the registry.
#   reset       the same push through bench/faultproxy, which resets the TCP
#               connection once, when half the blob has gone through it;
#               bytes the client sent in all (retries included) / blob size,
#               strata vs crane.
#   reset-resume  the same against bench/resumeregistry (go-containerregistry's
#               registry plus GET upload status), a registry that keeps the
#               session after a reset mid-chunk, which docker-registry 2.8
#               does not.
#   bwob        `bazel run :image.push` of an image with one BWOB_MIB layer
#               (default 256), built with --remote_download_minimal against
#               bazel-remote so the blob streams from the cache to the
#               registry, vs the same push from an output base that has the
#               blob on local disk (push time as strata reports it, so
#               Bazel's own start-up is not counted).
#
# Usage: bash bench/push_bench.sh [throughput] [reset] [reset-resume] [bwob]
# (default: all)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ensure_go_tools
RUNS=${BENCH_RUNS:-3}
MIB=${PUSH_BENCH_MIB:-1024}
BWOB_MIB=${BWOB_MIB:-256}
W=${STRATA_BENCH_DIR:-${STRATA_E2E_TMP:-/tmp}/strata-push-bench}
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(throughput reset reset-resume bwob)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

rm -rf "$W" && mkdir -p "$W/bin"
echo "push benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bash bench/push_bench.sh ${parts[*]} (BENCH_RUNS=$RUNS PUSH_BENCH_MIB=$MIB BWOB_MIB=$BWOB_MIB)"
go build -o "$W/bin/strata" ./tools/strata
go build -o "$W/bin/pushdata" ./bench/pushdata
go build -o "$W/bin/faultproxy" ./bench/faultproxy
go build -o "$W/bin/resumeregistry" ./bench/resumeregistry
CRANE=$BIN/crane
STRATA=$W/bin/strata
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_registry "$W/reg" 2>/dev/null || true
  stop_registry "$W/cache" 2>/dev/null || true
  for ob in "$W"/ob-*; do [ -d "$ob" ] && bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true; done
  rm -rf "$W/reg/data" "$W/data"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk "BEGIN{printf \"%.3f\", $1 / $2}"; }
cpu_of() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }

reg_port=$(free_port)
start_registry "$W/reg" "$reg_port"
REG=127.0.0.1:$reg_port
reg_pid=$(cat "$W/reg/pid")
n=0

if want throughput || want reset || want reset-resume; then
  "$W/bin/pushdata" -dir "$W/data" -mib "$MIB" >/dev/null
  SIZE=$((MIB << 20))
fi

# push_one TOOL HOST: pushes the layout to a fresh repository on HOST with
# TOOL; sets WALL and CPU (client user+sys seconds).
push_one() {
  local tool=$1 host=$2 repo
  n=$((n + 1))
  repo=$host/bench/$tool-$n
  case $tool in
    strata) /usr/bin/time -f '%e %U %S' -o "$W/time" "$STRATA" push --spec "$W/data/spec.json" --repository "$repo" >/dev/null 2>"$W/$tool.log" ;;
    crane) /usr/bin/time -f '%e %U %S' -o "$W/time" "$CRANE" push --insecure "$W/data/layout" "$repo" >/dev/null 2>"$W/$tool.log" ;;
  esac || { cat "$W/$tool.log"; die "$tool push to $repo failed"; }
  read -r WALL u s < <(tail -1 "$W/time")
  CPU=$(awk "BEGIN{print $u + $s}")
}

if want throughput; then
  : > "$W/tp"
  for r in $(seq 1 "$RUNS"); do
    order="strata crane"
    [ $((r % 2)) -eq 0 ] && order="crane strata"
    for tool in $order; do
      c0=$(cpu_of "$reg_pid")
      push_one "$tool" "$REG"
      c1=$(cpu_of "$reg_pid")
      echo "$tool $WALL $CPU $(awk "BEGIN{print $c1 - $c0}")" >> "$W/tp"
      printf '  round %d %-6s %6.2f s wall, client CPU %5.2f s, registry CPU %5.2f s\n' "$r" "$tool" "$WALL" "$CPU" "$(awk "BEGIN{print $c1 - $c0}")"
    done
  done
  col() { awk -v t="$1" -v c="$2" '$1==t{print $c}' "$W/tp" | median; }
  sw=$(col strata 2) cw=$(col crane 2)
  printf '\nthroughput, %d MiB layer, median of %d: strata %.2f s (%.0f MiB/s), crane %.2f s (%.0f MiB/s): strata/crane throughput %sx\n' \
    "$MIB" "$RUNS" "$sw" "$(awk "BEGIN{print $MIB / $sw}")" "$cw" "$(awk "BEGIN{print $MIB / $cw}")" "$(ratio "$cw" "$sw")"
  printf '  CPU seconds (median): strata client %s, crane client %s; registry while strata pushed %s, while crane pushed %s\n\n' \
    "$(col strata 3)" "$(col crane 3)" "$(col strata 4)" "$(col crane 4)"
fi

# reset_rounds KIND: the reset measurement against KIND: "docker" (the
# docker-registry above) or "resume" (bench/resumeregistry, started fresh
# for every push so that abandoned sessions do not pile up in its memory).
reset_rounds() {
  local kind=$1 target rpid=""
  : > "$W/rs-$kind"
  for r in $(seq 1 "$RUNS"); do
    order="strata crane"
    [ $((r % 2)) -eq 0 ] && order="crane strata"
    for tool in $order; do
      target=$REG
      if [ "$kind" = resume ]; then
        rm -rf "$W/rr" && mkdir -p "$W/rr"
        "$W/bin/resumeregistry" -dir "$W/rr" >"$W/rr.addr" 2>"$W/rr.log" &
        rpid=$!
        pids+=("$rpid")
        for _ in $(seq 1 50); do [ -s "$W/rr.addr" ] && break; sleep 0.1; done
        target=$(head -1 "$W/rr.addr")
      fi
      rm -f "$W/count" "$W/proxy.addr"
      "$W/bin/faultproxy" -target "$target" -reset-after $((SIZE / 2)) -count-file "$W/count" >"$W/proxy.addr" 2>"$W/proxy.log" &
      ppid=$!
      pids+=("$ppid")
      for _ in $(seq 1 50); do [ -s "$W/proxy.addr" ] && break; sleep 0.1; done
      push_one "$tool" "$(head -1 "$W/proxy.addr")"
      sleep 0.3 # the proxy writes the count when each connection ends
      kill "$ppid" 2>/dev/null || true
      wait "$ppid" 2>/dev/null || true
      if [ -n "$rpid" ]; then kill "$rpid" 2>/dev/null || true; wait "$rpid" 2>/dev/null || true; rm -rf "$W/rr"; fi
      sent=$(cat "$W/count")
      grep -q "reset after" "$W/proxy.log" || die "the proxy never reset a connection ($tool)"
      echo "$tool $sent $WALL" >> "$W/rs-$kind"
      printf '  %s round %d %-6s sent %d bytes = %sx the blob, %6.2f s\n' "$kind" "$r" "$tool" "$sent" "$(ratio "$sent" "$SIZE")" "$WALL"
    done
  done
  col() { awk -v t="$1" -v c="$2" '$1==t{print $c}' "$W/rs-$kind" | median; }
  printf '\none reset mid-blob (%s), median of %d: bytes sent / blob size: strata %s, crane %s\n\n' "$kind" "$RUNS" \
    "$(ratio "$(col strata 2)" "$SIZE")" "$(ratio "$(col crane 2)" "$SIZE")"
}
want reset && reset_rounds docker
want reset-resume && reset_rounds resume
rm -rf "$W/data"

if want bwob; then
  ensure_apt_packages
  ensure_bazel_remote
  http_port=$(free_port)
  grpc_port=$(free_port)
  start_bazel_remote "$W/cache" "$http_port" "$grpc_port"
  export STRATA_REMOTE_CACHE=grpc://127.0.0.1:$grpc_port
  # Two machines sharing the cache: "disk" downloads every output, "cache"
  # builds with --remote_download_minimal, so its push streams the layer.
  for m in disk cache; do
    copy_workspace "$W/ws-$m"
    mkdir -p "$W/ws-$m/bench/bigpush"
    [ -f "$W/big.bin" ] || head -c $((BWOB_MIB << 20)) /dev/urandom > "$W/big.bin"
    cp "$W/big.bin" "$W/ws-$m/bench/bigpush/big.bin"
    cat > "$W/ws-$m/bench/bigpush/BUILD.bazel" <<'EOF'
load("//rules:defs.bzl", "image", "image_layer")

image_layer(
    name = "layer",
    files = {"big.bin": "/data/big.bin"},
)

image(
    name = "image",
    layers = [":layer"],
)
EOF
    (cd "$W/ws-$m" && scripts/remote_cache_rc.sh)
  done
  (cd "$W/ws-disk" && bazel --output_base="$W/ob-disk" build --config=cache //bench/bigpush:image >"$W/build.log" 2>&1) || { cat "$W/build.log"; die "build failed"; }
  (cd "$W/ws-cache" && bazel --output_base="$W/ob-cache" build --config=cache-minimal //bench/bigpush:image >"$W/build.log" 2>&1) || { cat "$W/build.log"; die "build failed"; }
  : > "$W/bw"
  for r in $(seq 1 "$RUNS"); do
    order="disk cache"
    [ $((r % 2)) -eq 0 ] && order="cache disk"
    for m in $order; do
      n=$((n + 1))
      cfg=cache
      [ "$m" = cache ] && cfg=cache-minimal
      (cd "$W/ws-$m" && bazel --output_base="$W/ob-$m" run --config=$cfg //bench/bigpush:image.push -- --repository "$REG/bwob/$m-$n" >"$W/push.log" 2>&1) || { cat "$W/push.log"; die "push failed"; }
      secs=$(sed -n 's/.* to 1 repositories in \([0-9.]*\)\(m*s\)$/\1 \2/p' "$W/push.log" | awk '{print ($2=="ms") ? $1/1000 : $1}')
      [ -n "$secs" ] || { cat "$W/push.log"; die "no push time in the output"; }
      local_blob=$(find "$W/ob-$m/execroot" -path '*bench/bigpush*' -size +1M -type f | wc -l)
      echo "$m $secs" >> "$W/bw"
      printf '  round %d %-5s push %6.2f s (%d big files in its output tree)\n' "$r" "$m" "$secs" "$local_blob"
    done
  done
  col() { awk -v t="$1" '$1==t{print $2}' "$W/bw" | median; }
  printf '\nbuild without the bytes, %d MiB layer, median of %d: push from local disk %.2f s, streamed from bazel-remote %.2f s: streamed/disk throughput %sx\n' \
    "$BWOB_MIB" "$RUNS" "$(col disk)" "$(col cache)" "$(ratio "$(col disk)" "$(col cache)")"
fi
