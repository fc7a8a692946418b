#!/usr/bin/env bash
# Remote execution under a real REAPI service (Buildbarn, from ../shared/buildbarn
# beside the clone), with Bazel's --remote_executor:
#  (a) local build: the digests of the example images;
#  (b) fresh output base, --remote_executor: Bazel's execution log shows every
#      Strata action (layer, image, OCI layout, tarball) ran on the remote worker
#      (not locally, not from a cache), and every image digest equals (a)'s;
#  (c) again with every remote action in a network namespace without network
#      (BB_RUNNER_NO_NETWORK=1, root only): the build still succeeds and gives
#      the same digests. A canary action proves the worker's network is really
#      gone in (c) and really there in (b).
# The strata tool itself is built on the host by a repository rule; only build
# actions go to the worker, which needs neither Go nor network.
# Without the Buildbarn sources (a user's clone) it prints SKIP and why.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

why=$(buildbarn_missing)
if [ -n "$why" ]; then
  echo "SKIP: remote_execution_test: $why; remote execution was NOT tested"
  exit 0
fi
ensure_buildbarn

TARGETS=(//examples/hello:image //examples/hello:debug //examples/base:base)
# Every Strata mnemonic these targets must produce (a log without one of them
# proves nothing about it).
STRATA_MNEMONICS=(StrataLayer StrataImage StrataOCILayout StrataDockerArchive)
BB_STATE=()
trap 'for s in "${BB_STATE[@]}"; do stop_buildbarn "$s"; done; cleanup_servers' EXIT

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
# The canary: reports whether an action can open a TCP connection to the
# Buildbarn storage port, which listens on the host's loopback while the
# build runs (its address is given with --action_env, so each deployment
# gives the action a new key: it always runs).
mkdir -p remote_canary
cat > remote_canary/BUILD.bazel <<'EOF'
genrule(
    name = "net",
    outs = ["net.txt"],
    cmd = "if (exec 3<>/dev/tcp/127.0.0.1/$$CANARY_PORT) 2>/dev/null; then echo reachable; else echo unreachable; fi > $@",
)
EOF

# collect MODE: copies the outputs compared below out of bazel-bin (each mode
# has its own output base, and bazel-bin follows the last one).
collect() {
  mkdir -p "$SCRATCH/$1"
  local pkg
  for pkg in hello base; do
    mkdir -p "$SCRATCH/$1/$pkg"
    cp -L bazel-bin/examples/$pkg/*.digest bazel-bin/examples/$pkg/*.manifest.json bazel-bin/examples/$pkg/*.tar \
      bazel-bin/examples/$pkg/*.descriptor.json bazel-bin/examples/$pkg/*.tar.gz "$SCRATCH/$1/$pkg/"
  done
  cp -L bazel-bin/remote_canary/net.txt "$SCRATCH/$1/canary.txt"
}

# spawns LOG: one tab-separated line per spawn of Bazel's JSON execution log
# (concatenated JSON objects): mnemonic, runner, remoteCacheHit, progress message.
spawns() {
  python3 - "$1" <<'PY'
import json, sys
text, dec, i = open(sys.argv[1]).read(), json.JSONDecoder(), 0
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        break
    s, i = dec.raw_decode(text, i)
    print("\t".join([s.get("mnemonic", ""), s.get("runner", ""), str(s.get("remoteCacheHit", False)).lower(),
                     s.get("progressMessage", "")]))
PY
}

# check_remote MODE: every spawn in MODE's execution log ran on the worker.
check_remote() {
  local tsv=$SCRATCH/$1.spawns m
  spawns "$SCRATCH/$1.exec.json" > "$tsv"
  echo "spawns in mode $1 (count mnemonic runner cache-hit):"
  cut -f1-3 "$tsv" | sort | uniq -c | sed 's/^/  /'
  for m in "${STRATA_MNEMONICS[@]}"; do
    [ "$(grep -c "^$m	" "$tsv")" -gt 0 ] || die "$1: no $m action in the execution log"
  done
  # Bazel 4.2.3 names the runner "remote" for a spawn the executor ran, and
  # sets remoteCacheHit when it came from the action cache instead.
  local local_strata
  local_strata=$(awk -F'\t' '$1 ~ /^Strata/ && ($2 != "remote" || $3 != "false")' "$tsv")
  [ -z "$local_strata" ] || die "$1: Strata actions that did not run remotely:
$local_strata"
  pass "$1: all $(grep -c '^Strata' "$tsv") Strata actions ran on the remote worker (${STRATA_MNEMONICS[*]})"
  local other
  other=$(awk -F'\t' '$2 != "remote" || $3 != "false"' "$tsv")
  [ -z "$other" ] || die "$1: actions that did not run remotely:
$other"
  pass "$1: all $(wc -l < "$tsv") actions ran on the remote worker"
}

mismatches=()
# compare MODE: digests (and docker-archive tarballs) of MODE equal local's; on
# a difference, says which layers differ and how their entries differ.
compare() {
  local mode=$1 t pkg name want got d layer
  for t in "${TARGETS[@]}"; do
    pkg=${t#//examples/} name=${pkg#*:} pkg=${pkg%%:*}
    want=$(cat "$SCRATCH/local/$pkg/$name.digest") got=$(cat "$SCRATCH/$mode/$pkg/$name.digest")
    if [ "$want" = "$got" ] && cmp -s "$SCRATCH/local/$pkg/$name.tar" "$SCRATCH/$mode/$pkg/$name.tar"; then
      pass "$mode: $t digest equals the local build's: $got"
      continue
    fi
    echo "MISMATCH $mode: $t digest $got, local build $want"
    mismatches+=("$mode $t")
  done
  for d in "$SCRATCH/local"/*/*.descriptor.json; do
    pkg=$(basename "$(dirname "$d")") layer=$(basename "$d" .descriptor.json)
    cmp -s "$d" "$SCRATCH/$mode/$pkg/$layer.descriptor.json" && continue
    echo "  layer //examples/$pkg:$layer differs: local $(digest_of "$d"), $mode $(digest_of "$SCRATCH/$mode/$pkg/$layer.descriptor.json"); entries (- local, + $mode):"
    diff <("$STRATA" list-layer "$SCRATCH/local/$pkg/$layer.tar.gz") \
      <("$STRATA" list-layer "$SCRATCH/$mode/$pkg/$layer.tar.gz") | grep '^[<>]' | sed 's/^</    -/; s/^>/    +/' || true
  done
}
digest_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$1"; }

# build MODE OUTPUT_BASE [BAZEL FLAGS...]
build() {
  local mode=$1 ob=$2 start=$SECONDS
  shift 2
  log "mode $mode: bazel build ${TARGETS[*]} $*"
  bz "$ob" build "${TARGETS[@]}" //remote_canary:net --output_groups=+oci_layout,+tarball \
    --execution_log_json_file="$SCRATCH/$mode.exec.json" "$@" 2>"$SCRATCH/$mode.bazel.log" ||
    { tail -40 "$SCRATCH/$mode.bazel.log" >&2; die "mode $mode: bazel build failed (log: $SCRATCH/$mode.bazel.log)"; }
  grep 'processes' "$SCRATCH/$mode.bazel.log" | tail -1
  collect "$mode"
  echo "mode $mode: $((SECONDS - start)) s"
}

# remote MODE: starts a Buildbarn for MODE (environment passes through to
# start.sh) and builds in a fresh output base with it as the executor.
remote() {
  local mode=$1 state=$SCRATCH/bb-$1
  BB_STATE+=("$state")
  start_buildbarn "$state"
  echo "Buildbarn for mode $mode: $BB_EXECUTOR (state in $state)"
  build "$mode" "$SCRATCH/ob-$mode" --remote_executor="$BB_EXECUTOR" --remote_instance_name=local \
    --action_env=CANARY_PORT="${BB_EXECUTOR##*:}"
  bz "$SCRATCH/ob-$mode" shutdown
  stop_buildbarn "$state"
  check_remote "$mode"
}

build local "$SCRATCH/ob-local" --action_env=CANARY_PORT=1
STRATA=$SCRATCH/ob-local/external/strata_tool/strata
bz "$SCRATCH/ob-local" shutdown
local_strata=$(awk -F'\t' '$1 ~ /^Strata/' <(spawns "$SCRATCH/local.exec.json") | cut -f2 | sort -u | tr '\n' ' ')
echo "local build: Strata actions ran with runner(s): $local_strata"

remote remote
expect_eq "remote: the canary action on the worker reaches the host's loopback" "$(cat "$SCRATCH/remote/canary.txt")" reachable
compare remote

if [ "$(id -u)" != 0 ]; then
  echo "SKIP (part c): BB_RUNNER_NO_NETWORK=1 needs root (unshare -n); actions without network were NOT tested"
elif ! command -v unshare >/dev/null; then
  echo "SKIP (part c): no unshare command (util-linux); actions without network were NOT tested"
else
  BB_RUNNER_NO_NETWORK=1 remote nonet
  expect_eq "nonet: the canary action on the worker has no network" "$(cat "$SCRATCH/nonet/canary.txt")" unreachable
  compare nonet
fi

[ ${#mismatches[@]} -eq 0 ] || die "remote builds differ from the local build: ${mismatches[*]} (layers and entries above)"
pass "every image digest built remotely equals the local build's"
