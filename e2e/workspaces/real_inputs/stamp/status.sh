#!/bin/sh
# Workspace status for the stamping example (docs/stamping.md). STABLE_ keys
# re-run the actions that read them when they change; other keys are
# volatile: Bazel re-runs nothing for them, and push reads them when it runs.
echo "STABLE_GIT_COMMIT ${GIT_COMMIT:-$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)}"
echo "STABLE_COMMIT_TIME ${COMMIT_TIME:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
echo "BUILD_PR_NUMBER ${PR_NUMBER:-0}"
