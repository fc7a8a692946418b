#!/usr/bin/env bash
# A/B benchmark of the layer encoder: `strata layer` built from BENCH_OLD_REF
# (default main) against the one built from this checkout, on the same
# inputs, interleaved (baseline, old, new; then baseline, new, old; BENCH_RUNS rounds), and
# the compressor alone on the same bytes as the baseline (bench/compressonly,
# gzip or zstd as strata uses them). Reported per row: the medians of wall
# seconds, of CPU seconds (user + sys, steadier than wall on a shared
# machine) and their ratios to the compressor alone, and the highest peak RSS
# (/usr/bin/time -v's maximum resident set size, which load does not skew).
# Inputs:
#   big     one 1 GiB mixed file (bench/gendata; BENCH_BIG_MIB)
#   small   20,000 files of 1-8 KiB (bench/gendata)
#   f20k    20,000 files of the graph bench (bench/graphgen), through the
#   f100k   file list the image_layer rule writes (`strata layer --files`)
# Every old/new pair is checked to write byte-identical blobs.
# Env: BENCH_RUNS (default 4; even, so old and new go first equally often),
# BENCH_SETS (default "big small f20k f100k"),
# BENCH_OLD_REF (default main), STRATA_BENCH_DIR (default /tmp/strata-encoder-ab).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
RUNS=${BENCH_RUNS:-4}
SETS=${BENCH_SETS:-big small f20k f100k}
OLD_REF=${BENCH_OLD_REF:-main}
W=${STRATA_BENCH_DIR:-/tmp/strata-encoder-ab}
BIG_MIB=${BENCH_BIG_MIB:-1024}
mkdir -p "$W/bin" "$W/out"

log "building strata from $OLD_REF and from this checkout"
rm -rf "$W/old-src" && mkdir -p "$W/old-src"
git archive "$OLD_REF" | tar -x -C "$W/old-src"
(cd "$W/old-src" && CGO_ENABLED=0 go build -trimpath -o "$W/bin/strata-old" ./tools/strata)
CGO_ENABLED=0 go build -trimpath -o "$W/bin/strata-new" ./tools/strata
go build -o "$W/bin/compressonly" ./bench/compressonly

if [ ! -f "$W/data/.done-$BIG_MIB" ]; then
  log "generating inputs in $W/data and $W/ws"
  rm -rf "$W/data" "$W/ws"
  go run ./bench/gendata -dir "$W/data" -big-mib "$BIG_MIB"
  go run ./bench/graphgen -dir "$W/ws" -rules "$ROOT" -sizes 20000,100000
  touch "$W/data/.done-$BIG_MIB"
fi
TAR=(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
# pkg_of f20k -> files_20000: the graphgen package of a file-list set.
pkg_of() {
  local n=${1#f}
  echo "files_${n%k}000"
}
# args SET ALG: the `strata layer` arguments for SET (run in $W/ws).
args() {
  local set=$1 alg=$2 spec=$W/out/$1.$2.spec.json
  case $set in
  big | small)
    printf '{"v":1,"target":"//bench:%s","compression":"%s","files":[{"src":"%s","dst":"/data","executable":false,"tree":true}]}' \
      "$set" "$alg" "$W/data/$set" >"$spec"
    echo "--spec $spec"
    ;;
  f*)
    local pkg
    pkg=$(pkg_of "$set")
    printf '{"v":1,"target":"//%s:layer","compression":"%s","files":[]}' "$pkg" "$alg" >"$spec"
    echo "--spec $spec --files $W/out/$pkg.files"
    ;;
  esac
}
# The plain tar of SET, for the compressor alone.
for set in $SETS; do
  case $set in
  big | small) src=(-C "$W/data/$set" .) ;;
  f*)
    pkg=$(pkg_of "$set")
    src=(-C "$W/ws" "$pkg")
    # The file list the rule's Args write for `srcs = [":fg"]` (go/layer/filelist.go).
    [ -f "$W/out/$pkg.files" ] || (
      cd "$W/ws"
      printf 'strata-layer-files-v1\nG\nsrcs\nsrcs\n//%s:fg\n\n\n\n\n\n' "$pkg"
      find "$pkg" -path "$pkg/d*" -type f | LC_ALL=C sort | awk -v p="$pkg" '{printf "F\n%s\n%s\n%s\ns\n", $0, $0, p}'
    ) >"$W/out/$pkg.files"
    ;;
  esac
  [ -f "$W/out/$set.tar" ] || "${TAR[@]}" -cf "$W/out/$set.tar" "${src[@]}"
done

# One run of CMD (in $W/ws): appends "wall cpu rss_kib" to $W/out/NAME.times.
run_once() {
  local name=$1 cmd=$2
  sync
  (cd "$W/ws" && /usr/bin/time -v -o "$W/time.txt" bash -c "$cmd" >/dev/null 2>"$W/stderr.txt") ||
    die "benchmark command failed: $cmd ($(cat "$W/stderr.txt"))"
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i]}
    /User time/ {u = $2} /System time/ {s = $2} /Maximum resident/ {m = $2}
    END {print w, u + s, m}' "$W/time.txt" >>"$W/out/$name.times"
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$2" '{print $c}' "$W/out/$1.times" | median; }
maxcol() { awk -v c="$2" '$c > m {m = $c} END {print m}' "$W/out/$1.times"; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "date: $(date -u +%FT%TZ); command: BENCH_RUNS=$RUNS BENCH_SETS=\"$SETS\" BENCH_OLD_REF=$OLD_REF bash bench/encoder_ab.sh"
echo "old: $(git rev-parse --short "$OLD_REF"), new: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' + local changes')"
rm -f "$W/out/"*.times
for ((r = 1; r <= RUNS; r++)); do
  log "round $r/$RUNS"
  for set in $SETS; do
    for alg in gzip zstd; do
      ext=gz
      [ "$alg" = zstd ] && ext=zst
      # Each output is removed (untimed) before the run that writes it, so
      # no timed run pays for truncating the last round's 1 GiB file.
      rm -f "$W/out/c.$ext"
      run_once "$set.$alg.alone" "$W/bin/compressonly $W/out/$set.tar $W/out/c.$ext $alg"
      # A B, then B A: neither build always runs right after the other's
      # 1 GiB of writes (the kernel's writeback lands on whoever comes next).
      order="old new"
      ((r % 2 == 0)) && order="new old"
      for v in $order; do
        rm -f "$W/out/$v.$ext"
        run_once "$set.$alg.$v" "$W/bin/strata-$v layer $(args "$set" "$alg") --blob $W/out/$v.$ext --descriptor $W/out/$v.json"
      done
      cmp -s "$W/out/old.$ext" "$W/out/new.$ext" || die "$set $alg: old and new blobs differ"
    done
  done
done
printf '\n| input | compression | tool | wall s | wall ratio | cpu s | cpu ratio | peak RSS |\n|---|---|---|---|---|---|---|---|\n'
for set in $SETS; do
  for alg in gzip zstd; do
    bw=$(col "$set.$alg.alone" 1) bc=$(col "$set.$alg.alone" 2)
    for v in alone old new; do
      w=$(col "$set.$alg.$v" 1) c=$(col "$set.$alg.$v" 2) m=$(maxcol "$set.$alg.$v" 3)
      printf '| %s | %s | %s | %.2f | %.2fx | %.2f | %.2fx | %d MiB |\n' "$set" "$alg" "$v" "$w" \
        "$(awk "BEGIN {print $w / $bw}")" "$c" "$(awk "BEGIN {print $c / $bc}")" $((m / 1024))
    done
  done
done
echo
echo "alone = bench/compressonly on the same bytes as a ready tar; old = strata from $OLD_REF; new = this checkout; medians of $RUNS interleaved rounds; blobs of old and new byte-identical in every round"
