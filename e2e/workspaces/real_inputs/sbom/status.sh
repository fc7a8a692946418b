#!/usr/bin/env bash
# Workspace status for the stamped provenance of e2e/real_inputs/sbom.sh.
echo "STABLE_GIT_COMMIT ${GIT_COMMIT:-unknown}"
echo "STABLE_BUILDER_ID ${BUILDER_ID:-https://rules-strata.dev/builder/bazel}"
echo "BUILD_PR_NUMBER ${PR_NUMBER:-0}"
