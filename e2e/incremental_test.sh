#!/usr/bin/env bash
# Editing one source file re-runs exactly one layer action (and the small
# image action), read from Bazel's execution log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
bz "$SCRATCH/ob" build //examples/hello:image
before=$(cat bazel-bin/examples/hello/image.digest)

echo "a changed greeting" > examples/hello/config/greeting.txt
bz "$SCRATCH/ob" build //examples/hello:image --execution_log_json_file="$SCRATCH/exec.json"
after=$(cat bazel-bin/examples/hello/image.digest)

count() { grep -c "\"mnemonic\": \"$1\"" "$SCRATCH/exec.json" || true; }
expect_eq "StrataLayer actions after editing greeting.txt" "$(count StrataLayer)" 1
expect_eq "StrataImage actions" "$(count StrataImage)" 1
expect_eq "CppCompile actions" "$(count CppCompile)" 0
grep -q '"progressMessage": "Building layer //examples/hello:config_layer"' "$SCRATCH/exec.json" ||
  die "the layer that ran was not //examples/hello:config_layer"
pass "the one layer action was //examples/hello:config_layer"
[ "$before" != "$after" ] || die "image digest did not change after editing a file in it"
pass "image digest changed: $before -> $after"

# A no-op rebuild runs nothing.
bz "$SCRATCH/ob" build //examples/hello:image --execution_log_json_file="$SCRATCH/noop.json"
expect_eq "actions in a no-op rebuild" "$(grep -c '"mnemonic"' "$SCRATCH/noop.json" || true)" 0
