#!/usr/bin/env bash
# bazel run //app:image.load into podman, second load after a one-line change
# of the app layer: bytes the loader moves, through containers-storage (the
# default for a local podman: `podman pull oci:DIR` over the built blobs)
# against the docker-archive stream (STRATA_LOAD_VIA=archive, what every
# load did before), in the same run, interleaved.
# Image: a 1 GiB base layer (random bytes) + an app layer (4 MiB random
# file + one text line). Each round: fresh stores, load v1 into both, change
# the line, rebuild, load v2 into both (measured, order alternating).
# Bytes moved: rchar + wchar of the loader and everything it started (read
# from /proc/self/io of a bash that waited for them), and the store's growth.
# The store uses podman's overlay driver: vfs copies the parent layer for
# every new layer, whatever the loader does.
#   bash bench/load_bench.sh [ROUNDS]     (default 3)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
ROUNDS=${1:-3}
W=${BENCH_TMP:-/tmp/strata-bench}/load
command -v podman >/dev/null || die "no podman (fix: apt-get install podman)"
[ "$(id -u)" = 0 ] || die "podman with its own store needs root here"
rm -rf "$W"
mkdir -p "$W"
copy_workspace "$W/ws"
cd "$W/ws"
OB=$W/ob
trap 'bazel --output_base="$OB" shutdown >/dev/null 2>&1 || true' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -r); podman $(podman --version | awk '{print $3}')"
echo "date: $(date -u +%FT%TZ)"
echo "command: bash bench/load_bench.sh $ROUNDS"

mkdir -p bench_load
head -c 1G /dev/urandom > bench_load/base.bin
head -c 4M /dev/urandom > bench_load/app.bin
echo v0 > bench_load/app.txt
cat > bench_load/BUILD.bazel <<'BUILD'
load("//rules:defs.bzl", "image", "image_layer")

image_layer(name = "base", files = {"base.bin": "/data/base.bin"})

image_layer(name = "app", files = {"app.bin": "/app/app.bin", "app.txt": "/app/app.txt"})

image(name = "image", layers = [":base", ":app"], repo_tags = ["strata.local/load-bench:latest"])
BUILD

build() { bazel --output_base="$OB" build //bench_load:image.load >"$W/build.log" 2>&1 || { cat "$W/build.log" >&2; die "build failed"; }; }
script=$PWD/bazel-bin/bench_load/image.load.sh

# load MODE STORE: loads the current build into STORE; prints "rchar wchar growth".
load() {
  local mode=$1 store=$2 before after
  before=$(du -sb "$store" 2>/dev/null | cut -f1 || echo 0)
  local via=""
  [ "$mode" = archive ] && via=archive
  # shellcheck disable=SC2016
  io=$(STRATA_LOAD_ENGINE=podman STRATA_LOAD_VIA=$via bash -c '
    "$@" >/dev/null 2>"'"$W"'/load.err" || { cat "'"$W"'/load.err" >&2; exit 1; }
    while read -r k v; do case $k in rchar:) r=$v ;; wchar:) w=$v ;; esac; done < /proc/$$/io
    echo "$r $w"' _ "$script" --storage-driver=overlay --root "$store/root" --runroot "$store/run")
  after=$(du -sb "$store" | cut -f1)
  echo "$io $((after - before))"
}

read_layer_sizes() {
  blob=$(stat -L -c %s bazel-bin/bench_load/app.tar.gz 2>/dev/null || find -L bazel-bin/bench_load -maxdepth 1 -name 'app.tar*' -printf '%s\n' | head -1)
  # The layer's tar: what a loader that skips nothing else must write.
  tarsize=$(gzip -dc bazel-bin/bench_load/app.tar.gz | wc -c)
}

declare -a S_R S_W S_G A_R A_W A_G
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$W/s-storage" "$W/s-archive"
  echo "v1 round $r" > bench_load/app.txt
  build
  load storage "$W/s-storage" >/dev/null
  load archive "$W/s-archive" >/dev/null
  echo "v2 round $r" > bench_load/app.txt
  build
  read_layer_sizes
  if ((r % 2)); then order="storage archive"; else order="archive storage"; fi
  for m in $order; do
    read -r rc wc g < <(load "$m" "$W/s-$m")
    if [ "$m" = storage ]; then S_R+=("$rc"); S_W+=("$wc"); S_G+=("$g"); else A_R+=("$rc"); A_W+=("$wc"); A_G+=("$g"); fi
    echo "round $r $m: read $rc, written $wc, store growth $g (app layer: blob $blob, tar $tarsize)" >&2
  done
done
rm -rf "$W/s-storage" "$W/s-archive"

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
sr=$(median "${S_R[@]}") sw=$(median "${S_W[@]}") sg=$(median "${S_G[@]}")
ar=$(median "${A_R[@]}") aw=$(median "${A_W[@]}") ag=$(median "${A_G[@]}")
echo
echo "changed (app) layer: blob $(mib "$blob") MiB, tar $(mib "$tarsize") MiB; base layer 1024 MiB; medians of $ROUNDS rounds"
echo
echo "| second load after a one-line change | read MiB | read / app blob | written MiB | written / app tar | store growth MiB | growth / app tar |"
echo "|---|---|---|---|---|---|---|"
for m in storage archive; do
  if [ $m = storage ]; then rr=$sr ww=$sw gg=$sg name="containers-storage (podman pull oci:)"; else rr=$ar ww=$aw gg=$ag name="docker-archive stream (podman load)"; fi
  echo "| $name | $(mib "$rr") | $(ratio "$rr" "$blob") | $(mib "$ww") | $(ratio "$ww" "$tarsize") | $(mib "$gg") | $(ratio "$gg" "$tarsize") |"
done
echo
echo "containers-storage vs docker-archive: read $(ratio "$sr" "$ar"), written $(ratio "$sw" "$aw")"
