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
# 20,000 small files. Env: BENCH_RUNS (default 3; the median is reported),
# BENCH_BIG_MIB (default 1024), STRATA_BENCH_DIR (default /tmp/strata-bench).
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
  printf '{"v":1,"target":"//bench:%s","compression":"gzip","files":[{"src":"%s","dst":"/data","executable":false,"tree":true}]}' \
    "$set" "$W/data/$set" > "$W/data/$set.spec.json"
done

# measure NAME CMD: runs CMD $RUNS times; sets WALL (median seconds) and RSS (max KiB).
measure() {
  local walls=() rss=0 i out
  for ((i = 0; i < RUNS; i++)); do
    sync
    /usr/bin/time -f '%e %M' -o "$W/time.txt" bash -c "$1" >/dev/null 2>"$W/stderr.txt" ||
      die "benchmark command failed: $1 ($(cat "$W/stderr.txt"))"
    out=$(tail -1 "$W/time.txt")
    walls+=("${out% *}")
    [ "${out#* }" -gt "$rss" ] && rss=${out#* }
  done
  WALL=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  RSS=$rss
}

printf '\n%-8s %-13s %9s %9s %10s\n' input tool "wall s" "ratio" "peak RSS"
for set in big medium small; do
  d=$W/data/$set
  measure "$W/bin/compressonly $d.tar $W/out/c.gz"
  base=$WALL
  printf '%-8s %-13s %9.2f %9s %7d MiB\n' "$set" compressor "$base" "1.00x" $((RSS / 1024))
  while IFS='#' read -r name cmd; do
    measure "$cmd"
    printf '%-8s %-13s %9.2f %8.2fx %7d MiB\n' "$set" "$name" "$WALL" "$(awk "BEGIN{print $WALL / $base}")" $((RSS / 1024))
  done <<CMDS
strata#$W/bin/strata layer --spec $d.spec.json --blob $W/out/s.tar.gz --descriptor $W/out/s.json
tar|gzip#${TAR[*]} -C $d -cf - . | tee >(sha256sum >/dev/null) | gzip -6 | tee $W/out/t.tar.gz | sha256sum
crane append#crane append --oci-empty-base -f $d.tar -t bench.local/x:latest -o $W/out/crane.tar
CMDS
done
echo
echo "ratio = median wall time / compressor alone on the same input (lower is better; runs: $RUNS, cores: $(nproc))"
