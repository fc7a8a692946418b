#!/usr/bin/env bash
# This repository's `bazel test` targets: Starlark unit tests (rules/tests) of
# what only newer Bazels run (canonical repository names in image history, the
# module extension's merging of `pull` tags) and the image_test example of
# docs/image_test.md, and analysis tests that the image, inspect,
# push-spec and index actions never read a layer blob. Also proves `bazel test` works offline on Bazel 4
# (rules_strata_bazel4_offline_dependencies' remote_coverage_tools stand-in).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
bz "$SCRATCH/ob" test //rules/tests:all //examples/hello:image_test //examples/multiarch:multiarch_test --test_output=errors > "$SCRATCH/test.log" 2>&1 || { cat "$SCRATCH/test.log" >&2; die "Starlark unit tests failed"; }
# Every test target of rules/tests and the two examples ran and passed.
n=$(($(bz "$SCRATCH/ob" query 'tests(//rules/tests:all)' 2>/dev/null | grep -c '^//rules/tests:') + 2))
((n > 2)) || die "bazel query found no test in rules/tests"
contains "all $n tests passed" "$SCRATCH/test.log" "Executed $n out of $n tests: $n tests pass"
