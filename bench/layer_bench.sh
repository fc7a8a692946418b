#!/usr/bin/env bash
# Layer-building benchmark. Builds the same inputs four ways and prints each
# as a ratio to the compressor alone (same pgzip settings, no tar, no hashing),
# plus peak RSS:
#   strata        strata layer: tar + diffID + pgzip + digest, one pass
#   tar|gzip      tar --sort=name ... | gzip -6 | sha256sum (plus the diffID hash)
#   crane append  go-containerregistry's crane, from a ready-made tar
#   compressor    bench/compressonly on a ready-made tar (the baseline)
# Inputs (bench/gendata, identical every run): one 1 GiB mixed-content file,
# the same file's first 64 MiB (to show RSS does not grow with size), and
# 20,000 small files. zstd rows: strata with compression = "zstd" against
# the same zstd encoder alone (compressonly ... zstd: klauspost/compress at
# go.mod's version and strata's level). Runs are interleaved (every tool once,
# then again, BENCH_RUNS times); the wall column is the median, and "cpu" is
# the median user+sys seconds as a ratio too (steadier on a shared machine).
# Env: BENCH_OLD_STRATA (a strata binary to compare, e.g. built from the
# previous commit: two more rows), BENCH_RUNS (default 3; the median is reported),
# BENCH_SETS (default "big medium small"), BENCH_BIG_MIB (default 1024), STRATA_BENCH_DIR (default /tmp/strata-bench).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ensure_go_tools
RUNS=${BENCH_RUNS:-3}
W=${STRATA_BENCH_DIR:-/tmp/strata-bench}
BIG_MIB=${BENCH_BIG_MIB:-1024}
mkdir -p "$W/bin" "$W/out"

CGO_ENABLED=0 go build -trimpath -o "$W/bin/strata" ./tools/strata
go build -o "$W/bin/compressonly" ./bench/compressonly
if [ ! -f "$W/data/.done-$BIG_MIB" ]; then
  log "generating inputs in $W/data"
  rm -rf "$W/data"
  go run ./bench/gendata -dir "$W/data" -big-mib "$BIG_MIB"
  mkdir -p "$W/data/medium"
  head -c $((64 << 20)) "$W/data/big/big.bin" > "$W/data/medium/medium.bin"
  touch "$W/data/.done-$BIG_MIB"
fi
TAR=(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
for set in big medium small; do
  [ -f "$W/data/$set.tar" ] || "${TAR[@]}" -C "$W/data/$set" -cf "$W/data/$set.tar" .
  for alg in gzip zstd; do
    printf '{"v":1,"target":"//bench:%s","compression":"%s","files":[{"src":"%s","dst":"/data","executable":false,"tree":true}]}' \
      "$set" "$alg" "$W/data/$set" > "$W/data/$set.$alg.spec.json"
  done
done

# One run of CMD: sets WALL, CPU (user+sys seconds) and RSS (KiB).
run_once() {
  sync
  /usr/bin/time -f '%e %U %S %M' -o "$W/time.txt" bash -c "$1" >/dev/null 2>"$W/stderr.txt" ||
    die "benchmark command failed: $1 ($(cat "$W/stderr.txt"))"
  read -r WALL u s RSS < <(tail -1 "$W/time.txt")
  CPU=$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ); command: BENCH_RUNS=$RUNS BENCH_BIG_MIB=$BIG_MIB BENCH_SETS=\"${BENCH_SETS:-big medium small}\" BENCH_OLD_STRATA=${BENCH_OLD_STRATA:-} bash bench/layer_bench.sh"
printf '\n%-8s %-15s %8s %8s %8s %8s %9s\n' input tool "wall s" "ratio" "cpu s" "cpu rat" "peak RSS"
for set in ${BENCH_SETS:-big medium small}; do
  d=$W/data/$set
  names=(compressor strata "tar|gzip" "crane append" "zstd alone" "strata zstd")
  cmds=(
    "$W/bin/compressonly $d.tar $W/out/c.gz"
    "$W/bin/strata layer --spec $d.gzip.spec.json --blob $W/out/s.tar.gz --descriptor $W/out/s.json"
    "${TAR[*]} -C $d -cf - . | tee >(sha256sum >/dev/null) | gzip -6 | tee $W/out/t.tar.gz | sha256sum"
    "crane append --oci-empty-base -f $d.tar -t bench.local/x:latest -o $W/out/crane.tar"
    "$W/bin/compressonly $d.tar $W/out/c.zst zstd"
    "$W/bin/strata layer --spec $d.zstd.spec.json --blob $W/out/s.tar.zst --descriptor $W/out/sz.json"
  )
  if [ -n "${BENCH_OLD_STRATA:-}" ]; then # another build of strata, e.g. the previous commit's
    names+=("old strata" "old strata zstd")
    cmds+=("$BENCH_OLD_STRATA layer --spec $d.gzip.spec.json --blob $W/out/o.tar.gz --descriptor $W/out/o.json"
      "$BENCH_OLD_STRATA layer --spec $d.zstd.spec.json --blob $W/out/o.tar.zst --descriptor $W/out/oz.json")
  fi
  declare -A walls=() cpus=() rss=()
  for ((r = 0; r < RUNS; r++)); do
    for k in "${!cmds[@]}"; do
      run_once "${cmds[$k]}"
      walls[$k]+=" $WALL"
      cpus[$k]+=" $CPU"
      [ "$RSS" -gt "${rss[$k]:-0}" ] && rss[$k]=$RSS
    done
  done
  for k in "${!cmds[@]}"; do
    # gzip rows against the gzip compressor (0), zstd rows against zstd alone (4).
    b=0
    ((k == 4 || k == 5 || k == 7)) && b=4
    # shellcheck disable=SC2086
    w=$(median ${walls[$k]}) c=$(median ${cpus[$k]}) bw=$(median ${walls[$b]}) bc=$(median ${cpus[$b]})
    printf '%-8s %-15s %8.2f %7.2fx %8.2f %7.2fx %5d MiB\n' "$set" "${names[$k]}" "$w" "$(awk "BEGIN{print $w / $bw}")" \
      "$c" "$(awk "BEGIN{print $c / $bc}")" $((rss[$k] / 1024))
  done
  unset walls cpus rss
done
echo
echo "ratio = median wall time / the compressor alone on the same input (gzip rows: pgzip; zstd rows: the zstd encoder), lower is better; runs: $RUNS interleaved"
