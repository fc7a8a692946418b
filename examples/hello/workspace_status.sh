#!/bin/sh
# Workspace status for stamped pushes (bazel run --stamp
# --workspace_status_command=examples/hello/workspace_status.sh ...). CI sets
# the variables; STABLE_ keys make Bazel re-run the tag action when they change.
echo "STABLE_PR_NUMBER ${PR_NUMBER:-0}"
echo "STABLE_SHORT_SHA ${SHORT_SHA:-$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)}"
echo "STABLE_BRANCH ${BRANCH:-$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)}"
