#!/usr/bin/env bash
# Inputs real teams have (asset trees, tars from other tools, bases pushed with
# Docker media types, stamped builds), built in e2e/workspaces/real_inputs, a
# workspace that loads rules_strata through local_repository like a user's.
# Each concern is one package there and one file e2e/real_inputs/<concern>.sh,
# sourced here in name order with one shared Bazel output base:
#   WS      the scratch copy of the workspace (the current directory)
#   OB      the output base; run Bazel as: bz "$OB" build //pkg:target
#   STRATA  the strata tool that output base built
#   bash e2e/real_inputs_test.sh [CONCERN...]   only the named concerns
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/repo"
WS=$SCRATCH/repo/e2e/workspaces/real_inputs
OB=$SCRATCH/ob
cd "$WS"
# Recorded first, so the server is stopped even when the next line fails.
echo "$OB" >> "$OUTPUT_BASES_FILE"
STRATA=$(strata_path "$OB" @rules_strata) || die "cannot build the strata tool in $WS"

if [ $# -gt 0 ]; then
  concerns=()
  for c in "$@"; do concerns+=("$ROOT/e2e/real_inputs/$c.sh"); done
else
  concerns=("$ROOT"/e2e/real_inputs/*.sh)
fi
for f in "${concerns[@]}"; do
  [ -f "$f" ] || continue
  log "real inputs: $(basename "$f" .sh)"
  cd "$WS"
  # shellcheck source=/dev/null
  source "$f"
done
