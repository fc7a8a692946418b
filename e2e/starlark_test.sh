#!/usr/bin/env bash
# Starlark unit tests (rules/tests) of what only newer Bazels run: canonical
# repository names in image history and the module extension's merging of
# `pull` tags. Also proves `bazel test` works offline on Bazel 4 (through
# rules_strata_bazel4_offline_dependencies' remote_coverage_tools stand-in).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
bz "$SCRATCH/ob" test //rules/tests:all --test_output=errors > "$SCRATCH/test.log" 2>&1 || { cat "$SCRATCH/test.log" >&2; die "Starlark unit tests failed"; }
contains "every Starlark unit test passed" "$SCRATCH/test.log" "tests pass"
