#!/usr/bin/env bash
# Build-graph benchmark: what image_layer and image cost Bazel at scale, each
# figure a ratio to a baseline measured in the same run, interleaved (A B A B,
# median of BENCH_RUNS rounds). The workspace comes from bench/graphgen (no
# checked-in files): single layers of BENCH_SIZES files (20 per directory),
# one image of 200 layers, 50 images sharing 20 base layers.
#   analysis   `bazel build --nobuild` wall time of the layer/image targets
#              vs the same files in filegroups, in a warm server (packages
#              loaded; a new --define each time discards the analysis cache),
#              and the heap Bazel retains afterwards (`bazel info
#              used-heap-size-after-gc`), over an empty target's
#   build      the largest layer's action vs a genrule running GNU tar + pigz
#              over the same files; outside Bazel, `strata layer` on the same
#              file list vs the compressor alone (bench/compressonly)
#   no-op      rebuild of the 200-layer image vs Bazel's no-op on an empty target
#   one change one edited file rebuilds exactly one StrataLayer action, at every
#              size (asserted: the script fails otherwise)
# Env: BENCH_RUNS (3), BENCH_SIZES (10000,50000,100000), STRATA_BENCH_DIR
# (/tmp/strata-graph-bench), BENCH_BASE: another rules_strata checkout (e.g. a
# worktree of main) whose analysis figures are measured too (before/after).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ensure_apt_packages
RUNS=${BENCH_RUNS:-3}
SIZES=${BENCH_SIZES:-10000,50000,100000}
W=${STRATA_BENCH_DIR:-/tmp/strata-graph-bench}
BASE=${BENCH_BASE:-}
# BENCH_PARTS: "analysis" and/or "other" (one change, no-op, build). The two
# use separate output bases, so they can run as two processes side by side.
PARTS=${BENCH_PARTS:-analysis other}
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
LARGEST=${SIZE_LIST[${#SIZE_LIST[@]} - 1]}
mkdir -p "$W/bin" "$W/out"
echo "command: BENCH_RUNS=$RUNS BENCH_SIZES=$SIZES BENCH_BASE=$BASE BENCH_PARTS='$PARTS' bash bench/graph_bench.sh"
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "rules under test: $ROOT ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo +changes))"
[ -n "$BASE" ] && echo "before: $BASE ($(git -C "$BASE" rev-parse --short HEAD))"

WSS=(new)
if [ ! -f "$W/ws-new/.done-$SIZES" ]; then
  log "generating the workspace in $W/ws-new"
  rm -rf "$W/ws-new"
  go run ./bench/graphgen -dir "$W/ws-new" -rules "$ROOT" -sizes "$SIZES"
  touch "$W/ws-new/.done-$SIZES"
fi
if [ -n "$BASE" ]; then
  WSS+=(base)
  # The same files (hard links), loading the other checkout.
  if [ ! -f "$W/ws-base/.done-$SIZES" ]; then
    rm -rf "$W/ws-base"
    cp -al "$W/ws-new" "$W/ws-base"
  fi
  sed "s|path = \"$ROOT\"|path = \"$(cd "$BASE" && pwd)\"|" "$W/ws-new/WORKSPACE" >"$W/out/WORKSPACE.base"
  cmp -s "$W/out/WORKSPACE.base" "$W/ws-base/WORKSPACE" || { rm -f "$W/ws-base/WORKSPACE" && cp "$W/out/WORKSPACE.base" "$W/ws-base/WORKSPACE"; }
fi
# bz_ws WS ARGS...: bazel in workspace WS (new, base, or other: the new
# workspace with an output base of its own), each with its own output base.
bz_ws() {
  local ws=$1 dir=$1
  shift
  [ "$ws" = other ] && dir=new
  (cd "$W/ws-$dir" && bazel --output_base="$W/ob-$ws" "$@")
}
started=()
cleanup() { for ws in "${started[@]}"; do bz_ws "$ws" shutdown >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ratio() { awk "BEGIN {if ($2 > 0) printf \"%.2fx\", $1 / $2; else print \"-\"}"; }

# --- analysis ------------------------------------------------------------
analysis_part() {
CASES=()
for n in "${SIZE_LIST[@]}"; do CASES+=("files_$n|//files_$n:fg|//files_$n:layer"); done
CASES+=("img200|//img200:all_fg|//img200:image" "shared|//shared:all_fg|//shared:all")
started+=("${WSS[@]}")
all_targets=(//:empty)
for c in "${CASES[@]}"; do
  IFS='|' read -r _ fg subj <<<"$c"
  all_targets+=("$fg" "$subj")
done
for ws in "${WSS[@]}"; do
  log "warm-up ($ws): loading every package, fetching and building the strata tool"
  bz_ws "$ws" build --nobuild "${all_targets[@]}" >/dev/null 2>"$W/out/warm.txt" || die "warm-up failed: $(tail -20 "$W/out/warm.txt")"
done

n=0
# analyze WS TARGET: appends "WS TARGET wall-seconds heapMB analysis-seconds"
# to $W/out/analysis.txt. The analysis phase time is Bazel's own (its JSON
# profile, read by `bazel analyze-profile`): the wall time also holds the
# client's and the command's fixed costs, which blur the ratio.
analyze() {
  n=$((n + 1))
  local t0 t1 heap phase
  # Discarding the previous analysis takes time in proportion to its size,
  # and Bazel charges it to the next command: pay it with an unmeasured
  # analysis of //:empty first.
  bz_ws "$1" build --nobuild --define=graph_bench=$n-discard //:empty >/dev/null 2>&1
  t0=$(now)
  bz_ws "$1" build --nobuild --define=graph_bench=$n --profile="$W/out/profile.json" "$2" >/dev/null 2>"$W/out/a.txt" ||
    die "analysis of $2 failed: $(tail -20 "$W/out/a.txt")"
  t1=$(now)
  grep -q "discarding analysis cache" "$W/out/a.txt" || die "analysis cache of $1 was not discarded: the timing would be a no-op"
  heap=$(bz_ws "$1" info --define=graph_bench=$n used-heap-size-after-gc 2>/dev/null)
  phase=$(bz_ws "$1" analyze-profile "$W/out/profile.json" 2>/dev/null | awk '/loading-and-analysis phase time/ {print $(NF - 2)}')
  [ -n "$phase" ] || die "no analysis phase time in the profile of $2"
  echo "$1 $2 $(awk "BEGIN {print $t1 - $t0}") ${heap%MB} $phase" >>"$W/out/analysis.txt"
}
: >"$W/out/analysis.txt"
# Each round: //:empty once per workspace (the heap reference), then each
# case's baseline and subject; the before-rules only for the single layers
# (img200 and shared have no per-file work to compare).
for ((r = 1; r <= RUNS; r++)); do
  log "analysis round $r/$RUNS"
  for ws in "${WSS[@]}"; do analyze "$ws" //:empty; done
  for c in "${CASES[@]}"; do
    IFS='|' read -r name fg subj <<<"$c"
    for ws in "${WSS[@]}"; do
      [ "$ws" = new ] || [ "${name#files_}" != "$name" ] || continue
      analyze "$ws" "$fg"
      analyze "$ws" "$subj"
    done
  done
done
report_part
}

# report_part prints the analysis table from $W/out/analysis.txt (so an
# interrupted run can still be read: BENCH_PARTS=report).
report_part() {
CASES=()
for n in "${SIZE_LIST[@]}"; do CASES+=("files_$n|//files_$n:fg|//files_$n:layer"); done
CASES+=("img200|//img200:all_fg|//img200:image" "shared|//shared:all_fg|//shared:all")
med() { awk -v w="$1" -v t="$2" -v f="$3" '$1 == w && $2 == t {print $f}' "$W/out/analysis.txt" | median; }
echo
echo "## analysis (median of $(awk '$1 == "new" && $2 == "//:empty"' "$W/out/analysis.txt" | wc -l) rounds; phase: Bazel's analysis phase; wall: the whole \`build --nobuild\`; heap: MB retained over //:empty's)"
echo "(ratio: of the medians; pairs: the median of each round's ratio, baseline and subject measured back to back)"
printf '| %-10s | %-6s | %8s | %8s | %6s | %6s | %7s | %7s | %6s | %6s | %6s | %6s |\n' case rules "fg phase" "phase" ratio pairs "fg wall" "wall" ratio "fg MB" "MB" ratio
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for c in "${CASES[@]}"; do
  IFS='|' read -r name fg subj <<<"$c"
  for ws in "${WSS[@]}"; do
    [ -n "$(med "$ws" "$subj" 3)" ] || continue
    e=$(med "$ws" //:empty 4)
    tf=$(med "$ws" "$fg" 3) ts=$(med "$ws" "$subj" 3)
    pf=$(med "$ws" "$fg" 5) ps=$(med "$ws" "$subj" 5)
    hf=$(awk "BEGIN {print $(med "$ws" "$fg" 4) - $e}") hs=$(awk "BEGIN {print $(med "$ws" "$subj" 4) - $e}")
    [ "$ws" = new ] && label=after || label=before
    pairs=$(paste <(awk -v w="$ws" -v t="$fg" '$1 == w && $2 == t {print $5}' "$W/out/analysis.txt") \
      <(awk -v w="$ws" -v t="$subj" '$1 == w && $2 == t {print $5}' "$W/out/analysis.txt") |
      awk '$1 > 0 {print $2 / $1}' | median)
    printf '| %-10s | %-6s | %8.3f | %8.3f | %6s | %5.2fx | %7.2f | %7.2f | %6s | %6s | %6s | %6s |\n' "$name" "$label" "$pf" "$ps" "$(ratio "$ps" "$pf")" "$pairs" \
      "$tf" "$ts" "$(ratio "$ts" "$tf")" "$hf" "$hs" "$(awk "BEGIN {if ($hf > 0) printf \"%.2fx\", $hs / $hf; else print \"-\"}")"
  done
done
}

other_part() {
started+=(other)
# --- one changed file -> one layer action ----------------------------------
# change_one TARGET FILE: edits FILE, builds TARGET with an execution log,
# and asserts that exactly one StrataLayer action ran; then restores FILE.
# Both edits are renames from outside the workspace: the base workspace's
# hard link keeps the original, and no glob ever sees an extra or a missing
# name (which would reload the package under the analysis part's feet).
change_one() {
  local target=$1 f=$W/ws-new/$2 count
  bz_ws other build "$target" >/dev/null 2>"$W/out/c.txt" || die "build of $target failed: $(tail -20 "$W/out/c.txt")"
  cp -p "$f" "$W/out/orig"
  cp -p "$f" "$W/out/changed"
  echo "changed by graph_bench" >>"$W/out/changed"
  mv "$W/out/changed" "$f"
  bz_ws other build --execution_log_json_file="$W/out/exec.json" "$target" >/dev/null 2>"$W/out/c.txt" ||
    die "build of $target failed: $(tail -20 "$W/out/c.txt")"
  mv "$W/out/orig" "$f"
  count=$(grep -c '"mnemonic": "StrataLayer"' "$W/out/exec.json" || true)
  [ "$count" = 1 ] || die "$target: one changed file ($2) ran $count StrataLayer actions, want 1"
  echo "| $target | $2 | $count | $(grep -c '"mnemonic": "StrataImage"' "$W/out/exec.json" || true) |"
}
echo
echo "## one changed file (asserted: exactly one StrataLayer action)"
echo "| target | changed file | StrataLayer actions | StrataImage actions |"
echo "|---|---|---|---|"
for n in "${SIZE_LIST[@]}"; do change_one "//files_$n:layer" "files_$n/d00007/f03.txt"; done
change_one //img200:image img200/l123/d00000/f02.txt
change_one //shared:all shared/base07/d00000/f01.txt

# --- no-op rebuild ---------------------------------------------------------
bz_ws other build //img200:image //:empty >/dev/null 2>&1
: >"$W/out/noop.txt"
for ((r = 1; r <= RUNS * 3; r++)); do
  for t in //:empty //img200:image; do
    t0=$(now)
    bz_ws other build "$t" >/dev/null 2>&1
    echo "$t $(awk "BEGIN {print $(now) - $t0}")" >>"$W/out/noop.txt"
  done
done
ne=$(awk '$1 == "//:empty" {print $2}' "$W/out/noop.txt" | median)
ni=$(awk '$1 == "//img200:image" {print $2}' "$W/out/noop.txt" | median)
echo
echo "## no-op rebuild (median of $((RUNS * 3)))"
echo "| target | wall s | beyond //:empty |"
echo "|---|---|---|"
printf '| //:empty | %.2f | |\n' "$ne"
printf '| //img200:image (200 layers) | %.2f | %+.2f s |\n' "$ni" "$(awk "BEGIN {print $ni - $ne}")"

# --- build -----------------------------------------------------------------
CGO_ENABLED=0 go build -trimpath -o "$W/bin/strata" ./tools/strata
go build -o "$W/bin/compressonly" ./bench/compressonly
pkg=files_$LARGEST
(
  cd "$W/ws-new"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$W/out/$pkg.tar" "$pkg"/d*
  # The file list the rule's Args write for `srcs = [":fg"]` (see go/layer/filelist.go).
  {
    printf 'strata-layer-files-v1\nG\nsrcs\nsrcs\n//%s:fg\n\n\n\n\n\n' "$pkg"
    find "$pkg" -path "$pkg/d*" -type f | LC_ALL=C sort | awk -v p="$pkg" '{printf "F\n%s\n%s\n%s\ns\n", $0, $0, p}'
  } >"$W/out/$pkg.files"
)
printf '{"v":1,"target":"//%s:layer","compression":"gzip","files":[]}' "$pkg" >"$W/out/$pkg.spec.json"
bin=$(bz_ws other info bazel-bin 2>/dev/null)
bz_ws other build "//$pkg:layer" "//$pkg:tar" >/dev/null 2>&1
: >"$W/out/build.txt"
timed() { # NAME CMD...
  local name=$1 t0
  shift
  t0=$(now)
  "$@" >/dev/null 2>"$W/out/b.txt" || die "$name failed: $(tail -20 "$W/out/b.txt")"
  echo "$name $(awk "BEGIN {print $(now) - $t0}")" >>"$W/out/build.txt"
}
for ((r = 1; r <= RUNS; r++)); do
  log "build round $r/$RUNS"
  timed compressonly "$W/bin/compressonly" "$W/out/$pkg.tar" "$W/out/c.gz"
  timed strata bash -c "cd '$W/ws-new' && '$W/bin/strata' layer --spec '$W/out/$pkg.spec.json' --files '$W/out/$pkg.files' --blob '$W/out/s.tar.gz' --descriptor '$W/out/s.json'"
  # Sandboxed (Bazel's default), then each without the sandbox, then the
  # layer with the sandbox on tmpfs: staging 100,000 input symlinks is most of
  # a sandboxed action's time (docs/image_layer.md, "Large layers").
  for t in layer genrule layer-local genrule-local layer-shm; do
    target=//$pkg:layer flags=() out=$bin/$pkg/layer.tar.gz
    case $t in genrule*) target=//$pkg:tar out=$bin/$pkg/tar.tar.gz ;; esac
    rm -f "$out" # only this target's: the no-op below must find the other built
    case $t in
      layer-local) flags=(--strategy=StrataLayer=local) ;;
      genrule-local) flags=(--strategy=Genrule=local) ;;
      layer-shm) flags=(--sandbox_base=/dev/shm) ;;
    esac
    timed "bazel-$t" bz_ws other build ${flags[@]+"${flags[@]}"} --profile="$W/out/bprofile.json" "$target"
    echo "cp-$t $(bz_ws other analyze-profile "$W/out/bprofile.json" 2>/dev/null | sed -n 's/^Critical path (\([0-9.]*\) \(m*s\)).*/\1 \2/p' |
      awk '{print ($2 == "ms") ? $1 / 1000 : $1}')" >>"$W/out/build.txt"
  done
  timed bazel-noop bz_ws other build "//$pkg:layer" "//$pkg:tar"
done
bm() { awk -v n="$1" '$1 == n {print $2}' "$W/out/build.txt" | median; }
row() { printf '| %s | %.2f | %s |\n' "$1" "$2" "$3"; }
echo
echo "## build of the $LARGEST-file layer (median of $RUNS; critical path: the action alone, from Bazel's profile)"
echo "| what | wall s | ratio |"
echo "|---|---|---|"
row "compressor alone (bench/compressonly on a ready tar)" "$(bm compressonly)" 1.00x
row "strata layer on the same file list, outside Bazel" "$(bm strata)" "$(ratio "$(bm strata)" "$(bm compressonly)")"
row "bazel build :tar (genrule: GNU tar + pigz -6)" "$(bm bazel-genrule)" "1.00x (build baseline)"
row "bazel build :layer (image_layer)" "$(bm bazel-layer)" "$(ratio "$(bm bazel-layer)" "$(bm bazel-genrule)") of the genrule"
row "critical path of :tar" "$(bm cp-genrule)" 1.00x
row "critical path of :layer" "$(bm cp-layer)" "$(ratio "$(bm cp-layer)" "$(bm cp-genrule)") of the genrule's"
row "bazel build :tar, --strategy=Genrule=local" "$(bm bazel-genrule-local)" "$(ratio "$(bm bazel-genrule-local)" "$(bm bazel-genrule)") of the sandboxed genrule"
row "bazel build :layer, --strategy=StrataLayer=local" "$(bm bazel-layer-local)" "$(ratio "$(bm bazel-layer-local)" "$(bm bazel-genrule-local)") of the unsandboxed genrule"
row "bazel build :layer, --sandbox_base=/dev/shm" "$(bm bazel-layer-shm)" "$(ratio "$(bm bazel-layer-shm)" "$(bm bazel-layer)") of the layer sandboxed on disk"
row "critical path of :layer, --strategy=StrataLayer=local" "$(bm cp-layer-local)" "$(ratio "$(bm cp-layer-local)" "$(bm compressonly)") of the compressor alone"
row "bazel no-op of both (checking $LARGEST inputs)" "$(bm bazel-noop)" ""
}

for part in $PARTS; do "${part}_part"; done
